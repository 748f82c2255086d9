package ui_test

import (
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// TestPasswordSignInOff: with password sign-in turned off, a developer's
// right password gets the console's explanation and no session, while the
// break-glass super admin still signs in; the Policy page shows the
// single sign-on card with the choices made.
func TestPasswordSignInOff(t *testing.T) {
	c := newConsole(t)
	var me struct {
		ID string `json:"id"`
	}
	c.apiCall("GET", "/v1/me", nil, &me)
	var invited struct {
		Password string `json:"one_time_password"`
	}
	c.apiCall("POST", "/v1/users", map[string]any{"email": "dev@acme.test", "role": "developer"}, &invited)
	var sess struct {
		Token string `json:"token"`
	}
	req := func(method, path, token string, body string) *http.Response {
		r, _ := http.NewRequestWithContext(t.Context(), method, c.srv.URL+path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		if token != "" {
			r.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	res := req("POST", "/v1/sessions", "", `{"email":"dev@acme.test","password":"`+invited.Password+`"}`)
	if err := json.Unmarshal([]byte(read(t, res)), &sess); err != nil || sess.Token == "" {
		t.Fatalf("dev's first sign-in: %v", err)
	}
	if res := req("POST", "/v1/me/password", sess.Token, `{"current_password":"`+invited.Password+`","new_password":"dev long passphrase"}`); res.StatusCode != http.StatusNoContent {
		t.Fatalf("dev's new password: %d", res.StatusCode)
	}

	page := c.get("/ui/policy", http.StatusOK)
	wantIn(t, "the Policy page", page, "Single sign-on", "/ui/oidc/callback", "/ui/login?org=", `name="break_glass" value="`+me.ID+`"`, `action="/ui/policy/identity-providers"`)
	// Turning it off without a break-glass user is refused on the field.
	vals := url.Values{"personal": {"everyone"}, "ttl": {"86400"}, "local_off": {"1"}}
	for _, r := range []string{"super_admin", "admin", "developer", "member"} {
		vals.Set("days_"+r, map[string]string{"member": "1"}[r])
		if r != "member" {
			vals.Set("days_"+r, "90")
		}
	}
	code, _, body := c.submit(page, "/ui/policy", vals)
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "break-glass") {
		t.Fatalf("password sign-in off without a break-glass user = %d", code)
	}
	vals.Set("break_glass", me.ID)
	if code, _, body := c.submit(page, "/ui/policy", vals); code != http.StatusOK || !strings.Contains(body, "Policy saved") {
		t.Fatalf("saving password sign-in off = %d", code)
	}

	signIn := func(email, password string) (int, string) {
		jar, _ := cookiejar.New(nil)
		b := &console{t: t, srv: c.srv, client: &http.Client{Jar: jar}}
		page := b.get("/ui/login", http.StatusOK)
		code, at, body := b.submit(page, "/ui/login", url.Values{"email": {email}, "password": {password}})
		return code, at + "\n" + body
	}
	code, body = signIn("dev@acme.test", "dev long passphrase")
	if code != http.StatusForbidden || !strings.Contains(body, "Password sign-in is turned off for your organisation") {
		t.Fatalf("dev's password sign-in = %d", code)
	}
	code, body = signIn("dev@acme.test", "a wrong password")
	if !strings.Contains(body, "Wrong email or password") {
		t.Fatalf("a wrong password = %d, not the usual answer", code)
	}
	if code, body = signIn("admin@acme.test", "a new long passphrase"); code != http.StatusOK || strings.Contains(body, "turned off") || !strings.HasPrefix(body, "/ui/") || strings.HasPrefix(body, "/ui/login") {
		t.Fatalf("the break-glass super admin's sign-in = %d at %s", code, strings.SplitN(body, "\n", 2)[0])
	}
}

// TestIdentityProvidersOnThePolicyPage: a super admin adds a provider on
// the Policy page (bad input is shown on its fields and adds nothing),
// turns it off and removes it; the client secret is never on a page.
func TestIdentityProvidersOnThePolicyPage(t *testing.T) {
	c := newConsole(t)
	page := c.get("/ui/policy", http.StatusOK)
	code, _, body := c.submit(page, "/ui/policy/identity-providers", url.Values{"name": {"Okta"}, "issuer": {"not a url"}, "client_id": {"kw"},
		"client_secret": {"never-on-a-page"}, "group_roles": {"admins"}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "GROUP=ROLE") {
		t.Fatalf("bad group roles = %d", code)
	}
	code, _, body = c.submit(page, "/ui/policy/identity-providers", url.Values{"name": {"Okta"}, "issuer": {"not a url"}, "client_id": {"kw"},
		"client_secret": {"never-on-a-page"}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "Issuer") || strings.Contains(body, "never-on-a-page") {
		t.Fatalf("bad issuer = %d", code)
	}
	if strings.Contains(body, `id="idp-idp_`) {
		t.Fatal("a refused provider was added")
	}
	code, _, body = c.submit(page, "/ui/policy/identity-providers", url.Values{"name": {"Okta"}, "issuer": {"https://acme.okta.example"},
		"client_id": {"kw"}, "client_secret": {"never-on-a-page"}, "scopes": {"email, groups"}, "default_role": {"member"},
		"groups_claim": {"groups"}, "group_roles": {"kw-admins=admin\n"}})
	if code != http.StatusOK || !strings.Contains(body, "Okta is added") || strings.Contains(body, "never-on-a-page") {
		t.Fatalf("adding a provider = %d", code)
	}
	m := regexp.MustCompile(`action="(/ui/policy/identity-providers/idp_[A-Za-z0-9]+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no Turn off button for the new provider")
	}
	var list struct {
		Items []struct {
			ID          string            `json:"id"`
			GroupRoles  map[string]string `json:"group_roles"`
			Scopes      []string          `json:"scopes"`
			Disabled    bool              `json:"disabled"`
			HasSecret   bool              `json:"has_client_secret"`
			DefaultRole string            `json:"default_role"`
		} `json:"items"`
	}
	c.apiCall("GET", "/v1/identity-providers", nil, &list)
	if len(list.Items) != 1 || list.Items[0].GroupRoles["kw-admins"] != "admin" || len(list.Items[0].Scopes) != 2 || !list.Items[0].HasSecret || list.Items[0].DefaultRole != "member" {
		t.Fatalf("the provider as added: %+v", list.Items)
	}
	if code, _, body := c.submit(body, m[1], url.Values{"disabled": {"1"}}); code != http.StatusOK || !strings.Contains(body, "Okta is off") {
		t.Fatalf("turning it off = %d", code)
	}
	// Removing asks first: the link opens a dialog (no JavaScript needed)
	// that says what removing does; its form removes.
	id := strings.TrimPrefix(m[1], "/ui/policy/identity-providers/")
	page = c.get("/ui/policy?remove-idp="+id, http.StatusOK)
	wantIn(t, "the remove dialog", page, `<dialog id="remove-idp-`+id+`"`, "data-autoopen", "Remove Okta?", `action="`+m[1]+`/delete"`, "Remove provider")
	if code, _, body := c.submit(page, m[1]+"/delete", nil); code != http.StatusOK || !strings.Contains(body, "Okta is removed") {
		t.Fatalf("removing it = %d", code)
	}
	c.apiCall("GET", "/v1/identity-providers", nil, &list)
	if len(list.Items) != 0 {
		t.Fatalf("after removing: %+v", list.Items)
	}
}
