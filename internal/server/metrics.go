package server

import (
	"context"
	"time"

	"keywarden/internal/metrics"
)

// watchMetrics registers the figures that come from the store and the
// services rather than from requests: the outbox, disabled endpoints and
// expiring secrets (aggregate queries, at scrape time, cached for
// metrics.StateTTL), the signing key's age, and the connection pool.
func (s *Server) watchMetrics() {
	windows := make([]time.Duration, len(metrics.ExpiryWindows))
	for i, w := range metrics.ExpiryWindows {
		windows[i] = w.Within
	}
	st := s.core.Store
	s.metrics.WatchState(func(ctx context.Context) (metrics.State, error) {
		o, err := st.OpsStats(ctx, time.Now(), windows)
		return metrics.State{OutboxPending: o.OutboxPending, OutboxOldest: o.OutboxOldest,
			EndpointsDisabled: o.EndpointsDisabled, SecretsExpiring: o.SecretsExpiring}, err
	}, time.Now)
	s.metrics.WatchSigningKeyAge(func() (time.Time, bool) {
		k, ok := s.tokens.Keys.Current(time.Now())
		return k.CreatedAt, ok
	}, time.Now)
	s.metrics.WatchDBPool(st.PoolStats)
}
