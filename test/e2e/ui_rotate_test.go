package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// waitUsed waits until the Secrets tab shows a secret as used (last-used
// times are written in batches).
func (b *browser) waitUsed(path, sel string) {
	b.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		b.open(path)
		if !strings.Contains(b.text(sel), "Not yet") && !strings.Contains(b.text(sel), "Never") {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("%s still shows no use", sel)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// TestUIRotate follows seed 003: generate a new secret (labelled New and
// shown once), see both secrets with when each was last used, choose when
// the old one expires, then revoke it now.
func TestUIRotate(t *testing.T) {
	c := newConsole(t)
	cl := c.client(t, "Storefront")
	old := c.secret(t, cl.ClientID, "Original")
	if code := c.tokenStatus(t, cl.ClientID, old.Value); code != http.StatusOK {
		t.Fatalf("token with the original secret = %d", code)
	}
	b := newBrowser(t, c.srv, desktop)
	b.login(c.admin.Email, c.admin.Password)
	secrets := "/ui/clients/" + cl.ClientID + "/secrets"
	b.open(secrets)
	b.submit("a[href$='/rotate']", "#rotate-description")
	b.contains("Generate new client secret?", "Configure webhooks", "Generate a new refresh token")
	b.shot("rotate-start")
	b.submit("form[action$='/rotate'] button[type=submit]", "#reveal-secret")
	value := b.textContent("#reveal-secret")
	if !strings.HasPrefix(value, "kws_") || value == old.Value {
		t.Fatalf("new secret = %q", value)
	}
	b.contains("New secret generated", "New", "Old", "Both secrets, side by side")
	b.shot("rotate-new-secret")
	rotation := strings.TrimPrefix(b.location(), c.srv.URL)
	if !strings.Contains(rotation, "/rotations/rot_") {
		t.Fatalf("after generating, the address is %s", rotation)
	}

	// Both secrets work; the new one's use shows up.
	for _, v := range []string{value, old.Value} {
		if code := c.tokenStatus(t, cl.ClientID, v); code != http.StatusOK {
			t.Fatalf("token during the rotation = %d", code)
		}
	}
	b.waitUsed(rotation, "#new-secret")
	if strings.Contains(b.html(), value) {
		t.Fatal("the new secret's value is on the rotation page after reloading")
	}
	b.contains("New secret in use")
	b.shot("rotate-both-in-use")

	// The Secrets tab shows the rotation and the New label.
	b.open(secrets)
	b.contains("A rotation is in progress", "New")
	b.shot("secrets-during-rotation")

	// Choose when the old one expires: in 24 hours.
	b.open(rotation)
	b.submit("form[action$='/schedule'] button[type=submit]", ".alert-success")
	b.contains("The old secret now expires in 1 day")

	// Revoke it now: it was used a moment ago, so the console asks to confirm.
	b.click("a[data-open='complete']")
	b.waitVisible("#complete input[name=force]")
	b.contains("I understand that callers still using the old secret will fail")
	b.shot("rotate-revoke-now")
	b.click("#complete input[name=force]")
	b.submit("#complete button[type=submit]", ".alert-success")
	b.contains("the rotation is complete", "Rotation complete")
	b.shot("rotate-completed")
	if code := c.tokenStatus(t, cl.ClientID, old.Value); code != http.StatusUnauthorized {
		t.Fatalf("token with the old secret after completing = %d", code)
	}
	if code := c.tokenStatus(t, cl.ClientID, value); code != http.StatusOK {
		t.Fatalf("token with the new secret after completing = %d", code)
	}

	// Step 4: a new refresh token, shown once.
	b.open("/ui/clients/" + cl.ClientID + "/refresh-tokens")
	b.contains("No refresh tokens yet")
	b.submit("form[action$='/refresh-tokens'] button[type=submit]", "#reveal-refresh")
	refresh := b.textContent("#reveal-refresh")
	if !strings.HasPrefix(refresh, "kwr_") {
		t.Fatalf("refresh token = %q", refresh)
	}
	b.contains("Refresh token generated", "Unused")
	b.shot("refresh-token")
	b.reload()
	b.waitVisible("table")
	if strings.Contains(b.html(), refresh) {
		t.Fatal("the refresh token is on the page after reloading")
	}
	b.open("/ui/clients/" + cl.ClientID + "/activity")
	b.contains("Rotation completed", "Refresh token generated", "Rotation: new secret")
	b.shot("activity")
}

// TestUIRevokeAll is the breach response: Revoke all now behind a typed
// confirmation of the client's name.
func TestUIRevokeAll(t *testing.T) {
	c := newConsole(t)
	cl := c.client(t, "Partner API")
	s1 := c.secret(t, cl.ClientID, "Production")
	s2 := c.secret(t, cl.ClientID, "Backup")
	b := newBrowser(t, c.srv, desktop)
	b.login(c.admin.Email, c.admin.Password)
	b.open("/ui/clients/" + cl.ClientID + "/secrets")
	b.click("a[data-open='revoke-all']")
	b.waitVisible("#revoke-all-confirm")
	if !b.eval(`document.querySelector("#revoke-all button[type=submit]").disabled`) {
		t.Fatal("Revoke all is enabled before the name is typed")
	}
	b.fill("#revoke-all-confirm", "Partner")
	if !b.eval(`document.querySelector("#revoke-all button[type=submit]").disabled`) {
		t.Fatal("Revoke all is enabled with a wrong name")
	}
	b.shot("revoke-all-confirm")
	b.fill("#revoke-all-confirm", "Partner API")
	if b.eval(`document.querySelector("#revoke-all button[type=submit]").disabled`) {
		t.Fatal("Revoke all stays disabled after typing the name")
	}
	b.submit("#revoke-all button[type=submit]", ".alert-success")
	b.contains("Revoked 2 secrets of “Partner API”")
	if b.count("#secrets-table .badge-muted") != 2 {
		t.Fatal("not every secret shows as revoked")
	}
	b.shot("revoked-all")
	for _, v := range []string{s1.Value, s2.Value} {
		if code := c.tokenStatus(t, cl.ClientID, v); code != http.StatusUnauthorized {
			t.Fatalf("token after revoke-all = %d", code)
		}
	}

	// Without the typed name the server refuses too (no JavaScript needed).
	b.open("/ui/clients/" + cl.ClientID + "/secrets?revoke-all=1")
	b.fill("#revoke-all-confirm", "wrong")
	b.eval(`(document.body.setAttribute("data-stale", "1"), document.querySelector("#revoke-all form").submit(), true)`)
	b.waitLoad()
	b.waitVisible("#revoke-all .alert-error")
	b.contains("type the client's name exactly as shown: Partner API")
}
