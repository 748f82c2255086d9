package ui

import (
	"strings"
	"testing"
	"time"

	"keywarden/internal/domain"
)

func TestLatencyAndAttemptWords(t *testing.T) {
	for d, want := range map[time.Duration]string{
		500 * time.Microsecond: "< 1 ms", 85 * time.Millisecond: "85 ms", 1200 * time.Millisecond: "1.2 s",
	} {
		if got := latency(d); got != want {
			t.Errorf("latency(%v) = %q, want %q", d, got, want)
		}
	}
	for _, tc := range []struct {
		a    domain.WebhookAttempt
		want string
	}{
		{domain.WebhookAttempt{StatusCode: 500, Error: "HTTP 500"}, ""},
		{domain.WebhookAttempt{StatusCode: 0, Error: "dial tcp: connection refused"}, "dial tcp: connection refused"},
		{domain.WebhookAttempt{StatusCode: 502, Error: "HTTP 502: too slow"}, "HTTP 502: too slow"},
	} {
		if got := attemptError(tc.a); got != tc.want {
			t.Errorf("attemptError(%+v) = %q, want %q", tc.a, got, tc.want)
		}
	}
	var row deliveryRow
	row.withLast(domain.WebhookAttempt{StatusCode: 200, Latency: 3 * time.Millisecond, ResponseExcerpt: strings.Repeat("é", maxExcerptCell+5)})
	if !row.Answered || row.Latency != "3 ms" || row.Error != "" || !strings.HasSuffix(row.Excerpt, "…") || len([]rune(row.Excerpt)) != maxExcerptCell+1 {
		t.Errorf("withLast = %+v", row)
	}
}

func TestBrowserName(t *testing.T) {
	for ua, want := range map[string]string{
		"Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 Chrome/120.0 Safari/537.36 Edg/120.0": "Edge on Windows",
		"Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0":                "Firefox on Linux",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Version/17.0 Safari/604.1":      "Safari on iOS",
		"Mozilla/5.0 (Linux; Android 14) Chrome/120.0 Mobile Safari/537.36":                     "Chrome on Android",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) Version/17.0 Safari/605.1.15":             "Safari on macOS",
	} {
		if got := browserName(ua); got != want {
			t.Errorf("browserName(%q) = %q, want %q", ua, got, want)
		}
	}
	if got := browserName("curl/8.5.0"); !strings.HasPrefix(got, "curl") {
		t.Errorf("browserName(curl) = %q", got)
	}
}

func TestActionLabel(t *testing.T) {
	if got := actionLabel("webhook.test"); got != "Webhook test event sent" {
		t.Errorf("actionLabel(webhook.test) = %q", got)
	}
	if got := actionLabel("made_up.thing_done"); got != "Made up: thing done" {
		t.Errorf("an unknown action's label = %q", got)
	}
	if got := actionLabel(""); got != "" {
		t.Errorf("actionLabel(\"\") = %q", got)
	}
}
