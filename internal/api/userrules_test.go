package api_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"keywarden/internal/domain"
	"keywarden/pkg/apiv1"
)

// TestUserRulesPolicyValidation: each option of the seeds' user rules is
// checked, with a 422 naming the field, and a refused change changes
// nothing.
func TestUserRulesPolicyValidation(t *testing.T) {
	e := newEnv(t)
	now := time.Now().UTC()
	ts := func(d time.Duration) string { return now.Add(d).Format(time.RFC3339) }
	before := e.do(t, "GET", "/v1/policy", nil)
	want(t, before, http.StatusOK)
	cases := []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"unknown revocation mode", map[string]any{"personal_revocation": "anyone"}, "personal_revocation"},
		{"legacy without dates", map[string]any{"legacy_password_login": true}, "legacy_password_created_before"},
		{"legacy end before the cut-off", map[string]any{"legacy_password_login": true, "legacy_password_created_before": ts(-time.Hour),
			"legacy_password_until": ts(-2 * time.Hour)}, "legacy_password_until"},
		{"legacy end passed", map[string]any{"legacy_password_login": true, "legacy_password_created_before": ts(-48 * time.Hour),
			"legacy_password_until": ts(-time.Hour)}, "legacy_password_until"},
		{"legacy cut-off ahead", map[string]any{"legacy_password_login": true, "legacy_password_created_before": ts(time.Hour),
			"legacy_password_until": ts(48 * time.Hour)}, "legacy_password_created_before"},
		{"legacy end not a time", map[string]any{"legacy_password_until": "31/12/2026"}, "legacy_password_until"},
		{"rotate-by passed", map[string]any{"require_personal_credential": true, "personal_credential_rotate_by": ts(-time.Hour)}, "personal_credential_rotate_by"},
		{"rotate-by too far", map[string]any{"require_personal_credential": true, "personal_credential_rotate_by": ts(400 * 24 * time.Hour)}, "personal_credential_rotate_by"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := wantProblem(t, e.do(t, "PATCH", "/v1/policy", tc.body), http.StatusUnprocessableEntity)
			found := false
			for _, f := range p.Errors {
				found = found || f.Field == tc.field
			}
			if !found {
				t.Errorf("errors %+v, want one of %s", p.Errors, tc.field)
			}
		})
	}
	after := e.do(t, "GET", "/v1/policy", nil)
	if string(after.Body) != string(before.Body) {
		t.Errorf("refused changes changed the policy:\n%s\n%s", before.Body, after.Body)
	}
	res := e.do(t, "PATCH", "/v1/policy", map[string]any{"personal_revocation": "owner", "require_personal_credential": true,
		"personal_credential_rotate_by": ts(30 * 24 * time.Hour), "credential_required_events": true})
	want(t, res, http.StatusOK)
	p := decode[apiv1.Policy](t, res)
	if p.PersonalRevocation != "owner" || !p.RequirePersonalCredential || p.PersonalCredentialRotateBy == nil || p.PersonalCredentialRotateFrom == nil || !p.CredentialRequiredEvents {
		t.Errorf("policy %+v", p)
	}
	res = e.do(t, "GET", "/v1/audit?action=policy.update", nil)
	want(t, res, http.StatusOK)
	if items := decode[apiv1.AuditList](t, res).Items; len(items) != 1 || items[0].Detail["fields"] !=
		"credential_required_events,personal_credential_rotate_by,personal_credential_rotate_from,personal_revocation,require_personal_credential" {
		t.Errorf("policy.update audited %+v", items)
	}
	// Clearing the rotate-by date clears its round.
	res = e.do(t, "PATCH", "/v1/policy", map[string]any{"personal_credential_rotate_by": ""})
	want(t, res, http.StatusOK)
	if p := decode[apiv1.Policy](t, res); p.PersonalCredentialRotateBy != nil || p.PersonalCredentialRotateFrom != nil {
		t.Errorf("after clearing: %+v", p)
	}
}

func (e *env) overviewNow(t *testing.T) apiv1.Overview {
	t.Helper()
	res := e.do(t, "GET", "/v1/overview", nil)
	want(t, res, http.StatusOK)
	return decode[apiv1.Overview](t, res)
}

