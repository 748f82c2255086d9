package api_test

import (
	"crypto/sha256"
	"encoding/base64"
	"html"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"keywarden/internal/domain"
	"keywarden/internal/federation"
	"keywarden/internal/testkit/oidcop"
	"keywarden/pkg/apiv1"
)

const idpPath = "/v1/identity-providers"

// identityProviderSession is TestOpenAPIResponses' walk through the
// identity provider routes: create, list, show, change, delete, errors.
func identityProviderSession(t *testing.T, e *env) {
	res := e.do(t, "POST", idpPath, apiv1.CreateIdentityProvider{Name: "Okta", Issuer: "https://acme.okta.example", ClientID: "kw",
		ClientSecret: "s3cret-never-shown", Scopes: []string{"email", "groups"}, AllowedDomains: []string{"acme.test"},
		DefaultRole: "member", GroupsClaim: "groups", GroupRoles: map[string]string{"kw-admins": "admin"}})
	want(t, res, http.StatusCreated)
	p := decode[apiv1.IdentityProvider](t, res)
	if loc := res.Header.Get("Location"); loc != idpPath+"/"+p.ID {
		t.Errorf("Location = %q", loc)
	}
	if !p.HasClientSecret || !strings.HasSuffix(p.RedirectURI, "/ui/oidc/callback") {
		t.Errorf("created %+v", p)
	}
	list := e.do(t, "GET", idpPath, nil)
	want(t, list, http.StatusOK)
	if body := decode[apiv1.IdentityProviderList](t, list); len(body.Items) != 1 {
		t.Errorf("list %+v", body)
	}
	want(t, e.do(t, "GET", idpPath+"/"+p.ID, nil), http.StatusOK)
	code, verifier := cliSignIn(t, e)(t)
	want(t, e.do(t, "POST", "/v1/auth/oidc", apiv1.ExchangeOIDCCode{Code: code, CodeVerifier: verifier}, noAuth()), http.StatusCreated)
	off := true
	res = e.do(t, "PATCH", idpPath+"/"+p.ID, apiv1.UpdateIdentityProvider{Disabled: &off})
	want(t, res, http.StatusOK)
	if got := decode[apiv1.IdentityProvider](t, res); !got.Disabled || !got.HasClientSecret {
		t.Errorf("after PATCH: %+v", got)
	}
	wantProblem(t, e.do(t, "POST", idpPath, apiv1.CreateIdentityProvider{Name: "Okta", Issuer: "https://other.example", ClientID: "x"}), http.StatusConflict)
	wantProblem(t, e.do(t, "POST", idpPath, apiv1.CreateIdentityProvider{Name: "Bad", Issuer: "not a url", ClientID: "x"}), http.StatusUnprocessableEntity)
	bad := "boss"
	wantProblem(t, e.do(t, "PATCH", idpPath+"/"+p.ID, apiv1.UpdateIdentityProvider{DefaultRole: &bad}), http.StatusUnprocessableEntity)
	want(t, e.do(t, "DELETE", idpPath+"/"+p.ID, nil), http.StatusNoContent)
	wantProblem(t, e.do(t, "GET", idpPath+"/"+p.ID, nil), http.StatusNotFound)
	wantProblem(t, e.do(t, "DELETE", idpPath+"/"+p.ID, nil), http.StatusNotFound)
	wantProblem(t, e.do(t, "GET", idpPath+"/idp_malformed", nil), http.StatusNotFound)
}

