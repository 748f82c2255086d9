package cli

import (
	"bytes"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"keywarden/internal/testkit/oidcop"

	"keywarden/pkg/apiv1"
	"keywarden/pkg/keywarden"
)

// TestIdentityProviders follows an identity provider through the CLI:
// created with its client secret from standard input (never printed),
// listed, shown with the redirect URI to register, changed, deleted; bad
// input fails with the server's reason or a usage error.
func TestIdentityProviders(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	const secret = "idp-client-secret-4f2a"

	var created apiv1.IdentityProvider
	out := newEnv(t).mustRunStdin(t, secret+"\n", srv.args("identity-providers", "create", "Okta", "--issuer", "https://acme.okta.example",
		"--client-id", "kw", "--client-secret-stdin", "--scope", "email,groups", "--allowed-domain", "acme.example",
		"--default-role", "member", "--groups-claim", "groups", "--group-role", "kw-admins=admin", "-o", "json")...)
	decodeJSON(t, out, &created)
	if created.Name != "Okta" || !created.HasClientSecret || created.GroupRoles["kw-admins"] != "admin" || len(created.Scopes) != 2 {
		t.Fatalf("create -o json = %+v", created)
	}
	wantNotIn(t, "create", out, secret)

	out = srv.mustRun(t, "identity-providers", "list")
	wantIn(t, "list", out, "PROVIDER ID", created.ID, "Okta", "https://acme.okta.example", "member", "on")
	out = srv.mustRun(t, "identity-providers", "show", created.ID)
	wantIn(t, "show", out, "set (never shown)", "/ui/oidc/callback", "kw-admins=admin", "acme.example")
	wantNotIn(t, "show", out, secret)

	var updated apiv1.IdentityProvider
	decodeJSON(t, srv.mustRun(t, "identity-providers", "update", created.ID, "--disabled", "--name", "Okta (old)", "-o", "json"), &updated)
	if !updated.Disabled || updated.Name != "Okta (old)" || !updated.HasClientSecret || updated.DefaultRole != "member" {
		t.Fatalf("update -o json = %+v", updated)
	}
	decodeJSON(t, srv.mustRun(t, "identity-providers", "update", created.ID, "--enabled", "-o", "json"), &updated)
	if updated.Disabled {
		t.Fatal("--enabled left the provider off")
	}

	srv.run(t, "identity-providers", "create", "Bad", "--issuer", "not a url", "--client-id", "x").fails(t, exitFailure, "issuer")
	srv.run(t, "identity-providers", "create", "Bad", "--issuer", "https://x.example", "--client-id", "x", "--group-role", "nogroup").fails(t, exitUsage, "GROUP=ROLE")
	srv.run(t, "identity-providers", "update", created.ID, "--disabled", "--enabled").fails(t, exitUsage, "not both")

	wantIn(t, "delete", srv.mustRun(t, "identity-providers", "delete", created.ID), "Deleted identity provider "+created.ID)
	srv.run(t, "identity-providers", "show", created.ID).fails(t, exitFailure, "Not Found")
}

// TestLoginPasswordSignInOff: with the organisation's password sign-in
// turned off, keywarden login says so (the server's reason) for a user
// who is not a break-glass super admin (the break-glass side is
// internal/api's TestIdentityProviders).
func TestLoginPasswordSignInOff(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	e := newEnv(t)
	dev := onboard(t, srv, e)
	sdk := keywarden.New(srv.url, srv.token, nil)
	users, err := sdk.ListUsers(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var admin string
	for _, u := range users.Items {
		if u.Role == "super_admin" {
			admin = u.ID
		}
	}
	on := true
	if _, err := sdk.UpdatePolicy(t.Context(), apiv1.UpdatePolicy{LocalLoginDisabled: &on, BreakGlassUsers: &[]string{admin}}); err != nil {
		t.Fatal(err)
	}
	newEnv(t).runStdin(t, newPassword+"\n", "login", "--email", dev.Email, "--password-stdin", "--server", srv.url).
		fails(t, exitFailure, "password sign-in is turned off")
}

// lockedBuffer is a buffer a running command writes while the test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestLoginSSO: keywarden login --sso prints the console address that
// starts the sign-in, listens on loopback, and stores the session the
// console sends back after a sign-in at a real OpenID Provider; the
// stored session works for the next command.
func TestLoginSSO(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	op := oidcop.Start(t, []oidcop.User{{Subject: "sub-sam", Email: "sam@example.com", Password: "sam-at-the-idp", Verified: true}},
		[]oidcop.Client{{ID: "kw-cli", Secret: "cli-secret", Redirects: []string{srv.url + "/ui/oidc/callback"}}})
	var p apiv1.IdentityProvider
	decodeJSON(t, newEnv(t).mustRunStdin(t, "cli-secret\n", srv.args("identity-providers", "create", "SSO", "--issuer", op.URL+"/",
		"--client-id", "kw-cli", "--client-secret-stdin", "--scope", "email", "--default-role", "developer", "-o", "json")...), &p)
	me, err := keywarden.New(srv.url, srv.token, nil).GetMe(t.Context())
	if err != nil {
		t.Fatal(err)
	}

	e := newEnv(t)
	var stdout bytes.Buffer
	stderr := &lockedBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- Main(t.Context(), []string{"login", "--sso", "--organization", me.OrganizationID, "--provider", p.ID, "--server", srv.url},
			strings.NewReader(""), &stdout, stderr, e.getenv)
	}()
	startURL := regexp.MustCompile(`http://\S+/ui/oidc/start\?\S+`)
	var start string
	for deadline := time.Now().Add(10 * time.Second); start == ""; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("login --sso printed no address to open:\n%s", stderr)
		}
		start = startURL.FindString(stderr.String())
	}
	// The browser: the console's start, the provider's login page, the
	// callback, and on to the CLI's listener.
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	back, err := oidcop.SignIn(t.Context(), browser, start, "sam@example.com", "sam-at-the-idp")
	if err != nil {
		t.Fatal(err)
	}
	res, err := browser.Get(back.String())
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := regexp.MustCompile(`href="(http://127\.0\.0\.1:[^"]+)" id="continue"`).FindSubmatch(page)
	if m == nil {
		t.Fatalf("the callback page sends the browser nowhere: %s", page)
	}
	res, err = browser.Get(html.UnescapeString(string(m[1])))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "Signed in") {
		t.Fatalf("the CLI's listener answered %d: %s", res.StatusCode, body)
	}
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("login --sso exited %d:\n%s", code, stderr)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("login --sso did not finish")
	}
	wantIn(t, "login --sso", stdout.String(), "Logged in to", "sam@example.com", "developer")
	wantIn(t, "whoami", e.mustRun(t, "whoami", "--server", srv.url), "sam@example.com")

	newEnv(t).run(t, "login", "--sso", "--server", srv.url).fails(t, exitUsage, "--organization")
	newEnv(t).run(t, "login", "--sso", "--email", "x@example.com", "--organization", "o", "--provider", "p", "--server", srv.url).fails(t, exitUsage, "--sso")
}
