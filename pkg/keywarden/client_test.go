package keywarden_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"keywarden/pkg/apiv1"
	"keywarden/pkg/keywarden"
)

const token = "kwt_very-secret-token-value"

// seen is a request the fake server received.
type seen struct {
	method, rawPath, query, auth, contentType, userAgent, body string
}

// fake answers each request with the next of answers (the last one again
// once they run out) and records what it received.
type fake struct {
	srv     *httptest.Server
	mu      sync.Mutex
	seen    []seen
	answers []answerSpec
}

type answerSpec struct {
	status      int
	contentType string
	header      map[string]string
	body        string
}

func newFake(t *testing.T, answers ...answerSpec) *fake {
	t.Helper()
	f := &fake{answers: answers}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.seen = append(f.seen, seen{method: r.Method, rawPath: r.URL.EscapedPath(), query: r.URL.RawQuery, auth: r.Header.Get("Authorization"),
			contentType: r.Header.Get("Content-Type"), userAgent: r.Header.Get("User-Agent"), body: string(b)})
		a := f.answers[min(len(f.seen), len(f.answers))-1]
		f.mu.Unlock()
		for k, v := range a.header {
			w.Header().Set(k, v)
		}
		if a.contentType != "" {
			w.Header().Set("Content-Type", a.contentType)
		}
		w.WriteHeader(a.status)
		io.WriteString(w, a.body)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fake) requests() []seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seen(nil), f.seen...)
}

var okJSON = answerSpec{status: http.StatusOK, contentType: "application/json", body: `{}`}

