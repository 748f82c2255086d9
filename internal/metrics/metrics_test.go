package metrics_test

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"keywarden/internal/metrics"
)

func TestExposition(t *testing.T) {
	m := metrics.New()
	m.Observe("POST /oauth2/token", "POST", 200, 3*time.Millisecond)
	m.Observe("", "BREW", 404, time.Millisecond)
	m.Tokens.WithLabelValues("client_credentials").Inc()
	m.ClientAuth.WithLabelValues("failure").Inc()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, want := range []string{
		`keywarden_http_requests_total{code="200",method="POST",route="POST /oauth2/token"} 1`,
		`keywarden_http_requests_total{code="404",method="other",route="unmatched"} 1`,
		`keywarden_tokens_issued_total{grant="client_credentials"} 1`,
		`keywarden_client_authentications_total{outcome="failure"} 1`,
		`go_goroutines`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("exposition lacks %s", want)
		}
	}
}
