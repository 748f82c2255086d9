package metrics

import (
	"context"
	"database/sql"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// listenerMetrics follow the change listener (LISTEN/NOTIFY on PostgreSQL).
type listenerMetrics struct {
	reconnects prometheus.Counter
	up         prometheus.Gauge
}

func newListenerMetrics(r *prometheus.Registry) listenerMetrics {
	l := listenerMetrics{
		reconnects: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "keywarden_change_listener_reconnects_total",
			Help: "Times the change listener listened again after losing its connection (each drops the node's caches).",
		}),
		up: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "keywarden_change_listener_up", Help: "1 while the change listener hears other nodes' changes, 0 while it reconnects.",
		}),
	}
	r.MustRegister(l.reconnects, l.up)
	return l
}

// ListenerUp records that the change listener listens (again, when
// reconnected).
func (m *Metrics) ListenerUp(reconnected bool) {
	if m == nil {
		return
	}
	m.listener.up.Set(1)
	if reconnected {
		m.listener.reconnects.Inc()
	}
}

// ListenerDown records that the change listener lost its connection.
func (m *Metrics) ListenerDown() {
	if m != nil {
		m.listener.up.Set(0)
	}
}

// ExpiryWindows are the horizons of keywarden_secrets_expiring, with
// their label values.
var ExpiryWindows = []struct {
	Label  string
	Within time.Duration
}{{"1d", 24 * time.Hour}, {"7d", 7 * 24 * time.Hour}, {"14d", 14 * 24 * time.Hour}}

// State is what the metrics show about the stored data, across
// organisations.
type State struct {
	OutboxPending     int
	OutboxOldest      time.Time // zero: nothing waits
	EndpointsDisabled int
	// SecretsExpiring holds a count per ExpiryWindows entry, in order.
	SecretsExpiring []int
}

// StateTTL is how long a computed State serves scrapes: however often
// (and by however many Prometheus servers) a node is scraped, it asks the
// store at most this often.
const StateTTL = 30 * time.Second

// stateTimeout bounds one computation, so a slow store cannot pile up
// scrapes.
const stateTimeout = 10 * time.Second

// WatchState registers the gauges that need the store. load computes them
// (aggregate queries an index serves); it runs at scrape time, at most
// once per StateTTL, one at a time. When it fails the last good figures
// stay and keywarden_state_errors_total counts; the refresh timestamp
// shows how old they are.
func (m *Metrics) WatchState(load func(ctx context.Context) (State, error), now func() time.Time) {
	if m == nil {
		return
	}
	m.registry.MustRegister(&stateCollector{load: load, now: now, desc: newStateDescs()})
}

type stateDescs struct {
	pending, oldest, disabled, expiring, refreshed, errors *prometheus.Desc
}

func newStateDescs() stateDescs {
	return stateDescs{
		pending: prometheus.NewDesc("keywarden_webhook_outbox_messages",
			"Webhook messages waiting for delivery (counted up to 100000).", nil, nil),
		oldest: prometheus.NewDesc("keywarden_webhook_outbox_oldest_age_seconds",
			"How long the longest-waiting webhook message has waited (0 when none waits).", nil, nil),
		disabled: prometheus.NewDesc("keywarden_webhook_endpoints_disabled",
			"Webhook endpoints disabled now: clients' (for failing, until someone enables them) and organisation endpoints (for failing or by an operator).", nil, nil),
		expiring: prometheus.NewDesc("keywarden_secrets_expiring",
			"Unrevoked client secrets that expire within the window (1d, 7d, 14d; each includes the shorter).", []string{"within"}, nil),
		refreshed: prometheus.NewDesc("keywarden_state_refresh_timestamp_seconds",
			"When the figures that need the store were last computed (Unix time).", nil, nil),
		errors: prometheus.NewDesc("keywarden_state_errors_total",
			"Failed computations of the figures that need the store.", nil, nil),
	}
}

