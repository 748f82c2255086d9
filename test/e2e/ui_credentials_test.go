package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// TestUIPersonalCredentials follows seed 001: My account → Credentials,
// generate (shown once, Copy, Download, expiry), reload (masked), revoke.
func TestUIPersonalCredentials(t *testing.T) {
	c := newConsole(t)
	b := newBrowser(t, c.srv, desktop)
	b.login(c.admin.Email, c.admin.Password)
	b.open("/ui/account")
	b.submit("a[href='/ui/account/credentials']", "#cred-expires")
	b.contains("You have no active credentials.")
	b.shot("credentials-empty")

	// Beyond the role's limit: the policy says so.
	b.fill("#cred-expires", time.Now().UTC().AddDate(1, 0, 0).Format("02/01/2006"))
	b.submit("form[action='/ui/account/credentials'] button[type=submit]", ".alert-error")
	b.contains("at most 90 days")
	b.shot("credentials-policy-limit")

	in60 := time.Now().UTC().AddDate(0, 0, 60)
	b.fill("#cred-expires", in60.Format("02/01/2006"))
	b.fill("#cred-description", "Laptop scripts")
	b.submit("form[action='/ui/account/credentials'] button[type=submit]", "#reveal-secret")
	clientID, secret := b.textContent("#reveal-client-id"), b.textContent("#reveal-secret")
	if !strings.HasPrefix(clientID, "kwp_") || !strings.HasPrefix(secret, "kws_") {
		t.Fatalf("credentials shown: %q %q", clientID, secret)
	}
	b.contains("The client secret will not be displayed again", "Download keywarden-credentials.txt", "Copy")
	b.shot("credentials-revealed")
	if code := c.tokenStatus(t, clientID, secret); code != http.StatusOK {
		t.Fatalf("token with the personal credential = %d", code)
	}

	b.reload()
	b.waitVisible("#active-credential")
	b.lacks("That form was already sent") // the reload was a GET, not the POST again
	if strings.Contains(b.html(), secret) {
		t.Fatal("the personal secret is on the page after reloading")
	}
	b.contains(in60.Format("02/01/2006"), "in 60 days", "kws_••••••••"+secret[len(secret)-4:])
	b.shot("credentials-active")

	// Times are served in UTC as DD/MM/YYYY HH:MM, like the date fields;
	// the browser shows them in its own zone, with the UTC on hover.
	b.do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "Asia/Kolkata"})
		return err
	}))
	b.reload()
	b.waitVisible("#active-credential")
	served := run(b, chromedp.Evaluate[string](`document.querySelector("time[data-local]").title`))
	shown := b.textContent("time[data-local]")
	utc, err := time.Parse("02/01/2006 15:04 UTC", served)
	if err != nil {
		t.Fatalf("the UTC time on hover is %q: %v", served, err)
	}
	ist := time.FixedZone("IST", 5*3600+1800)
	if want := utc.In(ist).Format("02/01/2006 15:04") + " (UTC+05:30)"; shown != want {
		t.Fatalf("in Asia/Kolkata the time shows %q, want %q (UTC: %q)", shown, want, served)
	}
	b.shot("credentials-local-time")

	// Only one at a time: no Generate button while one is active.
	if b.count("form[action='/ui/account/credentials'] button") != 0 {
		t.Fatal("Generate is offered while a credential is active")
	}

	b.click("a[data-open='revoke-credential']")
	b.waitVisible("#revoke-credential button[type=submit]")
	b.shot("credentials-revoke-confirm")
	b.submit("#revoke-credential button[type=submit]", ".alert-success")
	b.contains("Your credentials are revoked.", "You have no active credentials.")
	if code := c.tokenStatus(t, clientID, secret); code != http.StatusUnauthorized {
		t.Fatalf("token with the revoked credential = %d", code)
	}
	b.shot("credentials-revoked")
}

// TestUICredentialsPolicy shows the policy message when personal
// credentials are for super admins only (seed 001).
func TestUICredentialsPolicy(t *testing.T) {
	c := newConsole(t)
	dev := c.invite(t, "dev@acme.test", "developer")
	only := "super_admins"
	c.srv.must(t, http.StatusOK, c.token, "PATCH", "/v1/policy", map[string]any{"personal_credentials": only}, nil)
	b := newBrowser(t, c.srv, desktop)
	b.login(dev.Email, dev.Password)
	b.open("/ui/account/credentials")
	b.contains("Your organisation allows personal credentials for super admins only.")
	if b.count("form[action='/ui/account/credentials']") != 0 {
		t.Fatal("Generate is offered although the policy refuses it")
	}
	b.shot("credentials-refused")
}
