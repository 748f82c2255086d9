package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"keywarden/internal/domain"
)

func (s *conn) EnsureAuditStream(ctx context.Context, id string, org domain.OrgID, after int64, now time.Time) error {
	_, err := s.exec(ctx, `INSERT INTO audit_streams (id, org_id, delivered_seq, lease_owner, lease_until, created_at) VALUES (?, ?, ?, '', 0, ?)
		ON CONFLICT (id) DO NOTHING`, id, org, after, micros(now))
	return err
}

func (s *conn) ClaimAuditStream(ctx context.Context, id, owner string, now, until time.Time) (int64, bool, error) {
	var delivered int64
	err := s.queryRow(ctx, `UPDATE audit_streams SET lease_owner = ?, lease_until = ?
		WHERE id = ? AND (lease_owner = ? OR lease_owner = '' OR lease_until < ?) RETURNING delivered_seq`,
		owner, micros(until), id, owner, micros(now)).Scan(&delivered)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	return delivered, err == nil, err
}

func (s *conn) AdvanceAuditStream(ctx context.Context, id, owner string, from, to int64, now time.Time) error {
	err := mustAffect(s.exec(ctx, `UPDATE audit_streams SET delivered_seq = ?, delivered_at = ?, failures = 0
		WHERE id = ? AND lease_owner = ? AND delivered_seq = ?`, to, micros(now), id, owner, from))
	if errors.Is(err, domain.ErrNotFound) {
		return domain.Conflict("audit stream " + id + " moved or its lease was lost")
	}
	return err
}

func (s *conn) FailAuditStream(ctx context.Context, id, owner, msg string, now time.Time) error {
	err := mustAffect(s.exec(ctx, `UPDATE audit_streams SET failures = failures + 1, last_error = ?, last_error_at = ?
		WHERE id = ? AND lease_owner = ?`, msg, micros(now), id, owner))
	if errors.Is(err, domain.ErrNotFound) {
		return domain.Conflict("audit stream " + id + ": its lease was lost")
	}
	return err
}

func (s *conn) ReleaseAuditStream(ctx context.Context, id, owner string) error {
	_, err := s.exec(ctx, `UPDATE audit_streams SET lease_owner = '', lease_until = 0 WHERE id = ? AND lease_owner = ?`, id, owner)
	return err
}

func (s *conn) SlowestAuditStream(ctx context.Context, ids []string) (int64, bool, error) {
	if len(ids) == 0 {
		return 0, false, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	var min sql.NullInt64
	err := s.queryRow(ctx, `SELECT min(delivered_seq) FROM audit_streams WHERE id IN (`+strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ")+`)`, args...).Scan(&min)
	return min.Int64, err == nil && min.Valid, err
}

func (s *conn) CreateAuditStream(ctx context.Context, as domain.AuditStream) error {
	_, err := s.exec(ctx, `INSERT INTO audit_streams (id, org_id, delivered_seq, lease_owner, lease_until, created_at, name, url, format, token_sealed)
		VALUES (?, ?, ?, '', 0, ?, ?, ?, ?, ?)`,
		as.ID, as.OrgID, as.Delivered, micros(as.CreatedAt), as.Name, as.URL, as.Format, as.TokenSealed)
	return s.conflict(err, "the organisation has an audit stream named "+as.Name)
}

func (s *conn) ListAuditStreams(ctx context.Context, org domain.OrgID) ([]domain.AuditStream, error) {
	q := `SELECT id, org_id, name, url, format, token_sealed, delivered_seq, created_at, delivered_at, failures, last_error, last_error_at
		FROM audit_streams WHERE url IS NOT NULL`
	var args []any
	if org != "" {
		q += ` AND org_id = ?`
		args = append(args, org)
	}
	rows, err := s.query(ctx, q+` ORDER BY org_id, name`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []domain.AuditStream
	for rows.Next() {
		var as domain.AuditStream
		var created int64
		var deliveredAt, lastErrorAt sql.NullInt64
		if err := rows.Scan(&as.ID, &as.OrgID, &as.Name, &as.URL, &as.Format, &as.TokenSealed, &as.Delivered, &created,
			&deliveredAt, &as.Failures, &as.LastError, &lastErrorAt); err != nil {
			return nil, err
		}
		as.CreatedAt = fromMicros(created)
		as.DeliveredAt, as.LastErrorAt = fromNullMicros(deliveredAt), fromNullMicros(lastErrorAt)
		out = append(out, as)
	}
	return out, rows.Err()
}

func (s *conn) DeleteAuditStream(ctx context.Context, org domain.OrgID, id string) error {
	return mustAffect(s.exec(ctx, `DELETE FROM audit_streams WHERE org_id = ? AND id = ? AND url IS NOT NULL`, org, id))
}

func (s *conn) ScanOrgAudit(ctx context.Context, org domain.OrgID, after int64, limit int) ([]domain.AuditEvent, error) {
	rows, err := s.query(ctx, `SELECT `+auditColumns+` FROM audit_events WHERE org_id = ? AND seq > ? ORDER BY seq LIMIT ?`, org, after, limit)
	if err != nil {
		return nil, err
	}
	return collectAudit(rows)
}
