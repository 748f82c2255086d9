package sqlstore

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"keywarden/internal/domain"
)

const secretColumns = `id, org_id, client_id, description, created_at, created_by, expires_at, revoked_at,
	last_used_at, last_used_from, hint, origin, verifier, hash, sealed, allowed_cidrs, keep_tokens`

func scanSecret(row interface{ Scan(...any) error }) (domain.Secret, error) {
	var x domain.Secret
	var created int64
	var expires, revoked, used sql.NullInt64
	var origin, cidrs string
	var keep int
	if err := row.Scan(&x.ID, &x.OrgID, &x.ClientID, &x.Description, &created, &x.CreatedBy, &expires, &revoked,
		&used, &x.LastUsedFrom, &x.Hint, &origin, &x.Verifier, &x.Hash, &x.Sealed, &cidrs, &keep); err != nil {
		return x, notFound(err)
	}
	if cidrs != "" {
		x.AllowedCIDRs = strings.Split(cidrs, ",")
	}
	x.KeepTokens = keep != 0
	x.CreatedAt, x.ExpiresAt, x.RevokedAt, x.LastUsedAt = fromMicros(created), fromNullMicros(expires), fromNullMicros(revoked), fromNullMicros(used)
	x.Origin = domain.SecretOrigin(origin)
	return x, nil
}

func (s *conn) CreateSecret(ctx context.Context, x domain.Secret) error {
	var verifier any // NULL for supplied values: the unique index ignores NULLs
	if x.Verifier != nil {
		verifier = x.Verifier
	}
	_, err := s.exec(ctx, `INSERT INTO secrets (`+secretColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		x.ID, x.OrgID, x.ClientID, x.Description, micros(x.CreatedAt), x.CreatedBy, nullMicros(x.ExpiresAt), nullMicros(x.RevokedAt),
		nullMicros(x.LastUsedAt), x.LastUsedFrom, x.Hint, string(x.Origin), verifier, x.Hash, x.Sealed,
		strings.Join(x.AllowedCIDRs, ","), boolInt(x.KeepTokens))
	return s.conflict(err, "secret exists")
}

func (s *conn) GetSecret(ctx context.Context, org domain.OrgID, id domain.SecretID) (domain.Secret, error) {
	return scanSecret(s.queryRow(ctx, `SELECT `+secretColumns+` FROM secrets WHERE org_id = ? AND id = ?`, org, id))
}

func (s *conn) ListSecrets(ctx context.Context, org domain.OrgID, clientID domain.ClientID) ([]domain.Secret, error) {
	rows, err := s.query(ctx, `SELECT `+secretColumns+` FROM secrets WHERE org_id = ? AND client_id = ? ORDER BY created_at, id`, org, clientID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []domain.Secret
	for rows.Next() {
		x, err := scanSecret(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

func (s *conn) SecretByVerifier(ctx context.Context, verifier []byte) (domain.Secret, error) {
	return scanSecret(s.queryRow(ctx, `SELECT `+secretColumns+` FROM secrets WHERE verifier = ?`, verifier))
}

func (s *conn) UpdateSecret(ctx context.Context, org domain.OrgID, id domain.SecretID, fn func(*domain.Secret) error) (domain.Secret, error) {
	return update(ctx, s, func(c *conn) (domain.Secret, error) {
		x, err := scanSecret(c.queryRow(ctx, `SELECT `+secretColumns+` FROM secrets WHERE org_id = ? AND id = ?`+c.lock(), org, id))
		if err == nil && x.RevokedAt != nil {
			return x, domain.Conflict("the secret is revoked; a revoked secret cannot be edited")
		}
		return x, err
	}, fn, func(c *conn, x domain.Secret) error {
		return mustAffect(c.exec(ctx, `UPDATE secrets SET description = ?, expires_at = ?, allowed_cidrs = ? WHERE org_id = ? AND id = ?`,
			x.Description, nullMicros(x.ExpiresAt), strings.Join(x.AllowedCIDRs, ","), org, id))
	})
}

func (s *conn) RevokeSecret(ctx context.Context, org domain.OrgID, id domain.SecretID, at time.Time, keepTokens bool) (bool, error) {
	n, err := rowsAffected(s.exec(ctx, `UPDATE secrets SET revoked_at = ?, keep_tokens = ? WHERE org_id = ? AND id = ? AND revoked_at IS NULL`, micros(at), boolInt(keepTokens), org, id))
	if err != nil || n == 1 {
		return n == 1, err
	}
	// Nothing changed: either it does not exist or it is already revoked.
	_, err = s.GetSecret(ctx, org, id)
	return false, err
}

func (s *conn) RevokeClientSecrets(ctx context.Context, org domain.OrgID, clientID domain.ClientID, at time.Time) (int, error) {
	res, err := s.exec(ctx, `UPDATE secrets SET revoked_at = ?, keep_tokens = 0 WHERE org_id = ? AND client_id = ? AND revoked_at IS NULL`, micros(at), org, clientID)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

func (s *conn) TouchLastUsed(ctx context.Context, uses []domain.SecretUse) error {
	if len(uses) == 0 {
		return nil
	}
	return s.atomic(ctx, func(t *conn) error {
		for _, u := range uses {
			if _, err := t.exec(ctx, `UPDATE secrets SET last_used_at = ?, last_used_from = ?
				WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`,
				micros(u.At), u.From, u.SecretID, micros(u.At)); err != nil {
				return err
			}
			// The client's last use is its secrets' latest.
			if _, err := t.exec(ctx, `UPDATE clients SET last_used_at = ?
				WHERE id = (SELECT client_id FROM secrets WHERE id = ?) AND (last_used_at IS NULL OR last_used_at < ?)`,
				micros(u.At), u.SecretID, micros(u.At)); err != nil {
				return err
			}
		}
		return nil
	})
}
