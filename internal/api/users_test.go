package api_test

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"keywarden/internal/account"
	"keywarden/internal/config"
	"keywarden/internal/domain"
	"keywarden/internal/httpx"
	"keywarden/internal/keyring"
	"keywarden/internal/secretvalue"
	"keywarden/pkg/apiv1"
)

// auditEvents returns the env organisation's audit events that match
// query (newest first), read as its super admin.
func (e *env) auditEvents(t *testing.T, query string) []apiv1.AuditEvent {
	t.Helper()
	res := e.do(t, "GET", "/v1/audit?limit=200&"+query, nil)
	want(t, res, http.StatusOK)
	return decode[apiv1.AuditList](t, res).Items
}

// findEvent returns the newest event with action, target and result, or
// fails the test.
func findEvent(t *testing.T, events []apiv1.AuditEvent, action, target, result string) apiv1.AuditEvent {
	t.Helper()
	for _, ev := range events {
		if ev.Action == action && ev.Target == target && ev.Result == result {
			return ev
		}
	}
	t.Fatalf("no audit event %s %s on %s among %s", action, result, target, dump(events))
	return apiv1.AuditEvent{}
}

// me reads GET /v1/me with token.
func (e *env) me(t *testing.T, token string) apiv1.Me {
	t.Helper()
	res := e.do(t, "GET", "/v1/me", nil, as(token))
	want(t, res, http.StatusOK)
	return decode[apiv1.Me](t, res)
}

// inviteAPI invites a user through POST /v1/users as the super admin.
func (e *env) inviteAPI(t *testing.T, email string, role domain.Role) apiv1.InvitedUser {
	t.Helper()
	res := e.do(t, "POST", "/v1/users", apiv1.InviteUser{Email: email, Role: string(role)})
	want(t, res, http.StatusCreated)
	u := decode[apiv1.InvitedUser](t, res)
	if loc := res.Header.Get("Location"); loc != "/v1/users/"+u.ID {
		t.Errorf("Location = %q, want /v1/users/%s", loc, u.ID)
	}
	return u
}

// generate creates the personal credential of the token's user.
func (e *env) generate(t *testing.T, token string, in any) apiv1.CreatedPersonalCredential {
	t.Helper()
	res := e.do(t, "POST", "/v1/me/credential", in, as(token))
	want(t, res, http.StatusCreated)
	return decode[apiv1.CreatedPersonalCredential](t, res)
}

// cookies parses the Set-Cookie headers of res.
func cookies(res response) []*http.Cookie {
	return (&http.Response{Header: res.Header}).Cookies()
}

// TestFirstLogin follows a new user from the invitation to full access: the
// one-time password opens only a restricted session, which can read its
// account and change the password, and nothing else.
func TestFirstLogin(t *testing.T) {
	e := newEnv(t)
	inv := e.inviteAPI(t, "Grace@Example.test", domain.RoleDeveloper)
	if inv.Email != "grace@example.test" || inv.Role != "developer" || inv.Status != "active" || !inv.MustChangePassword || inv.MFAEnabled {
		t.Errorf("invited user = %+v", inv.User)
	}
	if len(inv.OneTimePassword) != 24 {
		t.Errorf("one-time password %q is not 24 characters", inv.OneTimePassword)
	}
	res := e.do(t, "GET", "/v1/users/"+inv.ID, nil)
	want(t, res, http.StatusOK)
	if strings.Contains(string(res.Body), inv.OneTimePassword) {
		t.Errorf("GET /v1/users/{id} shows the one-time password")
	}

	var session apiv1.NewSession
	t.Run("login with the one-time password", func(t *testing.T) {
		res := e.do(t, "POST", "/v1/sessions", apiv1.Login{Email: "GRACE@example.test", Password: inv.OneTimePassword}, noAuth(), header("User-Agent", "kw-test/1"))
		want(t, res, http.StatusCreated)
		session = decode[apiv1.NewSession](t, res)
		if !strings.HasPrefix(session.Token, "kwu_") || session.User.ID != inv.ID || !session.Session.Current || session.Session.UserAgent != "kw-test/1" {
			t.Errorf("session = %+v", session)
		}
		if ttl := session.Session.ExpiresAt.Sub(session.Session.CreatedAt); ttl != account.DefaultSessionTTL {
			t.Errorf("session lasts %v, want %v", ttl, account.DefaultSessionTTL)
		}
		var found bool
		for _, c := range cookies(res) {
			if c.Name != "kw_session" {
				continue
			}
			found = true
			if c.Value != session.Token || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" {
				t.Errorf("cookie = %+v, want the token, HttpOnly, SameSite=Strict, Path=/", c)
			}
		}
		if !found {
			t.Errorf("no kw_session cookie in %v", res.Header["Set-Cookie"])
		}
	})
	t.Run("over TLS the cookie is Secure", func(t *testing.T) {
		overTLS := func(r *http.Request) { r.TLS = &tls.ConnectionState{} }
		res := e.do(t, "POST", "/v1/sessions", apiv1.Login{Email: inv.Email, Password: inv.OneTimePassword}, noAuth(), overTLS)
		want(t, res, http.StatusCreated)
		for _, c := range cookies(res) {
			if c.Name == "kw_session" && !c.Secure {
				t.Errorf("cookie over TLS is not Secure: %+v", c)
			}
		}
	})
	tok := as(session.Token)

	t.Run("restricted until the password is changed", func(t *testing.T) {
		for _, c := range []struct{ method, path string }{
			{"GET", "/v1/clients"}, {"POST", "/v1/clients"}, {"GET", "/v1/policy"}, {"GET", "/v1/keys"},
			{"GET", "/v1/me/credential"}, {"POST", "/v1/me/credential"},
		} {
			var body any
			if c.method == "POST" {
				body = map[string]any{}
			}
			p := wantProblemType(t, e.do(t, c.method, c.path, body, tok), http.StatusForbidden, "restricted")
			if !strings.Contains(p.Detail, "one-time password") || !strings.Contains(p.Detail, "POST /v1/me/password") {
				t.Errorf("%s %s: detail %q does not say what to do", c.method, c.path, p.Detail)
			}
		}
		m := e.me(t, session.Token)
		if m.ID != inv.ID || !m.MustChangePassword || !strings.Contains(m.Restricted, "/v1/me/password") || m.OrganizationID != string(e.boot.Org.ID) || m.Organization != "Acme" {
			t.Errorf("GET /v1/me = %+v", m)
		}
		want(t, e.do(t, "GET", "/v1/sessions", nil, tok), http.StatusOK)
	})

	t.Run("password rules", func(t *testing.T) {
		for name, c := range map[string]apiv1.ChangePassword{
			"wrong current password": {CurrentPassword: "not-the-password", NewPassword: "a-long-enough-password"},
			"too short":              {CurrentPassword: inv.OneTimePassword, NewPassword: "short"},
			"unchanged":              {CurrentPassword: inv.OneTimePassword, NewPassword: inv.OneTimePassword},
		} {
			t.Run(name, func(t *testing.T) {
				p := wantProblem(t, e.do(t, "POST", "/v1/me/password", c, tok), http.StatusUnprocessableEntity)
				if len(p.Errors) == 0 {
					t.Errorf("no field named: %+v", p)
				}
			})
		}
		findEvent(t, e.auditEvents(t, "action=user.password_change"), "user.password_change", inv.ID, domain.ResultFailure)
	})

	t.Run("change the password", func(t *testing.T) {
		want(t, e.do(t, "POST", "/v1/me/password", apiv1.ChangePassword{CurrentPassword: inv.OneTimePassword, NewPassword: "correct horse battery"}, tok), http.StatusNoContent)
		m := e.me(t, session.Token)
		if m.MustChangePassword || m.Restricted != "" {
			t.Errorf("after the change: %+v", m)
		}
		want(t, e.do(t, "GET", "/v1/clients", nil, tok), http.StatusOK)
		want(t, e.do(t, "POST", "/v1/clients", apiv1.CreateClient{Name: "Grace's app"}, tok), http.StatusCreated)
		wantProblem(t, e.do(t, "GET", "/v1/users", nil, tok), http.StatusForbidden) // a developer
		findEvent(t, e.auditEvents(t, "action=user.password_change"), "user.password_change", inv.ID, domain.ResultSuccess)
	})

	t.Run("the one-time password is gone", func(t *testing.T) {
		wantProblem(t, e.do(t, "POST", "/v1/sessions", apiv1.Login{Email: inv.Email, Password: inv.OneTimePassword}, noAuth()), http.StatusUnauthorized)
		s := e.login(t, apiv1.Login{Email: inv.Email, Password: "correct horse battery"})
		if e.me(t, s.Token).Restricted != "" {
			t.Errorf("a session opened with the chosen password is restricted")
		}
	})
}

