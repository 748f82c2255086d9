package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
)

// TestUIFirstLoginAndMFA is a new super admin's first visit: sign in with
// the one-time password from init, be made to choose a password, land on
// an empty console, turn on two-step verification with an authenticator
// app, save the recovery codes, sign out, and sign in again with a code.
func TestUIFirstLoginAndMFA(t *testing.T) {
	in := newSQLite(t)
	boot := in.init(t, "Acme Payments", "owner@acme.test")
	srv := in.start(t)
	b := newBrowser(t, srv, desktop)

	// An unauthenticated visit lands on the sign-in page.
	b.open("/ui/clients/kwc_nothing/secrets")
	if loc := b.location(); !strings.Contains(loc, "/ui/login") {
		t.Fatalf("unauthenticated visit went to %s, want the login page", loc)
	}
	b.shot("login")

	// A wrong password is an error on the form.
	b.fill("#email", "owner@acme.test")
	b.fill("#password", "not the password")
	b.submit("form[action='/ui/login'] button[type=submit]", ".alert-error")
	b.contains("Wrong email or password.")
	b.shot("login-wrong-password")

	// The one-time password leads to the forced password change.
	b.fill("#password", boot.Password)
	b.submit("form[action='/ui/login'] button[type=submit]", "#new_password")
	if loc := b.location(); !strings.HasSuffix(loc, "/ui/welcome") {
		t.Fatalf("first login went to %s, want /ui/welcome", loc)
	}
	b.contains("Choose your password", "one-time password")
	// Nothing else is reachable until the password is changed.
	b.open("/ui/clients")
	if loc := b.location(); !strings.HasSuffix(loc, "/ui/welcome") {
		t.Fatalf("restricted user reached %s", loc)
	}
	b.shot("forced-password-change")

	// Mismatched confirmation.
	b.fill("#current_password", boot.Password)
	b.fill("#new_password", "a brand new passphrase")
	b.fill("#confirm_password", "something else entirely")
	b.submit("form[action='/ui/account/password'] button[type=submit]", ".alert-error")
	b.contains("The two new passwords do not match.")
	b.shot("forced-password-mismatch")

	b.fill("#current_password", boot.Password)
	b.fill("#new_password", "a brand new passphrase")
	b.fill("#confirm_password", "a brand new passphrase")
	b.submit("form[action='/ui/account/password'] button[type=submit]", ".page-head h1")
	b.contains("Welcome to Keywarden", "No clients yet")
	b.shot("empty-clients")

	// Enrol two-step verification.
	b.open("/ui/account")
	b.shot("account")
	b.submit("form[action='/ui/account/mfa'] button[type=submit]", "#totp-key")
	if !b.eval(`document.querySelector(".qr img").naturalWidth > 0`) {
		t.Fatal("the QR code image did not load (CSP img-src must allow data:)")
	}
	key := strings.ReplaceAll(b.text("#totp-key"), " ", "")
	b.shot("mfa-enrol")
	b.fill("#mfa-code", "000000")
	b.submit("form[action='/ui/account/mfa/confirm'] button[type=submit]", ".alert-error")
	b.contains("Does not match")
	if b.count(".qr img") != 1 {
		t.Fatal("after a wrong code the QR code is not shown again")
	}
	code, err := totp.GenerateCode(key, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	b.fill("#mfa-code", code)
	b.submit("form[action='/ui/account/mfa/confirm'] button[type=submit]", "#recovery-codes")
	b.contains("Two-step verification is on", "shown only once")
	codes := strings.Fields(b.text("#recovery-codes"))
	if len(codes) != 10 {
		t.Fatalf("recovery codes = %v, want 10", codes)
	}
	b.shot("mfa-recovery-codes")
	// Reloading shows them no more.
	b.reload()
	b.waitVisible("#mfa")
	if strings.Contains(b.html(), codes[0]) {
		t.Fatal("a recovery code is still on the page after reloading")
	}
	b.contains("10 unused recovery codes left")

	// Sign out, sign in again: the TOTP step.
	b.submit("form[action='/ui/logout'] button", "#email")
	b.contains("You have signed out.")
	b.fill("#email", "owner@acme.test")
	b.fill("#password", "a brand new passphrase")
	b.submit("form[action='/ui/login'] button[type=submit]", "#code")
	b.contains("Two-step verification")
	b.shot("login-totp-step")
	b.fill("#code", "123456")
	b.submit("form[action='/ui/login/mfa'] button[type=submit]", ".field-error")
	b.contains("That code is not right.")
	// A TOTP code works once (RFC 6238 §5.2): the enrolment used this
	// time step's, so sign in with the next step's (within the allowed skew).
	code, err = totp.GenerateCode(key, time.Now().Add(30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	b.fill("#code", code)
	b.submit("form[action='/ui/login/mfa'] button[type=submit]", ".page-head h1")
	if loc := b.location(); !strings.HasSuffix(loc, "/ui/overview") { // a super admin lands on the overview
		t.Fatalf("after the TOTP step the browser is at %s", loc)
	}
	b.contains("Clients")

	// A recovery code also works, once.
	b.submit("form[action='/ui/logout'] button", "#email")
	b.fill("#email", "owner@acme.test")
	b.fill("#password", "a brand new passphrase")
	b.submit("form[action='/ui/login'] button[type=submit]", "#code")
	b.click("details summary")
	b.fill("#recovery_code", codes[3])
	b.submit("form[action='/ui/login/mfa'] button[type=submit]", ".page-head h1")
	b.contains("Clients")
}

// TestUILoginPhone checks the sign-in page at phone width.
func TestUILoginPhone(t *testing.T) {
	c := newConsole(t)
	b := newBrowser(t, c.srv, phone)
	b.open("/ui/login")
	b.shot("login")
	b.login(c.admin.Email, c.admin.Password)
	b.contains("Overview", "Clients without an active secret")
	b.shot("overview")
	b.open("/ui/clients")
	b.contains("No clients yet")
	b.shot("empty-clients")
}
