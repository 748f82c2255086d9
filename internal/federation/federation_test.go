package federation_test

import (
	"errors"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"

	"keywarden/internal/account"
	"keywarden/internal/audit"
	"keywarden/internal/domain"
	"keywarden/internal/federation"
	"keywarden/internal/keyring"
	"keywarden/internal/slowhash"
	"keywarden/internal/store"
	"keywarden/internal/store/sqlite"
	"keywarden/internal/testkit/oidcop"
)

const redirect = "http://127.0.0.1:1/ui/oidc/callback" // never fetched: the test takes the redirect

type env struct {
	store    store.Store
	accounts *account.Service
	fed      *federation.Service
	op       *oidcop.Server
	orgA     account.Bootstrap
	orgB     account.Bootstrap
	superA   domain.Actor
	superB   domain.Actor
}

var opUsers = []oidcop.User{
	{Subject: "sub-ann", Email: "ann@acme.example", Password: "pw-ann", Verified: true, Groups: []string{"kw-admins", "staff"}},
	{Subject: "sub-bob", Email: "bob@acme.example", Password: "pw-bob", Verified: true},
	{Subject: "sub-eve", Email: "eve@acme.example", Password: "pw-eve", Verified: false},
	{Subject: "sub-mal", Email: "mal@elsewhere.example", Password: "pw-mal", Verified: true},
	{Subject: "sub-admin", Email: "admin@acme.example", Password: "pw-admin", Verified: true},
}