// TestLoginFailures checks that wrong passwords and unknown emails get the
// same 401, are audited, and are rate limited per email and address.
func TestLoginFailures(t *testing.T) {
	e := newEnv(t)
	ada := e.user(t, e.boot.Org.ID, domain.RoleDeveloper)

	t.Run("wrong password and unknown email look the same", func(t *testing.T) {
		var details []string
		for _, in := range []apiv1.Login{
			{Email: ada.Email(), Password: "hunter2-guess"},
			{Email: "nobody@example.test", Password: "hunter2-guess"},
			{Email: "not an email", Password: ""},
		} {
			res := e.do(t, "POST", "/v1/sessions", in, noAuth())
			p := wantProblem(t, res, http.StatusUnauthorized)
			details = append(details, p.Detail)
			if got := res.Header.Get("WWW-Authenticate"); got != `Bearer realm="keywarden"` {
				t.Errorf("WWW-Authenticate = %q", got)
			}
			if len(cookies(res)) != 0 {
				t.Errorf("a failed login sets cookies: %v", res.Header["Set-Cookie"])
			}
		}
		if details[0] != details[1] || details[1] != details[2] {
			t.Errorf("the answers differ: %q", details)
		}
		ev := findEvent(t, e.auditEvents(t, "action=user.login"), "user.login", ada.ID(), domain.ResultFailure)
		if ev.Detail["reason"] != "wrong password" || ev.ActorID != ada.ID() || ev.Source == "" {
			t.Errorf("audit event = %+v", ev)
		}
		if strings.Contains(dump(ev), "hunter2") {
			t.Errorf("the audit event holds the password tried: %s", dump(ev))
		}
	})

	t.Run("a disabled user cannot log in", func(t *testing.T) {
		bob := e.user(t, e.boot.Org.ID, domain.RoleMember)
		want(t, e.do(t, "PATCH", "/v1/users/"+bob.ID(), apiv1.UpdateUser{Disabled: ptr(true)}), http.StatusOK)
		wantProblem(t, e.do(t, "POST", "/v1/sessions", apiv1.Login{Email: bob.Email(), Password: bob.Password}, noAuth()), http.StatusUnauthorized)
		ev := findEvent(t, e.auditEvents(t, "action=user.login"), "user.login", bob.ID(), domain.ResultFailure)
		if ev.Detail["reason"] != "user disabled" {
			t.Errorf("reason = %q", ev.Detail["reason"])
		}
	})

	t.Run("rate limited after repeated failures", func(t *testing.T) {
		eve := e.user(t, e.boot.Org.ID, domain.RoleMember)
		for i := range account.LoginFailureBurst {
			wantProblem(t, e.do(t, "POST", "/v1/sessions", apiv1.Login{Email: eve.Email(), Password: fmt.Sprint("guess ", i)}, noAuth()), http.StatusUnauthorized)
		}
		before := auditHead(t, e)
		// Even the right password is refused now, without being checked.
		res := e.do(t, "POST", "/v1/sessions", apiv1.Login{Email: eve.Email(), Password: eve.Password}, noAuth())
		wantProblem(t, res, http.StatusTooManyRequests)
		secs, err := strconv.Atoi(res.Header.Get("Retry-After"))
		if err != nil || secs < 1 || secs > 60 {
			t.Errorf("Retry-After = %q, want seconds until the next attempt", res.Header.Get("Retry-After"))
		}
		if got := auditHead(t, e); got != before {
			t.Errorf("a rate-limited login added %d audit events", got-before)
		}
		// Another user at the same address is not locked out.
		e.login(t, apiv1.Login{Email: ada.Email(), Password: ada.Password})
	})
}

// TestSessions lists and ends sessions, and logs out.
func TestSessions(t *testing.T) {
	e := newEnv(t)
	ada := e.user(t, e.boot.Org.ID, domain.RoleDeveloper)
	first := e.login(t, apiv1.Login{Email: ada.Email(), Password: ada.Password})
	second := e.login(t, apiv1.Login{Email: ada.Email(), Password: ada.Password})
	bob := e.user(t, e.boot.Org.ID, domain.RoleDeveloper)
	bobs := e.login(t, apiv1.Login{Email: bob.Email(), Password: bob.Password})

	t.Run("list", func(t *testing.T) {
		res := e.do(t, "GET", "/v1/sessions", nil, as(first.Token))
		want(t, res, http.StatusOK)
		items := decode[apiv1.SessionList](t, res).Items
		ids := map[string]bool{}
		for _, x := range items {
			ids[x.ID] = x.Current
			if x.Source == "" {
				t.Errorf("session %s has no source", x.ID)
			}
		}
		if len(items) != 2 || !ids[first.Session.ID] || ids[second.Session.ID] {
			t.Errorf("sessions = %+v, want the two of ada with the first current", items)
		}
		res = e.do(t, "GET", "/v1/sessions", nil, as(ada.Token))
		want(t, res, http.StatusOK)
		for _, x := range decode[apiv1.SessionList](t, res).Items {
			if x.Current {
				t.Errorf("with an API token, session %s is current", x.ID)
			}
		}
	})
	t.Run("another user's session is not found", func(t *testing.T) {
		wantProblem(t, e.do(t, "DELETE", "/v1/sessions/"+string(bobs.Session.ID), nil, as(first.Token)), http.StatusNotFound)
		want(t, e.do(t, "GET", "/v1/me", nil, as(bobs.Token)), http.StatusOK)
		wantProblem(t, e.do(t, "DELETE", "/v1/sessions/"+string(domain.NewSessionID()), nil, as(first.Token)), http.StatusNotFound)
		wantProblem(t, e.do(t, "DELETE", "/v1/sessions/nope", nil, as(first.Token)), http.StatusNotFound)
	})
	t.Run("end another session", func(t *testing.T) {
		res := e.do(t, "DELETE", "/v1/sessions/"+string(second.Session.ID), nil, as(first.Token))
		want(t, res, http.StatusNoContent)
		if len(cookies(res)) != 0 {
			t.Errorf("ending another session clears the cookie: %v", res.Header["Set-Cookie"])
		}
		wantProblem(t, e.do(t, "GET", "/v1/me", nil, as(second.Token)), http.StatusUnauthorized)
		wantProblem(t, e.do(t, "DELETE", "/v1/sessions/"+string(second.Session.ID), nil, as(first.Token)), http.StatusNotFound)
	})
	t.Run("logout needs a session", func(t *testing.T) {
		p := wantProblem(t, e.do(t, "DELETE", "/v1/sessions/current", nil, as(ada.Token)), http.StatusUnprocessableEntity)
		if len(p.Errors) == 0 {
			t.Errorf("problem = %+v", p)
		}
	})
	t.Run("logout", func(t *testing.T) {
		res := e.do(t, "DELETE", "/v1/sessions/current", nil, as(first.Token))
		want(t, res, http.StatusNoContent)
		cleared := false
		for _, c := range cookies(res) {
			cleared = cleared || c.Name == "kw_session" && c.Value == "" && c.MaxAge < 0
		}
		if !cleared {
			t.Errorf("logout does not clear the cookie: %v", res.Header["Set-Cookie"])
		}
		p := wantProblem(t, e.do(t, "GET", "/v1/me", nil, as(first.Token)), http.StatusUnauthorized)
		if strings.Contains(p.Detail, "ended") {
			t.Errorf("the 401 tells why: %q", p.Detail)
		}
		findEvent(t, e.auditEvents(t, "action=user.logout"), "user.logout", first.Session.ID, domain.ResultSuccess)
	})
	t.Run("an expired session", func(t *testing.T) {
		value := secretvalue.Generate(secretvalue.PrefixSession)
		past := time.Now().Add(-time.Minute).UTC().Truncate(time.Microsecond)
		x := domain.Session{ID: domain.NewSessionID(), OrgID: ada.User.OrgID, UserID: ada.User.ID,
			Verifier:  secretvalue.Verifier(e.core.Keyring.Derive(keyring.PurposeSecretVerifier), value),
			CreatedAt: past.Add(-account.DefaultSessionTTL), ExpiresAt: past}
		if err := e.core.Store.CreateSession(t.Context(), x); err != nil {
			t.Fatal(err)
		}
		wantProblem(t, e.do(t, "GET", "/v1/me", nil, as(value.Reveal())), http.StatusUnauthorized)
		res := e.do(t, "GET", "/v1/sessions", nil, as(ada.Token))
		want(t, res, http.StatusOK)
		for _, s := range decode[apiv1.SessionList](t, res).Items {
			if s.ID == string(x.ID) {
				t.Errorf("the expired session is listed")
			}
		}
		wantProblem(t, e.do(t, "DELETE", "/v1/sessions/"+string(x.ID), nil, as(ada.Token)), http.StatusNotFound)
	})
	t.Run("changing the password ends the other sessions", func(t *testing.T) {
		a := e.login(t, apiv1.Login{Email: bob.Email(), Password: bob.Password})
		want(t, e.do(t, "POST", "/v1/me/password", apiv1.ChangePassword{CurrentPassword: bob.Password, NewPassword: "a brand new password"}, as(a.Token)), http.StatusNoContent)
		want(t, e.do(t, "GET", "/v1/me", nil, as(a.Token)), http.StatusOK)
		wantProblem(t, e.do(t, "GET", "/v1/me", nil, as(bobs.Token)), http.StatusUnauthorized)
	})
}

