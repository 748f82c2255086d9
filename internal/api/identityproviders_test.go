package api_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"keywarden/internal/domain"
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
