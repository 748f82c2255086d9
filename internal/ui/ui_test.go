package ui_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"keywarden/internal/account"
	"keywarden/internal/config"
	"keywarden/internal/server"
	"keywarden/internal/ui"
	"keywarden/pkg/apiv1"
)

// console is a server with the console mounted, and a browser-like client
// signed in as its super admin.
type console struct {
	t      *testing.T
	srv    *httptest.Server
	client *http.Client
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
var onceField = regexp.MustCompile(`name="once" value="([^"]+)"`)

func newConsole(t *testing.T) *console {
	t.Helper()
	ctx := t.Context()
	cfg := config.Defaults()
	cfg.DataDir, cfg.Dev = t.TempDir(), true
	core, err := server.OpenCore(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	boot, err := core.Accounts.Init(ctx, "Acme", "admin@acme.test")
	if err != nil {
		t.Fatal(err)
	}
	core.Close()
	s, err := server.New(context.WithoutCancel(ctx), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	jar, _ := cookiejar.New(nil)
	c := &console{t: t, srv: srv, client: &http.Client{Jar: jar}}

	page := c.get("/ui/login", http.StatusOK)
	resp := c.post("/ui/login", url.Values{"csrf": {csrf(t, page)}, "email": {"admin@acme.test"}, "password": {boot.Password.Reveal()}})
	body := read(t, resp)
	if !strings.HasSuffix(resp.Request.URL.Path, "/ui/welcome") {
		t.Fatalf("first login ended at %s", resp.Request.URL)
	}
	var session *http.Cookie
	for _, ck := range jar.Cookies(resp.Request.URL) {
		if ck.Name == ui.SessionCookie {
			session = ck
		}
	}
	if session == nil {
		t.Fatal("no session cookie after login")
	}
	resp = c.post("/ui/account/password", url.Values{"csrf": {csrf(t, body)}, "return": {"/ui/welcome"},
		"current_password": {boot.Password.Reveal()}, "new_password": {"a new long passphrase"}, "confirm_password": {"a new long passphrase"}})
	read(t, resp)
	if !strings.HasSuffix(resp.Request.URL.Path, "/ui/clients") {
		t.Fatalf("after the password change at %s", resp.Request.URL)
	}
	return c
}

func read(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func csrf(t *testing.T, page string) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no CSRF token on the page")
	}
	return m[1]
}

func (c *console) get(path string, want int) string {
	c.t.Helper()
	resp, err := c.client.Get(c.srv.URL + path)
	if err != nil {
		c.t.Fatal(err)
	}
	body := read(c.t, resp)
	if resp.StatusCode != want {
		c.t.Fatalf("GET %s = %d, want %d", path, resp.StatusCode, want)
	}
	checkHeaders(c.t, path, resp)
	return body
}

func (c *console) post(path string, form url.Values) *http.Response {
	c.t.Helper()
	resp, err := c.client.PostForm(c.srv.URL+path, form)
	if err != nil {
		c.t.Fatal(err)
	}
	checkHeaders(c.t, "POST "+path, resp)
	return resp
}

func checkHeaders(t *testing.T, what string, resp *http.Response) {
	t.Helper()
	csp := resp.Header.Get("Content-Security-Policy")
	if csp != ui.ContentSecurityPolicy || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("%s: Content-Security-Policy = %q", what, csp)
	}
	if ct := resp.Header.Get("Content-Type"); strings.HasPrefix(ct, "text/html") && resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("%s: a page without Cache-Control: no-store", what)
	}
}

var (
	inlineScript = regexp.MustCompile(`<script(?:\s[^>]*)?>\s*[^<\s]`)
	styleAttr    = regexp.MustCompile(`\sstyle=`)
	inlineEvent  = regexp.MustCompile(`\son[a-z]+=`)
)

