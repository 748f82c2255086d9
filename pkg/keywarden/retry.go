package keywarden

import (
	"context"
	"math/rand/v2"
	"net/http"
	"time"
)

// RetryPolicy says when the client sends a request again. It retries only
// what is safe to repeat: requests with an idempotent method (GET, HEAD,
// PUT, DELETE, OPTIONS; RFC 9110 §9.2.2) that the server answered 429 Too
// Many Requests or 503 Service Unavailable, waiting as long as its
// Retry-After asks (or, without one, an exponential backoff with jitter).
// A POST or PATCH, or a request whose answer never arrived, is never sent
// twice: it may have taken effect. Waits end early when the context ends.
type RetryPolicy struct {
	// MaxAttempts is how often a request is sent at most, the first time
	// included: 1 never retries. 0 means 3.
	MaxAttempts int
	// MaxWait is the longest the client waits before one retry. When the
	// server asks for longer, the answer is returned at once as an *Error
	// whose RetryAfter says how long. 0 means 10 seconds.
	MaxWait time.Duration
}

// Defaults of a zero RetryPolicy, and the first wait of the backoff.
const (
	defaultMaxAttempts = 3
	defaultMaxWait     = 10 * time.Second
	firstBackoff       = 500 * time.Millisecond
)

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = defaultMaxAttempts
	}
	if p.MaxWait <= 0 {
		p.MaxWait = defaultMaxWait
	}
	return p
}

// next says whether to send r again after the attempt-th answer with
// status, and after how long.
func (p RetryPolicy) next(r request, status, attempt int, retryAfter time.Duration) (time.Duration, bool) {
	if r.once || !idempotent(r.method) || attempt >= p.MaxAttempts {
		return 0, false
	}
	if status != http.StatusTooManyRequests && status != http.StatusServiceUnavailable {
		return 0, false
	}
	wait := retryAfter
	if wait == 0 {
		// Full jitter between half and all of 500ms, 1s, 2s, …, so that
		// clients refused together do not come back together.
		d := firstBackoff << min(attempt-1, 10)
		wait = d/2 + rand.N(d/2+1)
	}
	if wait > p.MaxWait {
		if retryAfter > 0 {
			return 0, false // the server wants more patience than allowed
		}
		wait = p.MaxWait
	}
	return wait, true
}

func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodOptions:
		return true
	}
	return false
}

// sleepContext waits for d, or until ctx ends.
func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
