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
	err := mustAffect(s.exec(ctx, `UPDATE audit_streams SET delivered_seq = ?, delivered_at = ?
		WHERE id = ? AND lease_owner = ? AND delivered_seq = ?`, to, micros(now), id, owner, from))
	if errors.Is(err, domain.ErrNotFound) {
		return domain.Conflict("audit stream " + id + " moved or its lease was lost")
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