// TestRequests checks what goes on the wire where the SDK decides more
// than the path: escaping, absent fields, query encoding, headers.
// TestSDKMatchesOpenAPI checks every operation's method, path and shapes.
func TestRequests(t *testing.T) {
	t.Parallel()
	ttl := 60
	ctx := t.Context()
	tests := []struct {
		name                    string
		call                    func(c *keywarden.Client) error
		rawPath, query, body    string
		wantAuth, wantUserAgent string
		opts                    []keywarden.Option
	}{
		{"path parameters are escaped", func(c *keywarden.Client) error {
			_, err := c.GetRotation(ctx, "../policy?x", "rot_3/complete")
			return err
		}, "/v1/clients/..%2Fpolicy%3Fx/rotations/rot_3%2Fcomplete", "", "", "Bearer " + token, keywarden.DefaultUserAgent, nil},
		{"only the set fields are sent", func(c *keywarden.Client) error {
			_, err := c.UpdateClient(ctx, "kwc_1", apiv1.UpdateClient{TokenTTLSeconds: &ttl})
			return err
		}, "/v1/clients/kwc_1", "", `{"token_ttl_seconds":60}`, "Bearer " + token, keywarden.DefaultUserAgent, nil},
		{"a revoke kills the tokens by default", func(c *keywarden.Client) error {
			_, err := c.RevokeSecret(ctx, "kwc_1", "sec_2", keywarden.RevokeOptions{})
			return err
		}, "/v1/clients/kwc_1/secrets/sec_2", "", "", "Bearer " + token, keywarden.DefaultUserAgent, nil},
		{"a revoke keeping the tokens", func(c *keywarden.Client) error {
			_, err := c.RevokeSecret(ctx, "kwc_1", "sec_2", keywarden.RevokeOptions{KeepTokens: true})
			return err
		}, "/v1/clients/kwc_1/secrets/sec_2", "tokens=keep", "", "Bearer " + token, keywarden.DefaultUserAgent, nil},
		{"audit filters in UTC", func(c *keywarden.Client) error {
			_, err := c.ListAudit(ctx, keywarden.AuditQuery{Action: "secret.create", Target: "sec_2",
				Since: time.Date(2026, 11, 1, 0, 0, 0, 0, time.FixedZone("CET", 3600)), ListOptions: keywarden.ListOptions{Cursor: "c", Limit: 10}})
			return err
		}, "/v1/audit", "action=secret.create&cursor=c&limit=10&since=2026-10-31T23%3A00%3A00Z&target=sec_2", "", "Bearer " + token, keywarden.DefaultUserAgent, nil},
		{"an empty optional body is an empty object", func(c *keywarden.Client) error {
			_, err := c.CompleteRotation(ctx, "kwc_1", "rot_3", apiv1.CompleteRotation{})
			return err
		}, "/v1/clients/kwc_1/rotations/rot_3/complete", "", `{}`, "Bearer " + token, keywarden.DefaultUserAgent, nil},
		{"a login sends no token", func(c *keywarden.Client) error {
			_, err := c.Login(ctx, apiv1.Login{Email: "a@example.com", Password: "pw"})
			return err
		}, "/v1/sessions", "", `{"email":"a@example.com","password":"pw"}`, "", keywarden.DefaultUserAgent, nil},
		{"the user agent is configurable", func(c *keywarden.Client) error {
			_, err := c.GetPolicy(ctx)
			return err
		}, "/v1/policy", "", "", "Bearer " + token, "ci/1", []keywarden.Option{keywarden.WithUserAgent("ci/1")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, okJSON)
			if err := tc.call(keywarden.New(f.srv.URL+"/", token, f.srv.Client(), tc.opts...)); err != nil {
				t.Fatalf("error: %v", err)
			}
			got := f.requests()[0]
			want := seen{method: got.method, rawPath: tc.rawPath, query: tc.query, auth: tc.wantAuth, userAgent: tc.wantUserAgent, body: tc.body}
			if tc.body != "" {
				want.contentType = "application/json"
			}
			if got != want {
				t.Errorf("request\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

// TestErrors checks that every answer other than 2xx is an *Error that
// carries the problem details, and never the token.
func TestErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		answer     answerSpec
		want       apiv1.Problem
		retryAfter time.Duration
	}{
		{"problem document", answerSpec{422, "application/problem+json", nil,
			`{"type":"https://keywarden.dev/problems/invalid","title":"Unprocessable Entity","status":422,"detail":"the request has invalid fields","instance":"req_1","errors":[{"field":"expires_at","message":"must be in the future"}]}`},
			apiv1.Problem{Type: "https://keywarden.dev/problems/invalid", Title: "Unprocessable Entity", Status: 422, Detail: "the request has invalid fields",
				Instance: "req_1", Errors: []apiv1.FieldError{{Field: "expires_at", Message: "must be in the future"}}}, 0},
		{"problem without status", answerSpec{404, "application/problem+json", nil, `{"detail":"gone"}`},
			apiv1.Problem{Title: "Not Found", Status: 404, Detail: "gone"}, 0},
		{"rate limited", answerSpec{429, "application/problem+json", map[string]string{"Retry-After": "7"}, `{"title":"Too Many Requests","status":429}`},
			apiv1.Problem{Title: "Too Many Requests", Status: 429}, 7 * time.Second},
		{"HTML from a proxy", answerSpec{502, "text/html", nil, `<html>bad gateway</html>`},
			apiv1.Problem{Type: "about:blank", Title: "Bad Gateway", Status: 502, Detail: "the server answered 502 without a problem document (text/html)"}, 0},
		{"malformed problem", answerSpec{500, "application/problem+json", nil, `{`},
			apiv1.Problem{Type: "about:blank", Title: "Internal Server Error", Status: 500, Detail: "the server answered 500 without a problem document (application/problem+json)"}, 0},
		{"3xx is not success", answerSpec{304, "", nil, ""},
			apiv1.Problem{Type: "about:blank", Title: "Not Modified", Status: 304, Detail: "the server answered 304 without a problem document"}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, tc.answer)
			_, err := keywarden.New(f.srv.URL, token, nil, keywarden.WithRetry(keywarden.RetryPolicy{MaxAttempts: 1})).GetClient(t.Context(), "kwc_1")
			var e *keywarden.Error
			var p *apiv1.Problem
			if !errors.As(err, &e) || !errors.As(err, &p) || p != e.Problem {
				t.Fatalf("error %v (%T), want a *keywarden.Error wrapping an *apiv1.Problem", err, err)
			}
			gotJSON, _ := json.Marshal(p)
			wantJSON, _ := json.Marshal(tc.want)
			if string(gotJSON) != string(wantJSON) {
				t.Errorf("problem = %s\nwant      %s", gotJSON, wantJSON)
			}
			if e.Method != "GET" || e.Path != "/v1/clients/kwc_1" || e.RetryAfter != tc.retryAfter || !keywarden.HasStatus(err, tc.want.Status) {
				t.Errorf("error = %+v, want GET /v1/clients/kwc_1, Retry-After %v, status %d", e, tc.retryAfter, tc.want.Status)
			}
			if err.Error() != p.Error() || strings.Contains(err.Error(), token) {
				t.Errorf("error text %q, want the problem's %q and no token", err, p.Error())
			}
		})
	}
}

func TestMFARequired(t *testing.T) {
	t.Parallel()
	mfa := &keywarden.Error{Problem: &apiv1.Problem{Type: "https://keywarden.dev/problems/mfa-required", Status: 401}}
	other := &keywarden.Error{Problem: &apiv1.Problem{Type: "https://keywarden.dev/problems/unauthenticated", Status: 401}}
	if !keywarden.MFARequired(mfa) || keywarden.MFARequired(other) || keywarden.MFARequired(errors.New("x")) || keywarden.MFARequired(nil) {
		t.Error("MFARequired does not tell an MFA-required problem from others")
	}
}

func TestClientSideErrors(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	tests := []struct {
		name string
		base string
		call func(c *keywarden.Client) error
	}{
		{"empty client ID", "http://127.0.0.1:1", func(c *keywarden.Client) error { _, err := c.GetClient(ctx, ""); return err }},
		{"dot-dot secret ID", "http://127.0.0.1:1", func(c *keywarden.Client) error { _, err := c.GetSecret(ctx, "kwc_1", ".."); return err }},
		{"dot rotation ID", "http://127.0.0.1:1", func(c *keywarden.Client) error { _, err := c.GetRotation(ctx, "kwc_1", "."); return err }},
		{"empty session ID", "http://127.0.0.1:1", func(c *keywarden.Client) error { return c.EndSession(ctx, "") }},
		{"base URL without scheme", "127.0.0.1:8080", func(c *keywarden.Client) error { _, err := c.GetPolicy(ctx); return err }},
		{"base URL with a query", "http://127.0.0.1:1/?x=1", func(c *keywarden.Client) error { _, err := c.GetPolicy(ctx); return err }},
		{"base URL with credentials in a bad form", "ht!tp://user:" + token + "@host", func(c *keywarden.Client) error { _, err := c.GetPolicy(ctx); return err }},
		{"unreachable server", "http://127.0.0.1:1", func(c *keywarden.Client) error { _, err := c.GetPolicy(ctx); return err }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.call(keywarden.New(tc.base, token, nil))
			if err == nil {
				t.Fatal("no error")
			}
			if p := new(apiv1.Problem); errors.As(err, &p) {
				t.Errorf("error %v is a problem; it never reached a server", err)
			}
			if strings.Contains(err.Error(), token) {
				t.Errorf("error holds the token: %v", err)
			}
		})
	}
}