// TestLastSuperAdmin checks that the organisation cannot lose its last
// active super admin.
func TestLastSuperAdmin(t *testing.T) {
	e := newEnv(t)
	root := "/v1/users/" + e.boot.User.ID
	before := auditHead(t, e)
	for name, c := range map[string]struct {
		method string
		body   any
	}{
		"demote":  {"PATCH", apiv1.UpdateUser{Role: ptr("admin")}},
		"disable": {"PATCH", apiv1.UpdateUser{Disabled: ptr(true)}},
		"delete":  {"DELETE", nil},
	} {
		t.Run(name, func(t *testing.T) {
			p := wantProblem(t, e.do(t, c.method, string(root), c.body), http.StatusConflict)
			if !strings.Contains(p.Detail, "last") || !strings.Contains(p.Detail, "super admin") {
				t.Errorf("detail %q does not explain", p.Detail)
			}
		})
	}
	if got := auditHead(t, e); got != before {
		t.Errorf("refused changes added %d audit events", got-before)
	}
	res := e.do(t, "GET", string(root), nil)
	want(t, res, http.StatusOK)
	if u := decode[apiv1.User](t, res); u.Role != "super_admin" || u.Status != "active" {
		t.Errorf("the super admin is now %+v", u)
	}

	t.Run("with a second super admin", func(t *testing.T) {
		second := e.user(t, e.boot.Org.ID, domain.RoleSuperAdmin)
		want(t, e.do(t, "PATCH", string(root), apiv1.UpdateUser{Role: ptr("admin")}, as(second.Token)), http.StatusOK)
		wantProblem(t, e.do(t, "PATCH", "/v1/users/"+second.ID(), apiv1.UpdateUser{Role: ptr("developer")}, as(second.Token)), http.StatusConflict)
		wantProblem(t, e.do(t, "DELETE", "/v1/users/"+second.ID(), nil, as(second.Token)), http.StatusConflict)
		// A disabled super admin does not count.
		third := e.user(t, e.boot.Org.ID, domain.RoleSuperAdmin)
		want(t, e.do(t, "PATCH", "/v1/users/"+third.ID(), apiv1.UpdateUser{Disabled: ptr(true)}, as(second.Token)), http.StatusOK)
		wantProblem(t, e.do(t, "PATCH", "/v1/users/"+second.ID(), apiv1.UpdateUser{Disabled: ptr(true)}, as(second.Token)), http.StatusConflict)
	})
}

// TestRoleChange checks that a role change applies to the user's next
// request, whatever token they use.
func TestRoleChange(t *testing.T) {
	e := newEnv(t)
	dev := e.user(t, e.boot.Org.ID, domain.RoleDeveloper)
	session := e.login(t, apiv1.Login{Email: dev.Email(), Password: dev.Password}).Token
	cred := e.generate(t, dev.Token, nil)
	access := e.personalToken(t, cred.ClientID, cred.Secret)
	tokens := map[string]string{"API token": dev.Token, "session": session, "personal access token": access}

	for name, tok := range tokens {
		want(t, e.do(t, "POST", "/v1/clients", apiv1.CreateClient{Name: "before " + name}, as(tok)), http.StatusCreated)
	}
	res := e.do(t, "PATCH", "/v1/users/"+dev.ID(), apiv1.UpdateUser{Role: ptr("member")})
	want(t, res, http.StatusOK)
	if u := decode[apiv1.User](t, res); u.Role != "member" {
		t.Errorf("role = %q after the change", u.Role)
	}
	ev := findEvent(t, e.auditEvents(t, "action=user.role_change"), "user.role_change", dev.ID(), domain.ResultSuccess)
	if ev.Detail["from"] != "developer" || ev.Detail["to"] != "member" {
		t.Errorf("audit detail = %v", ev.Detail)
	}
	for name, tok := range tokens {
		t.Run("member: "+name, func(t *testing.T) {
			p := wantProblem(t, e.do(t, "POST", "/v1/clients", apiv1.CreateClient{Name: "after"}, as(tok)), http.StatusForbidden)
			if !strings.Contains(p.Detail, "member") {
				t.Errorf("detail %q does not name the role", p.Detail)
			}
			want(t, e.do(t, "GET", "/v1/clients", nil, as(tok)), http.StatusOK)
			if m := e.me(t, tok); m.Role != "member" {
				t.Errorf("GET /v1/me role = %q", m.Role)
			}
		})
	}
	want(t, e.do(t, "PATCH", "/v1/users/"+dev.ID(), apiv1.UpdateUser{Role: ptr("admin")}), http.StatusOK)
	for name, tok := range tokens {
		t.Run("admin: "+name, func(t *testing.T) {
			want(t, e.do(t, "GET", "/v1/audit?limit=1", nil, as(tok)), http.StatusOK)
			want(t, e.do(t, "GET", "/v1/users", nil, as(tok)), http.StatusOK)
			wantProblem(t, e.do(t, "PATCH", "/v1/policy", map[string]any{"allow_never_expire": true}, as(tok)), http.StatusForbidden)
		})
	}
}

