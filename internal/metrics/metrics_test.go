package metrics_test

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"keywarden/internal/metrics"
	"keywarden/internal/testkit"
)

func scrape(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	return string(body)
}

func expect(t *testing.T, body string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("exposition lacks %s", w)
		}
	}
}

func TestExposition(t *testing.T) {
	m := metrics.New()
	m.Observe("POST /oauth2/token", "POST", 200, 3*time.Millisecond)
	m.Observe("POST /oauth2/token", "POST", 200, 3*time.Millisecond)
	m.Observe("/ui/", "GET", 404, time.Millisecond)
	m.Observe("", "BREW", 404, time.Millisecond)
	m.Observe("GET /v1/clients/{client_id}", "GET", 503, time.Second)
	m.TokenIssued(metrics.GrantClientCredentials)
	m.TokenIssued("made-up")
	m.ClientAuthenticated(metrics.OutcomeFailure)
	m.Login(metrics.ChannelConsole, metrics.OutcomeSuccess)
	m.Login(metrics.ChannelAPI, metrics.OutcomeMFARequired)
	m.MFAVerified(metrics.MFATOTP, false)
	m.MFAVerified(metrics.MFARecovery, true)
	m.RefreshTokenReused()
	m.RateLimited(metrics.LimitClientAddress)
	m.RateLimited("not a limit")
	m.WebhookHandled(metrics.DeliveryGaveUp)
	m.WebhookEndpointHealth(metrics.EndpointDisabled)
	m.LeakFinding("revoked")
	m.LeakFinding("made-up")
	m.ListenerUp(false)
	m.ListenerDown()
	m.ListenerUp(true)
	body := scrape(t, m)
	expect(t, body,
		// The route is the path pattern: the method is a label of its own.
		`keywarden_http_requests_total{code="200",method="POST",route="/oauth2/token"} 2`,
		`keywarden_http_requests_total{code="404",method="GET",route="/ui/"} 1`,
		`keywarden_http_requests_total{code="404",method="other",route="unmatched"} 1`,
		`keywarden_http_request_duration_seconds_count{method="POST",route="/oauth2/token",status_class="2xx"} 2`,
		`keywarden_http_request_duration_seconds_bucket{method="GET",route="/v1/clients/{client_id}",status_class="5xx",le="1"} 1`,
		`keywarden_tokens_issued_total{grant="client_credentials"} 1`,
		`keywarden_tokens_issued_total{grant="other"} 1`,
		`keywarden_tokens_issued_total{grant="refresh_token"} 0`,
		`keywarden_client_authentications_total{outcome="failure"} 1`,
		`keywarden_logins_total{channel="console",outcome="success"} 1`,
		`keywarden_logins_total{channel="api",outcome="mfa_required"} 1`,
		`keywarden_logins_total{channel="api",outcome="rate_limited"} 0`,
		`keywarden_mfa_verifications_total{method="totp",outcome="failure"} 1`,
		`keywarden_mfa_verifications_total{method="recovery",outcome="success"} 1`,
		`keywarden_refresh_token_reuse_total 1`,
		`keywarden_rate_limited_total{limit="client_address"} 1`,
		`keywarden_rate_limited_total{limit="other"} 1`,
		`keywarden_rate_limited_total{limit="login_account"} 0`,
		`keywarden_webhook_deliveries_total{outcome="gave_up"} 1`,
		`keywarden_webhook_deliveries_total{outcome="delivered"} 0`,
		`keywarden_webhook_endpoint_disables_total 1`,
		`keywarden_webhook_endpoint_health_total{stage="disabled"} 1`,
		`keywarden_webhook_endpoint_health_total{stage="recovered"} 0`,
		`keywarden_leak_findings_total{label="revoked"} 1`,
		`keywarden_leak_findings_total{label="other"} 1`,
		`keywarden_leak_findings_total{label="unknown"} 0`,
		`keywarden_change_listener_reconnects_total 1`,
		`keywarden_change_listener_up 1`,
		`keywarden_build_info{commit=`,
		`go_goroutines`,
	)
	for _, bad := range []string{`route="POST `, `route="GET `, `method="BREW"`, `grant="made-up"`} {
		if strings.Contains(body, bad) {
			t.Errorf("exposition holds %s", bad)
		}
	}
}

// TestNilMetrics: services built without metrics call them anyway.
func TestNilMetrics(t *testing.T) {
	var m *metrics.Metrics
	m.Observe("GET /", "GET", 200, time.Millisecond)
	m.TokenIssued(metrics.GrantRefreshToken)
	m.ClientAuthenticated(metrics.OutcomeSuccess)
	m.Login(metrics.ChannelAPI, metrics.OutcomeFailure)
	m.MFAVerified(metrics.MFATOTP, true)
	m.RefreshTokenReused()
	m.RateLimited(metrics.LimitLoginAddress)
	m.WebhookHandled(metrics.DeliveryDelivered)
	m.WebhookEndpointHealth(metrics.EndpointDisabled)
	m.ListenerUp(true)
	m.ListenerDown()
	m.WatchState(nil, nil)
	m.WatchSigningKeyAge(nil, nil)
	m.WatchDBPool(nil)
}

