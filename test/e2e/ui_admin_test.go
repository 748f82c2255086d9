package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestUIMemberSeesNoAdminActions signs in as a member: clients and secrets
// are readable, but nothing offers a change, the admin pages are absent,
// and a forged POST is refused.
func TestUIMemberSeesNoAdminActions(t *testing.T) {
	c := newConsole(t)
	cl := c.client(t, "Reporting")
	c.secret(t, cl.ClientID, "Production")
	m := c.invite(t, "member@acme.test", "member")
	b := newBrowser(t, c.srv, desktop)
	b.login(m.Email, m.Password)
	b.contains("Reporting", "1 active secret")
	b.lacks("Create client", "Audit log", "Users", "Policy")
	b.shot("member-clients")

	b.open("/ui/clients/" + cl.ClientID + "/secrets")
	b.contains("Production", "Active")
	b.lacks("Add secret", "Rotate", "Revoke all now")
	for _, sel := range []string{"a[data-open^='edit-']", "a[data-open^='delete-']", "dialog", "form[method=post] input[name=once]"} {
		if n := b.count(sel); n != 0 {
			t.Fatalf("a member's Secrets tab has %d of %s", n, sel)
		}
	}
	b.shot("member-secrets")
	b.open("/ui/clients/" + cl.ClientID)
	b.lacks("Save changes", "Danger zone")
	if !b.eval(`document.querySelector("#name").disabled`) {
		t.Fatal("a member can edit the client's name")
	}

	for _, p := range []string{"/ui/users", "/ui/audit", "/ui/clients/" + cl.ClientID + "/rotate"} {
		b.open(p)
		b.contains("Not allowed")
	}
	b.shot("member-forbidden")

	// The server enforces it too: a POST with a valid CSRF token is refused.
	b.open("/ui/clients/" + cl.ClientID + "/secrets")
	status := run(b, chromedp.Evaluate[float64](`(async function(){
		var csrf = document.querySelector("input[name=csrf]").value;
		var body = new URLSearchParams({csrf: csrf, once: "x1", description: "sneaky"});
		var r = await fetch(location.pathname, {method: "POST", body: body});
		return r.status;
	})()`, chromedp.EvalAwaitPromise))
	if status != http.StatusForbidden {
		t.Fatalf("member POST to add a secret = %v, want 403", status)
	}
	var list struct {
		Items []struct{ Description string }
	}
	c.srv.must(t, http.StatusOK, c.token, "GET", "/v1/clients/"+cl.ClientID+"/secrets", nil, &list)
	if len(list.Items) != 1 {
		t.Fatalf("the member's POST added a secret: %+v", list.Items)
	}
}

