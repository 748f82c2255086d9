package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"keywarden/pkg/apiv1"
)

func TestLegacyPasswordMigrationSQLite(t *testing.T) { testLegacyPasswordMigration(t, newSQLite(t)) }
func TestLegacyPasswordMigrationPostgres(t *testing.T) {
	testLegacyPasswordMigration(t, newPostgres(t))
}

// testLegacyPasswordMigration follows one user through seed 000's
// migration on the real binary: once the super admin opens it, the user's
// console password works as the secret at POST /v1/auth/login (audited as
// such, listed by the overview in the API and the CLI) until they change
// it; then neither password works, the token it got stops, and nobody is
// listed. The password never reaches the log.
func testLegacyPasswordMigration(t *testing.T, in *instance) {
	boot := in.init(t, "Acme", "admin@acme.test")
	srv := in.start(t)
	admin := boot.APIToken

	var u apiv1.InvitedUser
	srv.must(t, http.StatusCreated, admin, "POST", "/v1/users", apiv1.InviteUser{Email: "dev@acme.test", Role: "developer"}, &u)
	var s apiv1.NewSession
	srv.must(t, http.StatusCreated, "", "POST", "/v1/sessions", apiv1.Login{Email: "dev@acme.test", Password: u.OneTimePassword}, &s)
	password := "the developer's own passphrase"
	srv.must(t, http.StatusNoContent, s.Token, "POST", "/v1/me/password", apiv1.ChangePassword{CurrentPassword: u.OneTimePassword, NewPassword: password}, nil)

	legacyLogin := func(pw string) (int, string) {
		var tok apiv1.AccessToken
		code, _ := srv.call(t, "", "POST", "/v1/auth/login", apiv1.PasswordLogin{Email: "dev@acme.test", Password: pw}, &tok)
		return code, tok.AccessToken
	}
	if code, _ := legacyLogin(password); code != http.StatusUnauthorized {
		t.Fatalf("the legacy login before the migration opened = %d", code)
	}
	now := time.Now().UTC()
	var pol apiv1.Policy
	srv.must(t, http.StatusOK, admin, "PATCH", "/v1/policy", map[string]any{"legacy_password_login": true,
		"legacy_password_created_before": now.Format(time.RFC3339Nano), "legacy_password_until": now.AddDate(0, 0, 30).Format(time.RFC3339)}, &pol)
	if !pol.LegacyPasswordLogin || pol.LegacyPasswordUntil == nil {
		t.Fatalf("policy = %s", fmtJSON(pol))
	}

	code, token := legacyLogin(password)
	if code != http.StatusOK || token == "" {
		t.Fatalf("the legacy login = %d", code)
	}
	var me apiv1.Me
	srv.must(t, http.StatusOK, token, "GET", "/v1/me", nil, &me)
	if me.Email != "dev@acme.test" {
		t.Errorf("the legacy token acts as %s", fmtJSON(me))
	}
	var o apiv1.Overview
	srv.must(t, http.StatusOK, admin, "GET", "/v1/overview", nil, &o)
	if len(o.LegacyPasswordUsers) != 1 || o.LegacyPasswordUsers[0].Email != "dev@acme.test" {
		t.Errorf("overview legacy users = %s", fmtJSON(o.LegacyPasswordUsers))
	}
	cli := func() string {
		out, errOut, code := in.run(t, "", "overview", "--server", srv.URL, "--token", admin)
		if code != 0 {
			t.Fatalf("keywarden overview exited %d: %s", code, errOut)
		}
		return strings.Join(strings.Fields(out), " ")
	}
	if out := cli(); !strings.Contains(out, "Users relying on the legacy password (until "+now.AddDate(0, 0, 30).Format("2006-01-02")+") 1") {
		t.Errorf("keywarden overview:\n%s", out)
	}
	var audit apiv1.AuditList
	srv.must(t, http.StatusOK, admin, "GET", "/v1/audit?action=auth.login&target="+u.ID, nil, &audit)
	if len(audit.Items) != 1 || audit.Items[0].Detail["method"] != "legacy_password" {
		t.Errorf("auth.login audited %s", fmtJSON(audit.Items))
	}

	// The password change ends it for this user, for good.
	next := "the developer's next passphrase"
	srv.must(t, http.StatusNoContent, s.Token, "POST", "/v1/me/password", apiv1.ChangePassword{CurrentPassword: password, NewPassword: next}, nil)
	for _, pw := range []string{password, next} {
		if code, _ := legacyLogin(pw); code != http.StatusUnauthorized {
			t.Errorf("the legacy login after the password change = %d", code)
		}
	}
	if code, _ := srv.call(t, token, "GET", "/v1/me", nil, nil); code != http.StatusUnauthorized {
		t.Errorf("the legacy token after the password change = %d", code)
	}
	srv.must(t, http.StatusOK, admin, "GET", "/v1/overview", nil, &o)
	if len(o.LegacyPasswordUsers) != 0 {
		t.Errorf("overview legacy users after the change = %s", fmtJSON(o.LegacyPasswordUsers))
	}
	if out := cli(); !strings.Contains(out, "Users relying on the legacy password (until "+now.AddDate(0, 0, 30).Format("2006-01-02")+") 0") {
		t.Errorf("keywarden overview after the change:\n%s", out)
	}
	srv.must(t, http.StatusOK, admin, "GET", "/v1/audit?action=user.legacy_password_end&target="+u.ID, nil, &audit)
	if len(audit.Items) != 1 || audit.Items[0].Detail["reason"] != "password_change" {
		t.Errorf("user.legacy_password_end audited %s", fmtJSON(audit.Items))
	}
	for _, secret := range []string{password, next, u.OneTimePassword, token} {
		if strings.Contains(srv.logs.String(), secret) {
			t.Errorf("the server log holds a secret value")
		}
	}
}