type stateCollector struct {
	load func(ctx context.Context) (State, error)
	now  func() time.Time
	desc stateDescs

	mu     sync.Mutex // one computation at a time; guards what follows
	last   State
	at     time.Time // of last; zero before the first success
	failed float64
}

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.desc.pending, c.desc.oldest, c.desc.disabled, c.desc.expiring, c.desc.refreshed, c.desc.errors} {
		ch <- d
	}
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	now := c.now()
	if c.at.IsZero() || now.Sub(c.at) >= StateTTL {
		ctx, cancel := context.WithTimeout(context.Background(), stateTimeout)
		s, err := c.load(ctx)
		cancel()
		if err != nil {
			c.failed++
		} else {
			c.last, c.at = s, now
		}
	}
	s, at, failed := c.last, c.at, c.failed
	c.mu.Unlock()

	ch <- prometheus.MustNewConstMetric(c.desc.errors, prometheus.CounterValue, failed)
	if at.IsZero() {
		return // nothing computed yet: no figures rather than false zeros
	}
	ch <- prometheus.MustNewConstMetric(c.desc.refreshed, prometheus.GaugeValue, float64(at.UnixNano())/1e9)
	ch <- prometheus.MustNewConstMetric(c.desc.pending, prometheus.GaugeValue, float64(s.OutboxPending))
	age := 0.0
	if !s.OutboxOldest.IsZero() {
		age = max(0, now.Sub(s.OutboxOldest).Seconds())
	}
	ch <- prometheus.MustNewConstMetric(c.desc.oldest, prometheus.GaugeValue, age)
	ch <- prometheus.MustNewConstMetric(c.desc.disabled, prometheus.GaugeValue, float64(s.EndpointsDisabled))
	for i, w := range ExpiryWindows {
		if i < len(s.SecretsExpiring) {
			ch <- prometheus.MustNewConstMetric(c.desc.expiring, prometheus.GaugeValue, float64(s.SecretsExpiring[i]), w.Label)
		}
	}
}

// WatchSigningKeyAge registers keywarden_signing_key_age_seconds: how
// long ago the key that signs now was created (current returns its
// creation time; false when no key signs).
func (m *Metrics) WatchSigningKeyAge(current func() (time.Time, bool), now func() time.Time) {
	if m == nil {
		return
	}
	m.registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "keywarden_signing_key_age_seconds", Help: "Age of the key that signs access tokens now (0 when none signs).",
	}, func() float64 {
		created, ok := current()
		if !ok {
			return 0
		}
		return max(0, now().Sub(created).Seconds())
	}))
}

// WatchDBPool registers the database connection pool's figures (read
// from stats at scrape time: database/sql keeps them in memory).
func (m *Metrics) WatchDBPool(stats func() sql.DBStats) {
	if m == nil {
		return
	}
	m.registry.MustRegister(&poolCollector{stats: stats,
		max:     prometheus.NewDesc("keywarden_db_connections_max", "Most connections the pool opens (0: no limit).", nil, nil),
		conns:   prometheus.NewDesc("keywarden_db_connections", "Open database connections, by state (in_use, idle).", []string{"state"}, nil),
		waits:   prometheus.NewDesc("keywarden_db_wait_total", "Times a query waited for a free connection.", nil, nil),
		waited:  prometheus.NewDesc("keywarden_db_wait_seconds_total", "Time spent waiting for a free connection.", nil, nil),
		closedI: prometheus.NewDesc("keywarden_db_closed_idle_total", "Connections closed for idling too long or too many idle.", nil, nil),
	})
}

type poolCollector struct {
	stats                              func() sql.DBStats
	max, conns, waits, waited, closedI *prometheus.Desc
}

func (c *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.max, c.conns, c.waits, c.waited, c.closedI} {
		ch <- d
	}
}

func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.stats()
	ch <- prometheus.MustNewConstMetric(c.max, prometheus.GaugeValue, float64(s.MaxOpenConnections))
	ch <- prometheus.MustNewConstMetric(c.conns, prometheus.GaugeValue, float64(s.InUse), "in_use")
	ch <- prometheus.MustNewConstMetric(c.conns, prometheus.GaugeValue, float64(s.Idle), "idle")
	ch <- prometheus.MustNewConstMetric(c.waits, prometheus.CounterValue, float64(s.WaitCount))
	ch <- prometheus.MustNewConstMetric(c.waited, prometheus.CounterValue, s.WaitDuration.Seconds())
	ch <- prometheus.MustNewConstMetric(c.closedI, prometheus.CounterValue, float64(s.MaxIdleClosed+s.MaxIdleTimeClosed))
}