// TestUserLifecycle invites, lists, edits, disables, enables and deletes a
// user, with the errors each step can meet.
func TestUserLifecycle(t *testing.T) {
	e := newEnv(t)
	inv := e.inviteAPI(t, "mia@example.test", domain.RoleMember)

	t.Run("invitations", func(t *testing.T) {
		before := auditHead(t, e)
		wantProblem(t, e.do(t, "POST", "/v1/users", apiv1.InviteUser{Email: "MIA@example.test", Role: "admin"}), http.StatusConflict)
		for name, in := range map[string]apiv1.InviteUser{
			"not an email": {Email: "mia", Role: "member"},
			"display name": {Email: "Mia <mia2@example.test>", Role: "member"},
			"no role":      {Email: "mia2@example.test"},
			"unknown role": {Email: "mia2@example.test", Role: "root"},
		} {
			t.Run(name, func(t *testing.T) {
				wantProblem(t, e.do(t, "POST", "/v1/users", in), http.StatusUnprocessableEntity)
			})
		}
		if got := auditHead(t, e); got != before {
			t.Errorf("refused invitations added %d audit events", got-before)
		}
		findEvent(t, e.auditEvents(t, "action=user.invite"), "user.invite", inv.ID, domain.ResultSuccess)
	})
	t.Run("list and get", func(t *testing.T) {
		res := e.do(t, "GET", "/v1/users", nil)
		want(t, res, http.StatusOK)
		var emails []string
		for _, u := range decode[apiv1.UserList](t, res).Items {
			emails = append(emails, u.Email)
		}
		if !slices.Equal(emails, []string{"a@acme.test", "mia@example.test"}) {
			t.Errorf("users = %v", emails)
		}
		wantProblem(t, e.do(t, "GET", "/v1/users/"+string(domain.NewUserID()), nil), http.StatusNotFound)
		wantProblem(t, e.do(t, "GET", "/v1/users/nope", nil), http.StatusNotFound)
		wantProblem(t, e.do(t, "PATCH", "/v1/users/"+inv.ID, apiv1.UpdateUser{Role: ptr("wizard")}), http.StatusUnprocessableEntity)
	})

	session := e.login(t, apiv1.Login{Email: inv.Email, Password: inv.OneTimePassword}).Token
	e.activate(t, &person{Password: inv.OneTimePassword, Token: session})
	t.Run("disable and enable", func(t *testing.T) {
		res := e.do(t, "PATCH", "/v1/users/"+inv.ID, apiv1.UpdateUser{Disabled: ptr(true)})
		want(t, res, http.StatusOK)
		u := decode[apiv1.User](t, res)
		if u.Status != "disabled" || u.DisabledAt == nil {
			t.Errorf("after disabling: %+v", u)
		}
		p := wantProblem(t, e.do(t, "GET", "/v1/me", nil, as(session)), http.StatusUnauthorized)
		if strings.Contains(p.Detail, "disabled") {
			t.Errorf("the 401 tells why: %q", p.Detail)
		}
		findEvent(t, e.auditEvents(t, "action=user.disable"), "user.disable", inv.ID, domain.ResultSuccess)

		res = e.do(t, "PATCH", "/v1/users/"+inv.ID, apiv1.UpdateUser{Disabled: ptr(false)})
		want(t, res, http.StatusOK)
		if u := decode[apiv1.User](t, res); u.Status != "active" || u.DisabledAt != nil {
			t.Errorf("after enabling: %+v", u)
		}
		// Disabling ended the sessions for good.
		wantProblem(t, e.do(t, "GET", "/v1/me", nil, as(session)), http.StatusUnauthorized)
		findEvent(t, e.auditEvents(t, "action=user.enable"), "user.enable", inv.ID, domain.ResultSuccess)
	})
	t.Run("delete", func(t *testing.T) {
		want(t, e.do(t, "DELETE", "/v1/users/"+inv.ID, nil), http.StatusNoContent)
		wantProblem(t, e.do(t, "GET", "/v1/users/"+inv.ID, nil), http.StatusNotFound)
		wantProblem(t, e.do(t, "DELETE", "/v1/users/"+inv.ID, nil), http.StatusNotFound)
		findEvent(t, e.auditEvents(t, "action=user.delete"), "user.delete", inv.ID, domain.ResultSuccess)
		// The email is free again.
		e.inviteAPI(t, "mia@example.test", domain.RoleMember)
	})
}

// TestPersonalCredential follows a personal credential through its life:
// generated once, used at the token endpoint and at /v1/auth/login to act
// as its user, rotated with a grace period, revoked.
func TestPersonalCredential(t *testing.T) {
	e := newEnv(t)
	mem := e.user(t, e.boot.Org.ID, domain.RoleMember)
	var cred apiv1.CreatedPersonalCredential

	t.Run("generate", func(t *testing.T) {
		wantProblem(t, e.do(t, "GET", "/v1/me/credential", nil, as(mem.Token)), http.StatusNotFound)
		cred = e.generate(t, mem.Token, apiv1.CreatePersonalCredential{Description: "laptop"})
		if !strings.HasPrefix(cred.ClientID, "kwp_") || !strings.HasPrefix(cred.Secret, "kws_") || !strings.HasSuffix(cred.Secret, cred.Hint) {
			t.Errorf("credential = %+v", cred)
		}
		// A member's credential expires within a day, the policy's maximum.
		if cred.ExpiresAt == nil || cred.ExpiresAt.After(time.Now().Add(24*time.Hour)) || cred.ExpiresAt.Before(time.Now().Add(23*time.Hour)) {
			t.Errorf("expires_at = %v, want one day from now", cred.ExpiresAt)
		}
		res := e.do(t, "GET", "/v1/me/credential", nil, as(mem.Token))
		want(t, res, http.StatusOK)
		if strings.Contains(string(res.Body), cred.Secret) {
			t.Errorf("GET /v1/me/credential shows the secret")
		}
		v := decode[apiv1.PersonalCredential](t, res)
		if v.ClientID != cred.ClientID || v.UserID != mem.ID() || v.Active == nil || v.Active.ID != cred.SecretID || len(v.Secrets) != 1 || v.Active.Description != "laptop" {
			t.Errorf("credential view = %+v", v)
		}
		findEvent(t, e.auditEvents(t, "action=credential.create"), "credential.create", cred.ClientID, domain.ResultSuccess)
		if events := dump(e.auditEvents(t, "")); strings.Contains(events, cred.Secret) || strings.Contains(events, cred.Secret[4:20]) {
			t.Errorf("the audit log holds the secret")
		}
	})
	t.Run("only one at a time", func(t *testing.T) {
		p := wantProblem(t, e.do(t, "POST", "/v1/me/credential", nil, as(mem.Token)), http.StatusConflict)
		if !strings.Contains(p.Detail, "revoke") || !strings.Contains(p.Detail, "rotate") {
			t.Errorf("detail %q does not say what to do", p.Detail)
		}
	})

	var access string
	t.Run("acts as its user with the user's role", func(t *testing.T) {
		access = e.personalToken(t, cred.ClientID, cred.Secret)
		if m := e.me(t, access); m.ID != mem.ID() || m.Role != "member" {
			t.Errorf("GET /v1/me with the access token = %+v", m)
		}
		want(t, e.do(t, "GET", "/v1/clients", nil, as(access)), http.StatusOK)
		p := wantProblem(t, e.do(t, "POST", "/v1/clients", apiv1.CreateClient{Name: "x"}, as(access)), http.StatusForbidden)
		if !strings.Contains(p.Detail, "member") {
			t.Errorf("detail %q", p.Detail)
		}
		want(t, e.do(t, "PATCH", "/v1/users/"+mem.ID(), apiv1.UpdateUser{Role: ptr("developer")}), http.StatusOK)
		want(t, e.do(t, "POST", "/v1/clients", apiv1.CreateClient{Name: "made with a personal token"}, as(access)), http.StatusCreated)
		want(t, e.do(t, "PATCH", "/v1/users/"+mem.ID(), apiv1.UpdateUser{Role: ptr("member")}), http.StatusOK)
		wantProblem(t, e.do(t, "POST", "/v1/clients", apiv1.CreateClient{Name: "x"}, as(access)), http.StatusForbidden)
	})
	t.Run("its token cannot manage the login", func(t *testing.T) {
		for _, c := range []struct {
			method, path string
			body         any
		}{
			{"POST", "/v1/me/password", apiv1.ChangePassword{CurrentPassword: mem.Password, NewPassword: "taken over by a thief"}},
			{"POST", "/v1/me/mfa", nil},
			{"POST", "/v1/me/mfa/disable", apiv1.MFACode{Code: "123456"}},
			{"GET", "/v1/sessions", nil},
			{"DELETE", "/v1/sessions/current", nil},
		} {
			p := wantProblem(t, e.do(t, c.method, c.path, c.body, as(access)), http.StatusForbidden)
			if !strings.Contains(p.Detail, "personal credential") {
				t.Errorf("%s %s: detail %q does not say why", c.method, c.path, p.Detail)
			}
		}
		e.login(t, apiv1.Login{Email: mem.Email(), Password: mem.Password}) // the password did not change
	})
	t.Run("a client's own token does not act on /v1", func(t *testing.T) {
		c := e.createClient(t, "Plain")
		s := e.createSecret(t, c.ClientID, apiv1.CreateSecret{Description: "s"})
		tok := e.personalToken(t, c.ClientID, s.Value)
		wantProblem(t, e.do(t, "GET", "/v1/me", nil, as(tok)), http.StatusUnauthorized)
	})
	t.Run("legacy login", func(t *testing.T) {
		res := e.do(t, "POST", "/v1/auth/login", apiv1.PasswordLogin{Email: strings.ToUpper(mem.Email()), Password: cred.Secret}, noAuth())
		want(t, res, http.StatusOK)
		tok := decode[apiv1.AccessToken](t, res)
		if tok.TokenType != "Bearer" || tok.ExpiresIn != 86400 {
			t.Errorf("token = %+v", tok)
		}
		if m := e.me(t, tok.AccessToken); m.ID != mem.ID() {
			t.Errorf("the token acts as %s", m.ID)
		}
		for name, in := range map[string]apiv1.PasswordLogin{
			"console password":  {Email: mem.Email(), Password: mem.Password},
			"wrong secret":      {Email: mem.Email(), Password: otherLastChar(cred.Secret)},
			"another's email":   {Email: e.boot.User.Email, Password: cred.Secret},
			"unknown email":     {Email: "nobody@example.test", Password: cred.Secret},
			"empty password":    {Email: mem.Email()},
			"client ID instead": {Email: mem.Email(), Password: cred.ClientID},
		} {
			t.Run(name, func(t *testing.T) {
				res := e.do(t, "POST", "/v1/auth/login", in, noAuth())
				p := wantProblem(t, res, http.StatusUnauthorized)
				if p.Detail != "wrong email or credential secret" {
					t.Errorf("detail = %q", p.Detail)
				}
			})
		}
	})

	var rotated apiv1.CreatedPersonalCredential
	t.Run("rotate with a grace period", func(t *testing.T) {
		res := e.do(t, "POST", "/v1/me/credential/rotate", map[string]any{"grace_seconds": 600, "description": "rotated"}, as(mem.Token))
		want(t, res, http.StatusCreated)
		rotated = decode[apiv1.CreatedPersonalCredential](t, res)
		if rotated.ClientID != cred.ClientID || rotated.Secret == cred.Secret || rotated.SecretID == cred.SecretID {
			t.Errorf("rotated = %+v", rotated)
		}
		e.personalToken(t, cred.ClientID, rotated.Secret)
		e.personalToken(t, cred.ClientID, cred.Secret) // the old one, during the grace period
		want(t, e.do(t, "GET", "/v1/me", nil, as(access)), http.StatusOK)
		res = e.do(t, "GET", "/v1/me/credential", nil, as(mem.Token))
		want(t, res, http.StatusOK)
		v := decode[apiv1.PersonalCredential](t, res)
		if v.Active == nil || v.Active.ID != rotated.SecretID || len(v.Secrets) != 2 {
			t.Errorf("after rotating: %+v", v)
		}
		for _, x := range v.Secrets {
			if x.ID == cred.SecretID && (x.ExpiresAt == nil || x.ExpiresAt.After(time.Now().Add(601*time.Second))) {
				t.Errorf("the old secret expires at %v, want within the 600 s grace", x.ExpiresAt)
			}
		}
		findEvent(t, e.auditEvents(t, "action=credential.rotate"), "credential.rotate", cred.ClientID, domain.ResultSuccess)
	})
	t.Run("rotate without a grace period", func(t *testing.T) {
		res := e.do(t, "POST", "/v1/me/credential/rotate", map[string]any{"grace_seconds": 0}, as(mem.Token))
		want(t, res, http.StatusCreated)
		third := decode[apiv1.CreatedPersonalCredential](t, res)
		res = e.form(t, "/oauth2/token", url.Values{"grant_type": {"client_credentials"}}, basicAuth(cred.ClientID, rotated.Secret))
		if res.Status != http.StatusUnauthorized {
			t.Errorf("the secret rotated away without grace still authenticates: %s", res)
		}
		e.personalToken(t, cred.ClientID, third.Secret)
		rotated = third
	})
	t.Run("rotate needs an active credential", func(t *testing.T) {
		other := e.user(t, e.boot.Org.ID, domain.RoleDeveloper)
		wantProblem(t, e.do(t, "POST", "/v1/me/credential/rotate", nil, as(other.Token)), http.StatusConflict)
		wantProblem(t, e.do(t, "POST", "/v1/me/credential/rotate", map[string]any{"grace_seconds": -1}, as(mem.Token)), http.StatusUnprocessableEntity)
	})
	t.Run("revoke", func(t *testing.T) {
		fresh := e.personalToken(t, cred.ClientID, rotated.Secret)
		want(t, e.do(t, "DELETE", "/v1/me/credential", nil, as(mem.Token)), http.StatusNoContent)
		for name, tok := range map[string]string{"token before the rotations": access, "token of the current secret": fresh} {
			t.Run(name, func(t *testing.T) {
				wantProblem(t, e.do(t, "GET", "/v1/me", nil, as(tok)), http.StatusUnauthorized)
			})
		}
		for _, secret := range []string{cred.Secret, rotated.Secret} {
			res := e.form(t, "/oauth2/token", url.Values{"grant_type": {"client_credentials"}}, basicAuth(cred.ClientID, secret))
			if res.Status != http.StatusUnauthorized {
				t.Errorf("a revoked secret authenticates: %s", res)
			}
		}
		wantProblem(t, e.do(t, "POST", "/v1/auth/login", apiv1.PasswordLogin{Email: mem.Email(), Password: rotated.Secret}, noAuth()), http.StatusUnauthorized)
		res := e.do(t, "GET", "/v1/me/credential", nil, as(mem.Token))
		want(t, res, http.StatusOK)
		v := decode[apiv1.PersonalCredential](t, res)
		if v.Active != nil {
			t.Errorf("active after revoking: %+v", v.Active)
		}
		for _, x := range v.Secrets {
			if x.Status == "active" {
				t.Errorf("secret %s is still active", x.ID)
			}
		}
		findEvent(t, e.auditEvents(t, "action=credential.revoke"), "credential.revoke", cred.ClientID, domain.ResultSuccess)
		want(t, e.do(t, "DELETE", "/v1/me/credential", nil, as(mem.Token)), http.StatusNoContent) // again: nothing to do
	})
	t.Run("generate again right after revoking", func(t *testing.T) {
		again := e.generate(t, mem.Token, nil)
		if again.ClientID != cred.ClientID {
			t.Errorf("client ID changed from %s to %s", cred.ClientID, again.ClientID)
		}
		tok := e.personalToken(t, again.ClientID, again.Secret)
		want(t, e.do(t, "GET", "/v1/me", nil, as(tok)), http.StatusOK)
	})
}

