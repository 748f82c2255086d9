package webhook

import (
	"context"
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
	DefaultRetryBase    = 30 * time.Second
	DefaultRetryWindow  = 24 * time.Hour
	DefaultDisableAfter = 24 * time.Hour
	DefaultWorkers      = 16
	// MaxRetryDelay caps the exponential backoff between two attempts.
	MaxRetryDelay = 6 * time.Hour
	// Retention is how long delivered and failed messages stay in the
	// delivery log.
	Retention = 30 * 24 * time.Hour
)

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
	// RetryBase is the first retry's delay; each failure doubles it (with
	// jitter) up to MaxRetryDelay. A message that waits for an active
	// secret to sign with is looked at again after RetryBase too.
	RetryBase time.Duration
	// RetryWindow is how long a message is retried before the dispatcher
	// gives up on it.
	RetryWindow time.Duration
	// DisableAfter is how long an endpoint may fail without a single
	// success before it is disabled.
	DisableAfter time.Duration
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
		{&o.Timeout, DefaultTimeout}, {&o.PollInterval, DefaultPollInterval}, {&o.RetryBase, DefaultRetryBase},
		{&o.RetryWindow, DefaultRetryWindow}, {&o.DisableAfter, DefaultDisableAfter},
	}
	for _, d := range defaults {
		if *d.v <= 0 {
			*d.v = d.d
		}
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

// backoff returns the delay before retry n (1 for the first retry):
// RetryBase doubled n-1 times, capped at MaxRetryDelay, with "equal
// jitter" (between half and all of it) so that endpoints that failed
// together do not get their retries together.
func (s *Service) backoff(n int) time.Duration {
	d := s.o.RetryBase
	for i := 1; i < n && d < MaxRetryDelay; i++ {
		d *= 2
	}
	d = min(d, MaxRetryDelay)
	return d/2 + time.Duration(s.o.Rand()*float64(d/2))
}

// Prune removes delivered and failed messages older than Retention.
func (s *Service) Prune(ctx context.Context) (int, error) {
	return s.o.Store.DeleteWebhookMessagesBefore(ctx, s.clock().Add(-Retention))
}

// WithLog returns a Service that logs to l and shares everything else
// with s.
func (s *Service) WithLog(l *slog.Logger) *Service {
	c := *s
	c.o.Log = l
	return &c
}
