package httpx

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"
)

type ctxKey int

const requestIDKey ctxKey = iota

// RequestID returns the request's ID ("" outside a request).
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

func newRequestID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// statusWriter remembers the status and size of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Observer records a finished request: the mux pattern that matched ("" for
// none), method, status and duration.
type Observer func(route, method string, status int, d time.Duration)

// Middleware wraps next with request IDs, access logging, panic recovery,
// metrics (observe may be nil) and the security headers every response
// carries. Run it inside ResolvePeer, so that the log and HSTS see the
// client a trusted proxy reported.
func Middleware(log *slog.Logger, observe Observer, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := newRequestID()
		ctx := context.WithValue(r.Context(), requestIDKey, id)
		r = r.WithContext(ctx)
		h := w.Header()
		h.Set("X-Request-Id", id)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		if Secure(r) {
			// RFC 6797 §7.2: HSTS only on a secure transport. No
			// includeSubDomains: the operator's other hosts are not ours
			// to pin.
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				log.ErrorContext(ctx, "panic serving request", "request_id", id, "panic", p, "stack", string(debug.Stack()))
				if sw.status == 0 {
					WriteJSON(sw, http.StatusInternalServerError, map[string]any{
						"type": "about:blank", "title": "Internal Server Error", "status": 500, "instance": id,
					}, "application/problem+json")
				}
			}
			elapsed := time.Since(start)
			if observe != nil {
				observe(r.Pattern, r.Method, sw.status, elapsed)
			}
			level := slog.LevelInfo
			if sw.status >= 500 {
				level = slog.LevelError
			}
			if !log.Enabled(ctx, level) {
				return // no attributes built for a line nobody writes
			}
			// Path only: query strings can carry tokens (and we never
			// accept secrets there, but a client may still send one).
			attrs := []slog.Attr{
				slog.String("request_id", id),
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.Int("status", sw.status),
				slog.Int("bytes", sw.bytes),
				slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000),
				slog.String("remote", ClientIP(r)),
			}
			if p := PeerOf(r); p.Proxy.IsValid() {
				attrs = append(attrs, slog.String("proxy", p.Proxy.String()))
			}
			log.LogAttrs(ctx, level, "request", attrs...)
		}()
		next.ServeHTTP(sw, r)
	})
}

// WriteJSON writes v as JSON with status and content type.
func WriteJSON(w http.ResponseWriter, status int, v any, contentType string) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, err = w.Write(append(b, '\n'))
	return err
}