// TestLegacyPasswordLoginAPI follows one user through seed 000's
// migration: their console password works at POST /v1/auth/login (audited
// as such, listed on the overview) until they change it; then neither
// password nor the tokens it got work, and the overview no longer lists
// them.
func TestLegacyPasswordLoginAPI(t *testing.T) {
	e := newEnv(t)
	dev := e.user(t, e.boot.Org.ID, domain.RoleDeveloper)
	login := func(pw string) response {
		return e.do(t, "POST", "/v1/auth/login", apiv1.PasswordLogin{Email: dev.Email(), Password: pw}, noAuth())
	}
	wantProblem(t, login(dev.Password), http.StatusUnauthorized) // off by default
	now := time.Now().UTC()
	want(t, e.do(t, "PATCH", "/v1/policy", map[string]any{"legacy_password_login": true,
		"legacy_password_created_before": now.Format(time.RFC3339Nano), "legacy_password_until": now.Add(30 * 24 * time.Hour).Format(time.RFC3339)}), http.StatusOK)
	res := login(dev.Password)
	want(t, res, http.StatusOK)
	tok := decode[apiv1.AccessToken](t, res).AccessToken
	res = e.do(t, "GET", "/v1/me", nil, as(tok))
	want(t, res, http.StatusOK)
	o := e.overviewNow(t)
	if len(o.LegacyPasswordUsers) != 1 || o.LegacyPasswordUsers[0].UserID != dev.ID() || o.LegacyPasswordUntil == nil {
		t.Fatalf("overview legacy users %+v until %v", o.LegacyPasswordUsers, o.LegacyPasswordUntil)
	}
	res = e.do(t, "GET", "/v1/audit?action=auth.login&target="+dev.ID(), nil)
	want(t, res, http.StatusOK)
	if items := decode[apiv1.AuditList](t, res).Items; len(items) != 1 || items[0].Detail["method"] != "legacy_password" {
		t.Fatalf("auth.login audited %+v", items)
	}
	// The console's Users page marks them too (a super admin's session).
	boss := e.user(t, e.boot.Org.ID, domain.RoleSuperAdmin)
	_, session := e.sessionFor(t, boss.User)
	usersPage := func() string {
		req := httptest.NewRequestWithContext(t.Context(), "GET", "/ui/users", nil)
		req.Header.Set("Cookie", "kw_session="+session)
		w := httptest.NewRecorder()
		e.handler.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			t.Fatalf("GET /ui/users = %d", w.Code)
		}
		body := w.Body.String()
		i := strings.Index(body, `id="user-`+dev.ID()+`"`)
		if i < 0 {
			t.Fatalf("no row for %s on the Users page", dev.Email())
		}
		row, _, _ := strings.Cut(body[i:], "</tr>")
		return row
	}
	if row := usersPage(); !strings.Contains(row, "Legacy password") {
		t.Errorf("the Users page does not mark the legacy password user:\n%s", row)
	}
	old := dev.Password
	e.activate(t, dev) // a password change
	wantProblem(t, login(old), http.StatusUnauthorized)
	wantProblem(t, login(dev.Password), http.StatusUnauthorized)
	wantProblem(t, e.do(t, "GET", "/v1/me", nil, as(tok)), http.StatusUnauthorized)
	if o := e.overviewNow(t); len(o.LegacyPasswordUsers) != 0 {
		t.Errorf("overview still lists %+v", o.LegacyPasswordUsers)
	}
	if row := usersPage(); strings.Contains(row, "Legacy password") {
		t.Errorf("the Users page still marks the user:\n%s", row)
	}
}

// TestOwnerOnlyRevocationAPI: under personal_revocation "owner" a super
// admin gets 403 revoking another's credential, the owner may revoke
// theirs, and disabling the user still kills it (offboarding).
func TestOwnerOnlyRevocationAPI(t *testing.T) {
	e := newEnv(t)
	want(t, e.do(t, "PATCH", "/v1/policy", map[string]any{"personal_revocation": "owner"}), http.StatusOK)
	dev := e.user(t, e.boot.Org.ID, domain.RoleDeveloper)
	cred := e.generate(t, dev.Token, apiv1.CreatePersonalCredential{})
	wantProblem(t, e.do(t, "DELETE", "/v1/users/"+dev.ID()+"/credential", nil), http.StatusForbidden)
	want(t, e.do(t, "POST", "/v1/auth/login", apiv1.PasswordLogin{Email: dev.Email(), Password: cred.Secret}, noAuth()), http.StatusOK)
	want(t, e.do(t, "PATCH", "/v1/users/"+dev.ID(), apiv1.UpdateUser{Disabled: ptr(true)}), http.StatusOK)
	wantProblem(t, e.do(t, "POST", "/v1/auth/login", apiv1.PasswordLogin{Email: dev.Email(), Password: cred.Secret}, noAuth()), http.StatusUnauthorized)
	res := e.do(t, "GET", "/v1/users/"+dev.ID()+"/credential", nil)
	want(t, res, http.StatusOK)
	if pc := decode[apiv1.PersonalCredential](t, res); pc.Active != nil {
		t.Errorf("the disabled user's credential is still active: %+v", pc.Active)
	}
	// The owner revokes their own.
	ops := e.user(t, e.boot.Org.ID, domain.RoleDeveloper)
	e.generate(t, ops.Token, apiv1.CreatePersonalCredential{})
	want(t, e.do(t, "DELETE", "/v1/me/credential", nil, as(ops.Token)), http.StatusNoContent)
}

// TestCredentialRequiredOverviewAPI: with the requirement on, users
// without a personal credential are listed, and leave the list as they
// generate one.
func TestCredentialRequiredOverviewAPI(t *testing.T) {
	e := newEnv(t)
	dev := e.user(t, e.boot.Org.ID, domain.RoleDeveloper)
	if o := e.overviewNow(t); len(o.CredentialRequired) != 0 {
		t.Fatalf("listed %+v while the requirement is off", o.CredentialRequired)
	}
	want(t, e.do(t, "PATCH", "/v1/policy", map[string]any{"require_personal_credential": true}), http.StatusOK)
	states := func() map[string]string {
		out := map[string]string{}
		for _, c := range e.overviewNow(t).CredentialRequired {
			out[c.UserID] = c.State
		}
		return out
	}
	if got := states(); len(got) != 2 || got[dev.ID()] != "missing" || got[string(e.boot.User.ID)] != "missing" {
		t.Fatalf("listed %v", got)
	}
	e.generate(t, dev.Token, apiv1.CreatePersonalCredential{})
	if got := states(); len(got) != 1 || got[dev.ID()] != "" {
		t.Fatalf("after dev's credential: %v", got)
	}
	e.generate(t, e.token, apiv1.CreatePersonalCredential{})
	if got := states(); len(got) != 0 {
		t.Fatalf("everyone complies, yet listed %v", got)
	}
}
