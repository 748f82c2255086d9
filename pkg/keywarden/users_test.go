package keywarden_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"keywarden/pkg/apiv1"
	apiclient "keywarden/pkg/keywarden"
)

func TestUserRequests(t *testing.T) {
	t.Parallel()
	role, disabled, grace := "developer", true, 600
	expires := time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC)
	tests := []struct {
		name     string
		call     func(c *apiclient.Client) error
		method   string
		rawPath  string
		wantBody string
		auth     bool
	}{
		{"Login sends no token", func(c *apiclient.Client) error {
			_, err := c.Login(t.Context(), apiv1.Login{Email: "a@b.test", Password: "pw", TOTPCode: "123456"})
			return err
		}, "POST", "/v1/sessions", `{"email":"a@b.test","password":"pw","totp_code":"123456"}`, false},
		{"PasswordLogin sends no token", func(c *apiclient.Client) error {
			_, err := c.PasswordLogin(t.Context(), apiv1.PasswordLogin{Email: "a@b.test", Password: "kws_x", Organization: "org_1"})
			return err
		}, "POST", "/v1/auth/login", `{"email":"a@b.test","password":"kws_x","organization":"org_1"}`, false},
		{"ListSessions", func(c *apiclient.Client) error {
			_, err := c.ListSessions(t.Context())
			return err
		}, "GET", "/v1/sessions", "", true},
		{"EndSession escapes the ID", func(c *apiclient.Client) error {
			return c.EndSession(t.Context(), "ses_1/x")
		}, "DELETE", "/v1/sessions/ses_1%2Fx", "", true},
		{"Logout", func(c *apiclient.Client) error {
			return c.Logout(t.Context())
		}, "DELETE", "/v1/sessions/current", "", true},
		{"Me", func(c *apiclient.Client) error {
			_, err := c.Me(t.Context())
			return err
		}, "GET", "/v1/me", "", true},
		{"ChangePassword", func(c *apiclient.Client) error {
			return c.ChangePassword(t.Context(), apiv1.ChangePassword{CurrentPassword: "old", NewPassword: "new"})
		}, "POST", "/v1/me/password", `{"current_password":"old","new_password":"new"}`, true},
		{"BeginMFA sends no body", func(c *apiclient.Client) error {
			_, err := c.BeginMFA(t.Context())
			return err
		}, "POST", "/v1/me/mfa", "", true},
		{"ConfirmMFA", func(c *apiclient.Client) error {
			_, err := c.ConfirmMFA(t.Context(), "123456")
			return err
		}, "POST", "/v1/me/mfa/confirm", `{"code":"123456"}`, true},
		{"DisableMFA", func(c *apiclient.Client) error {
			return c.DisableMFA(t.Context(), "abcde-fghij")
		}, "POST", "/v1/me/mfa/disable", `{"code":"abcde-fghij"}`, true},
		{"GetMyCredential", func(c *apiclient.Client) error {
			_, err := c.GetMyCredential(t.Context())
			return err
		}, "GET", "/v1/me/credential", "", true},
		{"CreateMyCredential", func(c *apiclient.Client) error {
			_, err := c.CreateMyCredential(t.Context(), apiv1.CreatePersonalCredential{ExpiresAt: &expires})
			return err
		}, "POST", "/v1/me/credential", `{"expires_at":"2026-12-31T23:59:59Z"}`, true},
		{"CreateMyCredential with defaults", func(c *apiclient.Client) error {
			_, err := c.CreateMyCredential(t.Context(), apiv1.CreatePersonalCredential{})
			return err
		}, "POST", "/v1/me/credential", `{}`, true},
		{"RotateMyCredential", func(c *apiclient.Client) error {
			_, err := c.RotateMyCredential(t.Context(), apiv1.RotatePersonalCredential{GraceSeconds: &grace,
				CreatePersonalCredential: apiv1.CreatePersonalCredential{NeverExpires: true}})
			return err
		}, "POST", "/v1/me/credential/rotate", `{"never_expires":true,"grace_seconds":600}`, true},
		{"RevokeMyCredential", func(c *apiclient.Client) error {
			return c.RevokeMyCredential(t.Context())
		}, "DELETE", "/v1/me/credential", "", true},
		{"ListUsers", func(c *apiclient.Client) error {
			_, err := c.ListUsers(t.Context())
			return err
		}, "GET", "/v1/users", "", true},
		{"InviteUser", func(c *apiclient.Client) error {
			_, err := c.InviteUser(t.Context(), apiv1.InviteUser{Email: "d@b.test", Role: "developer"})
			return err
		}, "POST", "/v1/users", `{"email":"d@b.test","role":"developer"}`, true},
		{"GetUser escapes the ID", func(c *apiclient.Client) error {
			_, err := c.GetUser(t.Context(), "../policy")
			return err
		}, "GET", "/v1/users/..%2Fpolicy", "", true},
		{"UpdateUser role", func(c *apiclient.Client) error {
			_, err := c.UpdateUser(t.Context(), "usr_1", apiv1.UpdateUser{Role: &role})
			return err
		}, "PATCH", "/v1/users/usr_1", `{"role":"developer"}`, true},
		{"UpdateUser disable", func(c *apiclient.Client) error {
			_, err := c.UpdateUser(t.Context(), "usr_1", apiv1.UpdateUser{Disabled: &disabled})
			return err
		}, "PATCH", "/v1/users/usr_1", `{"disabled":true}`, true},
		{"DeleteUser", func(c *apiclient.Client) error {
			return c.DeleteUser(t.Context(), "usr_1")
		}, "DELETE", "/v1/users/usr_1", "", true},
		{"GetUserCredential", func(c *apiclient.Client) error {
			_, err := c.GetUserCredential(t.Context(), "usr_1")
			return err
		}, "GET", "/v1/users/usr_1/credential", "", true},
		{"RevokeUserCredential", func(c *apiclient.Client) error {
			return c.RevokeUserCredential(t.Context(), "usr_1")
		}, "DELETE", "/v1/users/usr_1/credential", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, got := fake(t, http.StatusOK, "application/json", `{}`)
			if err := tc.call(apiclient.New(srv.URL+"/", token, srv.Client())); err != nil {
				t.Fatalf("error: %v", err)
			}
			if got.method != tc.method || got.rawPath != tc.rawPath || got.query != "" {
				t.Errorf("request %s %s?%s, want %s %s", got.method, got.rawPath, got.query, tc.method, tc.rawPath)
			}
			wantAuth := ""
			if tc.auth {
				wantAuth = "Bearer " + token
			}
			if got.auth != wantAuth {
				t.Errorf("Authorization = %q, want %q", got.auth, wantAuth)
			}
			if got.body != tc.wantBody {
				t.Errorf("body = %q, want %q", got.body, tc.wantBody)
			}
			if tc.wantBody != "" && got.contentType != "application/json" {
				t.Errorf("Content-Type = %q", got.contentType)
			}
		})
	}
}

