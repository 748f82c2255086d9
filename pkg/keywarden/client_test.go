package keywarden_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"keywarden/pkg/apiv1"
	apiclient "keywarden/pkg/keywarden"
)

const token = "kwt_very-secret-token-value"

// request is what the fake server saw.
type request struct {
	method, path, rawPath, query, auth, contentType string
	body                                            string
}

// fake serves one canned answer and records the request.
func fake(t *testing.T, status int, contentType, body string) (*httptest.Server, *request) {
	t.Helper()
	var got request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = request{
			method: r.Method, path: r.URL.Path, rawPath: r.URL.EscapedPath(), query: r.URL.RawQuery,
			auth: r.Header.Get("Authorization"), contentType: r.Header.Get("Content-Type"), body: string(b),
		}
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv, &got
}

func TestRequests(t *testing.T) {
	t.Parallel()
	ttl := 60
	tests := []struct {
		name     string
		call     func(c *apiclient.Client) error
		method   string
		rawPath  string
		query    string
		wantBody string
	}{
		{"CreateClient", func(c *apiclient.Client) error {
			_, err := c.CreateClient(t.Context(), apiv1.CreateClient{Name: "billing", Scopes: []string{"a"}})
			return err
		}, "POST", "/v1/clients", "", `{"name":"billing","scopes":["a"]}`},
		{"ListClients", func(c *apiclient.Client) error {
			_, err := c.ListClients(t.Context(), "abc", 5)
			return err
		}, "GET", "/v1/clients", "cursor=abc&limit=5", ""},
		{"GetClient escapes the ID", func(c *apiclient.Client) error {
			_, err := c.GetClient(t.Context(), "../policy?x")
			return err
		}, "GET", "/v1/clients/..%2Fpolicy%3Fx", "", ""},
		{"UpdateClient sends only set fields", func(c *apiclient.Client) error {
			_, err := c.UpdateClient(t.Context(), "kwc_1", apiv1.UpdateClient{TokenTTLSeconds: &ttl})
			return err
		}, "PATCH", "/v1/clients/kwc_1", "", `{"token_ttl_seconds":60}`},
		{"DeleteClient", func(c *apiclient.Client) error {
			return c.DeleteClient(t.Context(), "kwc_1")
		}, "DELETE", "/v1/clients/kwc_1", "", ""},
		{"RevokeAll", func(c *apiclient.Client) error {
			_, err := c.RevokeAll(t.Context(), "kwc_1")
			return err
		}, "POST", "/v1/clients/kwc_1/revoke-all", "", ""},
		{"CreateSecret", func(c *apiclient.Client) error {
			_, err := c.CreateSecret(t.Context(), "kwc_1", apiv1.CreateSecret{Description: "d", NeverExpires: true})
			return err
		}, "POST", "/v1/clients/kwc_1/secrets", "", `{"description":"d","never_expires":true}`},
		{"ListSecrets", func(c *apiclient.Client) error {
			_, err := c.ListSecrets(t.Context(), "kwc_1")
			return err
		}, "GET", "/v1/clients/kwc_1/secrets", "", ""},
		{"GetSecret", func(c *apiclient.Client) error {
			_, err := c.GetSecret(t.Context(), "kwc_1", "sec_2")
			return err
		}, "GET", "/v1/clients/kwc_1/secrets/sec_2", "", ""},
		{"UpdateSecret", func(c *apiclient.Client) error {
			d := "new"
			_, err := c.UpdateSecret(t.Context(), "kwc_1", "sec_2", apiv1.UpdateSecret{Description: &d})
			return err
		}, "PATCH", "/v1/clients/kwc_1/secrets/sec_2", "", `{"description":"new"}`},
		{"RevokeSecret kills its tokens by default", func(c *apiclient.Client) error {
			_, err := c.RevokeSecret(t.Context(), "kwc_1", "sec_2", false)
			return err
		}, "DELETE", "/v1/clients/kwc_1/secrets/sec_2", "", ""},
		{"RevokeSecret keeping its tokens", func(c *apiclient.Client) error {
			_, err := c.RevokeSecret(t.Context(), "kwc_1", "sec_2", true)
			return err
		}, "DELETE", "/v1/clients/kwc_1/secrets/sec_2", "tokens=keep", ""},
		{"Rotate", func(c *apiclient.Client) error {
			g := 3600
			_, err := c.Rotate(t.Context(), "kwc_1", apiv1.Rotate{GraceSeconds: &g})
			return err
		}, "POST", "/v1/clients/kwc_1/secrets/rotate", "", `{"grace_seconds":3600}`},
		{"Rotate with auto-complete", func(c *apiclient.Client) error {
			q := 60
			_, err := c.Rotate(t.Context(), "kwc_1", apiv1.Rotate{AutoComplete: true, QuietSeconds: &q, KeepTokens: true})
			return err
		}, "POST", "/v1/clients/kwc_1/secrets/rotate", "", `{"auto_complete":true,"quiet_seconds":60,"keep_tokens":true}`},
		{"ListRotations", func(c *apiclient.Client) error {
			_, err := c.ListRotations(t.Context(), "kwc_1")
			return err
		}, "GET", "/v1/clients/kwc_1/rotations", "", ""},
		{"GetRotation escapes the ID", func(c *apiclient.Client) error {
			_, err := c.GetRotation(t.Context(), "kwc_1", "rot_3/complete")
			return err
		}, "GET", "/v1/clients/kwc_1/rotations/rot_3%2Fcomplete", "", ""},
		{"CompleteRotation", func(c *apiclient.Client) error {
			_, err := c.CompleteRotation(t.Context(), "kwc_1", "rot_3", apiv1.CompleteRotation{KeepTokens: true, Force: true})
			return err
		}, "POST", "/v1/clients/kwc_1/rotations/rot_3/complete", "", `{"keep_tokens":true,"force":true}`},
		{"CompleteRotation with defaults", func(c *apiclient.Client) error {
			_, err := c.CompleteRotation(t.Context(), "kwc_1", "rot_3", apiv1.CompleteRotation{})
			return err
		}, "POST", "/v1/clients/kwc_1/rotations/rot_3/complete", "", `{}`},
		{"CreateRefreshToken", func(c *apiclient.Client) error {
			_, err := c.CreateRefreshToken(t.Context(), "kwc_1")
			return err
		}, "POST", "/v1/clients/kwc_1/refresh-tokens", "", ""},
		{"ListRefreshTokens", func(c *apiclient.Client) error {
			_, err := c.ListRefreshTokens(t.Context(), "kwc_1")
			return err
		}, "GET", "/v1/clients/kwc_1/refresh-tokens", "", ""},
		{"ListKeys", func(c *apiclient.Client) error {
			_, err := c.ListKeys(t.Context())
			return err
		}, "GET", "/v1/keys", "", ""},
		{"RotateKeys with a delay", func(c *apiclient.Client) error {
			d := 0
			_, err := c.RotateKeys(t.Context(), apiv1.RotateKeys{DelaySeconds: &d})
			return err
		}, "POST", "/v1/keys/rotate", "", `{"delay_seconds":0}`},
		{"RotateKeys with the server's delay", func(c *apiclient.Client) error {
			_, err := c.RotateKeys(t.Context(), apiv1.RotateKeys{})
			return err
		}, "POST", "/v1/keys/rotate", "", `{}`},
		{"GetPolicy", func(c *apiclient.Client) error {
			_, err := c.GetPolicy(t.Context())
			return err
		}, "GET", "/v1/policy", "", ""},
		{"UpdatePolicy", func(c *apiclient.Client) error {
			n := 120
			_, err := c.UpdatePolicy(t.Context(), apiv1.UpdatePolicy{AccessTokenTTLSeconds: &n})
			return err
		}, "PATCH", "/v1/policy", "", `{"access_token_ttl_seconds":120}`},
		{"ListAudit", func(c *apiclient.Client) error {
			_, err := c.ListAudit(t.Context(), apiclient.AuditQuery{
				Action: "secret.create", Actor: "usr_1", Target: "sec_2",
				Since: time.Date(2026, 11, 1, 0, 0, 0, 0, time.FixedZone("CET", 3600)), Cursor: "c", Limit: 10,
			})
			return err
		}, "GET", "/v1/audit", "action=secret.create&actor=usr_1&cursor=c&limit=10&since=2026-10-31T23%3A00%3A00Z&target=sec_2", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, got := fake(t, http.StatusOK, "application/json", `{}`)
			if err := tc.call(apiclient.New(srv.URL+"/", token, srv.Client())); err != nil {
				t.Fatalf("error: %v", err)
			}
			if got.method != tc.method || got.rawPath != tc.rawPath || got.query != tc.query {
				t.Errorf("request %s %s?%s, want %s %s?%s", got.method, got.rawPath, got.query, tc.method, tc.rawPath, tc.query)
			}
			if got.auth != "Bearer "+token {
				t.Errorf("Authorization = %q", got.auth)
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

func TestResponses(t *testing.T) {
	t.Parallel()

	t.Run("2xx decodes", func(t *testing.T) {
		t.Parallel()
		srv, _ := fake(t, http.StatusCreated, "application/json", `{"client_id":"kwc_1","name":"n","scopes":["a"],"unknown":1}`)
		c, err := apiclient.New(srv.URL, token, nil).CreateClient(t.Context(), apiv1.CreateClient{Name: "n"})
		if err != nil || c.ClientID != "kwc_1" || c.Name != "n" || len(c.Scopes) != 1 {
			t.Errorf("CreateClient = %+v, %v", c, err)
		}
	})

	t.Run("204 without a body", func(t *testing.T) {
		t.Parallel()
		srv, _ := fake(t, http.StatusNoContent, "", "")
		if err := apiclient.New(srv.URL, token, nil).DeleteClient(t.Context(), "kwc_1"); err != nil {
			t.Errorf("DeleteClient: %v", err)
		}
	})

	t.Run("Health sends no token", func(t *testing.T) {
		t.Parallel()
		srv, got := fake(t, http.StatusOK, "application/json", `{"status":"ok"}`)
		h, err := apiclient.New(srv.URL, token, nil).Health(t.Context())
		if err != nil || h.Status != "ok" || got.path != "/healthz" || got.auth != "" {
			t.Errorf("Health = %+v, %v; request %+v", h, err, *got)
		}
	})

	t.Run("CreateRefreshToken decodes the value", func(t *testing.T) {
		t.Parallel()
		srv, _ := fake(t, http.StatusCreated, "application/json",
			`{"id":"rft_1","client_id":"kwc_1","hint":"wxyz","status":"active","expires_at":"2026-11-01T01:00:00Z","used_at":null,"refresh_token":"kwr_abcwxyz"}`)
		rt, err := apiclient.New(srv.URL, token, nil).CreateRefreshToken(t.Context(), "kwc_1")
		if err != nil || rt.ID != "rft_1" || rt.Value != "kwr_abcwxyz" || rt.Hint != "wxyz" || rt.UsedAt != nil ||
			!rt.ExpiresAt.Equal(time.Date(2026, 11, 1, 1, 0, 0, 0, time.UTC)) {
			t.Errorf("CreateRefreshToken = %+v, %v", rt, err)
		}
	})

	t.Run("GetRotation decodes the secrets", func(t *testing.T) {
		t.Parallel()
		srv, _ := fake(t, http.StatusOK, "application/json",
			`{"id":"rot_1","client_id":"kwc_1","state":"old_secret_idle","safe_to_revoke":true,"new_secret":{"id":"sec_2"},"old_secrets":[{"id":"sec_1","last_used_at":"2026-11-01T00:00:00Z"}],"quiet_seconds":3600}`)
		r, err := apiclient.New(srv.URL, token, nil).GetRotation(t.Context(), "kwc_1", "rot_1")
		if err != nil || r.State != "old_secret_idle" || !r.SafeToRevoke || r.NewSecret.ID != "sec_2" ||
			len(r.OldSecrets) != 1 || r.OldSecrets[0].LastUsedAt == nil || r.QuietSeconds != 3600 {
			t.Errorf("GetRotation = %+v, %v", r, err)
		}
	})

	t.Run("ListKeys decodes kid and alg", func(t *testing.T) {
		t.Parallel()
		srv, _ := fake(t, http.StatusOK, "application/json",
			`{"items":[{"kid":"key_1","alg":"ES256","signing":false},{"kid":"key_2","alg":"ES256","signing":true}]}`)
		l, err := apiclient.New(srv.URL, token, nil).ListKeys(t.Context())
		if err != nil || len(l.Items) != 2 || l.Items[1].ID != "key_2" || l.Items[1].Algorithm != "ES256" || !l.Items[1].Signing {
			t.Errorf("ListKeys = %+v, %v", l, err)
		}
	})

	t.Run("a refused completion is a problem", func(t *testing.T) {
		t.Parallel()
		srv, _ := fake(t, http.StatusConflict, "application/problem+json",
			`{"type":"https://keywarden.dev/problems/conflict","title":"Conflict","status":409,"detail":"the old secret is not idle yet"}`)
		_, err := apiclient.New(srv.URL, token, nil).CompleteRotation(t.Context(), "kwc_1", "rot_1", apiv1.CompleteRotation{})
		var p *apiv1.Problem
		if !errors.As(err, &p) || p.Status != http.StatusConflict || !strings.Contains(p.Detail, "not idle") {
			t.Errorf("CompleteRotation error = %v", err)
		}
	})

	t.Run("malformed 2xx body", func(t *testing.T) {
		t.Parallel()
		srv, _ := fake(t, http.StatusOK, "application/json", `{"client_id":`)
		if _, err := apiclient.New(srv.URL, token, nil).GetClient(t.Context(), "kwc_1"); err == nil {
			t.Error("no error for a truncated body")
		}
	})
}

func TestErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		status      int
		contentType string
		body        string
		want        apiv1.Problem
	}{
		{"problem document", 422, "application/problem+json",
			`{"type":"https://keywarden.dev/problems/invalid","title":"Unprocessable Entity","status":422,"detail":"the request has invalid fields","errors":[{"field":"expires_at","message":"must be in the future"}]}`,
			apiv1.Problem{Type: "https://keywarden.dev/problems/invalid", Title: "Unprocessable Entity", Status: 422, Detail: "the request has invalid fields",
				Errors: []apiv1.FieldError{{Field: "expires_at", Message: "must be in the future"}}}},
		{"problem without status", 404, "application/problem+json", `{"detail":"gone"}`,
			apiv1.Problem{Title: "Not Found", Status: 404, Detail: "gone"}},
		{"HTML from a proxy", 502, "text/html", `<html>bad gateway</html>`,
			apiv1.Problem{Type: "about:blank", Title: "Bad Gateway", Status: 502, Detail: "the server answered 502 without a problem document (text/html)"}},
		{"malformed problem", 500, "application/problem+json", `{`,
			apiv1.Problem{Type: "about:blank", Title: "Internal Server Error", Status: 500, Detail: "the server answered 500 without a problem document (application/problem+json)"}},
		{"3xx is not success", 304, "", "",
			apiv1.Problem{Type: "about:blank", Title: "Not Modified", Status: 304, Detail: "the server answered 304 without a problem document"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv, _ := fake(t, tc.status, tc.contentType, tc.body)
			_, err := apiclient.New(srv.URL, token, nil).GetClient(t.Context(), "kwc_1")
			var p *apiv1.Problem
			if !errors.As(err, &p) {
				t.Fatalf("error %v (%T), want *apiv1.Problem", err, err)
			}
			gotJSON, _ := json.Marshal(p)
			wantJSON, _ := json.Marshal(tc.want)
			if string(gotJSON) != string(wantJSON) {
				t.Errorf("problem = %s\nwant      %s", gotJSON, wantJSON)
			}
			if strings.Contains(err.Error(), token) {
				t.Errorf("error holds the token: %v", err)
			}
		})
	}
}

func TestClientSideErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		base string
		call func(c *apiclient.Client) error
	}{
		{"empty client ID", "http://127.0.0.1:1", func(c *apiclient.Client) error { _, err := c.GetClient(t.Context(), ""); return err }},
		{"dot-dot secret ID", "http://127.0.0.1:1", func(c *apiclient.Client) error { _, err := c.GetSecret(t.Context(), "kwc_1", ".."); return err }},
		{"empty rotation ID", "http://127.0.0.1:1", func(c *apiclient.Client) error {
			_, err := c.CompleteRotation(t.Context(), "kwc_1", "", apiv1.CompleteRotation{Force: true})
			return err
		}},
		{"dot rotation ID", "http://127.0.0.1:1", func(c *apiclient.Client) error { _, err := c.GetRotation(t.Context(), "kwc_1", "."); return err }},
		{"dot-dot client ID for refresh tokens", "http://127.0.0.1:1", func(c *apiclient.Client) error { _, err := c.CreateRefreshToken(t.Context(), ".."); return err }},
		{"base URL without scheme", "127.0.0.1:8080", func(c *apiclient.Client) error { _, err := c.GetPolicy(t.Context()); return err }},
		{"base URL with credentials in a bad form", "ht!tp://user:" + token + "@host", func(c *apiclient.Client) error { _, err := c.GetPolicy(t.Context()); return err }},
		{"unreachable server", "http://127.0.0.1:1", func(c *apiclient.Client) error { _, err := c.GetPolicy(t.Context()); return err }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.call(apiclient.New(tc.base, token, nil))
			if err == nil {
				t.Fatal("no error")
			}
			var p *apiv1.Problem
			if errors.As(err, &p) {
				t.Errorf("error %v is a problem; it never reached a server", err)
			}
			if strings.Contains(err.Error(), token) {
				t.Errorf("error holds the token: %v", err)
			}
		})
	}
}