// TestStateIsCachedAndKeptOnError: the store is asked at most once per
// StateTTL however often it is scraped; a failure keeps the last figures.
func TestStateIsCachedAndKeptOnError(t *testing.T) {
	clk := testkit.NewClock(time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC))
	m := metrics.New()
	calls := 0
	var fail error
	m.WatchState(func(ctx context.Context) (metrics.State, error) {
		calls++
		if fail != nil {
			return metrics.State{}, fail
		}
		return metrics.State{OutboxPending: calls * 10, OutboxOldest: clk.Now().Add(-90 * time.Second), EndpointsDisabled: 2,
			SecretsExpiring: []int{1, 3, 4}}, nil
	}, clk.Now)

	expect(t, scrape(t, m),
		"keywarden_webhook_outbox_messages 10",
		"keywarden_webhook_outbox_oldest_age_seconds 90",
		"keywarden_webhook_endpoints_disabled 2",
		`keywarden_secrets_expiring{within="1d"} 1`,
		`keywarden_secrets_expiring{within="7d"} 3`,
		`keywarden_secrets_expiring{within="14d"} 4`,
		"keywarden_state_errors_total 0",
	)
	clk.Add(metrics.StateTTL - time.Second)
	body := scrape(t, m)
	expect(t, body, "keywarden_webhook_outbox_messages 10", "keywarden_webhook_outbox_oldest_age_seconds 119")
	if calls != 1 {
		t.Fatalf("two scrapes within StateTTL asked the store %d times, want once", calls)
	}
	clk.Add(time.Second)
	expect(t, scrape(t, m), "keywarden_webhook_outbox_messages 20")
	fail = errors.New("database down")
	clk.Add(metrics.StateTTL)
	expect(t, scrape(t, m), "keywarden_webhook_outbox_messages 20", "keywarden_state_errors_total 1")
	if calls != 3 {
		t.Errorf("store asked %d times, want 3", calls)
	}
}

// TestStateBeforeFirstSuccess shows no figures rather than false zeros.
func TestStateBeforeFirstSuccess(t *testing.T) {
	m := metrics.New()
	m.WatchState(func(context.Context) (metrics.State, error) { return metrics.State{}, errors.New("down") }, time.Now)
	body := scrape(t, m)
	expect(t, body, "keywarden_state_errors_total 1")
	if strings.Contains(body, "keywarden_webhook_outbox_messages ") {
		t.Error("a failed first computation shows outbox figures")
	}
}

func TestSigningKeyAgeAndPool(t *testing.T) {
	clk := testkit.NewClock(time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC))
	m := metrics.New()
	created, ok := clk.Now().Add(-36*time.Hour), true
	m.WatchSigningKeyAge(func() (time.Time, bool) { return created, ok }, clk.Now)
	m.WatchDBPool(func() sql.DBStats {
		return sql.DBStats{MaxOpenConnections: 20, OpenConnections: 7, InUse: 5, Idle: 2, WaitCount: 3, WaitDuration: 1500 * time.Millisecond}
	})
	expect(t, scrape(t, m),
		"keywarden_signing_key_age_seconds 129600",
		"keywarden_db_connections_max 20",
		`keywarden_db_connections{state="in_use"} 5`,
		`keywarden_db_connections{state="idle"} 2`,
		"keywarden_db_wait_total 3",
		"keywarden_db_wait_seconds_total 1.5",
	)
	ok = false
	expect(t, scrape(t, m), "keywarden_signing_key_age_seconds 0")
}

// BenchmarkTokenPathMetrics is what one token request costs in metrics
// (the request's series, the client authentication, the token), against a
// bare counter increment measured in the same run.
func BenchmarkTokenPathMetrics(b *testing.B) {
	m := metrics.New()
	b.Run("token-request", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			m.Observe("POST /oauth2/token", "POST", 200, time.Millisecond)
			m.ClientAuthenticated(metrics.OutcomeSuccess)
			m.TokenIssued(metrics.GrantClientCredentials)
		}
	})
	b.Run("reference-one-counter", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			m.RefreshTokenReused()
		}
	})
	// The same three series looked up by label values on every request,
	// as before they were resolved once.
	b.Run("reference-lookup-per-request", func(b *testing.B) {
		reqs := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "r_total", Help: "r"}, []string{"route", "method", "code"})
		dur := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "d_seconds", Help: "d"}, []string{"route", "method", "status_class"})
		auth := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "a_total", Help: "a"}, []string{"outcome"})
		toks := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "t_total", Help: "t"}, []string{"grant"})
		b.ReportAllocs()
		for b.Loop() {
			reqs.WithLabelValues("/oauth2/token", "POST", strconv.Itoa(200)).Inc()
			dur.WithLabelValues("/oauth2/token", "POST", "2xx").Observe(time.Millisecond.Seconds())
			auth.WithLabelValues("success").Inc()
			toks.WithLabelValues("client_credentials").Inc()
		}
	})
}