func newEnv(t *testing.T) *env {
	t.Helper()
	st, err := sqlite.Open(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	kr, _ := keyring.New(make([]byte, 32))
	log := audit.New(st, kr.Derive(keyring.PurposeAudit), nil)
	accts := account.New(account.Options{Store: st, Audit: log, Keyring: kr,
		Hashes: slowhash.New(slowhash.Options{Concurrency: 2, Queue: 1000, MaxWait: time.Minute})})
	e := &env{store: st, accounts: accts, fed: federation.New(federation.Options{Store: st, Audit: log, Keyring: kr, Accounts: accts,
		BaseURL: func() string { return "http://127.0.0.1:1" }})}
	if e.orgA, err = accts.Init(t.Context(), "Acme", "admin@acme.example"); err != nil {
		t.Fatal(err)
	}
	if e.orgB, err = accts.Init(t.Context(), "Globex", "admin@globex.example"); err != nil {
		t.Fatal(err)
	}
	e.superA = domain.UserActor(e.orgA.Org.ID, e.orgA.User.ID, domain.RoleSuperAdmin, "")
	e.superB = domain.UserActor(e.orgB.Org.ID, e.orgB.User.ID, domain.RoleSuperAdmin, "")
	e.op = oidcop.Start(t, opUsers, []oidcop.Client{{ID: "kw-acme", Secret: "acme-secret", Redirects: []string{redirect}},
		{ID: "kw-globex", Secret: "globex-secret", Redirects: []string{redirect}}})
	return e
}

func (e *env) provider(t *testing.T, by domain.Actor, in federation.ProviderInput) domain.IdentityProvider {
	t.Helper()
	if in.Issuer == "" {
		in.Issuer = e.op.URL + "/"
	}
	if in.Name == "" {
		in.Name = "Corporate SSO"
	}
	p, err := e.fed.CreateProvider(t.Context(), by, in)
	if err != nil {
		t.Fatalf("CreateProvider: %v", err)
	}
	return p
}

func (e *env) acmeProvider(t *testing.T) domain.IdentityProvider {
	return e.provider(t, e.superA, federation.ProviderInput{ClientID: "kw-acme", ClientSecret: "acme-secret",
		Scopes: []string{"email", "groups"}, AllowedDomains: []string{"acme.example"}, DefaultRole: domain.RoleMember,
		GroupsClaim: "groups", GroupRoles: map[string]domain.Role{"kw-admins": domain.RoleAdmin}})
}

// signIn runs a whole sign-in: Begin, the provider's login page, Complete.
func (e *env) signIn(t *testing.T, org domain.OrgID, p domain.IdentityProviderID, email, password string, tamper func(cb *federation.Callback)) (federation.Completed, error) {
	t.Helper()
	start, err := e.fed.Begin(t.Context(), org, p, "/ui/clients", "192.0.2.1", nil)
	if err != nil {
		return federation.Completed{}, err
	}
	jar, _ := cookiejar.New(nil)
	back, err := oidcop.SignIn(t.Context(), &http.Client{Jar: jar}, start.URL, email, password)
	if err != nil {
		t.Fatalf("at the provider: %v", err)
	}
	if !strings.HasPrefix(back.String(), redirect+"?") {
		t.Fatalf("the provider redirected to %s, want the callback", back)
	}
	cb := federation.Callback{Pending: start.Pending, State: back.Query().Get("state"), Code: back.Query().Get("code"),
		Error: back.Query().Get("error"), Source: "192.0.2.1", UserAgent: "test"}
	if tamper != nil {
		tamper(&cb)
	}
	return e.fed.Complete(t.Context(), cb)
}

func TestFirstSignInProvisionsWithMappedRole(t *testing.T) {
	e := newEnv(t)
	p := e.acmeProvider(t)
	c, err := e.signIn(t, e.orgA.Org.ID, p.ID, "ann@acme.example", "pw-ann", nil)
	if err != nil {
		t.Fatalf("sign-in: %v", err)
	}
	u := c.User
	if u.Email != "ann@acme.example" || u.Role != domain.RoleAdmin || u.OrgID != e.orgA.Org.ID || u.IdentityProvider != p.ID || u.IdentitySubject != "sub-ann" {
		t.Fatalf("provisioned %+v; want ann, admin (kw-admins), linked to %s", u, p.ID)
	}
	if c.Next != "/ui/clients" || c.Session.IdentityProvider != p.ID {
		t.Errorf("next %q, session provider %q", c.Next, c.Session.IdentityProvider)
	}
	a, err := e.accounts.AuthenticateSession(t.Context(), c.Token.Reveal(), "192.0.2.1")
	if err != nil || a.UserID() != u.ID || a.Role != domain.RoleAdmin {
		t.Fatalf("the session authenticates as %+v, %v", a, err)
	}
	// A second sign-in finds the same user.
	c2, err := e.signIn(t, e.orgA.Org.ID, p.ID, "ann@acme.example", "pw-ann", nil)
	if err != nil || c2.User.ID != u.ID {
		t.Fatalf("second sign-in: %+v, %v; want user %s", c2.User, err, u.ID)
	}
	// Bob is in no mapped group: the default role.
	c3, err := e.signIn(t, e.orgA.Org.ID, p.ID, "bob@acme.example", "pw-bob", nil)
	if err != nil || c3.User.Role != domain.RoleMember {
		t.Fatalf("bob: %+v, %v; want member", c3.User, err)
	}
	// A provisioned user cannot sign in with a password nobody knows.
	if _, err := e.accounts.Login(t.Context(), account.LoginInput{Email: "bob@acme.example", Password: "pw-bob", Source: "192.0.2.9"}); !errors.Is(err, account.ErrBadCredentials) {
		t.Errorf("password login of a provisioned user: %v", err)
	}
	events, _, err := e.store.ListAudit(t.Context(), e.orgA.Org.ID, domain.AuditFilter{Action: "user.provision", Page: domain.Page{Limit: 10}})
	if err != nil || len(events) != 2 {
		t.Errorf("user.provision events: %d, %v; want 2", len(events), err)
	}
}

func TestExistingUserLinkedByVerifiedEmail(t *testing.T) {
	e := newEnv(t)
	p := e.acmeProvider(t)
	c, err := e.signIn(t, e.orgA.Org.ID, p.ID, "admin@acme.example", "pw-admin", nil)
	if err != nil {
		t.Fatalf("sign-in: %v", err)
	}
	if c.User.ID != e.orgA.User.ID || c.User.Role != domain.RoleSuperAdmin || !c.User.Federated() {
		t.Fatalf("linked %+v; want the existing super admin %s, role kept", c.User, e.orgA.User.ID)
	}
	// An unverified email is never linked (nor provisioned).
	if _, err := e.accounts.InviteUser(t.Context(), e.superA, "eve@acme.example", domain.RoleDeveloper); err != nil {
		t.Fatal(err)
	}
	_, err = e.signIn(t, e.orgA.Org.ID, p.ID, "eve@acme.example", "pw-eve", nil)
	var se *federation.SignInError
	if !errors.As(err, &se) || !strings.Contains(se.Reason, "not verified") {
		t.Fatalf("unverified email: %v", err)
	}
	if u, _ := e.store.UsersByEmail(t.Context(), "eve@acme.example"); len(u) != 1 || u[0].Federated() {
		t.Errorf("eve after a refused sign-in: %+v", u)
	}
}

func TestRefusals(t *testing.T) {
	e := newEnv(t)
	p := e.acmeProvider(t)
	noDefault := e.provider(t, e.superA, federation.ProviderInput{Name: "Groups only", ClientID: "kw-acme", ClientSecret: "acme-secret",
		Scopes: []string{"email", "groups"}, GroupsClaim: "groups", GroupRoles: map[string]domain.Role{"kw-admins": domain.RoleAdmin}})
	pB := e.provider(t, e.superB, federation.ProviderInput{ClientID: "kw-globex", ClientSecret: "globex-secret", Scopes: []string{"email"}, DefaultRole: domain.RoleMember})
	reason := func(t *testing.T, err error, want string) {
		t.Helper()
		var se *federation.SignInError
		var fr *account.FederatedRefusedError
		switch {
		case errors.As(err, &se):
			if !strings.Contains(se.Reason, want) {
				t.Errorf("reason %q, want it to say %q", se.Reason, want)
			}
		case errors.As(err, &fr):
			if !strings.Contains(fr.Reason, want) {
				t.Errorf("reason %q, want it to say %q", fr.Reason, want)
			}
		default:
			t.Errorf("err = %v, want a sign-in error saying %q", err, want)
		}
	}
	t.Run("domain not allowed", func(t *testing.T) {
		_, err := e.signIn(t, e.orgA.Org.ID, p.ID, "mal@elsewhere.example", "pw-mal", nil)
		reason(t, err, "may not sign in")
	})
	t.Run("no role", func(t *testing.T) {
		_, err := e.signIn(t, e.orgA.Org.ID, noDefault.ID, "bob@acme.example", "pw-bob", nil)
		reason(t, err, "no Keywarden role")
	})
	t.Run("bad state", func(t *testing.T) {
		_, err := e.signIn(t, e.orgA.Org.ID, p.ID, "ann@acme.example", "pw-ann", func(cb *federation.Callback) { cb.State += "x" })
		reason(t, err, "state")
	})
	t.Run("no cookie", func(t *testing.T) {
		_, err := e.signIn(t, e.orgA.Org.ID, p.ID, "ann@acme.example", "pw-ann", func(cb *federation.Callback) { cb.Pending = "" })
		reason(t, err, "not started in this browser")
	})
	t.Run("forged cookie", func(t *testing.T) {
		_, err := e.signIn(t, e.orgA.Org.ID, p.ID, "ann@acme.example", "pw-ann", func(cb *federation.Callback) { cb.Pending = cb.Pending[:len(cb.Pending)-2] + "AA" })
		reason(t, err, "not started in this browser")
	})
	t.Run("state used twice", func(t *testing.T) {
		var first federation.Callback
		if _, err := e.signIn(t, e.orgA.Org.ID, p.ID, "ann@acme.example", "pw-ann", func(cb *federation.Callback) { first = *cb }); err != nil {
			t.Fatal(err)
		}
		_, err := e.fed.Complete(t.Context(), first)
		reason(t, err, "good once")
	})
	t.Run("bad nonce", func(t *testing.T) {
		e.op.SetBadNonce(true)
		defer e.op.SetBadNonce(false)
		_, err := e.signIn(t, e.orgA.Org.ID, p.ID, "ann@acme.example", "pw-ann", nil)
		reason(t, err, "nonce")
	})
	t.Run("bad signature", func(t *testing.T) {
		e.op.SetForeignKey(true)
		defer e.op.SetForeignKey(false)
		_, err := e.signIn(t, e.orgA.Org.ID, p.ID, "ann@acme.example", "pw-ann", nil)
		reason(t, err, "signature")
	})
	t.Run("provider down", func(t *testing.T) {
		e.op.SetDown(true)
		defer e.op.SetDown(false)
		_, err := e.fed.Begin(t.Context(), e.orgA.Org.ID, p.ID, "", "192.0.2.1", nil)
		var se *federation.SignInError
		if !errors.As(err, &se) || !se.Unavailable || !strings.Contains(se.Reason, "could not be reached") {
			t.Fatalf("Begin with the provider down: %v", err)
		}
	})
	t.Run("provider goes down during the sign-in", func(t *testing.T) {
		_, err := e.signIn(t, e.orgA.Org.ID, p.ID, "ann@acme.example", "pw-ann", func(*federation.Callback) { e.op.SetDown(true) })
		e.op.SetDown(false)
		var se *federation.SignInError
		if !errors.As(err, &se) || !se.Unavailable {
			t.Fatalf("Complete with the provider down: %v", err)
		}
	})
	t.Run("another organisation's provider", func(t *testing.T) {
		_, err := e.fed.Begin(t.Context(), e.orgA.Org.ID, pB.ID, "", "192.0.2.1", nil)
		reason(t, err, "no such identity provider")
		// Through its own organisation it signs people into that one only:
		// admin@acme.example is a user of Acme, not of Globex.
		c, err := e.signIn(t, e.orgB.Org.ID, pB.ID, "admin@acme.example", "pw-admin", nil)
		if err != nil {
			t.Fatal(err)
		}
		if c.User.OrgID != e.orgB.Org.ID || c.User.ID == e.orgA.User.ID || c.User.Role != domain.RoleMember {
			t.Fatalf("Globex's provider signed in %+v", c.User)
		}
	})
	t.Run("disabled provider", func(t *testing.T) {
		off := true
		if _, _, err := e.fed.UpdateProvider(t.Context(), e.superA, noDefault.ID, federation.ProviderPatch{Disabled: &off}); err != nil {
			t.Fatal(err)
		}
		_, err := e.fed.Begin(t.Context(), e.orgA.Org.ID, noDefault.ID, "", "192.0.2.1", nil)
		reason(t, err, "turned off")
	})
	// Every failure is audited with its reason; no session was opened.
	events, _, err := e.store.ListAudit(t.Context(), e.orgA.Org.ID, domain.AuditFilter{Action: "user.login", Page: domain.Page{Limit: 100}})
	if err != nil {
		t.Fatal(err)
	}
	failures := map[string]bool{}
	for _, ev := range events {
		if ev.Result == domain.ResultFailure {
			failures[ev.Detail["reason"]] = true
		}
	}
	for _, want := range []string{"nonce", "signature", "state", "good once", "no Keywarden role", "may not sign in", "could not be reached"} {
		found := false
		for r := range failures {
			found = found || strings.Contains(r, want)
		}
		if !found {
			t.Errorf("no failed user.login audited with a reason about %q (have %v)", want, failures)
		}
	}
}

func TestProviderSecretSealed(t *testing.T) {
	e := newEnv(t)
	p := e.acmeProvider(t)
	if len(p.ClientSecretSealed) == 0 || strings.Contains(string(p.ClientSecretSealed), "acme-secret") {
		t.Fatalf("sealed secret %q", p.ClientSecretSealed)
	}
	_, err := e.fed.CreateProvider(t.Context(), e.superA, federation.ProviderInput{Name: " ", Issuer: "ftp://x", ClientID: "",
		DefaultRole: "boss", GroupRoles: map[string]domain.Role{"g": "boss"}})
	var v *domain.ValidationError
	if !errors.As(err, &v) {
		t.Fatalf("bad provider: %v", err)
	}
	for _, f := range []string{"name", "issuer", "client_id", "default_role", "group_roles", "groups_claim"} {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("validation %v does not name %s", err, f)
		}
	}
	if _, err := e.fed.Provider(t.Context(), e.superB, p.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("Acme's provider read by Globex: %v", err)
	}
	if err := e.fed.DeleteProvider(t.Context(), e.superB, p.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("Acme's provider deleted by Globex: %v", err)
	}
}