// TestPersonalCredentialExpiry checks the policy's longest expiry for
// personal credentials, per role.
func TestPersonalCredentialExpiry(t *testing.T) {
	e := newEnv(t)
	at := func(d time.Duration) *time.Time { return ptr(time.Now().Add(d).UTC().Truncate(time.Second)) }
	for _, c := range []struct {
		role  domain.Role
		ok    time.Duration
		limit string
	}{
		{domain.RoleMember, 12 * time.Hour, "1 day "},
		{domain.RoleDeveloper, 89 * 24 * time.Hour, "90 days"},
		{domain.RoleSuperAdmin, 89 * 24 * time.Hour, "90 days"},
	} {
		t.Run(string(c.role), func(t *testing.T) {
			p := e.user(t, e.boot.Org.ID, c.role)
			beyond := apiv1.CreatePersonalCredential{ExpiresAt: at(c.ok + 2*24*time.Hour)}
			pr := wantProblem(t, e.do(t, "POST", "/v1/me/credential", beyond, as(p.Token)), http.StatusUnprocessableEntity)
			if len(pr.Errors) != 1 || pr.Errors[0].Field != "expires_at" || !strings.Contains(pr.Errors[0].Message, c.limit) || !strings.Contains(pr.Errors[0].Message, string(c.role)) {
				t.Errorf("errors = %+v, want expires_at naming %s and the role", pr.Errors, c.limit)
			}
			wantProblem(t, e.do(t, "POST", "/v1/me/credential", apiv1.CreatePersonalCredential{NeverExpires: true}, as(p.Token)), http.StatusUnprocessableEntity)
			wantProblem(t, e.do(t, "POST", "/v1/me/credential", apiv1.CreatePersonalCredential{ExpiresAt: at(-time.Hour)}, as(p.Token)), http.StatusUnprocessableEntity)
			got := e.generate(t, p.Token, apiv1.CreatePersonalCredential{ExpiresAt: at(c.ok)})
			if got.ExpiresAt == nil || !got.ExpiresAt.Equal(*at(c.ok)) && got.ExpiresAt.Sub(*at(c.ok)).Abs() > 2*time.Second {
				t.Errorf("expires_at = %v, want %v", got.ExpiresAt, at(c.ok))
			}
			res := e.do(t, "POST", "/v1/me/credential/rotate", apiv1.RotatePersonalCredential{CreatePersonalCredential: beyond}, as(p.Token))
			wantProblem(t, res, http.StatusUnprocessableEntity)
		})
	}
	t.Run("never, where the policy allows it", func(t *testing.T) {
		want(t, e.do(t, "PATCH", "/v1/policy", map[string]any{"allow_never_expire": true}), http.StatusOK)
		p := e.user(t, e.boot.Org.ID, domain.RoleDeveloper)
		if got := e.generate(t, p.Token, apiv1.CreatePersonalCredential{NeverExpires: true}); got.ExpiresAt != nil {
			t.Errorf("expires_at = %v, want none", got.ExpiresAt)
		}
	})
}

