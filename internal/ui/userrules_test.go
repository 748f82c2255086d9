package ui_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestUserRuleForms: the policy page sets the seeds' user rules (a bad date
// is refused on its field); the overview then lists the users short of the
// personal credential requirement and the legacy migration's end, the
// signed-in user sees a notice on every page until they generate a
// credential, and under owner-only revocation the Users page still offers
// the owner the revoke of their own.
func TestUserRuleForms(t *testing.T) {
	c := newConsole(t)
	vals := url.Values{"ttl": {"86400"}, "personal": {"everyone"}, "revocation": {"owner"}, "require_credential": {"1"},
		"legacy": {"1"}, "legacy_before": {time.Now().UTC().Format("02/01/2006")}, "legacy_until": {"soon"}}
	for _, role := range []string{"super_admin", "admin", "developer", "member"} {
		vals.Set("days_"+role, "90")
	}
	pol := c.get("/ui/policy", http.StatusOK)
	wantIn(t, "the policy page", pol, "Only its owner", "Allow the legacy password login", "Require a personal credential of every active user")
	code, _, body := c.submit(pol, "/ui/policy", vals)
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "DD/MM/YYYY") {
		t.Fatalf("a bad end date = %d", code)
	}
	vals.Set("legacy_until", time.Now().UTC().AddDate(0, 0, 30).Format("02/01/2006"))
	_, _, body = c.submit(pol, "/ui/policy", vals)
	wantIn(t, "after saving the policy", body, "Policy saved", `id="credential-notice"`)
	pol = c.get("/ui/policy", http.StatusOK)
	wantIn(t, "the saved policy", pol, `name="revocation" value="owner" checked`, `name="legacy" value="1" checked`, `name="require_credential" value="1" checked`)
	if _, _, body := c.submit(pol, "/ui/policy", vals); !strings.Contains(body, "Nothing changed.") {
		t.Error("saving the same form again changed the policy")
	}

	ov := c.get("/ui/overview", http.StatusOK)
	wantIn(t, "the overview", ov, `id="ov-credreq">1<`, "admin@acme.test</a>: no active personal credential", `id="ov-legacy">0<`,
		"Relying on the legacy password", `id="credential-notice"`, `href="/ui/account/credentials"`)

	page := c.get("/ui/account/credentials", http.StatusOK)
	if code, _, _ := c.submit(page, "/ui/account/credentials", url.Values{"description": {"Laptop"}}); code != http.StatusOK {
		t.Fatalf("creating personal credentials = %d", code)
	}
	ov = c.get("/ui/overview", http.StatusOK)
	wantNotIn(t, "the overview after the credential", ov, `id="credential-notice"`, `id="ov-credreq"`)
	users := c.get("/ui/users", http.StatusOK)
	// Their own credential: the owner may revoke it.
	wantIn(t, "the Users page", users, "Revoke personal credentials?")
}