// TestIdentityProviders: the client secret never comes back, another
// organisation's provider is not found, and the policy's break-glass
// rule holds when password sign-in is turned off.
func TestIdentityProviders(t *testing.T) {
	e := newEnv(t)
	res := e.do(t, "POST", idpPath, apiv1.CreateIdentityProvider{Name: "Okta", Issuer: "https://acme.okta.example", ClientID: "kw", ClientSecret: "s3cret-never-shown"})
	want(t, res, http.StatusCreated)
	p := decode[apiv1.IdentityProvider](t, res)
	for _, path := range []string{idpPath, idpPath + "/" + p.ID, "/v1/audit"} {
		res := e.do(t, "GET", path, nil)
		want(t, res, http.StatusOK)
		if strings.Contains(string(res.Body), "s3cret-never-shown") {
			t.Errorf("GET %s shows the client secret", path)
		}
	}
	other := e.newOrg(t, "Globex", "a@globex.test").APIToken.Reveal()
	wantProblem(t, e.do(t, "GET", idpPath+"/"+p.ID, nil, as(other)), http.StatusNotFound)
	wantProblem(t, e.do(t, "DELETE", idpPath+"/"+p.ID, nil, as(other)), http.StatusNotFound)

	// Password sign-in off needs a break-glass super admin.
	wantProblem(t, e.do(t, "PATCH", "/v1/policy", map[string]any{"local_login_disabled": true}), http.StatusUnprocessableEntity)
	dev := e.user(t, e.boot.Org.ID, "developer")
	wantProblem(t, e.do(t, "PATCH", "/v1/policy", map[string]any{"local_login_disabled": true, "break_glass_users": []string{dev.ID()}}), http.StatusUnprocessableEntity)
	res = e.do(t, "PATCH", "/v1/policy", map[string]any{"local_login_disabled": true, "break_glass_users": []string{string(e.boot.User.ID)}})
	want(t, res, http.StatusOK)
	if pol := decode[apiv1.Policy](t, res); !pol.LocalLoginDisabled || len(pol.BreakGlassUsers) != 1 {
		t.Fatalf("policy %+v", pol)
	}
	// The break-glass super admin still signs in with a password; a
	// developer is refused with 401 local-login-disabled.
	e.login(t, apiv1.Login{Email: "a@acme.test", Password: e.boot.Password.Reveal()})
	wantProblemType(t, e.do(t, "POST", "/v1/sessions", apiv1.Login{Email: dev.Email(), Password: dev.Password}, noAuth()), http.StatusUnauthorized, "local-login-disabled")
	// A wrong password is still just a wrong password.
	wantProblem(t, e.do(t, "POST", "/v1/sessions", apiv1.Login{Email: dev.Email(), Password: "wrong"}, noAuth()), http.StatusUnauthorized)

	// Seed 001: a federated user is refused a personal credential unless
	// the policy allows it; an existing one stops authenticating when the
	// user becomes federated.
	fed := e.user(t, e.boot.Org.ID, "developer")
	res = e.do(t, "POST", "/v1/me/credential", apiv1.CreatePersonalCredential{Description: "before"}, as(fed.Token))
	want(t, res, http.StatusCreated)
	cred := decode[apiv1.CreatedPersonalCredential](t, res)
	if _, err := e.core.Store.UpdateUser(t.Context(), e.boot.Org.ID, fed.User.ID, func(u *domain.User) error {
		u.IdentityProvider, u.IdentitySubject = domain.IdentityProviderID(p.ID), "sub-fed"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	e.core.Credentials.OrgChanged(e.boot.Org.ID) // what SignInFederated's link announces
	if res := e.form(t, "/oauth2/token", url.Values{"grant_type": {"client_credentials"}}, basicAuth(cred.ClientID, cred.Secret)); res.Status != http.StatusUnauthorized {
		t.Errorf("a federated user's existing credential got a token: %s", res)
	}
	want(t, e.do(t, "DELETE", "/v1/me/credential", nil, as(fed.Token)), http.StatusNoContent)
	pr := wantProblem(t, e.do(t, "POST", "/v1/me/credential", apiv1.CreatePersonalCredential{Description: "scripts"}, as(fed.Token)), http.StatusForbidden)
	if !strings.Contains(pr.Detail, "identity provider") {
		t.Errorf("refusal says %q", pr.Detail)
	}
	res = e.do(t, "GET", "/v1/users", nil)
	for _, u := range decode[apiv1.UserList](t, res).Items {
		if want := map[bool]string{true: p.ID, false: "local"}[u.ID == fed.ID()]; u.SignIn != want {
			t.Errorf("user %s sign_in %q, want %q", u.Email, u.SignIn, want)
		}
	}
	want(t, e.do(t, "PATCH", "/v1/policy", map[string]any{"allow_federated_personal_credentials": true}), http.StatusOK)
	want(t, e.do(t, "POST", "/v1/me/credential", apiv1.CreatePersonalCredential{Description: "scripts"}, as(fed.Token)), http.StatusCreated)
}

// cliSignIn starts a real OpenID Provider with one user and an identity
// provider of the environment's organisation for it, and returns a
// function that runs a whole federated sign-in the CLI started (the
// console's start, the provider's login page, the callback) and returns
// the one-time code the CLI's listener would receive, with its verifier.
func cliSignIn(t *testing.T, e *env) func(t *testing.T) (code, verifier string) {
	t.Helper()
	redirect := "http://keywarden.test/ui/oidc/callback"
	op := oidcop.Start(t, []oidcop.User{{Subject: "sub-cli", Email: "cli@acme.test", Password: "cli-at-the-idp", Verified: true}},
		[]oidcop.Client{{ID: "kw-cli", Secret: "cli-secret", Redirects: []string{redirect}}})
	p, err := e.core.Federation.CreateProvider(t.Context(), domain.UserActor(e.boot.Org.ID, e.boot.User.ID, domain.RoleSuperAdmin, ""),
		federation.ProviderInput{Name: "CLI SSO " + domain.NewID(""), Issuer: op.URL + "/", ClientID: "kw-cli", ClientSecret: "cli-secret",
			Scopes: []string{"email"}, DefaultRole: domain.RoleDeveloper})
	if err != nil {
		t.Fatal(err)
	}
	console := func(t *testing.T, path string, cookies []*http.Cookie) *httptest.ResponseRecorder {
		r := httptest.NewRequestWithContext(t.Context(), "GET", path, nil)
		for _, c := range cookies {
			r.AddCookie(c)
		}
		w := httptest.NewRecorder()
		e.handler.ServeHTTP(w, r)
		return w
	}
	return func(t *testing.T) (string, string) {
		t.Helper()
		verifier := oauth2.GenerateVerifier()
		sum := sha256.Sum256([]byte(verifier))
		q := url.Values{"org": {string(e.boot.Org.ID)}, "provider": {string(p.ID)}, "cli_port": {"53682"},
			"cli_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "cli_state": {"cli-state"}}
		start := console(t, "/ui/oidc/start?"+q.Encode(), nil)
		if start.Code != http.StatusSeeOther {
			t.Fatalf("start = %d: %s", start.Code, start.Body)
		}
		jar, _ := cookiejar.New(nil)
		back, err := oidcop.SignIn(t.Context(), &http.Client{Jar: jar}, start.Header().Get("Location"), "cli@acme.test", "cli-at-the-idp")
		if err != nil {
			t.Fatal(err)
		}
		done := console(t, back.RequestURI(), start.Result().Cookies())
		m := regexp.MustCompile(`href="(http://127\.0\.0\.1:[^"]+)" id="continue"`).FindStringSubmatch(done.Body.String())
		if done.Code != http.StatusOK || m == nil {
			t.Fatalf("callback = %d without a redirect to the CLI: %s", done.Code, done.Body)
		}
		to, err := url.Parse(html.UnescapeString(m[1]))
		if err != nil || to.Host != "127.0.0.1:53682" || to.Query().Get("state") != "cli-state" {
			t.Fatalf("the CLI's redirect %q (%v)", m[1], err)
		}
		for _, c := range done.Result().Cookies() {
			if c.Name == "kw_session" && c.Value != "" {
				t.Fatal("a CLI's sign-in signed the browser in")
			}
		}
		return to.Query().Get("code"), verifier
	}
}

// TestCLISignInExchange: the code the CLI's listener gets is exchanged,
// with its verifier, for a working session, once; a wrong verifier or a
// forged code is 401.
func TestCLISignInExchange(t *testing.T) {
	e := newEnv(t)
	signIn := cliSignIn(t, e)
	code, verifier := signIn(t)
	wantProblem(t, e.do(t, "POST", "/v1/auth/oidc", apiv1.ExchangeOIDCCode{Code: code, CodeVerifier: oauth2.GenerateVerifier()}, noAuth()), http.StatusUnauthorized)
	res := e.do(t, "POST", "/v1/auth/oidc", apiv1.ExchangeOIDCCode{Code: code, CodeVerifier: verifier}, noAuth())
	want(t, res, http.StatusCreated)
	s := decode[apiv1.NewSession](t, res)
	if s.User.Email != "cli@acme.test" || s.User.Role != "developer" || !strings.HasPrefix(s.User.SignIn, "idp_") {
		t.Fatalf("session of %+v", s.User)
	}
	want(t, e.do(t, "GET", "/v1/me", nil, as(s.Token)), http.StatusOK)
	wantProblem(t, e.do(t, "POST", "/v1/auth/oidc", apiv1.ExchangeOIDCCode{Code: code, CodeVerifier: verifier}, noAuth()), http.StatusUnauthorized)
	wantProblem(t, e.do(t, "POST", "/v1/auth/oidc", apiv1.ExchangeOIDCCode{Code: "forged", CodeVerifier: verifier}, noAuth()), http.StatusUnauthorized)
	wantProblem(t, e.do(t, "POST", "/v1/auth/oidc", apiv1.ExchangeOIDCCode{Code: code}, noAuth()), http.StatusUnprocessableEntity)
}