// TestOffboarding checks that disabling or deleting a user, or a super
// admin revoking their credential, kills the credential and every token it
// minted at once.
func TestOffboarding(t *testing.T) {
	e := newEnv(t)
	type victim struct {
		p      *person
		cred   apiv1.CreatedPersonalCredential
		access string
	}
	newVictim := func(t *testing.T) victim {
		p := e.user(t, e.boot.Org.ID, domain.RoleDeveloper)
		cred := e.generate(t, p.Token, nil)
		return victim{p: p, cred: cred, access: e.personalToken(t, cred.ClientID, cred.Secret)}
	}
	dead := func(t *testing.T, v victim) {
		t.Helper()
		wantProblem(t, e.do(t, "GET", "/v1/me", nil, as(v.access)), http.StatusUnauthorized)
		res := e.form(t, "/oauth2/token", url.Values{"grant_type": {"client_credentials"}}, basicAuth(v.cred.ClientID, v.cred.Secret))
		if res.Status != http.StatusUnauthorized {
			t.Errorf("the credential still authenticates: %s", res)
		}
		wantProblem(t, e.do(t, "POST", "/v1/auth/login", apiv1.PasswordLogin{Email: v.p.Email(), Password: v.cred.Secret}, noAuth()), http.StatusUnauthorized)
	}

	t.Run("disable", func(t *testing.T) {
		v := newVictim(t)
		want(t, e.do(t, "PATCH", "/v1/users/"+v.p.ID(), apiv1.UpdateUser{Disabled: ptr(true)}), http.StatusOK)
		dead(t, v)
		wantProblem(t, e.do(t, "GET", "/v1/me", nil, as(v.p.Token)), http.StatusUnauthorized)
		// Enabling the user again does not bring the credential back.
		want(t, e.do(t, "PATCH", "/v1/users/"+v.p.ID(), apiv1.UpdateUser{Disabled: ptr(false)}), http.StatusOK)
		dead(t, v)
		want(t, e.do(t, "GET", "/v1/me", nil, as(v.p.Token)), http.StatusOK)
	})
	t.Run("delete", func(t *testing.T) {
		v := newVictim(t)
		want(t, e.do(t, "DELETE", "/v1/users/"+v.p.ID(), nil), http.StatusNoContent)
		dead(t, v)
		wantProblem(t, e.do(t, "GET", "/v1/me", nil, as(v.p.Token)), http.StatusUnauthorized)
	})
	t.Run("super admin revokes", func(t *testing.T) {
		v := newVictim(t)
		admin := e.user(t, e.boot.Org.ID, domain.RoleAdmin)
		res := e.do(t, "GET", "/v1/users/"+v.p.ID()+"/credential", nil, as(admin.Token))
		want(t, res, http.StatusOK)
		if got := decode[apiv1.PersonalCredential](t, res); got.ClientID != v.cred.ClientID || got.Active == nil {
			t.Errorf("credential = %+v", got)
		}
		wantProblem(t, e.do(t, "DELETE", "/v1/users/"+v.p.ID()+"/credential", nil, as(admin.Token)), http.StatusForbidden)
		want(t, e.do(t, "GET", "/v1/me", nil, as(v.access)), http.StatusOK)

		want(t, e.do(t, "DELETE", "/v1/users/"+v.p.ID()+"/credential", nil), http.StatusNoContent)
		dead(t, v)
		want(t, e.do(t, "GET", "/v1/me", nil, as(v.p.Token)), http.StatusOK) // the user is still there
		ev := findEvent(t, e.auditEvents(t, "action=credential.revoke"), "credential.revoke", v.cred.ClientID, domain.ResultSuccess)
		if ev.ActorID != string(e.boot.User.ID) || ev.Detail["user_id"] != v.p.ID() {
			t.Errorf("audit event = %+v", ev)
		}
		res = e.do(t, "GET", "/v1/users/"+v.p.ID()+"/credential", nil)
		want(t, res, http.StatusOK)
		if got := decode[apiv1.PersonalCredential](t, res); got.Active != nil {
			t.Errorf("still active: %+v", got.Active)
		}
		wantProblem(t, e.do(t, "GET", "/v1/users/"+admin.ID()+"/credential", nil), http.StatusNotFound)
	})
}

// TestPersonalCredentialPolicy checks the policy switch that allows
// personal credentials to super admins only.
func TestPersonalCredentialPolicy(t *testing.T) {
	e := newEnv(t)
	dev := e.user(t, e.boot.Org.ID, domain.RoleDeveloper)
	cred := e.generate(t, dev.Token, nil)
	access := e.personalToken(t, cred.ClientID, cred.Secret)
	root := e.user(t, e.boot.Org.ID, domain.RoleSuperAdmin)

	want(t, e.do(t, "PATCH", "/v1/policy", map[string]any{"personal_credentials": "super_admins"}), http.StatusOK)
	t.Run("a developer may not generate one", func(t *testing.T) {
		other := e.user(t, e.boot.Org.ID, domain.RoleDeveloper)
		p := wantProblem(t, e.do(t, "POST", "/v1/me/credential", nil, as(other.Token)), http.StatusForbidden)
		if !strings.Contains(p.Detail, "super admins only") {
			t.Errorf("detail %q does not say why", p.Detail)
		}
		wantProblem(t, e.do(t, "POST", "/v1/me/credential/rotate", nil, as(dev.Token)), http.StatusForbidden)
	})
	t.Run("nor use the one they have", func(t *testing.T) {
		wantProblem(t, e.do(t, "GET", "/v1/me", nil, as(access)), http.StatusUnauthorized)
		res := e.form(t, "/oauth2/token", url.Values{"grant_type": {"client_credentials"}}, basicAuth(cred.ClientID, cred.Secret))
		if res.Status != http.StatusUnauthorized {
			t.Errorf("token endpoint: %s", res)
		}
		wantProblem(t, e.do(t, "POST", "/v1/auth/login", apiv1.PasswordLogin{Email: dev.Email(), Password: cred.Secret}, noAuth()), http.StatusUnauthorized)
	})
	t.Run("a super admin may", func(t *testing.T) {
		c := e.generate(t, root.Token, nil)
		if m := e.me(t, e.personalToken(t, c.ClientID, c.Secret)); m.ID != root.ID() {
			t.Errorf("acts as %s", m.ID)
		}
	})
	t.Run("back to everyone", func(t *testing.T) {
		want(t, e.do(t, "PATCH", "/v1/policy", map[string]any{"personal_credentials": "everyone"}), http.StatusOK)
		want(t, e.do(t, "GET", "/v1/me", nil, as(access)), http.StatusOK)
	})
}