// TestPagesCarryCSP visits every page and checks that each answer carries
// the policy and that no page needs what the policy forbids (inline
// scripts, style attributes, event-handler attributes).
func TestPagesCarryCSP(t *testing.T) {
	c := newConsole(t)
	page := c.get("/ui/clients?new=1", http.StatusOK)
	resp := c.post("/ui/clients", url.Values{"csrf": {csrf(t, page)}, "once": {onceField.FindStringSubmatch(page)[1]}, "name": {"billing"}})
	read(t, resp)
	m := regexp.MustCompile(`/ui/clients/(kwc_[A-Za-z0-9]+)/secrets`).FindStringSubmatch(resp.Request.URL.Path)
	if m == nil {
		t.Fatalf("creating a client ended at %s", resp.Request.URL)
	}
	id := m[1]
	pages := map[string]int{
		"/ui/clients": 200, "/ui/clients?new=1": 200, "/ui/clients?q=bill&status=active&page=9": 200,
		"/ui/clients/" + id: 200, "/ui/clients/" + id + "?delete=1": 200, "/ui/clients/" + id + "/secrets": 200,
		"/ui/clients/" + id + "/secrets?add=1": 200, "/ui/clients/" + id + "/secrets?revoke-all=1": 200,
		"/ui/clients/" + id + "/rotate": 200, "/ui/clients/" + id + "/refresh-tokens": 200, "/ui/clients/" + id + "/activity": 200,
		"/ui/clients/" + id + "/activity?before=garbage": 200, "/ui/clients/" + id + "/webhook": 200,
		"/ui/clients/" + id + "/webhook?status=failed&after=garbage": 200, "/ui/clients/" + id + "/webhook/deliveries/msg_missing": 404,
		"/ui/account": 200, "/ui/account/credentials": 200, "/ui/account/api-tokens": 200, "/ui/users": 200, "/ui/users?invite=1": 200, "/ui/policy": 200,
		"/ui/audit": 200, "/ui/audit?action=secret.&from=01/01/2026": 200, "/ui/audit?from=99/99/2026": 422,
		"/ui/clients/kwc_missing": 404, "/ui/clients/" + id + "/rotations/rot_missing": 404, "/ui/nothing-here": 404,
		"/ui/static/app.css": 200, "/ui/static/app.js": 200, "/ui/static/missing.js": 404,
	}
	for p, want := range pages {
		body := c.get(p, want)
		if strings.HasPrefix(p, "/ui/static/") {
			continue
		}
		for name, re := range map[string]*regexp.Regexp{"an inline script": inlineScript, "a style attribute": styleAttr, "an inline event handler": inlineEvent} {
			if loc := re.FindStringIndex(body); loc != nil {
				t.Errorf("%s has %s, which the CSP blocks: %q", p, name, body[loc[0]:min(loc[1]+40, len(body))])
			}
		}
	}

	// A signed-out visitor's pages carry it too.
	anon := &console{t: t, srv: c.srv, client: &http.Client{}}
	anon.get("/ui/login", http.StatusOK)
}

