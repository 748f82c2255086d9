package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"keywarden/internal/domain"
)

const apiTokenColumns = `id, org_id, user_id, name, verifier, hint, created_at, expires_at, revoked_at,
	last_used_at, last_used_from, replaced_by`

func scanAPIToken(row interface{ Scan(...any) error }) (domain.APIToken, error) {
	var t domain.APIToken
	var created int64
	var expires, revoked, used sql.NullInt64
	if err := row.Scan(&t.ID, &t.OrgID, &t.UserID, &t.Name, &t.Verifier, &t.Hint, &created, &expires, &revoked,
		&used, &t.LastUsedFrom, &t.ReplacedBy); err != nil {
		return t, notFound(err)
	}
	t.CreatedAt, t.ExpiresAt, t.RevokedAt, t.LastUsedAt = fromMicros(created), fromNullMicros(expires), fromNullMicros(revoked), fromNullMicros(used)
	return t, nil
}

func (s *conn) CreateAPIToken(ctx context.Context, t domain.APIToken) error {
	_, err := s.exec(ctx, `INSERT INTO api_tokens (`+apiTokenColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.ID, t.OrgID, t.UserID, t.Name, t.Verifier, t.Hint, micros(t.CreatedAt), nullMicros(t.ExpiresAt), nullMicros(t.RevokedAt),
		nullMicros(t.LastUsedAt), t.LastUsedFrom, t.ReplacedBy)
	if err != nil {
		return s.conflict(err, "token exists")
	}
	return s.recordDigest(ctx, t.Digest, domain.LeakAPIToken, t.Verifier, t.CreatedAt)
}

func (s *conn) APITokenByVerifier(ctx context.Context, verifier []byte) (domain.APIToken, error) {
	return scanAPIToken(s.queryRow(ctx, `SELECT `+apiTokenColumns+` FROM api_tokens WHERE verifier = ?`, verifier))
}

func (s *conn) GetAPIToken(ctx context.Context, org domain.OrgID, id domain.APITokenID) (domain.APIToken, error) {
	return scanAPIToken(s.queryRow(ctx, `SELECT `+apiTokenColumns+` FROM api_tokens WHERE org_id = ? AND id = ?`, org, id))
}

func (s *conn) ListAPITokens(ctx context.Context, org domain.OrgID, userID domain.UserID) ([]domain.APIToken, error) {
	rows, err := s.query(ctx, `SELECT `+apiTokenColumns+` FROM api_tokens WHERE org_id = ? AND user_id = ?
		ORDER BY created_at DESC, id DESC`, org, userID)
	return collect(rows, err, scanAPIToken)
}

func (s *conn) UpdateAPIToken(ctx context.Context, org domain.OrgID, id domain.APITokenID, fn func(*domain.APIToken) error) (domain.APIToken, error) {
	return update(ctx, s, func(c *conn) (domain.APIToken, error) {
		t, err := scanAPIToken(c.queryRow(ctx, `SELECT `+apiTokenColumns+` FROM api_tokens WHERE org_id = ? AND id = ?`+c.lock(), org, id))
		if err == nil && t.RevokedAt != nil {
			return t, domain.Conflict("the API token is revoked; a revoked token never changes")
		}
		return t, err
	}, fn, func(c *conn, t domain.APIToken) error {
		return mustAffect(c.exec(ctx, `UPDATE api_tokens SET name = ?, expires_at = ?, revoked_at = ?, replaced_by = ? WHERE org_id = ? AND id = ?`,
			t.Name, nullMicros(t.ExpiresAt), nullMicros(t.RevokedAt), t.ReplacedBy, org, id))
	})
}

func (s *conn) TouchAPITokens(ctx context.Context, uses []domain.APITokenUse) error {
	if len(uses) == 0 {
		return nil
	}
	return s.atomic(ctx, func(t *conn) error {
		for _, u := range uses {
			if _, err := t.exec(ctx, `UPDATE api_tokens SET last_used_at = ?, last_used_from = ?
				WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`,
				micros(u.At), u.From, u.TokenID, micros(u.At)); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *conn) DeleteAPITokensEndedBefore(ctx context.Context, t time.Time) (int, error) {
	return rowsAffected(s.exec(ctx, `DELETE FROM api_tokens WHERE revoked_at < ? OR expires_at < ?`, micros(t), micros(t)))
}