// TestUsersIsolation checks that nothing of one organisation's users,
// sessions and personal credentials is visible or changeable from another:
// everything is 404, never 403.
func TestUsersIsolation(t *testing.T) {
	e := newEnv(t)
	ada := e.user(t, e.boot.Org.ID, domain.RoleDeveloper)
	cred := e.generate(t, ada.Token, nil)
	session := e.login(t, apiv1.Login{Email: ada.Email(), Password: ada.Password})
	globex := e.newOrg(t, "Globex", "root@globex.test")
	intruder := as(globex.APIToken.Reveal())

	before := auditHead(t, e)
	for _, c := range []struct {
		method, path string
		body         any
	}{
		{"GET", "/v1/users/" + ada.ID(), nil},
		{"PATCH", "/v1/users/" + ada.ID(), apiv1.UpdateUser{Role: ptr("member"), Disabled: ptr(true)}},
		{"DELETE", "/v1/users/" + ada.ID(), nil},
		{"GET", "/v1/users/" + ada.ID() + "/credential", nil},
		{"DELETE", "/v1/users/" + ada.ID() + "/credential", nil},
		{"DELETE", "/v1/sessions/" + string(session.Session.ID), nil},
		{"GET", string("/v1/users/" + string(e.boot.User.ID)), nil},
		{"PATCH", string("/v1/users/" + string(e.boot.User.ID)), apiv1.UpdateUser{Role: ptr("member")}},
	} {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			wantProblem(t, e.do(t, c.method, c.path, c.body, intruder), http.StatusNotFound)
		})
	}
	if got := auditHead(t, e); got != before {
		t.Errorf("the intruder's requests added %d audit events", got-before)
	}
	t.Run("nothing changed", func(t *testing.T) {
		if m := e.me(t, session.Token); m.Role != "developer" || m.Status != "active" {
			t.Errorf("ada is now %+v", m)
		}
		e.personalToken(t, cred.ClientID, cred.Secret)
	})
	t.Run("lists show the caller's own", func(t *testing.T) {
		res := e.do(t, "GET", "/v1/users", nil, intruder)
		want(t, res, http.StatusOK)
		items := decode[apiv1.UserList](t, res).Items
		if len(items) != 1 || items[0].ID != string(globex.User.ID) {
			t.Errorf("Globex sees users %+v", items)
		}
		res = e.do(t, "GET", "/v1/audit?limit=200", nil, intruder)
		want(t, res, http.StatusOK)
		for _, ev := range decode[apiv1.AuditList](t, res).Items {
			if ev.Target == ada.ID() || ev.ActorID == ada.ID() || ev.Target == cred.ClientID {
				t.Errorf("Globex sees Acme's audit event %+v", ev)
			}
		}
		wantProblem(t, e.do(t, "GET", "/v1/me/credential", nil, intruder), http.StatusNotFound)
	})
	t.Run("the same email in two organisations", func(t *testing.T) {
		twin, err := e.core.Accounts.InviteUser(t.Context(), domain.System(globex.Org.ID, "test"), ada.Email(), domain.RoleMember)
		if err != nil {
			t.Fatal(err)
		}
		p := wantProblem(t, e.do(t, "POST", "/v1/sessions", apiv1.Login{Email: ada.Email(), Password: ada.Password}, noAuth()), http.StatusUnprocessableEntity)
		if len(p.Errors) != 1 || p.Errors[0].Field != "organization" {
			t.Errorf("errors = %+v, want one for organization", p.Errors)
		}
		s := e.login(t, apiv1.Login{Email: ada.Email(), Password: ada.Password, Organization: string(e.boot.Org.ID)})
		if s.User.ID != ada.ID() {
			t.Errorf("logged in as %s", s.User.ID)
		}
		wantProblem(t, e.do(t, "POST", "/v1/sessions", apiv1.Login{Email: ada.Email(), Password: ada.Password, Organization: string(globex.Org.ID)}, noAuth()), http.StatusUnauthorized)
		g := e.login(t, apiv1.Login{Email: ada.Email(), Password: twin.Password.Reveal(), Organization: string(globex.Org.ID)})
		if g.User.ID != string(twin.User.ID) {
			t.Errorf("logged in as %s", g.User.ID)
		}
		wantProblem(t, e.do(t, "POST", "/v1/auth/login", apiv1.PasswordLogin{Email: ada.Email(), Password: cred.Secret}, noAuth()), http.StatusUnprocessableEntity)
		res := e.do(t, "POST", "/v1/auth/login", apiv1.PasswordLogin{Email: ada.Email(), Password: cred.Secret, Organization: string(e.boot.Org.ID)}, noAuth())
		want(t, res, http.StatusOK)
		wantProblem(t, e.do(t, "POST", "/v1/auth/login", apiv1.PasswordLogin{Email: ada.Email(), Password: cred.Secret, Organization: string(globex.Org.ID)}, noAuth()), http.StatusUnauthorized)
	})
	t.Run("a personal token does not cross organisations", func(t *testing.T) {
		tok := e.personalToken(t, cred.ClientID, cred.Secret)
		res := e.do(t, "GET", "/v1/users", nil, as(tok))
		wantProblem(t, res, http.StatusForbidden) // ada is a developer of Acme, nothing more
		// Globex's clients cannot introspect Acme's tokens.
		gc := e.do(t, "POST", "/v1/clients", apiv1.CreateClient{Name: "Globex app"}, intruder)
		want(t, gc, http.StatusCreated)
		client := decode[apiv1.Client](t, gc)
		secret := e.createSecret(t, client.ClientID, apiv1.CreateSecret{Description: "g"}, intruder)
		res = e.form(t, "/oauth2/introspect", url.Values{"token": {tok}}, basicAuth(client.ClientID, secret.Value))
		want(t, res, http.StatusOK)
		if string(res.Body) != "{\"active\":false}\n" && !strings.Contains(string(res.Body), `"active":false`) {
			t.Errorf("Globex introspects Acme's token: %s", res.Body)
		}
	})
}

// accountSession drives every operation on users, sessions, MFA and
// personal credentials once with success, for TestOpenAPIResponses, and
// the errors particular to them.
func accountSession(t *testing.T, e *env) {
	inv := e.inviteAPI(t, "dev@acme.test", domain.RoleDeveloper)
	want(t, e.do(t, "GET", "/v1/users", nil), http.StatusOK)
	want(t, e.do(t, "GET", "/v1/users/"+inv.ID, nil), http.StatusOK)
	want(t, e.do(t, "PATCH", "/v1/users/"+inv.ID, apiv1.UpdateUser{Role: ptr("member")}), http.StatusOK)
	want(t, e.do(t, "PATCH", "/v1/users/"+inv.ID, map[string]any{"role": "developer", "disabled": false}), http.StatusOK)
	dev := &person{User: domain.User{ID: domain.UserID(inv.ID), Email: inv.Email}, Password: inv.OneTimePassword}

	first := e.login(t, apiv1.Login{Email: dev.Email(), Password: dev.Password})
	wantProblemType(t, e.do(t, "GET", "/v1/clients", nil, as(first.Token)), http.StatusForbidden, "restricted")
	dev.Token = first.Token
	e.activate(t, dev)
	want(t, e.do(t, "GET", "/v1/me", nil, as(first.Token)), http.StatusOK)
	want(t, e.do(t, "GET", "/v1/sessions", nil, as(first.Token)), http.StatusOK)
	e.enrolMFA(t, dev)
	wantProblemType(t, e.do(t, "POST", "/v1/sessions", apiv1.Login{Email: dev.Email(), Password: dev.Password}, noAuth()), http.StatusUnauthorized, "mfa-required")
	second := e.login(t, apiv1.Login{Email: dev.Email(), Password: dev.Password, TOTPCode: dev.code(t)})
	want(t, e.do(t, "POST", "/v1/me/mfa/disable", apiv1.MFACode{Code: dev.code(t)}, as(second.Token)), http.StatusNoContent)
	want(t, e.do(t, "DELETE", "/v1/sessions/"+string(first.Session.ID), nil, as(second.Token)), http.StatusNoContent)

	wantProblem(t, e.do(t, "GET", "/v1/me/credential", nil, as(second.Token)), http.StatusNotFound)
	cred := e.generate(t, second.Token, apiv1.CreatePersonalCredential{Description: "scripts", ExpiresAt: ptr(time.Now().Add(24 * time.Hour).UTC().Truncate(time.Second))})
	want(t, e.do(t, "GET", "/v1/me/credential", nil, as(second.Token)), http.StatusOK)
	wantProblem(t, e.do(t, "POST", "/v1/me/credential", map[string]any{}, as(second.Token)), http.StatusConflict)
	res := e.do(t, "POST", "/v1/auth/login", apiv1.PasswordLogin{Email: dev.Email(), Password: cred.Secret}, noAuth())
	want(t, res, http.StatusOK)
	want(t, e.do(t, "GET", "/v1/me", nil, as(decode[apiv1.AccessToken](t, res).AccessToken)), http.StatusOK)
	want(t, e.do(t, "POST", "/v1/me/credential/rotate", apiv1.RotatePersonalCredential{GraceSeconds: ptr(60)}, as(second.Token)), http.StatusCreated)
	want(t, e.do(t, "GET", "/v1/users/"+inv.ID+"/credential", nil), http.StatusOK)
	want(t, e.do(t, "DELETE", "/v1/users/"+inv.ID+"/credential", nil), http.StatusNoContent)
	want(t, e.do(t, "POST", "/v1/me/credential", nil, as(second.Token)), http.StatusCreated)
	want(t, e.do(t, "DELETE", "/v1/me/credential", nil, as(second.Token)), http.StatusNoContent)

	wantProblem(t, e.do(t, "PATCH", "/v1/users/"+string(e.boot.User.ID), apiv1.UpdateUser{Role: ptr("admin")}), http.StatusConflict)
	for i := range account.LoginFailureBurst {
		wantProblem(t, e.do(t, "POST", "/v1/sessions", apiv1.Login{Email: "nobody@acme.test", Password: fmt.Sprint(i)}, noAuth()), http.StatusUnauthorized)
	}
	res = e.do(t, "POST", "/v1/sessions", apiv1.Login{Email: "nobody@acme.test", Password: "again"}, noAuth())
	wantProblem(t, res, http.StatusTooManyRequests)

	want(t, e.do(t, "DELETE", "/v1/sessions/current", nil, as(second.Token)), http.StatusNoContent)
	want(t, e.do(t, "DELETE", "/v1/users/"+inv.ID, nil), http.StatusNoContent)
}