// TestPostWithoutCSRFIsRefused checks that a form without the session's
// CSRF token, or with another one, or from another site, changes nothing.
func TestPostWithoutCSRFIsRefused(t *testing.T) {
	c := newConsole(t)
	page := c.get("/ui/clients", http.StatusOK)
	good := csrf(t, page)
	for name, form := range map[string]url.Values{
		"no token":    {"name": {"sneaky"}, "once": {"a"}},
		"wrong token": {"name": {"sneaky"}, "once": {"b"}, "csrf": {otherFirst(good)}},
		"empty token": {"name": {"sneaky"}, "once": {"c"}, "csrf": {""}},
	} {
		t.Run(name, func(t *testing.T) {
			resp := c.post("/ui/clients", form)
			read(t, resp)
			if resp.StatusCode != http.StatusForbidden {
				t.Fatalf("POST /ui/clients with %s = %d, want 403", name, resp.StatusCode)
			}
		})
	}
	t.Run("cross-site", func(t *testing.T) {
		req, _ := http.NewRequest("POST", c.srv.URL+"/ui/clients", strings.NewReader(url.Values{"csrf": {good}, "once": {"d"}, "name": {"sneaky"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		resp, err := c.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		read(t, resp)
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("cross-site POST = %d, want 403", resp.StatusCode)
		}
		checkHeaders(t, "cross-site POST", resp)
	})
	t.Run("login without its token", func(t *testing.T) {
		resp := c.post("/ui/login", url.Values{"email": {"admin@acme.test"}, "password": {"whatever"}})
		read(t, resp)
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("login POST without a token = %d, want 403", resp.StatusCode)
		}
	})
	if body := c.get("/ui/clients", http.StatusOK); strings.Contains(body, "sneaky") {
		t.Fatal("a refused POST created a client")
	}
}

// TestSessionCookie checks the session cookie's attributes.
func TestSessionCookie(t *testing.T) {
	c := newConsole(t)
	page := c.get("/ui/login", http.StatusOK)
	_ = page
	// Log in again to see the Set-Cookie header itself.
	c.client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.client.Jar, _ = cookiejar.New(nil)
	page = c.get("/ui/login", http.StatusOK)
	resp := c.post("/ui/login", url.Values{"csrf": {csrf(t, page)}, "email": {"admin@acme.test"}, "password": {"a new long passphrase"}})
	read(t, resp)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login = %d", resp.StatusCode)
	}
	for _, ck := range resp.Cookies() {
		if ck.Name == ui.SessionCookie {
			if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/" {
				t.Fatalf("session cookie = %+v", ck)
			}
			if loc := resp.Header.Get("Location"); strings.Contains(loc, ck.Value) {
				t.Fatal("the session token is in the redirect")
			}
			return
		}
	}
	t.Fatal("no session cookie")
}

// otherFirst returns token with its first character changed to a
// different one, so that a "wrong token" is never the right one.
func otherFirst(token string) string {
	if strings.HasPrefix(token, "x") {
		return "y" + token[1:]
	}
	return "x" + token[1:]
}

// sessionToken returns the console's session cookie, which the API takes
// as a bearer token.
func (c *console) sessionToken() string {
	c.t.Helper()
	u, _ := url.Parse(c.srv.URL + "/ui/")
	for _, ck := range c.client.Jar.Cookies(u) {
		if ck.Name == ui.SessionCookie {
			return ck.Value
		}
	}
	c.t.Fatal("no session cookie")
	return ""
}

// TestRateLimitedPasswordChange guesses the current password until the
// limit: the console answers 429 with Retry-After and the message the API
// gives for the same refusal (it rendered a 500 before the two shared
// package problem).
func TestRateLimitedPasswordChange(t *testing.T) {
	c := newConsole(t)
	change := func() (*http.Response, string) {
		page := c.get("/ui/account", http.StatusOK)
		resp := c.post("/ui/account/password", url.Values{"csrf": {csrf(t, page)}, "current_password": {"a wrong guess!!"},
			"new_password": {"another long passphrase"}, "confirm_password": {"another long passphrase"}})
		return resp, read(t, resp)
	}
	for i := range account.LoginFailureBurst {
		if resp, _ := change(); resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("guess %d = %d, want 422", i+1, resp.StatusCode)
		}
	}
	resp, page := change()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("guess past the limit = %d, Retry-After %q; want 429 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}

	req, _ := http.NewRequest("POST", c.srv.URL+"/v1/me/password", strings.NewReader(`{"current_password":"a wrong guess!!","new_password":"another long passphrase"}`))
	req.Header.Set("Authorization", "Bearer "+c.sessionToken())
	req.Header.Set("Content-Type", "application/json")
	apiResp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var p apiv1.Problem
	if err := json.NewDecoder(apiResp.Body).Decode(&p); err != nil {
		t.Fatal(err)
	}
	apiResp.Body.Close()
	if apiResp.StatusCode != http.StatusTooManyRequests || p.Detail == "" {
		t.Fatalf("the API for the same guess = %d %+v, want 429", apiResp.StatusCode, p)
	}
	want := strings.ToUpper(p.Detail[:1]) + p.Detail[1:]
	if !strings.Contains(page, want) {
		t.Errorf("the console's page does not say what the API says (%q):\n%s", want, page)
	}
}
