package server

import (
	"context"
	"fmt"
	"math"
	"time"

	"keywarden/internal/auditstream"
	"keywarden/internal/config"
)

// auditStreams builds the streamer of --audit-stream and of the
// organisations' streams (read from the store).
func (s *Server) auditStreams(cfg config.Config) (*auditstream.Streamer, error) {
	var dests []auditstream.Destination
	for _, spec := range cfg.AuditStreams {
		d, err := auditstream.ParseDestination(spec)
		if err != nil {
			return nil, fmt.Errorf("--audit-stream: %w", err)
		}
		dests = append(dests, d)
	}
	return auditstream.New(auditstream.Options{Store: s.core.Store, Destinations: dests, Interval: cfg.AuditStreamInterval,
		OrgStreams: s.core.AuditStreams.Destination, Lease: max(10*cfg.AuditStreamInterval, 2*time.Second), Log: s.log}), nil
}

// runAuditStreams streams the audit log until ctx ends.
func (s *Server) runAuditStreams(ctx context.Context) {
	if s.streams != nil {
		s.streams.Run(ctx)
	}
}

// runAuditRetention removes audit events older than --audit-retention,
// once per --audit-checkpoint-interval, until ctx ends (nothing when
// retention is 0: events are kept for ever), never one an audit stream has
// not delivered.
func (s *Server) runAuditRetention(ctx context.Context) {
	if s.cfg.AuditRetention <= 0 {
		return
	}
	keep := func(context.Context) (int64, error) { return math.MaxInt64, nil }
	if s.streams != nil {
		if err := s.streams.Ensure(ctx); err != nil {
			s.log.Error("audit retention off: the audit streams' positions are unknown", "err", err)
			return
		}
		keep = s.streams.Keep
	}
	s.core.Audit.RunRetention(ctx, s.cfg.AuditCheckpointInterval, s.cfg.AuditRetention, keep, s.log)
}