func TestResponses(t *testing.T) {
	t.Parallel()
	t.Run("2xx decodes and ignores unknown fields", func(t *testing.T) {
		f := newFake(t, answerSpec{201, "application/json", nil, `{"client_id":"kwc_1","name":"n","scopes":["a"],"added_later":1}`})
		c, err := keywarden.New(f.srv.URL, token, nil).CreateClient(t.Context(), apiv1.CreateClient{Name: "n"})
		if err != nil || c.ClientID != "kwc_1" || c.Name != "n" || len(c.Scopes) != 1 {
			t.Errorf("CreateClient = %+v, %v", c, err)
		}
	})
	t.Run("204 without a body", func(t *testing.T) {
		f := newFake(t, answerSpec{status: 204})
		if err := keywarden.New(f.srv.URL, token, nil).DeleteClient(t.Context(), "kwc_1"); err != nil {
			t.Errorf("DeleteClient: %v", err)
		}
	})
	t.Run("a malformed 2xx body is an error", func(t *testing.T) {
		f := newFake(t, answerSpec{200, "application/json", nil, `{"client_id":`})
		_, err := keywarden.New(f.srv.URL, token, nil).GetClient(t.Context(), "kwc_1")
		if err == nil || !strings.Contains(err.Error(), "GET /v1/clients/kwc_1") {
			t.Errorf("error = %v, want one naming the request", err)
		}
	})
	t.Run("the OpenAPI document comes as bytes", func(t *testing.T) {
		f := newFake(t, answerSpec{200, "application/yaml", nil, "openapi: 3.1.0\n"})
		b, err := keywarden.New(f.srv.URL, token, nil).OpenAPI(t.Context())
		if err != nil || string(b) != "openapi: 3.1.0\n" || f.requests()[0].auth != "" {
			t.Errorf("OpenAPI = %q, %v (request %+v)", b, err, f.requests())
		}
	})
}

// sleeps records the waits a client asked for instead of waiting.
type sleeps struct {
	mu    sync.Mutex
	waits []time.Duration
	err   error // what each wait returns
}

func (s *sleeps) sleep(_ context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waits = append(s.waits, d)
	return s.err
}
