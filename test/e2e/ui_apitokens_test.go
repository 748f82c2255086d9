package e2e

import (
	"net/http"
	"strings"
	"testing"
)

// TestUIAPITokens: My account → API tokens in a real browser: the
// bootstrap token is marked, a new token is shown once (Copy, Download)
// and works on the API, a rotation stops the old value at once, a
// revocation asks first and stops the new one.
func TestUIAPITokens(t *testing.T) {
	c := newConsole(t)
	b := newBrowser(t, c.srv, desktop)
	b.login(c.admin.Email, c.admin.Password)
	b.open("/ui/account")
	b.submit("a[href='/ui/account/api-tokens']", "#token-name")
	b.contains("bootstrap (keywarden init)", "Bootstrap")
	b.shot("api-tokens-list")

	b.submit("form[action='/ui/account/api-tokens'] button[type=submit]", ".alert-error")
	b.contains("Name: is required")
	b.fill("#token-name", "Terraform")
	b.submit("form[action='/ui/account/api-tokens'] button[type=submit]", "#reveal-api-token")
	value := b.textContent("#reveal-api-token")
	if !strings.HasPrefix(value, "kwt_") {
		t.Fatalf("token shown: %q", value)
	}
	b.contains("This is the only time the token is shown", "Download", "Copy")
	b.shot("api-tokens-revealed")
	c.srv.must(t, http.StatusOK, value, "GET", "/v1/me", nil, nil)

	b.open("/ui/account/api-tokens")
	if strings.Contains(b.html(), value) {
		t.Fatal("the token's value is on the page after reloading")
	}
	b.submit("#api-tokens tbody tr:first-child a[href*='rotate=']", "#confirm-rotate")
	b.shot("api-tokens-rotate-confirm")
	b.submit("#confirm-rotate button[type=submit]", "#reveal-api-token")
	next := b.textContent("#reveal-api-token")
	b.contains("The old token stopped working")
	if code, _ := c.srv.call(t, value, "GET", "/v1/me", nil, nil); code != http.StatusUnauthorized {
		t.Fatalf("the rotated token: %d, want 401", code)
	}
	c.srv.must(t, http.StatusOK, next, "GET", "/v1/me", nil, nil)

	b.open("/ui/account/api-tokens")
	b.submit("#api-tokens tbody tr:first-child a[href*='revoke=']", "#confirm-revoke")
	b.shot("api-tokens-revoke-confirm")
	b.submit("#confirm-revoke button[type=submit]", ".alert-success")
	b.contains("Terraform is revoked")
	if code, _ := c.srv.call(t, next, "GET", "/v1/me", nil, nil); code != http.StatusUnauthorized {
		t.Fatalf("the revoked token: %d, want 401", code)
	}
	b.shot("api-tokens-revoked")
}
