package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// firstRowID returns the id attribute of the first row of a table body.
func (b *browser) firstRowID(table string) string {
	b.t.Helper()
	return run(b, chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector(%q).id`, table+" tbody tr")))
}

// TestUISecrets follows seed 002: create a client, then on its Secrets tab
// submit the Add dialog empty (error above the form), add a secret with an
// expiry typed as DD/MM/YYYY, see the value once with Copy and Download,
// reload (masked only), hit the policy limit, edit, and delete with
// confirmation.
func TestUISecrets(t *testing.T) {
	c := newConsole(t)
	b := newBrowser(t, c.srv, desktop)
	b.login(c.admin.Email, c.admin.Password)
	b.open("/ui/clients") // (admins land on the overview)

	// Create a client from the list.
	b.click("a[data-open='create-client']")
	b.waitVisible("#create-client #client-name")
	b.shot("create-client-dialog")
	b.fill("#client-name", "Billing service")
	b.fill("#client-description", "Sends invoices to customers")
	b.fill("#client-scopes", "invoices:read invoices:write")
	b.submit("#create-client button[type=submit]", "#add-secret #add-description")
	b.contains("Client “Billing service” is created.")
	loc := b.location()
	clientID := b.textContent("#client-id")
	if !strings.HasPrefix(clientID, "kwc_") || !strings.HasSuffix(loc, "/ui/clients/"+clientID+"/secrets") {
		t.Fatalf("after creating, at %s with client %q", loc, clientID)
	}

	// The empty state behind the dialog, then the empty form's error.
	b.click("#add-secret a[data-close]")
	b.contains("No secrets yet — add one")
	b.shot("secrets-empty")
	b.click("#add-secret-btn")
	b.waitVisible("#add-secret #add-description")
	b.shot("add-secret-dialog")
	b.submit("#add-secret button[type=submit]", "#add-secret .alert-error")
	if got := b.text("#add-secret .alert-error"); !strings.Contains(got, "The form is empty") {
		t.Fatalf("error above the empty form = %q", got)
	}
	if !b.eval(`!!(document.querySelector("#add-secret .alert-error").compareDocumentPosition(document.querySelector("#add-description")) & Node.DOCUMENT_POSITION_FOLLOWING)`) {
		t.Fatal("the error is not above the form's fields")
	}
	b.shot("add-secret-empty-error")

	// The calendar button fills the field in DD/MM/YYYY.
	if b.count("#add-secret .datefield .date-btn") != 1 {
		t.Fatal("no calendar button next to Expiration")
	}
	in30 := time.Now().UTC().AddDate(0, 0, 30)
	b.eval(fmt.Sprintf(`(function(){var n=document.querySelector("#add-secret .date-native");n.value=%q;n.dispatchEvent(new Event("change"));return true})()`, in30.Format("2006-01-02")))
	if got := run(b, chromedp.Value(chromedp.CSS("#add-expires"))); got != in30.Format("02/01/2006") {
		t.Fatalf("after picking %s in the calendar the field holds %q", in30.Format("2006-01-02"), got)
	}

	// Beyond the policy: the limit is named.
	b.fill("#add-description", "Production")
	b.fill("#add-expires", time.Now().UTC().AddDate(0, 0, 200).Format("02/01/2006"))
	b.submit("#add-secret button[type=submit]", "#add-secret .field-error")
	limit := time.Now().UTC().AddDate(0, 0, 90).Format("02/01/2006")
	if got := b.text("#add-secret"); !strings.Contains(got, "at most 90 days") || !strings.Contains(got, limit) {
		t.Fatalf("policy error does not name the limit (90 days, %s): %s", limit, got)
	}
	b.shot("add-secret-policy-limit")

	// A valid secret, expiring in 30 days: shown once.
	b.fill("#add-description", "Production")
	b.fill("#add-expires", in30.Format("02/01/2006"))
	b.submit("#add-secret button[type=submit]", "#reveal-secret")
	value := b.textContent("#reveal-secret")
	if !strings.HasPrefix(value, "kws_") {
		t.Fatalf("revealed value = %q", value)
	}
	b.contains("This is the only time the secret is shown", "Copy", "Download")
	if b.count("[data-copy='reveal-secret']") != 1 || b.count("[data-download='reveal-file']") != 1 {
		t.Fatal("no Copy or Download button for the revealed secret")
	}
	if !strings.Contains(b.textContent("#reveal-file"), "KEYWARDEN_CLIENT_SECRET="+value) {
		t.Fatal("the download file does not hold the secret")
	}
	b.contains("expires in 30 days", "Production")
	// The value has the focus, and a live region announces the reveal.
	if !b.eval(`document.activeElement === document.querySelector("#reveal-secret")`) {
		t.Fatalf("after the reveal the focus is not on the value but on %s", run(b, chromedp.Evaluate[string](`document.activeElement.outerHTML.slice(0, 200)`)))
	}
	run(b, chromedp.Poll[bool](`document.querySelector("#reveal-status[role=status]").textContent.indexOf("the only time the secret is shown") >= 0`, chromedp.WithPollingTimeout(5*time.Second)))
	b.shot("secret-revealed")
	if strings.Contains(b.location(), value) {
		t.Fatal("the secret value is in the URL")
	}
	if loc := b.location(); !strings.HasSuffix(loc, "/ui/clients/"+clientID+"/secrets") {
		t.Fatalf("the address bar shows %s after the POST, want the GET page", loc)
	}
	if code := c.tokenStatus(t, clientID, value); code != http.StatusOK {
		t.Fatalf("token with the new secret = %d", code)
	}

	// Reload: only the masked value.
	b.reload()
	b.waitVisible("#secrets-table")
	b.lacks("That form was already sent") // the reload was a GET, not the POST again
	if strings.Contains(b.html(), value) {
		t.Fatal("the secret value is still in the page after reloading")
	}
	hint := value[len(value)-4:]
	b.contains("kws_••••••••"+hint, "Active")
	b.shot("secrets-after-reload")

	// Edit: pre-filled; the value cannot be read back.
	id := b.firstRowID("#secrets-table")
	sid := strings.TrimPrefix(id, "row-")
	b.click("#" + id + " a[data-open='edit-" + sid + "']")
	b.waitVisible("#edit-" + sid + "-description")
	if got := run(b, chromedp.Value(chromedp.CSS("#edit-"+sid+"-description"))); got != "Production" {
		t.Fatalf("edit dialog description = %q", got)
	}
	if got := run(b, chromedp.Value(chromedp.CSS("#edit-"+sid+"-expires"))); got != in30.Format("02/01/2006") {
		t.Fatalf("edit dialog expiration = %q", got)
	}
	if !b.eval(`document.querySelector("#edit-` + sid + `-value").disabled`) {
		t.Fatal("the value field of the edit dialog is editable")
	}
	// The policy requires an expiry: the hint must not offer an empty field.
	if hint := b.text("#edit-" + sid + "-expires-note"); strings.Contains(hint, "Leave empty") || !strings.Contains(hint, "requires an expiry") {
		t.Fatalf("the edit dialog's expiry hint says %q", hint)
	}
	b.shot("edit-secret-dialog")
	b.fill("#edit-"+sid+"-description", "Production (EU)")
	in45 := time.Now().UTC().AddDate(0, 0, 45).Format("02/01/2006")
	b.fill("#edit-"+sid+"-expires", in45)
	b.submit("#edit-"+sid+" button[type=submit]", ".alert-success")
	b.contains("Secret “Production (EU)” is saved.", "Production (EU)", "expires in 45 days")

	// Add a second, generated secret that never expires? The default
	// policy requires an expiry: empty means the longest allowed.
	b.click("#add-secret-btn")
	b.fill("#add-description", "Staging")
	b.submit("#add-secret button[type=submit]", "#reveal-secret")
	b.contains("expires in 90 days")
	b.open("/ui/clients/" + clientID + "/secrets")

	// Revoke asks first; cancel keeps the secret.
	b.click("#" + id + " a[data-open='revoke-" + sid + "']")
	b.waitVisible("#revoke-" + sid + " button[type=submit]")
	b.contains("Revoke this secret?")
	b.lacks("Delete")
	b.shot("revoke-confirmation")
	b.click("#revoke-" + sid + " a[data-close]")
	b.do(chromedp.WaitNotVisible(chromedp.CSS("#revoke-" + sid)))
	if code := c.tokenStatus(t, clientID, value); code != http.StatusOK {
		t.Fatalf("after cancelling the revoke, token = %d", code)
	}
	b.click("#" + id + " a[data-open='revoke-" + sid + "']")
	b.submit("#revoke-"+sid+" button[type=submit]", ".alert-success")
	b.contains("is revoked")
	// The revoked secret is folded away: its row keeps the expiry in the
	// Expiration column and says when it was revoked in Status.
	if b.count("#secrets-table #"+id) != 0 {
		t.Fatal("the revoked secret is still among the active ones")
	}
	b.waitVisible("#inactive-secrets summary")
	b.contains("Show 1 revoked or expired")
	b.click("#inactive-secrets summary")
	b.waitVisible("#inactive-secrets-table #" + id)
	if got := b.text("#inactive-secrets-table #" + id + " td[data-label=Status]"); !strings.Contains(got, "Revoked") || !strings.Contains(got, "revoked") {
		t.Fatalf("the revoked row's status says %q", got)
	}
	if got := b.text("#inactive-secrets-table #" + id + " td[data-label=Expiration]"); strings.Contains(got, "Revoked") {
		t.Fatalf("the Expiration column shows the revocation: %q", got)
	}
	b.shot("secret-revoked")
	if code := c.tokenStatus(t, clientID, value); code != http.StatusUnauthorized {
		t.Fatalf("token with the deleted secret = %d, want 401", code)
	}
}

// TestUISecretsPhone shows the Secrets tab and its dialogs at phone width.
func TestUISecretsPhone(t *testing.T) {
	c := newConsole(t)
	cl := c.client(t, "Billing service")
	s := c.secret(t, cl.ClientID, "Production")
	c.secret(t, cl.ClientID, "Staging")
	c.tokenStatus(t, cl.ClientID, s.Value)
	b := newBrowser(t, c.srv, phone)
	b.login(c.admin.Email, c.admin.Password)
	b.shot("clients")
	b.open("/ui/clients/" + cl.ClientID + "/secrets")
	b.shot("secrets")
	b.click("#add-secret-btn")
	b.waitVisible("#add-description")
	b.submit("#add-secret button[type=submit]", "#add-secret .alert-error")
	b.shot("add-secret-error")
	b.fill("#add-description", "Mobile app")
	b.submit("#add-secret button[type=submit]", "#reveal-secret")
	b.shot("revealed")
	b.open("/ui/clients/" + cl.ClientID)
	b.shot("settings")
}