// oauthSession drives the OAuth endpoints once with success, and with the
// errors of RFC 6749 §5.2, for TestOpenAPIResponses.
func oauthSession(t *testing.T, e *env) {
	c := e.createClient(t, "OAuth client")
	s := e.createSecret(t, c.ClientID, apiv1.CreateSecret{Description: "oauth"})
	grant := url.Values{"grant_type": {"client_credentials"}}

	res := e.do(t, "GET", "/.well-known/oauth-authorization-server", nil, noAuth())
	want(t, res, http.StatusOK)
	want(t, e.do(t, "GET", "/.well-known/openid-configuration", nil, noAuth()), http.StatusOK)
	res = e.do(t, "GET", "/.well-known/jwks.json", nil, noAuth())
	want(t, res, http.StatusOK)
	want(t, e.do(t, "GET", "/.well-known/jwks.json", nil, noAuth(), header("If-None-Match", res.Header.Get("ETag"))), http.StatusNotModified)

	tok := e.personalToken(t, c.ClientID, s.Value) // client_secret_basic
	post := url.Values{"grant_type": {"client_credentials"}, "client_id": {c.ClientID}, "client_secret": {s.Value}, "scope": {"read"}}
	want(t, e.form(t, "/oauth2/token", post), http.StatusOK)
	res = e.form(t, "/oauth2/introspect", url.Values{"token": {tok}}, basicAuth(c.ClientID, s.Value))
	want(t, res, http.StatusOK)
	if !strings.Contains(string(res.Body), `"active":true`) {
		t.Errorf("introspection: %s", res.Body)
	}
	want(t, e.form(t, "/oauth2/revoke", url.Values{"token": {tok}, "token_type_hint": {"access_token"}}, basicAuth(c.ClientID, s.Value)), http.StatusOK)
	res = e.form(t, "/oauth2/introspect", url.Values{"token": {tok}}, basicAuth(c.ClientID, s.Value))
	want(t, res, http.StatusOK)
	if strings.TrimSpace(string(res.Body)) != `{"active":false}` {
		t.Errorf("introspection of a revoked token: %s", res.Body)
	}

	// A refresh token used twice revokes its family; the list says why.
	res = e.do(t, "POST", clientPath(c.ClientID)+"/refresh-tokens", nil)
	want(t, res, http.StatusCreated)
	rt := decode[apiv1.CreatedRefreshToken](t, res)
	refresh := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt.Value}}
	want(t, e.form(t, "/oauth2/token", refresh, basicAuth(c.ClientID, s.Value)), http.StatusOK)
	want(t, e.form(t, "/oauth2/token", refresh, basicAuth(c.ClientID, s.Value)), http.StatusBadRequest)
	list := decode[apiv1.RefreshTokenList](t, e.do(t, "GET", clientPath(c.ClientID)+"/refresh-tokens", nil))
	for _, x := range list.Items {
		if x.Status != "revoked" || x.RevokedReason != "reuse" {
			t.Errorf("after reuse, refresh token %s is %s (reason %q), want revoked for reuse", x.ID, x.Status, x.RevokedReason)
		}
	}
	if len(list.Items) != 2 {
		t.Errorf("%d refresh tokens after one use, want 2 (the first and its successor)", len(list.Items))
	}

	for _, tc := range []struct {
		name   string
		path   string
		values url.Values
		opts   []reqOpt
		status int
		code   string
	}{
		{"unsupported grant", "/oauth2/token", url.Values{"grant_type": {"password"}}, []reqOpt{basicAuth(c.ClientID, s.Value)}, 400, "unsupported_grant_type"},
		{"no grant", "/oauth2/token", url.Values{}, []reqOpt{basicAuth(c.ClientID, s.Value)}, 400, "invalid_request"},
		{"unknown scope", "/oauth2/token", url.Values{"grant_type": {"client_credentials"}, "scope": {"admin"}}, []reqOpt{basicAuth(c.ClientID, s.Value)}, 400, "invalid_scope"},
		{"bad refresh token", "/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"kwr_nope"}}, []reqOpt{basicAuth(c.ClientID, s.Value)}, 400, "invalid_grant"},
		{"wrong secret", "/oauth2/token", grant, []reqOpt{basicAuth(c.ClientID, "kws_wrong")}, 401, "invalid_client"},
		{"no client authentication", "/oauth2/token", grant, nil, 401, "invalid_client"},
		{"JSON body", "/oauth2/token", grant, []reqOpt{basicAuth(c.ClientID, s.Value), header("Content-Type", "application/json")}, 400, "invalid_request"},
		{"introspect without token", "/oauth2/introspect", url.Values{}, []reqOpt{basicAuth(c.ClientID, s.Value)}, 400, "invalid_request"},
		{"revoke with a bad hint", "/oauth2/revoke", url.Values{"token": {"x"}, "token_type_hint": {"id_token"}}, []reqOpt{basicAuth(c.ClientID, s.Value)}, 400, "unsupported_token_type"},
		{"revoke unauthenticated", "/oauth2/revoke", url.Values{"token": {"x"}}, nil, 401, "invalid_client"},
		{"too large", "/oauth2/token", url.Values{"grant_type": {"client_credentials"}, "pad": {strings.Repeat("a", 17<<10)}}, []reqOpt{basicAuth(c.ClientID, s.Value)}, 413, "invalid_request"},
	} {
		t.Run("oauth "+tc.name, func(t *testing.T) {
			res := e.form(t, tc.path, tc.values, tc.opts...)
			want(t, res, tc.status)
			if !strings.Contains(string(res.Body), `"error":"`+tc.code+`"`) {
				t.Errorf("body %s, want error %s", res.Body, tc.code)
			}
		})
	}
	res = e.do(t, "GET", "/oauth2/token", nil, noAuth())
	want(t, res, http.StatusMethodNotAllowed)
	if res.Header.Get("Allow") != "POST" {
		t.Errorf("Allow = %q", res.Header.Get("Allow"))
	}
	want(t, e.do(t, "POST", "/.well-known/jwks.json", nil, noAuth()), http.StatusMethodNotAllowed)
}

// otherLastChar returns s with its last character replaced by a different
// one (never the same: that would be a flaky test).
func otherLastChar(s string) string {
	c := "x"
	if strings.HasSuffix(s, "x") {
		c = "y"
	}
	return s[:len(s)-1] + c
}

// TestSessionCookieSecureBehindTLSProxy: with an https public URL the
// server sits behind a TLS-terminating proxy, so the requests it sees are
// plain HTTP; the session cookie is Secure all the same, as the console's
// always was (the API's was not).
func TestSessionCookieSecureBehindTLSProxy(t *testing.T) {
	e := newEnvWith(t, func(c *config.Config) { c.PublicURL = "https://keywarden.example.com" })
	u := e.user(t, e.boot.Org.ID, domain.RoleDeveloper)
	res := e.do(t, "POST", "/v1/sessions", apiv1.Login{Email: u.Email(), Password: u.Password}, noAuth())
	want(t, res, http.StatusCreated)
	var found bool
	for _, c := range cookies(res) {
		if c.Name == httpx.SessionCookie {
			found = true
			if !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode {
				t.Errorf("session cookie behind a TLS proxy = %+v, want Secure, HttpOnly, SameSite=Strict", c)
			}
		}
	}
	if !found {
		t.Fatalf("no session cookie in %v", res.Header["Set-Cookie"])
	}
	// Logging out clears it with the same attributes.
	session := decode[apiv1.NewSession](t, res)
	res = e.do(t, "DELETE", "/v1/sessions/current", nil, as(session.Token))
	want(t, res, http.StatusNoContent)
	for _, c := range cookies(res) {
		if c.Name == httpx.SessionCookie && (!c.Secure || c.MaxAge >= 0) {
			t.Errorf("cleared session cookie = %+v, want Secure and expired", c)
		}
	}
}
