package webhook

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"time"

	"keywarden/internal/audit"
	"keywarden/internal/keyring"
	"keywarden/internal/metrics"
	"keywarden/internal/store"
)

// Defaults of Options.
const (
	DefaultTimeout      = 10 * time.Second
	DefaultPollInterval = time.Second
	DefaultDisableAfter = 5 * 24 * time.Hour
	DefaultWorkers      = 16
	// DefaultRetryAfterMax bounds how long a receiver's Retry-After can
	// hold back the next attempt.
	DefaultRetryAfterMax = 6 * time.Hour
	// ThrottledMinDelay is the least delay after a 429 or a timeout: a
	// receiver that is overloaded gets at least a minute, whatever the
	// schedule says.
	ThrottledMinDelay = time.Minute
	// HoldInterval is, at most, how often a message that waits for an
	// active secret to sign with is looked at again (the schedule's first
	// delay when that is shorter: a new secret should not wait long).
	HoldInterval = 30 * time.Second
	// Jitter spreads every delay of the schedule over ±Jitter of itself,
	// so that endpoints that failed together are not retried together.
	Jitter = 0.2
	// DefaultPayloadRetention is how long a finished message keeps its
	// payload (and its attempts their response excerpts).
	DefaultPayloadRetention = 30 * 24 * time.Hour
	// DefaultLogRetention is how long delivered and failed messages stay
	// in the delivery log, without their payloads after
	// PayloadRetention.
	DefaultLogRetention = 90 * 24 * time.Hour
	// DefaultRetentionInterval is how often RunRetention deletes what
	// retention says.
	DefaultRetentionInterval = time.Hour
	// retentionBatch bounds one retention statement, so that a large
	// backlog is deleted in short transactions.
	retentionBatch = 1000
)

// DefaultRetrySchedule is the delay before each retry, the first retry
// first: with the first attempt, eight attempts over 27 h 35 min (before
// jitter), like the delivery platforms (Svix, Hookdeck, Convoy).
func DefaultRetrySchedule() []time.Duration {
	return []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour}
}

// Options are the Service's dependencies and settings. Zero settings take
// the defaults above.
type Options struct {
	Store   store.Store
	Keyring *keyring.Keyring
	Audit   *audit.Log
	Log     *slog.Logger
	Now     func() time.Time // time.Now when nil

	Guard Guard
	// Timeout bounds one delivery: connect, TLS, request and answer.
	Timeout time.Duration
	// PollInterval is how often the dispatcher looks for due messages.
	PollInterval time.Duration
	// RetrySchedule is the delay before each retry (each with ±Jitter);
	// after its last retry fails the message has failed. Empty means
	// DefaultRetrySchedule.
	RetrySchedule []time.Duration
	// RetryAfterMax bounds a receiver's Retry-After: a longer one waits
	// RetryAfterMax.
	RetryAfterMax time.Duration
	// DisableAfter is how long an endpoint must have failed without a
	// single success, and a message's retries run out, before it is
	// disabled.
	DisableAfter time.Duration
	// PayloadRetention is how long a delivered or failed message keeps its
	// payload and its attempts' response excerpts; LogRetention how long
	// the message (its metadata) stays at all. RetentionInterval is how
	// often RunRetention applies them.
	PayloadRetention  time.Duration
	LogRetention      time.Duration
	RetentionInterval time.Duration
	// Workers is how many deliveries run at once on this node.
	Workers int
	// HTTPClient sends deliveries; nil means NewHTTPClient(Guard, Timeout).
	HTTPClient *http.Client
	// Rand returns a number in [0, 1) for the backoff's jitter; nil means
	// math/rand/v2.
	Rand func() float64
	// Metrics counts delivery outcomes and disabled endpoints (none when
	// nil).
	Metrics *metrics.Metrics
}

// Service dispatches webhooks, sends expiry notices and serves the
// delivery log.
type Service struct {
	o      Options
	outbox *Outbox
	client *http.Client
}

