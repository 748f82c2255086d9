package keywarden_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"keywarden/pkg/apiv1"
	"keywarden/pkg/keywarden"
)

// TestRetries checks that only requests that are safe to repeat are sent
// again, after the wait the server asked for, and a bounded number of
// times. The waits are recorded, not slept.
func TestRetries(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	busy := func(status int, retryAfter string) answerSpec {
		h := map[string]string{}
		if retryAfter != "" {
			h["Retry-After"] = retryAfter
		}
		return answerSpec{status, "application/problem+json", h, `{}`}
	}
	getPolicy := func(c *keywarden.Client) error { _, err := c.GetPolicy(context.Background()); return err }
	tests := []struct {
		name     string
		answers  []answerSpec
		call     func(c *keywarden.Client) error
		policy   keywarden.RetryPolicy
		attempts int
		waits    []time.Duration // nil: check bounds only (backoff)
		wantErr  int             // the final status; 0: success
	}{
		{"503 then success, after Retry-After seconds", []answerSpec{busy(503, "2"), okJSON}, getPolicy, keywarden.RetryPolicy{}, 2, []time.Duration{2 * time.Second}, 0},
		{"429 with an HTTP date", []answerSpec{busy(429, now.Add(3*time.Second).Format(http.TimeFormat)), okJSON}, getPolicy, keywarden.RetryPolicy{}, 2, []time.Duration{3 * time.Second}, 0},
		{"a DELETE is idempotent", []answerSpec{busy(503, "1"), {status: 204}}, func(c *keywarden.Client) error { return c.DeleteClient(context.Background(), "kwc_1") },
			keywarden.RetryPolicy{}, 2, []time.Duration{time.Second}, 0},
		{"bounded by MaxAttempts", []answerSpec{busy(429, "1")}, getPolicy, keywarden.RetryPolicy{MaxAttempts: 3}, 3, []time.Duration{time.Second, time.Second}, 429},
		{"a POST is never repeated", []answerSpec{busy(503, "1"), okJSON}, func(c *keywarden.Client) error {
			_, err := c.CreateClient(context.Background(), apiv1.CreateClient{Name: "n"})
			return err
		}, keywarden.RetryPolicy{}, 1, []time.Duration{}, 503},
		{"a PATCH is never repeated", []answerSpec{busy(429, "1"), okJSON}, func(c *keywarden.Client) error {
			_, err := c.UpdatePolicy(context.Background(), apiv1.UpdatePolicy{})
			return err
		}, keywarden.RetryPolicy{}, 1, []time.Duration{}, 429},
		{"other errors are not retried", []answerSpec{busy(500, ""), okJSON}, getPolicy, keywarden.RetryPolicy{}, 1, []time.Duration{}, 500},
		{"a wait longer than MaxWait is not waited for", []answerSpec{busy(429, "60"), okJSON}, getPolicy, keywarden.RetryPolicy{MaxWait: 10 * time.Second}, 1, []time.Duration{}, 429},
		{"readiness is asked once", []answerSpec{busy(503, "1"), okJSON}, func(c *keywarden.Client) error { _, err := c.Readyz(context.Background()); return err },
			keywarden.RetryPolicy{}, 1, []time.Duration{}, 503},
		{"MaxAttempts 1 never retries", []answerSpec{busy(503, "1"), okJSON}, getPolicy, keywarden.RetryPolicy{MaxAttempts: 1}, 1, []time.Duration{}, 503},
		{"without Retry-After, a growing backoff", []answerSpec{busy(503, ""), busy(503, ""), okJSON}, getPolicy, keywarden.RetryPolicy{}, 3, nil, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, tc.answers...)
			s := &sleeps{}
			c := keywarden.New(f.srv.URL, token, nil, keywarden.WithRetry(tc.policy), keywarden.WithSleep(s.sleep), keywarden.WithClock(func() time.Time { return now }))
			err := tc.call(c)
			if got := len(f.requests()); got != tc.attempts {
				t.Errorf("%d attempts, want %d", got, tc.attempts)
			}
			if !keywarden.HasStatus(err, tc.wantErr) && (tc.wantErr != 0 || err != nil) {
				t.Errorf("error = %v, want status %d", err, tc.wantErr)
			}
			if tc.waits != nil && !equalDurations(s.waits, tc.waits) {
				t.Errorf("waited %v, want %v", s.waits, tc.waits)
			}
			if tc.waits == nil && !backoffWithin(s.waits, 500*time.Millisecond) {
				t.Errorf("waited %v, want half to all of 500ms, then of 1s", s.waits)
			}
		})
	}
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// backoffWithin reports whether each wait is between half and all of
// first, 2·first, 4·first, ….
func backoffWithin(waits []time.Duration, first time.Duration) bool {
	for i, w := range waits {
		d := first << i
		if w < d/2 || w > d {
			return false
		}
	}
	return len(waits) > 0
}

func TestRetryAfterTooLongIsReported(t *testing.T) {
	t.Parallel()
	f := newFake(t, answerSpec{429, "application/problem+json", map[string]string{"Retry-After": "120"}, `{"status":429}`})
	_, err := keywarden.New(f.srv.URL, token, nil).ListKeys(t.Context())
	var e *keywarden.Error
	if !errors.As(err, &e) || e.RetryAfter != 2*time.Minute || len(f.requests()) != 1 {
		t.Errorf("error = %v (%+v), %d attempts; want a 429 with RetryAfter 2m after one attempt", err, e, len(f.requests()))
	}
}

// TestRetryWaitEndsWithTheContext checks that a cancelled context ends a
// wait at once, and that the error says both why the request failed and
// why the client stopped waiting.
func TestRetryWaitEndsWithTheContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := keywarden.SleepContext(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("SleepContext(cancelled, 1h) = %v, want context.Canceled at once", err)
	}
	f := newFake(t, answerSpec{503, "application/problem+json", map[string]string{"Retry-After": "5"}, `{"status":503}`}, okJSON)
	s := &sleeps{err: context.DeadlineExceeded}
	_, err := keywarden.New(f.srv.URL, token, nil, keywarden.WithSleep(s.sleep)).GetPolicy(t.Context())
	if !errors.Is(err, context.DeadlineExceeded) || !keywarden.HasStatus(err, 503) || len(f.requests()) != 1 {
		t.Errorf("error = %v after %d attempts; want the 503 and the deadline, one attempt", err, len(f.requests()))
	}
}