// TestUIUsersPolicyAudit is a super admin's administration: invite a user
// (one-time password shown once), change their role, disable and delete
// them; change the policy; read the audit log with filters and pages.
func TestUIUsersPolicyAudit(t *testing.T) {
	c := newConsole(t)
	b := newBrowser(t, c.srv, desktop)
	b.login(c.admin.Email, c.admin.Password)

	b.open("/ui/users")
	b.click("a[data-open='invite-user']")
	b.waitVisible("#invite-email")
	b.fill("#invite-email", "newhire@acme.test")
	b.do(chromedp.SetValue(chromedp.CSS("#invite-role"), "developer", chromedp.NodeReady))
	b.shot("invite-dialog")
	b.submit("#invite-user button[type=submit]", "#reveal-password")
	pw := b.textContent("#reveal-password")
	if len(pw) < 12 {
		t.Fatalf("one-time password = %q", pw)
	}
	b.contains("newhire@acme.test is invited", "Invited")
	b.shot("invited")

	// The invited user signs in with it and must choose a password.
	var sess struct{ Token string }
	c.srv.must(t, http.StatusCreated, "", "POST", "/v1/sessions", map[string]string{"email": "newhire@acme.test", "password": pw}, &sess)

	b.open("/ui/users")
	row := run(b, chromedp.Evaluate[string](`Array.from(document.querySelectorAll("#users-table tbody tr")).find(function(r){return r.innerText.indexOf("newhire@acme.test")>=0}).id`))
	uid := strings.TrimPrefix(row, "user-")
	b.click("#" + row + " a[data-open='edit-" + uid + "']")
	b.waitVisible("#edit-" + uid + "-role")
	b.do(chromedp.SetValue(chromedp.CSS("#edit-"+uid+"-role"), "admin", chromedp.NodeReady))
	b.shot("edit-user")
	b.submit("#edit-"+uid+" button[type=submit]", ".alert-success")
	if got := b.text("#" + row); !strings.Contains(got, "Admin") {
		t.Fatalf("after the role change the row shows %q", got)
	}
	b.click("#" + row + " a[data-open='edit-" + uid + "']")
	b.click("#edit-" + uid + " input[value=disabled]")
	// Disabling asks once more, naming what it does; nothing changes yet.
	b.submit("#edit-"+uid+" button[type=submit]", "#edit-"+uid+" .alert-warn")
	b.contains("Disable newhire@acme.test?", "signed out everywhere")
	if got := b.text("#edit-" + uid + " button[type=submit]"); got != "Disable user" {
		t.Fatalf("the confirming button says %q", got)
	}
	b.shot("disable-user-confirm")
	if u, err := c.srv.api(c.token).GetUser(t.Context(), uid); err != nil || u.Status != "active" {
		t.Fatalf("before the confirmation the user is %+v (%v), want still active", u, err)
	}
	b.submit("#edit-"+uid+" button[type=submit]", ".alert-success")
	if got := b.text("#" + row); !strings.Contains(got, "Disabled") {
		t.Fatalf("after disabling the row shows %q", got)
	}
	b.shot("user-disabled")
	b.click("#" + row + " a[data-open='delete-" + uid + "']")
	b.waitVisible("#delete-" + uid + " button[type=submit]")
	b.submit("#delete-"+uid+" button[type=submit]", ".alert-success")
	b.lacks("newhire@acme.test is updated")
	if b.count("#"+row) != 0 {
		t.Fatal("the deleted user is still listed")
	}

	// The last super admin cannot lock the organisation out.
	b.click("#user-" + c.admin.ID + " a[data-open='edit-" + c.admin.ID + "']")
	b.do(chromedp.SetValue(chromedp.CSS("#edit-"+c.admin.ID+"-role"), "member", chromedp.NodeReady))
	b.submit("#edit-"+c.admin.ID+" button[type=submit]", "#edit-"+c.admin.ID+" .alert-error")
	b.contains("last active super admin")

	// Policy.
	b.open("/ui/policy")
	b.shot("policy")
	b.fill("#days_member", "0")
	b.submit("form[action='/ui/policy'] button[type=submit]", ".alert-error")
	b.contains("between 1 and 3650")
	b.fill("#days_member", "7")
	b.click("input[name=never]")
	b.submit("form[action='/ui/policy'] button[type=submit]", ".alert-success")
	b.contains("Policy saved.")
	var pol struct {
		Days  map[string]int `json:"max_secret_lifetime_days"`
		Never bool           `json:"allow_never_expire"`
	}
	c.srv.must(t, http.StatusOK, c.token, "GET", "/v1/policy", nil, &pol)
	if pol.Days["member"] != 7 || !pol.Never {
		t.Fatalf("policy after saving = %+v", pol)
	}

	// With never-expiring secrets allowed, an empty expiration is "Never".
	cl := c.client(t, "Forever")
	b.open("/ui/clients/" + cl.ClientID + "/secrets?add=1")
	b.contains("Leave empty for no expiry")
	b.fill("#add-description", "No expiry")
	b.submit("#add-secret button[type=submit]", "#reveal-secret")
	b.open("/ui/clients/" + cl.ClientID + "/secrets")
	if got := b.text("#secrets-table tbody tr"); !strings.Contains(got, "Never") {
		t.Fatalf("secret row = %q, want expiration Never", got)
	}

	// Clients list: search, status filter and pages.
	for i := range 40 {
		c.client(t, fmt.Sprintf("batch-%02d", i))
	}
	c.srv.must(t, http.StatusOK, c.token, "PATCH", "/v1/clients/"+cl.ClientID, map[string]any{"disabled": true}, nil)
	// (Search, filters and order run in the store; pages follow cursors.)
	b.open("/ui/clients")
	b.contains("20 clients on this page", "Next page")
	if first := b.text("#clients-table tbody tr"); !strings.Contains(first, "batch-39") {
		t.Errorf("newest first: the first row is %q, want batch-39", first)
	}
	b.shot("clients-page-1")
	b.submit("a[rel=next]", ".table-foot")
	b.contains("20 clients on this page", "First page")
	b.submit("a[rel=next]", ".table-foot")
	b.contains("client on this page", "Forever")
	b.open("/ui/clients?sort=name")
	if first := b.text("#clients-table tbody tr"); !strings.Contains(first, "batch-00") {
		t.Errorf("by name: the first row is %q, want batch-00", first)
	}
	b.open("/ui/clients?secret=with")
	b.contains("Forever")
	b.lacks("batch-01")
	b.open("/ui/clients?q=batch-07")
	b.contains("1 client on this page, matching the filters", "batch-07")
	b.open("/ui/clients?status=disabled")
	b.contains("Forever", "Disabled")
	b.lacks("batch-01")
	b.open("/ui/clients?q=nothing-like-this")
	b.contains("No clients match")
	b.shot("clients-no-match")

	// Audit log: filters and pages.
	b.open("/ui/audit")
	b.contains("Client created", "Older events")
	b.shot("audit")
	b.submit("a[href*='before=']", "#events")
	b.contains("Newest")
	b.open("/ui/audit")
	b.do(chromedp.SetValue(chromedp.CSS("#f-action"), "secret.", chromedp.NodeReady))
	b.submit("form[action='/ui/audit'] button[type=submit]", "#events")
	if got := b.text("#events"); !strings.Contains(got, "Secret added") || strings.Contains(got, "Client created") {
		t.Fatalf("events filtered by secret actions: %s", got)
	}
	b.do(chromedp.SetValue(chromedp.CSS("#f-action"), "", chromedp.NodeReady))
	b.do(chromedp.SetValue(chromedp.CSS("#f-client"), cl.ClientID, chromedp.NodeReady))
	b.submit("form[action='/ui/audit'] button[type=submit]", "#events")
	b.contains("Secret added", "Client created", "Client changed")
	if got := b.text("#events"); strings.Contains(got, "batch-03") {
		t.Fatal("the client filter shows another client's events")
	}
	b.shot("audit-by-client")
	b.fill("#f-from", "31/02/2026")
	b.submit("form[action='/ui/audit'] button[type=submit]", ".alert-error")
	b.contains("not a date on the calendar")
	b.open("/ui/audit?actor=" + c.admin.ID + "&from=01/01/2020&to=01/01/2021")
	b.contains("No events match these filters")
	b.open("/ui/clients/" + cl.ClientID + "/activity")
	b.contains("Secret added", "Client created")
	b.shot("client-activity")
}
