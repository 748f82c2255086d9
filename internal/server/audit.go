package server

import "context"

// runAuditRetention removes audit events older than --audit-retention,
// once per --audit-checkpoint-interval, until ctx ends (nothing when
// retention is 0: events are kept for ever).
func (s *Server) runAuditRetention(ctx context.Context) {
	if s.cfg.AuditRetention <= 0 {
		return
	}
	s.core.Audit.RunRetention(ctx, s.cfg.AuditCheckpointInterval, s.cfg.AuditRetention, nil, s.log)
}
