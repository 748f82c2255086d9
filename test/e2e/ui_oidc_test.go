package e2e

import (
	"net/http"
	"strings"
	"testing"

	"keywarden/internal/testkit/oidcop"
	"keywarden/pkg/apiv1"
	"keywarden/pkg/keywarden"
)

// TestUIFederatedSignIn (issue 17, item 6) drives the console in Chromium
// against a real OpenID Provider on loopback (zitadel/oidc's example OP,
// package testkit/oidcop): the first sign-in provisions the user with the
// role their group maps to; the user is refused a personal credential, and
// the Credentials tab says why; another organisation's provider cannot
// sign into the first; a provider that is down, or that returns a bad
// state, nonce or signature, gives a clear error and no session; signing
// out offers the provider's sign-out (RP-initiated logout).
func TestUIFederatedSignIn(t *testing.T) {
	in := newSQLite(t)
	acme := in.init(t, "Acme Payments", "admin@acme.test")
	globex := in.init(t, "Globex", "admin@globex.test")
	srv := in.start(t)
	callback := srv.URL + "/ui/oidc/callback"
	op := oidcop.Start(t, []oidcop.User{
		{Subject: "sub-ann", Email: "ann@acme.test", Password: "ann-at-the-idp", Verified: true, Groups: []string{"keywarden-admins"}},
		{Subject: "sub-gus", Email: "gus@globex.test", Password: "gus-at-the-idp", Verified: true},
	}, []oidcop.Client{
		{ID: "kw-acme", Secret: "acme-client-secret", Redirects: []string{callback}, PostLogout: []string{srv.URL + "/ui/login?org=" + acme.OrganizationID}},
		{ID: "kw-globex", Secret: "globex-client-secret", Redirects: []string{callback}},
	})
	acmeAPI, globexAPI := srv.api(acme.APIToken), srv.api(globex.APIToken)
	acmeIdP, err := acmeAPI.CreateIdentityProvider(t.Context(), apiv1.CreateIdentityProvider{Name: "Acme SSO", Issuer: op.URL + "/",
		ClientID: "kw-acme", ClientSecret: "acme-client-secret", Scopes: []string{"email", "groups"}, AllowedDomains: []string{"acme.test"},
		DefaultRole: "member", GroupsClaim: "groups", GroupRoles: map[string]string{"keywarden-admins": "admin"}})
	noErr(t, err)
	if acmeIdP.RedirectURI != callback {
		t.Fatalf("redirect_uri %q, want %q", acmeIdP.RedirectURI, callback)
	}
	globexIdP, err := globexAPI.CreateIdentityProvider(t.Context(), apiv1.CreateIdentityProvider{Name: "Globex SSO", Issuer: op.URL + "/",
		ClientID: "kw-globex", ClientSecret: "globex-client-secret", Scopes: []string{"email"}, DefaultRole: "developer"})
	noErr(t, err)

	b := newBrowser(t, srv, desktop)
	loginPage := "/ui/login?org=" + acme.OrganizationID
	// signInAtProvider clicks the organisation's button and signs in on
	// the provider's own login page.
	button := func(idp apiv1.IdentityProvider) string {
		return "a[href^='/ui/oidc/start'][href*='provider=" + idp.ID + "']"
	}
	clickProvider := func(idp apiv1.IdentityProvider) {
		t.Helper()
		b.eval(`(document.body.setAttribute("data-stale", "1"), true)`)
		b.click(button(idp))
		b.waitLoad()
	}
	signInAtProvider := func(idp apiv1.IdentityProvider, email, password string) {
		t.Helper()
		b.open(loginPage)
		b.contains("Sign in with " + idp.Name)
		clickProvider(idp)
		b.waitVisible("#username")
		b.fill("#username", email)
		b.fill("#password", password)
		b.eval(`(document.body.setAttribute("data-stale", "1"), true)`)
		b.click("button[type=submit]")
		b.waitLoad()
	}
	noSession := func() {
		t.Helper()
		b.open("/ui/home")
		if loc := b.location(); !strings.Contains(loc, "/ui/login") {
			t.Fatalf("after a failed sign-in /ui/home is %s, want the sign-in page (no session)", loc)
		}
	}

	// First sign-in: provisioned with the role the group maps to.
	b.open(loginPage)
	b.contains("Sign in with Acme SSO")
	b.lacks("Globex SSO")
	b.shot("sign-in-page")
	signInAtProvider(acmeIdP, "ann@acme.test", "ann-at-the-idp")
	b.waitVisible("#main h1")
	if loc := b.location(); strings.Contains(loc, "/ui/login") {
		t.Fatalf("after the federated sign-in the browser is at %s", loc)
	}
	b.shot("signed-in")
	users, err := acmeAPI.ListUsers(t.Context())
	noErr(t, err)
	var ann *apiv1.User
	for i, u := range users.Items {
		if u.Email == "ann@acme.test" {
			ann = &users.Items[i]
		}
	}
	if ann == nil || ann.Role != "admin" || ann.SignIn != acmeIdP.ID {
		t.Fatalf("ann after her first sign-in: %+v; want admin, signing in through %s", ann, acmeIdP.ID)
	}
	b.open("/ui/users")
	b.contains("Acme SSO")
	b.shot("users-sign-in-method")

	// Seed 001: no personal credential for a federated sign-in, and the
	// tab says why.
	b.open("/ui/account/credentials")
	b.contains("You sign in through your organisation's identity provider")
	if b.count("form[action='/ui/account/credentials'] button") != 0 {
		t.Fatal("the Credentials tab offers Generate to a federated user")
	}
	b.shot("credentials-refused")

	// Sign out: the Keywarden session ends, and the sign-in page offers the
	// provider's sign-out, which comes back to the sign-in page.
	b.open("/ui/home")
	b.submit("form[action='/ui/logout'] button", "#provider-sign-out")
	b.contains("Sign out of Acme SSO too")
	b.shot("signed-out")
	b.eval(`(document.body.setAttribute("data-stale", "1"), true)`)
	b.click("#provider-sign-out")
	b.waitLoad()
	b.waitVisible("form[action='/ui/login']")
	noSession()

	// Another organisation's provider cannot sign into this one.
	b.open("/ui/oidc/start?org=" + acme.OrganizationID + "&provider=" + globexIdP.ID)
	b.contains("no such identity provider for this organisation")
	noSession()
	// Through its own organisation, Globex's provider signs gus into Globex only.
	b.open("/ui/login?org=" + globex.OrganizationID)
	b.lacks("Acme SSO")
	loginPage = "/ui/login?org=" + globex.OrganizationID
	signInAtProvider(globexIdP, "gus@globex.test", "gus-at-the-idp")
	b.waitVisible("#main h1")
	acmeUsers, err := acmeAPI.ListUsers(t.Context())
	noErr(t, err)
	for _, u := range acmeUsers.Items {
		if u.Email == "gus@globex.test" {
			t.Fatal("Globex's provider provisioned a user in Acme")
		}
	}
	b.open("/ui/home")
	b.submit("form[action='/ui/logout'] button", "form[action='/ui/login']")
	loginPage = "/ui/login?org=" + acme.OrganizationID

	// A forged state: clear error, no session.
	b.open(loginPage)
	clickProvider(acmeIdP)
	b.waitVisible("#username")
	b.open("/ui/oidc/callback?code=forged-code&state=forged-state")
	b.contains("Single sign-on failed", "does not match this browser's sign-in")
	b.shot("bad-state")
	noSession()

	for _, tc := range []struct {
		name, want string
		set        func(bool)
	}{
		{"bad-nonce", "nonce does not match", op.SetBadNonce},
		{"bad-signature", "failed to verify signature", op.SetForeignKey},
	} {
		tc.set(true)
		signInAtProvider(acmeIdP, "ann@acme.test", "ann-at-the-idp")
		tc.set(false)
		b.waitVisible(".alert-error")
		b.contains("Single sign-on failed", tc.want)
		b.shot(tc.name)
		noSession()
	}

	// The provider is down: a clear error (502), no session.
	op.SetDown(true)
	b.open(loginPage)
	clickProvider(acmeIdP)
	b.contains("Single sign-on failed", "could not be reached")
	b.shot("provider-down")
	res, err := http.Get(srv.URL + "/ui/oidc/start?org=" + acme.OrganizationID + "&provider=" + acmeIdP.ID)
	noErr(t, err)
	res.Body.Close()
	op.SetDown(false)
	if res.StatusCode != http.StatusBadGateway {
		t.Errorf("starting a sign-in with the provider down = %d, want 502", res.StatusCode)
	}
	noSession()

	// The super admin sees the providers and the single sign-on switches
	// on the Policy page.
	setPassword(t, srv, "admin@acme.test", acme.Password, "correct horse battery staple")
	b.login("admin@acme.test", "correct horse battery staple")
	b.open("/ui/policy")
	b.contains("Single sign-on", "Identity providers", "Acme SSO", callback, "Add provider", "Break-glass super admins")
	b.shot("policy-sso")

	// Every failure is in the audit log with its reason.
	events, err := acmeAPI.ListAudit(t.Context(), keywarden.AuditQuery{Action: "user.login", ListOptions: keywarden.ListOptions{Limit: 100}})
	noErr(t, err)
	reasons := ""
	for _, e := range events.Items {
		if e.Result == "failure" {
			reasons += e.Detail["reason"] + "\n"
		}
	}
	for _, want := range []string{"state", "nonce", "signature", "could not be reached"} {
		if !strings.Contains(reasons, want) {
			t.Errorf("no failed user.login audited about %q; reasons:\n%s", want, reasons)
		}
	}
}
