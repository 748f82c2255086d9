package ui_test

import (
	"context"
	"html"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"keywarden/internal/config"
	"keywarden/internal/server"
)

// The console's forms end to end over HTTP (no browser): each test posts
// what the page's form posts, follows the redirect as a browser does, and
// checks the page it lands on and what changed.

// submit posts vals to path with the CSRF token (and the one-time form
// token, when the page has one) of page, and returns the final status,
// address and body.
func (c *console) submit(page, path string, vals url.Values) (int, string, string) {
	c.t.Helper()
	if vals == nil {
		vals = url.Values{}
	}
	vals.Set("csrf", csrf(c.t, page))
	if m := onceField.FindStringSubmatch(page); m != nil && vals.Get("once") == "" {
		vals.Set("once", m[1])
	}
	resp := c.post(path, vals)
	body := read(c.t, resp)
	return resp.StatusCode, resp.Request.URL.Path, body
}

func wantIn(t *testing.T, what, body string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("%s lacks %q", what, w)
		}
	}
}

func wantNotIn(t *testing.T, what, body string, unwanted ...string) {
	t.Helper()
	for _, u := range unwanted {
		if strings.Contains(body, u) {
			t.Errorf("%s holds %q", what, u)
		}
	}
}

var secretRowID = regexp.MustCompile(`id="row-(sec_[A-Za-z0-9]+)"`)

// addSecret adds a secret on the Secrets tab and returns its ID.
func (c *console) addSecret(clientID, description string) string {
	c.t.Helper()
	base := "/ui/clients/" + clientID + "/secrets"
	page := c.get(base+"?add=1", http.StatusOK)
	code, _, body := c.submit(page, base, url.Values{"description": {description}})
	if code != http.StatusOK || !strings.Contains(body, `id="reveal-secret"`) {
		c.t.Fatalf("adding a secret = %d without a reveal", code)
	}
	m := secretRowID.FindStringSubmatch(body)
	if m == nil {
		c.t.Fatal("no secret row after adding one")
	}
	return m[1]
}

