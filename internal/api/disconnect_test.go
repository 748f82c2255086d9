package api_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"keywarden/internal/config"
	"keywarden/internal/server"
	"keywarden/pkg/apiv1"
)

// syncBuffer is a log destination the server's goroutines may share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestClientDisconnectIsNotAServerError: when the client goes away in the
// middle of a request, net/http cancels the request's context and the
// store call fails. That is the client's doing: the API, OAuth and console
// error writers record 499 (counted as such in the metrics) and log it at
// Info. Before, each was a 500 "request failed" at Error.
func TestClientDisconnectIsNotAServerError(t *testing.T) {
	ctx := t.Context()
	cfg := config.Defaults()
	cfg.DataDir, cfg.Dev = t.TempDir(), true
	core, err := server.OpenCore(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { core.Close() })
	boot, err := core.Accounts.Init(ctx, "Acme", "a@acme.test")
	if err != nil {
		t.Fatal(err)
	}
	var logged syncBuffer
	srv, err := server.New(ctx, cfg, slog.New(slog.NewJSONHandler(&logged, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	h := srv.Handler()
	send := func(ctx context.Context, method, path, contentType, body string, header map[string]string) *httptest.ResponseRecorder {
		r := httptest.NewRequestWithContext(ctx, method, path, strings.NewReader(body))
		if contentType != "" {
			r.Header.Set("Content-Type", contentType)
		}
		for k, v := range header {
			r.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	bearer := map[string]string{"Authorization": "Bearer " + boot.APIToken.Reveal()}
	w := send(ctx, "POST", "/v1/clients", "application/json", `{"name":"Billing"}`, bearer)
	var c apiv1.Client
	if w.Code != http.StatusCreated || json.Unmarshal(w.Body.Bytes(), &c) != nil {
		t.Fatalf("create client: %d %s", w.Code, w.Body)
	}
	w = send(ctx, "POST", "/v1/clients/"+c.ClientID+"/secrets", "application/json", `{"description":"x"}`, bearer)
	var x apiv1.CreatedSecret
	if w.Code != http.StatusCreated || json.Unmarshal(w.Body.Bytes(), &x) != nil {
		t.Fatalf("create secret: %d %s", w.Code, w.Body)
	}
	session := send(ctx, "POST", "/v1/sessions", "application/json",
		`{"email":"a@acme.test","password":"`+boot.Password.Reveal()+`"}`, nil).Result().Cookies()

	gone, cancel := context.WithCancel(ctx)
	cancel()
	basic := map[string]string{"Authorization": "Basic " + basicValue(c.ClientID, x.Value)}
	for _, tc := range []struct {
		name, method, path, contentType, body string
		header                                map[string]string
	}{
		{"API", "GET", "/v1/clients", "", "", bearer},
		{"OAuth", "POST", "/oauth2/token", "application/x-www-form-urlencoded", "grant_type=client_credentials", basic},
		{"console", "GET", "/ui/clients", "", "", cookieHeader(session)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if w := send(gone, tc.method, tc.path, tc.contentType, tc.body, tc.header); w.Code != 499 {
				t.Errorf("%s %s with the client gone = %d %s, want 499", tc.method, tc.path, w.Code, w.Body)
			}
		})
	}
	if out := logged.String(); strings.Contains(out, `"level":"ERROR"`) || strings.Count(out, `"msg":"client closed the request"`) != 3 {
		t.Errorf("log:\n%s", out)
	}
	metrics := send(ctx, "GET", "/metrics", "", "", nil).Body.String()
	for _, route := range []string{"GET /v1/clients", "POST /oauth2/token", "GET /ui/clients"} {
		if !strings.Contains(metrics, `code="499",method="`+strings.Fields(route)[0]+`",route="`+strings.Fields(route)[1]+`"} 1`) {
			t.Errorf("metrics count no 499 for %s", route)
		}
	}
	if strings.Contains(metrics, `code="500"`) {
		t.Errorf("metrics count a 500:\n%s", metrics)
	}
}

func basicValue(id, secret string) string {
	return base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id) + ":" + url.QueryEscape(secret)))
}

func cookieHeader(cookies []*http.Cookie) map[string]string {
	var parts []string
	for _, c := range cookies {
		parts = append(parts, c.Name+"="+c.Value)
	}
	return map[string]string{"Cookie": strings.Join(parts, "; ")}
}
