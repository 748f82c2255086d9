package audit

import "keywarden/internal/domain"

// Hash exposes the chain hash to the tests that seed a log in bulk.
func (l *Log) Hash(e domain.AuditEvent) []byte { return l.hash(e) }