// TestSecretLifecycleForms: add, edit (refused and saved), revoke (folded
// away with its date in Status), revoke-all (refused without the name,
// then done), after which Revoke all now is disabled.
func TestSecretLifecycleForms(t *testing.T) {
	c := newConsole(t)
	id := c.newClient("Billing")
	base := "/ui/clients/" + id + "/secrets"
	sid := c.addSecret(id, "Production")
	c.addSecret(id, "Staging")

	page := c.get(base, http.StatusOK)
	wantIn(t, "the Secrets tab", page, `data-open="revoke-`+sid+`"`, `href="`+base+`?revoke-all=1"`, "Revoke this secret?")
	wantNotIn(t, "the Secrets tab", page, ">Delete<", "Delete this secret?", `id="inactive-secrets"`)
	// The edit dialog's hint says what the policy says: an expiry is required.
	wantIn(t, "the edit dialog", page, "Your organisation&#39;s policy requires an expiry")

	// Edit: a date past the policy is refused on the field; a good one saves.
	code, _, body := c.submit(page, base+"/"+sid, url.Values{"description": {"Production (EU)"}, "expires": {"01/01/2099"}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "allows at most") {
		t.Errorf("an expiry past the policy = %d", code)
	}
	in30 := time.Now().UTC().AddDate(0, 0, 30).Format("02/01/2006")
	code, at, body := c.submit(page, base+"/"+sid, url.Values{"description": {"Production (EU)"}, "expires": {in30}})
	if code != http.StatusOK || at != base || !strings.Contains(body, "Production (EU)") {
		t.Errorf("saving the edit = %d at %s", code, at)
	}

	// Revoke one (the old address still answers): folded away, the
	// Expiration column keeps the expiry, Status says when it was revoked.
	page = c.get(base+"?revoke="+sid, http.StatusOK)
	wantIn(t, "?revoke=", page, `id="revoke-`+sid+`" aria-labelledby="revoke-`+sid+`-title" data-autoopen`)
	_, _, body = c.submit(page, base+"/"+sid+"/revoke", nil)
	wantIn(t, "after revoking", body, "is revoked", `id="inactive-secrets"`, "Show 1 revoked or expired", "revoked <time")
	inactive := body[strings.Index(body, `id="inactive-secrets"`):]
	if row := inactive[strings.Index(inactive, `id="row-`+sid+`"`):]; !strings.Contains(row[:strings.Index(row, "</tr>")], in30[6:]) {
		t.Errorf("the revoked row's Expiration does not keep the expiry: %s", row[:strings.Index(row, "</tr>")])
	}

	// Revoke all: the typed name is required by the server too.
	page = c.get(base+"?revoke-all=1", http.StatusOK)
	code, _, body = c.submit(page, "/ui/clients/"+id+"/revoke-all", url.Values{"confirm": {"Bill"}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "exactly as shown: Billing") {
		t.Errorf("revoke-all with a wrong name = %d", code)
	}
	_, _, body = c.submit(page, "/ui/clients/"+id+"/revoke-all", url.Values{"confirm": {"Billing"}})
	wantIn(t, "after revoke-all", body, "Revoked 1 secret of", "Show 2 revoked or expired", "Nothing to revoke", `id="no-active-secret"`)
	wantNotIn(t, "after revoke-all", body, `data-open="revoke-all"`)
}

// TestClientStatusAndDeleteForms: disabling asks first (a dialog, also at
// ?disable=1 without JavaScript); the client is disabled and enabled
// again; deleting needs the typed name.
func TestClientStatusAndDeleteForms(t *testing.T) {
	c := newConsole(t)
	id := c.newClient("Reporting")
	settings := "/ui/clients/" + id
	page := c.get(settings, http.StatusOK)
	wantIn(t, "the settings page", page, `href="`+settings+`?disable=1" data-open="disable-client"`, "Disable client?")
	wantNotIn(t, "the settings page", page, `id="disable-client" aria-labelledby="disable-client-title" data-autoopen`)
	page = c.get(settings+"?disable=1", http.StatusOK)
	wantIn(t, "?disable=1", page, `id="disable-client" aria-labelledby="disable-client-title" data-autoopen`)

	_, at, body := c.submit(page, settings+"/status", url.Values{"disabled": {"1"}})
	if at != settings {
		t.Errorf("disabling ended at %s", at)
	}
	wantIn(t, "after disabling", body, "is disabled", "Enable client")
	wantNotIn(t, "after disabling", body, `id="disable-client"`)
	_, _, body = c.submit(body, settings+"/status", url.Values{"disabled": {"0"}})
	wantIn(t, "after enabling", body, "is enabled again")

	page = c.get(settings+"?delete=1", http.StatusOK)
	if code, _, _ := c.submit(page, settings+"/delete", url.Values{"confirm": {"nope"}}); code != http.StatusUnprocessableEntity {
		t.Errorf("deleting with a wrong name = %d", code)
	}
	_, at, body = c.submit(page, settings+"/delete", url.Values{"confirm": {"Reporting"}})
	if at != "/ui/clients" || !strings.Contains(body, "deleted") {
		t.Errorf("deleting ended at %s", at)
	}
	c.get(settings, http.StatusNotFound)
}

var userRowID = regexp.MustCompile(`id="user-(usr_[A-Za-z0-9]+)"`)

// TestUserForms: invite (the one-time password revealed once), a role
// change, disabling (asked first, nothing changes until confirmed),
// deleting, and the policy form.
func TestUserForms(t *testing.T) {
	c := newConsole(t)
	page := c.get("/ui/users?invite=1", http.StatusOK)
	code, _, body := c.submit(page, "/ui/users", url.Values{"email": {""}, "role": {"developer"}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "Enter the person") {
		t.Errorf("inviting without an email = %d", code)
	}
	code, _, body = c.submit(body, "/ui/users", url.Values{"email": {"dev@acme.test"}, "role": {"developer"}})
	wantIn(t, "the invitation", body, "dev@acme.test is invited", `id="reveal-password"`, `id="reveal-status"`)
	if code != http.StatusOK {
		t.Errorf("invite = %d", code)
	}
	again := c.get("/ui/users?invite=1", http.StatusOK)
	if code, _, body := c.submit(again, "/ui/users", url.Values{"email": {"dev@acme.test"}, "role": {"developer"}}); code != http.StatusUnprocessableEntity || !strings.Contains(body, "A user with this email exists") {
		t.Errorf("inviting the same email again = %d: %s", code, regexp.MustCompile(`<strong>[^<]*`).FindAllString(body, -1))
	}
	var uid string
	for _, m := range userRowID.FindAllStringSubmatch(body, -1) {
		if i := strings.Index(body, `id="user-`+m[1]+`"`); strings.Contains(body[i:i+600], "dev@acme.test") {
			uid = m[1]
		}
	}
	if uid == "" {
		t.Fatal("no row for the invited user")
	}
	users := c.get("/ui/users", http.StatusOK)
	_, _, body = c.submit(users, "/ui/users/"+uid, url.Values{"role": {"admin"}, "status": {"active"}})
	wantIn(t, "after the role change", body, "dev@acme.test is updated")

	// Disabling: first the question, with the role change carried along.
	code, _, body = c.submit(users, "/ui/users/"+uid, url.Values{"role": {"admin"}, "status": {"disabled"}})
	if code != http.StatusOK {
		t.Errorf("asking to disable = %d", code)
	}
	wantIn(t, "the disable question", body, "Disable dev@acme.test?", `name="confirm_disable" value="1"`, ">Disable user</button>")
	if u := c.get("/ui/users", http.StatusOK); strings.Contains(u[strings.Index(u, `id="user-`+uid+`"`):][:800], "Disabled</span>") {
		t.Error("the user is disabled before the confirmation")
	}
	_, _, body = c.submit(users, "/ui/users/"+uid, url.Values{"role": {"admin"}, "status": {"disabled"}, "confirm_disable": {"1"}})
	wantIn(t, "after disabling", body, "dev@acme.test is updated")
	if code, _, _ := c.submit(users, "/ui/users/"+uid, url.Values{"role": {"admin"}, "status": {"sleeping"}}); code != http.StatusUnprocessableEntity {
		t.Errorf("an unknown status = %d", code)
	}

	_, _, body = c.submit(users, "/ui/users/"+uid+"/delete", nil)
	wantIn(t, "after deleting", body, "dev@acme.test is deleted")

	// Policy: a bad number is refused on its field; a good form saves.
	pol := c.get("/ui/policy", http.StatusOK)
	vals := url.Values{"ttl": {"soon"}, "personal": {"everyone"}}
	for _, role := range []string{"super_admin", "admin", "developer", "member"} {
		vals.Set("days_"+role, "90")
	}
	if code, _, body := c.submit(pol, "/ui/policy", vals); code != http.StatusUnprocessableEntity || !strings.Contains(body, "whole number of seconds") {
		t.Errorf("a policy with a bad lifetime = %d", code)
	}
	vals.Set("ttl", "1800")
	_, _, body = c.submit(pol, "/ui/policy", vals)
	wantIn(t, "after saving the policy", body, "Policy saved")
	_, _, body = c.submit(pol, "/ui/policy", vals)
	wantIn(t, "after saving it again", body, "Nothing changed.")
}

// TestPersonalCredentialForms: create (revealed once), rotate with a grace
// period, revoke.
func TestPersonalCredentialForms(t *testing.T) {
	c := newConsole(t)
	page := c.get("/ui/account/credentials", http.StatusOK)
	code, _, body := c.submit(page, "/ui/account/credentials", url.Values{"description": {"Laptop"}})
	if code != http.StatusOK || !strings.Contains(body, `id="reveal-status"`) {
		t.Fatalf("creating personal credentials = %d without a reveal", code)
	}
	page = c.get("/ui/account/credentials?rotate=1", http.StatusOK)
	if code, _, _ := c.submit(page, "/ui/account/credentials/rotate", url.Values{"grace": {"forever"}}); code != http.StatusUnprocessableEntity {
		t.Errorf("rotating with a bad grace = %d", code)
	}
	page = c.get("/ui/account/credentials?rotate=1", http.StatusOK)
	code, _, body = c.submit(page, "/ui/account/credentials/rotate", url.Values{"grace": {"3600"}})
	if code != http.StatusOK || !strings.Contains(body, `data-focus`) {
		t.Errorf("rotating = %d", code)
	}
	page = c.get("/ui/account/credentials", http.StatusOK)
	wantIn(t, "the credentials page", page, ">Revoke</button>")
	_, _, body = c.submit(page, "/ui/account/credentials/revoke", nil)
	wantIn(t, "after revoking", body, "revoked")
}

// TestRefreshTokenForm: a generated refresh token is revealed once and
// listed as unused.
func TestRefreshTokenForm(t *testing.T) {
	c := newConsole(t)
	id := c.newClient("Billing")
	c.addSecret(id, "Production")
	tab := "/ui/clients/" + id + "/refresh-tokens"
	page := c.get(tab, http.StatusOK)
	code, _, body := c.submit(page, tab, nil)
	if code != http.StatusOK {
		t.Fatalf("generating = %d", code)
	}
	wantIn(t, "the generated token", body, `id="reveal-refresh"`, "Unused", "Not yet")
}

// TestRotationForms: start a rotation, schedule the old secret's expiry
// (refused without a choice), complete it.
func TestRotationForms(t *testing.T) {
	c := newConsole(t)
	id := c.newClient("Billing")
	c.addSecret(id, "Production")
	page := c.get("/ui/clients/"+id+"/rotate", http.StatusOK)
	code, at, body := c.submit(page, "/ui/clients/"+id+"/rotate", url.Values{"description": {"Production 2"}})
	if code != http.StatusOK {
		t.Fatalf("starting a rotation = %d at %s", code, at)
	}
	m := regexp.MustCompile(`/ui/clients/` + id + `/rotations/(rot_[A-Za-z0-9]+)`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no rotation link after starting one")
	}
	rot := "/ui/clients/" + id + "/rotations/" + m[1]
	page = c.get(rot, http.StatusOK)
	if code, _, _ := c.submit(page, rot+"/schedule", url.Values{"when": {"someday"}}); code != http.StatusUnprocessableEntity {
		t.Errorf("scheduling without a choice = %d", code)
	}
	if code, _, _ := c.submit(page, rot+"/schedule", url.Values{"when": {"date"}}); code != http.StatusUnprocessableEntity {
		t.Errorf("scheduling a date without one = %d", code)
	}
	_, _, body = c.submit(page, rot+"/schedule", url.Values{"when": {"86400"}})
	wantIn(t, "after scheduling", body, "The old secret now expires")
	_, _, body = c.submit(page, rot+"/schedule", url.Values{"when": {"604800"}})
	wantIn(t, "scheduling later than it already expires", body, "Nothing to change")
	_, _, body = c.submit(page, rot+"/complete", url.Values{"force": {"1"}})
	wantIn(t, "after completing", body, "the rotation is complete")
}

// TestWebhookTestEventForm: refused while there is no endpoint (a flash,
// no delivery), queued once there is one; the replay needs its start time.
func TestWebhookTestEventForm(t *testing.T) {
	c := newConsole(t)
	id := c.newClient("Billing")
	tab := "/ui/clients/" + id + "/webhook"
	page := c.get(tab, http.StatusOK)
	_, at, body := c.submit(page, tab+"/test", nil)
	if at != tab {
		t.Errorf("the test event ended at %s", at)
	}
	wantIn(t, "a test event without an endpoint", body, "no webhook URL")
	_, _, body = c.submit(page, tab, url.Values{"url": {"https://hooks.example.com/keywarden"}, "events": {"all"}})
	wantIn(t, "after setting the URL", body, "Webhook settings saved")
	_, _, body = c.submit(body, tab+"/test", nil)
	wantIn(t, "after sending a test event", body, "A test event (msg_", "Test event", "webhook.test")
	_, _, body = c.submit(body, tab+"/replay", url.Values{"since": {"yesterday"}})
	wantIn(t, "a replay without a start time", body, "needs a start time")
}

// TestDocs: the guides are served as console pages at /ui/docs/NAME, with
// their headings' anchors; nothing else is.
func TestDocs(t *testing.T) {
	c := newConsole(t)
	page := c.get("/ui/docs/webhooks", http.StatusOK)
	wantIn(t, "the Webhooks guide", page, "<h1>Webhooks</h1>", `<h2 id="signatures">Signatures</h2>`, "whsec_")
	noInlineCode(t, "the Webhooks guide", page)
	for _, bad := range []string{"/ui/docs/nosuch", "/ui/docs/WEBHOOKS", "/ui/docs/webhooks.md", "/ui/docs/a.b"} {
		c.get(bad, http.StatusNotFound)
	}
}

// login signs a fresh browser (its own cookies) in as the console's user
// with password, and returns its console and the page it landed on.
func (c *console) login(password string) (*console, string) {
	c.t.Helper()
	jar, _ := cookiejar.New(nil)
	b := &console{t: c.t, srv: c.srv, client: &http.Client{Jar: jar}}
	page := b.get("/ui/login", http.StatusOK)
	_, _, body := b.submit(page, "/ui/login", url.Values{"email": {"admin@acme.test"}, "password": {password}})
	return b, body
}

// TestSignOutElsewhereAndLogout: a second browser's session is ended from
// the first one's account page; signing out ends the first.
func TestSignOutElsewhereAndLogout(t *testing.T) {
	c := newConsole(t)
	other, _ := c.login("a new long passphrase")
	other.get("/ui/clients", http.StatusOK)
	page := c.get("/ui/account", http.StatusOK)
	m := regexp.MustCompile(`action="(/ui/account/sessions/[^"]+/end)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("the account page offers no Sign out for the other browser's session")
	}
	c.submit(page, m[1], nil)
	if body := other.get("/ui/clients", http.StatusOK); !strings.Contains(body, `action="/ui/login"`) {
		t.Error("the ended session still shows the clients page")
	}
	_, at, _ := c.submit(page, "/ui/logout", nil)
	if at != "/ui/login" {
		t.Errorf("signing out ended at %s", at)
	}
}

var totpKey = regexp.MustCompile(`id="totp-key">([A-Z2-7 ]+)<`)
var recoveryCode = regexp.MustCompile(`<code>([a-z0-9]{5}-[a-z0-9]{5})</code>`)

// TestMFAForms: enrol (a wrong code refused, the right one shows the
// recovery codes once, focused and announced), sign in with a recovery
// code, turn it off with another.
func TestMFAForms(t *testing.T) {
	c := newConsole(t)
	page := c.get("/ui/account", http.StatusOK)
	_, _, body := c.submit(page, "/ui/account/mfa", nil)
	m := totpKey.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no TOTP key after starting the enrolment")
	}
	key := strings.ReplaceAll(m[1], " ", "")
	enrolment := regexp.MustCompile(`name="enrolment" value="([^"]+)"`)
	sealed := func(page string) string {
		m := enrolment.FindStringSubmatch(page)
		if m == nil {
			t.Fatal("no enrolment on the page")
		}
		return html.UnescapeString(m[1])
	}
	code, _, body := c.submit(body, "/ui/account/mfa/confirm", url.Values{"code": {"000000"}, "enrolment": {sealed(body)}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "oes not match") {
		t.Errorf("a wrong code = %d: %v", code, regexp.MustCompile(`(?:<strong>|field-error"[^>]*>)[^<]*`).FindAllString(body, -1))
	}
	now, err := totp.GenerateCode(key, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	code, _, body = c.submit(body, "/ui/account/mfa/confirm", url.Values{"code": {now}, "enrolment": {sealed(body)}})
	if code != http.StatusOK {
		t.Errorf("confirming = %d: %v", code, regexp.MustCompile(`(?:<strong>|field-error"[^>]*>)[^<]*`).FindAllString(body, -1))
	}
	wantIn(t, "the recovery codes", body, `id="recovery-codes" role="group" tabindex="-1" aria-label="Recovery codes" data-focus`, `id="reveal-status"`)
	codes := recoveryCode.FindAllStringSubmatch(body, -1)
	if len(codes) != 10 {
		t.Fatalf("%d recovery codes, want 10", len(codes))
	}

	// Signing in asks for the second factor; a recovery code does.
	b, body := c.login("a new long passphrase")
	wantIn(t, "the second step", body, `name="pending"`, `name="recovery_code"`)
	pending := regexp.MustCompile(`name="pending" value="([^"]+)"`).FindStringSubmatch(body)
	if pending == nil {
		t.Fatal("no pending login on the second step")
	}
	if _, at, wrong := b.submit(body, "/ui/login/mfa", url.Values{"pending": {pending[1]}, "code": {"123456"}}); at != "/ui/login/mfa" || !strings.Contains(wrong, `name="pending"`) {
		t.Errorf("a wrong TOTP code ended at %s, not on the second step again", at)
	}
	page = b.get("/ui/login", http.StatusOK)
	_, at, _ := b.submit(page, "/ui/login/mfa", url.Values{"pending": {pending[1]}, "recovery_code": {codes[0][1]}})
	if at == "/ui/login" || at == "/ui/login/mfa" {
		t.Errorf("the recovery code did not sign in (at %s)", at)
	}

	page = c.get("/ui/account", http.StatusOK)
	if code, _, _ := c.submit(page, "/ui/account/mfa/disable", url.Values{"code": {"nope"}}); code != http.StatusUnprocessableEntity {
		t.Errorf("turning MFA off with a wrong code = %d", code)
	}
	_, _, body = c.submit(page, "/ui/account/mfa/disable", url.Values{"code": {codes[1][1]}})
	wantIn(t, "after turning it off", body, "Two-step verification is off.")
}

// TestSetupForm: on a server with no organisation yet, /ui/setup takes
// the one-time link's token: mismatched passwords and a wrong token are
// refused, the right one sets up and signs in; afterwards the page sends
// people to sign in.
func TestSetupForm(t *testing.T) {
	ctx := t.Context()
	cfg := config.Defaults()
	cfg.DataDir, cfg.Dev = t.TempDir(), true
	core, err := server.OpenCore(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	link, ok, err := core.Accounts.NewSetupLink(ctx)
	core.Close()
	if err != nil || !ok {
		t.Fatalf("NewSetupLink = %v, %v", ok, err)
	}
	s, err := server.New(context.WithoutCancel(ctx), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	jar, _ := cookiejar.New(nil)
	c := &console{t: t, srv: srv, client: &http.Client{Jar: jar}}

	page := c.get("/ui/setup", http.StatusOK)
	form := url.Values{"token": {link.Token.Reveal()}, "organization": {"Acme"}, "email": {"owner@acme.test"},
		"password": {"a long enough password 1"}, "confirm": {"a different password 22"}}
	if code, _, body := c.submit(page, "/ui/setup", form); code != http.StatusUnprocessableEntity || !strings.Contains(body, "The two passwords differ.") {
		t.Errorf("mismatched passwords = %d", code)
	}
	form.Set("confirm", form.Get("password"))
	wrong := url.Values{}
	for k, v := range form {
		wrong[k] = v
	}
	wrong.Set("token", otherFirst(link.Token.Reveal()))
	if code, _, _ := c.submit(c.get("/ui/setup", http.StatusOK), "/ui/setup", wrong); code != http.StatusForbidden {
		t.Errorf("a wrong setup token = %d, want 403", code)
	}
	_, at, body := c.submit(c.get("/ui/setup", http.StatusOK), "/ui/setup", form)
	if at == "/ui/setup" || !strings.Contains(body, "Keywarden is set up") {
		t.Errorf("setting up ended at %s", at)
	}
	resp, err := c.client.Get(srv.URL + "/ui/setup")
	if err != nil {
		t.Fatal(err)
	}
	read(t, resp)
	if resp.Request.URL.Path == "/ui/setup" {
		t.Error("once set up, /ui/setup still shows the form")
	}
}

// TestRevokeUserCredentialForm: a super admin revokes a user's personal
// credentials from the Users page (asked first in a dialog).
func TestRevokeUserCredentialForm(t *testing.T) {
	c := newConsole(t)
	page := c.get("/ui/account/credentials", http.StatusOK)
	if code, _, _ := c.submit(page, "/ui/account/credentials", url.Values{"description": {"Laptop"}}); code != http.StatusOK {
		t.Fatalf("creating personal credentials = %d", code)
	}
	users := c.get("/ui/users", http.StatusOK)
	m := regexp.MustCompile(`action="(/ui/users/(usr_[A-Za-z0-9]+)/credential/revoke)"`).FindStringSubmatch(users)
	if m == nil {
		t.Fatal("the Users page offers no revoke for the personal credentials")
	}
	wantIn(t, "the Users page", users, "Revoke personal credentials?")
	_, _, body := c.submit(users, m[1], nil)
	wantIn(t, "after revoking", body, "The personal credentials of admin@acme.test are revoked.")
	if strings.Contains(body, `action="`+m[1]+`"`) {
		t.Error("the revoked credentials can still be revoked")
	}
}

// TestTokenLifetimeInWords: a lifetime out of range is refused in words,
// not raw seconds alone.
func TestTokenLifetimeInWords(t *testing.T) {
	c := newConsole(t)
	page := c.get("/ui/clients?new=1", http.StatusOK)
	code, _, body := c.submit(page, "/ui/clients", url.Values{"name": {"Billing"}, "token_ttl": {"5"}})
	if code != http.StatusUnprocessableEntity {
		t.Fatalf("a 5-second lifetime = %d", code)
	}
	wantIn(t, "the refusal", body, "between 1 minute and 30 days (60 to 2592000 seconds)")
}

// TestRotationStartOver: while a rotation is open, Rotate leads to it; the
// rotation page offers to start over, which names what it abandons (the
// open rotation's new secret, and whether callers use it) and needs a
// confirmation; a stale confirmation (another rotation opened since) is
// shown again instead of abandoning a rotation nobody reviewed.
func TestRotationStartOver(t *testing.T) {
	c := newConsole(t)
	id := c.newClient("Billing")
	c.addSecret(id, "Production")
	start := func(desc string, extra url.Values) (int, string) {
		t.Helper()
		page := c.get("/ui/clients/"+id+"/rotate?replace=1", http.StatusOK)
		form := url.Values{"description": {desc}}
		if m := regexp.MustCompile(`name="replace" value="([^"]+)"`).FindStringSubmatch(page); m != nil {
			form.Set("replace", m[1]) // the rotation the page showed
		}
		for k, v := range extra {
			form[k] = v
		}
		code, _, body := c.submit(page, "/ui/clients/"+id+"/rotate", form)
		return code, body
	}
	code, body := start("Production 2", nil)
	if code != http.StatusOK {
		t.Fatalf("the first rotation = %d", code)
	}
	first := regexp.MustCompile(`/ui/clients/` + id + `/rotations/(rot_[A-Za-z0-9]+)`).FindStringSubmatch(body)[1]

	// Rotate leads to the open rotation, which offers to start over.
	resp, err := c.client.Get(c.srv.URL + "/ui/clients/" + id + "/rotate")
	if err != nil {
		t.Fatal(err)
	}
	body = read(t, resp)
	if !strings.HasSuffix(resp.Request.URL.Path, "/rotations/"+first) {
		t.Fatalf("Rotate with a rotation open ended at %s", resp.Request.URL)
	}
	wantIn(t, "the open rotation", body, `id="start-over"`, "/ui/clients/"+id+"/rotate?replace=1")

	page := c.get("/ui/clients/"+id+"/rotate?replace=1", http.StatusOK)
	wantIn(t, "starting over", page, "A rotation is in progress", "Production 2", "never used", `name="replace" value="`+first+`"`, "Start over and generate")
	if code, _ := start("Production 3", nil); code != http.StatusUnprocessableEntity {
		t.Errorf("starting over without the confirmation = %d", code)
	}
	if code, body := start("Production 3", url.Values{"confirm_replace": {"1"}}); code != http.StatusOK {
		t.Fatalf("starting over = %d", code)
	} else {
		wantIn(t, "after starting over", body, "The rotation in progress was abandoned")
	}
	wantIn(t, "the abandoned rotation", c.get("/ui/clients/"+id+"/rotations/"+first, http.StatusOK), "Rotation abandoned")

	// A confirmation for the rotation abandoned above does not abandon
	// the one open now.
	page = c.get("/ui/clients/"+id+"/rotate?replace=1", http.StatusOK)
	code, _, body = c.submit(page, "/ui/clients/"+id+"/rotate", url.Values{"description": {"Production 4"}, "replace": {first}, "confirm_replace": {"1"}})
	if code != http.StatusUnprocessableEntity {
		t.Fatalf("a stale confirmation = %d", code)
	}
	wantIn(t, "a stale confirmation", body, "Rotation in progress: a rotation of this client is in progress", "Production 3")
}
