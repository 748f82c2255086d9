package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"keywarden/pkg/apiv1"
)

// waitLive waits, without reloading, until the element sel of the open
// page contains want: the rotation page updates its facts by itself.
func (b *browser) waitLive(sel, want string) {
	b.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(b.textContent(sel), want) {
		if time.Now().After(deadline) {
			b.t.Fatalf("%s still reads %q, want it to contain %q", sel, b.textContent(sel), want)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// TestUIRotate follows seed 003: generate a new secret (labelled New and
// shown once), see both secrets with when each was last used — updating
// while the page is open — choose when the old one expires, then revoke it
// now. Every statement the page makes is checked against what the test
// did: the old secret used from 127.0.0.1, no refresh token until one is
// generated, a second rotation refused.
func TestUIRotate(t *testing.T) {
	c := newConsole(t)
	cl := c.client(t, "Storefront")
	old := c.secret(t, cl.ClientID, "Original")
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
	rotation := strings.TrimPrefix(b.location(), c.srv.URL)
	if !strings.Contains(rotation, "/rotations/rot_") {
		t.Fatalf("after generating, the address is %s", rotation)
	}
	// Nothing was used yet, and no refresh token generated: the page says so.
	b.open(rotation)
	if got := b.textContent("#new-secret [data-live=new_use]"); got != "Not used yet" {
		t.Errorf("new secret's last use = %q, want Not used yet", got)
	}
	if got := b.textContent(".old-secret [data-live-old]"); got != "Never used" {
		t.Errorf("old secret's last use = %q, want Never used", got)
	}
	b.contains("No refresh token was generated since the rotation started")
	if b.count("[data-live-refresh].done") != 0 {
		t.Error("the refresh-token step is ticked though none was generated")
	}
	b.lacks("It was used recently")
	b.shot("rotate-new-secret")

	// A second rotation is refused while this one is open: the Secrets tab
	// offers to continue it, and the start page leads back to it.
	b.open(secrets)
	b.contains("A rotation is in progress", "New")
	if n := b.count("a[href$='/rotate']"); n != 0 {
		t.Errorf("the Secrets tab offers Rotate %d times during a rotation", n)
	}
	b.shot("secrets-during-rotation")
	b.open("/ui/clients/" + cl.ClientID + "/rotate")
	if b.location() != c.srv.URL+rotation {
		t.Errorf("the rotate page during a rotation went to %s, want %s", b.location(), rotation)
	}
	b.contains("A rotation of this client is in progress")
	// Starting over is offered, says what it abandons, and needs a tick.
	b.submit("#start-over", "#replace-rotation")
	b.contains("Generating a new secret abandons it", "is revoked at once (it was never used)", "Start over and generate")
	b.shot("rotate-start-over")

	// Both secrets work; their uses show up on the open page without a reload.
	b.open(rotation)
	b.eval(`(document.body.setAttribute("data-stale", "1"), true)`)
	for _, v := range []string{value, old.Value} {
		if code := c.tokenStatus(t, cl.ClientID, v); code != http.StatusOK {
			t.Fatalf("token during the rotation = %d", code)
		}
	}
	b.waitLive("#new-secret [data-live=new_use]", "from 127.0.0.1")
	b.waitLive(".old-secret [data-live-old]", "from 127.0.0.1")
	b.waitLive("[data-live=state]", "New secret in use")
	b.waitLive("[data-live=revoke_now]", "callers still using it will fail")
	if !b.eval(`document.body.getAttribute("data-stale") === "1"`) {
		t.Fatal("the rotation page reloaded to show the last uses")
	}
	if strings.Contains(b.html(), value) {
		t.Fatal("the new secret's value is on the rotation page after reloading")
	}
	b.shot("rotate-both-in-use")

	// Choose when the old one expires: in 24 hours.
	b.submit("form[action$='/schedule'] button[type=submit]", ".alert-success")
	b.contains("The old secret now expires in 1 day")

	// Step 4: a new refresh token, shown once; the checklist ticks it.
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
	b.open(rotation)
	b.contains("A refresh token was generated just now, after the rotation started")
	if b.count("[data-live-refresh].done") != 1 {
		t.Error("the refresh-token step is not ticked after generating one")
	}

	// Revoke it now: it was used a moment ago, so the console asks to confirm.
	b.click("a[data-open='complete']")
	b.waitVisible("#complete input[name=force]")
	b.contains("I understand that callers still using the old secret will fail")
	b.shot("rotate-revoke-now")
	b.click("#complete input[name=force]")
	b.submit("#complete button[type=submit]", ".alert-success")
	b.contains("the rotation is complete", "Rotation complete", "by you. The old secret was revoked; only the new secret works now.")
	b.lacks("safe to revoke")
	b.shot("rotate-completed")
	if code := c.tokenStatus(t, cl.ClientID, old.Value); code != http.StatusUnauthorized {
		t.Fatalf("token with the old secret after completing = %d", code)
	}
	if code := c.tokenStatus(t, cl.ClientID, value); code != http.StatusOK {
		t.Fatalf("token with the new secret after completing = %d", code)
	}
	b.open("/ui/clients/" + cl.ClientID + "/activity")
	b.contains("Rotation completed", "Refresh token generated", "Rotation: new secret")
	b.shot("activity")
}

// TestUIRotateOldNeverUsed: a rotation whose old secret was never used
// says so, and revoking it needs no "I understand" (it breaks nobody).
func TestUIRotateOldNeverUsed(t *testing.T) {
	c := newConsole(t)
	cl := c.client(t, "Idle partner")
	c.secret(t, cl.ClientID, "Never deployed")
	var rot apiv1.RotateResult
	c.srv.must(t, http.StatusCreated, c.token, "POST", "/v1/clients/"+cl.ClientID+"/secrets/rotate", apiv1.Rotate{}, &rot)
	if code := c.tokenStatus(t, cl.ClientID, rot.CreatedSecret.Value); code != http.StatusOK {
		t.Fatalf("token with the new secret = %d", code)
	}
	b := newBrowser(t, c.srv, desktop)
	b.login(c.admin.Email, c.admin.Password)
	b.open("/ui/clients/" + cl.ClientID + "/rotations/" + rot.Rotation.ID)
	b.waitLive("#new-secret [data-live=new_use]", "from 127.0.0.1")
	b.waitLive("[data-live=retire_step]", "The old secret was never used: safe to revoke.")
	if got := b.textContent(".old-secret [data-live-old]"); got != "Never used" {
		t.Errorf("old secret's last use = %q, want Never used", got)
	}
	b.contains("revoking it breaks no caller")
	b.lacks("callers still using it will fail")
	b.shot("rotate-old-never-used")
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
	if b.count("#inactive-secrets-table .badge-muted") != 2 {
		t.Fatal("not every secret shows as revoked")
	}
	b.shot("revoked-all")
	// With nothing left active, the button would do nothing: disabled, and says why.
	if b.count("a[data-open='revoke-all']") != 0 || !b.eval(`document.querySelector(".danger-row button.btn-danger").disabled`) {
		t.Fatal("Revoke all now is still enabled with nothing active")
	}
	b.contains("Nothing to revoke")
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
