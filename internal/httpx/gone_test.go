package httpx_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"keywarden/internal/httpx"
)

// TestClientGone: a request whose client went away (its context
// cancelled, as net/http does when the connection closes) is recorded as
// 499 and logged at Info, not as a 500 at Error; a live request is left to
// the caller's error writer.
func TestClientGone(t *testing.T) {
	for _, tc := range []struct {
		name       string
		ctx        func() context.Context
		wantGone   bool
		wantStatus int
	}{
		{"client went away", func() context.Context {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx
		}, true, httpx.StatusClientClosedRequest},
		{"client still there", context.Background, false, http.StatusInternalServerError},
		{"server-side deadline", func() context.Context {
			ctx, cancel := context.WithDeadline(context.Background(), time.Unix(0, 0))
			t.Cleanup(cancel)
			return ctx
		}, false, http.StatusInternalServerError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logged bytes.Buffer
			log := slog.New(slog.NewJSONHandler(&logged, &slog.HandlerOptions{Level: slog.LevelDebug}))
			var observed int
			gone := false
			h := httpx.Middleware(log, func(_, _ string, status int, _ time.Duration) { observed = status },
				http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					err := errors.New("query: " + context.Canceled.Error())
					if gone = httpx.ClientGone(w, r, log, err); !gone {
						http.Error(w, "internal error", http.StatusInternalServerError)
					}
				}))
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequestWithContext(tc.ctx(), "GET", "/v1/clients", nil))
			if gone != tc.wantGone || observed != tc.wantStatus || w.Code != tc.wantStatus {
				t.Fatalf("ClientGone = %v, observed %d, recorded %d; want %v, %d", gone, observed, w.Code, tc.wantGone, tc.wantStatus)
			}
			if tc.wantGone && (strings.Contains(logged.String(), `"level":"ERROR"`) || !strings.Contains(logged.String(), `"msg":"client closed the request"`)) {
				t.Errorf("log:\n%s", logged.String())
			}
		})
	}
}
