package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"keywarden/internal/domain"
)

const leakColumns = `id, org_id, client_id, user_id, kind, target_id, hint, source_url, source, reporter, reported_at, response, quarantine_until`

func (s *conn) RecordLeak(ctx context.Context, l domain.Leak) (bool, error) {
	res, err := s.exec(ctx, `INSERT INTO leaks (`+leakColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (kind, target_id) DO NOTHING`,
		l.ID, l.OrgID, l.ClientID, l.UserID, string(l.Kind), l.TargetID, l.Hint, l.SourceURL, l.Source, l.Reporter,
		micros(l.ReportedAt), string(l.Response), nullMicros(l.QuarantineUntil))
	if err != nil {
		return false, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return n == 1, err
	}
	_, err = s.exec(ctx, `UPDATE leaks SET reports = reports + 1 WHERE kind = ? AND target_id = ?`, string(l.Kind), l.TargetID)
	return false, err
}

func (s *conn) ListLeaks(ctx context.Context, org domain.OrgID, clientID domain.ClientID, limit int) ([]domain.Leak, error) {
	q, args := `SELECT `+leakColumns+` FROM leaks WHERE org_id = ?`, []any{org}
	if clientID != "" {
		q, args = q+` AND client_id = ?`, append(args, clientID)
	}
	rows, err := s.query(ctx, q+` ORDER BY reported_at DESC, id DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []domain.Leak
	for rows.Next() {
		var l domain.Leak
		var kind, response string
		var reported int64
		var until sql.NullInt64
		if err := rows.Scan(&l.ID, &l.OrgID, &l.ClientID, &l.UserID, &kind, &l.TargetID, &l.Hint, &l.SourceURL, &l.Source,
			&l.Reporter, &reported, &response, &until); err != nil {
			return nil, err
		}
		l.Kind, l.Response, l.ReportedAt, l.QuarantineUntil = domain.LeakKind(kind), domain.LeakResponse(response), fromMicros(reported), fromNullMicros(until)
		out = append(out, l)
	}
	return out, rows.Err()
}

func (s *conn) RecordLeakReport(ctx context.Context, digest []byte, at time.Time) (bool, error) {
	res, err := s.exec(ctx, `INSERT INTO leak_report_digests (digest, received_at) VALUES (?, ?) ON CONFLICT (digest) DO NOTHING`, digest, micros(at))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// recordDigest records a generated value's SHA-256 with its verifier;
// nothing when there is none (a supplied value, or a caller that did not
// compute one).
func (s *conn) recordDigest(ctx context.Context, digest []byte, kind domain.LeakKind, verifier []byte, at time.Time) error {
	if digest == nil || verifier == nil {
		return nil
	}
	_, err := s.exec(ctx, `INSERT INTO value_digests (digest, kind, verifier, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (digest) DO NOTHING`, digest, string(kind), verifier, micros(at))
	return err
}

func (s *conn) VerifierByDigest(ctx context.Context, digest []byte) (domain.LeakKind, []byte, error) {
	var kind string
	var verifier []byte
	err := s.queryRow(ctx, `SELECT kind, verifier FROM value_digests WHERE digest = ?`, digest).Scan(&kind, &verifier)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil, domain.ErrNotFound
	}
	return domain.LeakKind(kind), verifier, err
}