// New returns a Service.
func New(o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	defaults := []struct {
		v *time.Duration
		d time.Duration
	}{
		{&o.Timeout, DefaultTimeout}, {&o.PollInterval, DefaultPollInterval}, {&o.RetryAfterMax, DefaultRetryAfterMax},
		{&o.DisableAfter, DefaultDisableAfter}, {&o.PayloadRetention, DefaultPayloadRetention}, {&o.LogRetention, DefaultLogRetention},
		{&o.RetentionInterval, DefaultRetentionInterval},
	}
	for _, d := range defaults {
		if *d.v <= 0 {
			*d.v = d.d
		}
	}
	if len(o.RetrySchedule) == 0 {
		o.RetrySchedule = DefaultRetrySchedule()
	}
	if o.Workers <= 0 {
		o.Workers = DefaultWorkers
	}
	if o.Rand == nil {
		o.Rand = rand.Float64
	}
	client := o.HTTPClient
	if client == nil {
		client = NewHTTPClient(o.Guard, o.Timeout)
	}
	return &Service{o: o, outbox: NewOutbox(o.Now), client: client}
}

// Outbox returns the outbox that services enqueue events into.
func (s *Service) Outbox() *Outbox { return s.outbox }

// Guard returns the SSRF guard, for checking URLs when they are registered.
func (s *Service) Guard() Guard { return s.o.Guard }

// clock returns now in UTC at the store's precision.
func (s *Service) clock() time.Time { return s.o.Now().UTC().Truncate(time.Microsecond) }

// lease is how long a claimed message belongs to the claiming node: long
// enough for one delivery and its bookkeeping. When a node dies, its
// messages are due again once their lease runs out.
func (s *Service) lease() time.Duration { return 2*s.o.Timeout + time.Second }

// retryWindow is how long the schedule retries a message (before jitter):
// the sum of its delays. A message waiting for a secret to sign with waits
// as long.
func (s *Service) retryWindow() time.Duration {
	var w time.Duration
	for _, d := range s.o.RetrySchedule {
		w += d
	}
	return w
}

// delay returns the wait before retry n (1 for the first retry): the
// schedule's n-th delay spread over ±Jitter, lengthened to the receiver's
// Retry-After (bounded by RetryAfterMax) and, after a 429 or a timeout, to
// at least ThrottledMinDelay. ok is false when the schedule has no retry n.
func (s *Service) delay(n int, out outcome) (d time.Duration, ok bool) {
	if n < 1 || n > len(s.o.RetrySchedule) {
		return 0, false
	}
	base := s.o.RetrySchedule[n-1]
	d = time.Duration(float64(base) * (1 - Jitter + 2*Jitter*s.o.Rand()))
	if out.retryAfter > 0 {
		d = max(d, min(out.retryAfter, s.o.RetryAfterMax))
	}
	if out.throttled {
		d = max(d, ThrottledMinDelay)
	}
	return d, true
}

// Retain applies retention once: it deletes the payloads (and attempt
// excerpts) of finished messages older than PayloadRetention, in batches,
// and the messages older than LogRetention. Safe on every node at once.
func (s *Service) Retain(ctx context.Context) (payloads, messages int, err error) {
	now := s.clock()
	for {
		n, err := s.o.Store.DeleteWebhookPayloadsBefore(ctx, now.Add(-s.o.PayloadRetention), now, retentionBatch)
		payloads += n
		if err != nil || n < retentionBatch {
			if err != nil {
				return payloads, 0, fmt.Errorf("delete webhook payloads: %w", err)
			}
			break
		}
	}
	messages, err = s.o.Store.DeleteWebhookMessagesBefore(ctx, now.Add(-s.o.LogRetention))
	if err != nil {
		return payloads, messages, fmt.Errorf("delete webhook messages: %w", err)
	}
	return payloads, messages, nil
}

// RunRetention applies retention every RetentionInterval until ctx ends.
func (s *Service) RunRetention(ctx context.Context) {
	t := time.NewTicker(s.o.RetentionInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		p, m, err := s.Retain(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			s.o.Log.Error("webhook retention failed", "err", err)
		case p > 0 || m > 0:
			s.o.Log.Info("webhook retention", "payloads_deleted", p, "messages_deleted", m)
		}
	}
}

// WithLog returns a Service that logs to l and shares everything else
// with s.
func (s *Service) WithLog(l *slog.Logger) *Service {
	c := *s
	c.o.Log = l
	return &c
}