// TestUserResponses gives each client its server's own transport:
// httptest.Server.Close closes http.DefaultTransport's idle connections,
// which would break a parallel test's next request on a reused connection.
func TestUserResponses(t *testing.T) {
	t.Parallel()

	t.Run("Login decodes the session", func(t *testing.T) {
		t.Parallel()
		srv, _ := fake(t, http.StatusCreated, "application/json",
			`{"token":"kwu_abc","session":{"id":"ses_1","expires_at":"2026-11-01T12:00:00Z","current":true},"user":{"id":"usr_1","email":"a@b.test","role":"member","must_change_password":true}}`)
		s, err := apiclient.New(srv.URL, "", srv.Client()).Login(t.Context(), apiv1.Login{Email: "a@b.test", Password: "pw"})
		if err != nil || s.Token != "kwu_abc" || s.Session.ID != "ses_1" || !s.Session.Current || s.User.Role != "member" || !s.User.MustChangePassword ||
			!s.Session.ExpiresAt.Equal(time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)) {
			t.Errorf("Login = %+v, %v", s, err)
		}
	})

	t.Run("mfa-required is recognised", func(t *testing.T) {
		t.Parallel()
		srv, _ := fake(t, http.StatusUnauthorized, "application/problem+json",
			`{"type":"https://keywarden.dev/problems/mfa-required","title":"Unauthorized","status":401,"detail":"enter the 6-digit code"}`)
		_, err := apiclient.New(srv.URL, "", srv.Client()).Login(t.Context(), apiv1.Login{Email: "a@b.test", Password: "pw"})
		if !apiclient.MFARequired(err) {
			t.Errorf("MFARequired(%v) = false", err)
		}
	})

	t.Run("a wrong password is not mfa-required", func(t *testing.T) {
		t.Parallel()
		srv, _ := fake(t, http.StatusUnauthorized, "application/problem+json",
			`{"type":"https://keywarden.dev/problems/unauthenticated","title":"Unauthorized","status":401,"detail":"wrong email or password"}`)
		_, err := apiclient.New(srv.URL, "", srv.Client()).Login(t.Context(), apiv1.Login{Email: "a@b.test", Password: "pw"})
		var p *apiv1.Problem
		if apiclient.MFARequired(err) || !errors.As(err, &p) || !strings.Contains(p.Detail, "wrong email") {
			t.Errorf("error = %v", err)
		}
		if apiclient.MFARequired(nil) || apiclient.MFARequired(errors.New("mfa-required")) {
			t.Error("MFARequired is true for a non-problem")
		}
	})

	t.Run("CreateMyCredential decodes the secret", func(t *testing.T) {
		t.Parallel()
		srv, _ := fake(t, http.StatusCreated, "application/json",
			`{"client_id":"kwp_1","client_secret":"kws_abcd","secret_id":"sec_1","hint":"abcd","expires_at":null}`)
		c, err := apiclient.New(srv.URL, token, srv.Client()).CreateMyCredential(t.Context(), apiv1.CreatePersonalCredential{NeverExpires: true})
		if err != nil || c.ClientID != "kwp_1" || c.Secret != "kws_abcd" || c.SecretID != "sec_1" || c.ExpiresAt != nil {
			t.Errorf("CreateMyCredential = %+v, %v", c, err)
		}
	})

	t.Run("InviteUser decodes the one-time password", func(t *testing.T) {
		t.Parallel()
		srv, _ := fake(t, http.StatusCreated, "application/json",
			`{"id":"usr_2","email":"d@b.test","role":"developer","status":"active","one_time_password":"pw-once"}`)
		u, err := apiclient.New(srv.URL, token, srv.Client()).InviteUser(t.Context(), apiv1.InviteUser{Email: "d@b.test", Role: "developer"})
		if err != nil || u.ID != "usr_2" || u.OneTimePassword != "pw-once" || u.Role != "developer" {
			t.Errorf("InviteUser = %+v, %v", u, err)
		}
	})

	t.Run("204 answers", func(t *testing.T) {
		t.Parallel()
		srv, _ := fake(t, http.StatusNoContent, "", "")
		c := apiclient.New(srv.URL, token, srv.Client())
		for name, err := range map[string]error{
			"Logout":               c.Logout(t.Context()),
			"ChangePassword":       c.ChangePassword(t.Context(), apiv1.ChangePassword{}),
			"DisableMFA":           c.DisableMFA(t.Context(), "1"),
			"RevokeMyCredential":   c.RevokeMyCredential(t.Context()),
			"DeleteUser":           c.DeleteUser(t.Context(), "usr_1"),
			"RevokeUserCredential": c.RevokeUserCredential(t.Context(), "usr_1"),
		} {
			if err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
	})
}

func TestUserClientSideErrors(t *testing.T) {
	t.Parallel()
	c := apiclient.New("http://127.0.0.1:1", token, nil)
	for name, err := range map[string]error{
		"empty user ID":           func() error { _, err := c.GetUser(t.Context(), ""); return err }(),
		"dot-dot user ID":         c.DeleteUser(t.Context(), ".."),
		"dot user ID":             func() error { _, err := c.UpdateUser(t.Context(), ".", apiv1.UpdateUser{}); return err }(),
		"empty user ID (cred)":    c.RevokeUserCredential(t.Context(), ""),
		"empty session ID":        c.EndSession(t.Context(), ""),
		"dot-dot user credential": func() error { _, err := c.GetUserCredential(t.Context(), ".."); return err }(),
	} {
		var p *apiv1.Problem
		if err == nil || errors.As(err, &p) {
			t.Errorf("%s: error %v, want a client-side error", name, err)
		}
	}
}
