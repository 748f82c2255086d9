package sqlstore

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"time"

	"keywarden/internal/domain"
)

const clientKeyColumns = `id, org_id, client_id, kid, alg, public_jwk, thumbprint, description, created_at, created_by,
	expires_at, revoked_at, last_used_at, last_used_from, jwks_uri`

func scanClientKey(row interface{ Scan(...any) error }) (domain.ClientKey, error) {
	var k domain.ClientKey
	var created int64
	var expires, revoked, used sql.NullInt64
	if err := row.Scan(&k.ID, &k.OrgID, &k.ClientID, &k.KID, &k.Algorithm, &k.PublicJWK, &k.Thumbprint, &k.Description,
		&created, &k.CreatedBy, &expires, &revoked, &used, &k.LastUsedFrom, &k.JWKSURI); err != nil {
		return k, notFound(err)
	}
	k.CreatedAt, k.ExpiresAt, k.RevokedAt, k.LastUsedAt = fromMicros(created), fromNullMicros(expires), fromNullMicros(revoked), fromNullMicros(used)
	return k, nil
}

func (s *conn) CreateClientKey(ctx context.Context, k domain.ClientKey) error {
	_, err := s.exec(ctx, `INSERT INTO client_keys (`+clientKeyColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		k.ID, k.OrgID, k.ClientID, k.KID, k.Algorithm, k.PublicJWK, k.Thumbprint, k.Description, micros(k.CreatedAt), k.CreatedBy,
		nullMicros(k.ExpiresAt), nullMicros(k.RevokedAt), nullMicros(k.LastUsedAt), k.LastUsedFrom, k.JWKSURI)
	return s.conflict(err, "the client already has a key with this kid")
}

func (s *conn) GetClientKey(ctx context.Context, org domain.OrgID, id domain.ClientKeyID) (domain.ClientKey, error) {
	return scanClientKey(s.queryRow(ctx, `SELECT `+clientKeyColumns+` FROM client_keys WHERE org_id = ? AND id = ?`, org, id))
}

func (s *conn) ListClientKeys(ctx context.Context, org domain.OrgID, clientID domain.ClientID) ([]domain.ClientKey, error) {
	rows, err := s.query(ctx, `SELECT `+clientKeyColumns+` FROM client_keys WHERE org_id = ? AND client_id = ? ORDER BY created_at, id`, org, clientID)
	return collect(rows, err, scanClientKey)
}

func (s *conn) UpdateClientKey(ctx context.Context, org domain.OrgID, id domain.ClientKeyID, fn func(*domain.ClientKey) error) (domain.ClientKey, error) {
	return update(ctx, s, func(c *conn) (domain.ClientKey, error) {
		k, err := scanClientKey(c.queryRow(ctx, `SELECT `+clientKeyColumns+` FROM client_keys WHERE org_id = ? AND id = ?`+c.lock(), org, id))
		if err == nil && k.RevokedAt != nil {
			return k, domain.Conflict("the key is revoked; a revoked key cannot be edited")
		}
		return k, err
	}, fn, func(c *conn, k domain.ClientKey) error {
		return mustAffect(c.exec(ctx, `UPDATE client_keys SET description = ?, expires_at = ? WHERE org_id = ? AND id = ?`,
			k.Description, nullMicros(k.ExpiresAt), org, id))
	})
}

func (s *conn) RevokeClientKey(ctx context.Context, org domain.OrgID, id domain.ClientKeyID, at time.Time) (bool, error) {
	n, err := rowsAffected(s.exec(ctx, `UPDATE client_keys SET revoked_at = ? WHERE org_id = ? AND id = ? AND revoked_at IS NULL`, micros(at), org, id))
	if err != nil || n == 1 {
		return n == 1, err
	}
	// Nothing changed: either it does not exist or it is already revoked.
	_, err = s.GetClientKey(ctx, org, id)
	return false, err
}

func (s *conn) RevokeClientKeys(ctx context.Context, org domain.OrgID, clientID domain.ClientID, at time.Time) (int, error) {
	n, err := rowsAffected(s.exec(ctx, `UPDATE client_keys SET revoked_at = ? WHERE org_id = ? AND client_id = ? AND revoked_at IS NULL`, micros(at), org, clientID))
	return int(n), err
}

// TouchKeysLastUsed implements store.ClientKeys: the latest use of each
// key, the rows locked in ID order (overlapping batches of two nodes never
// deadlock), then one conditional UPDATE per key.
func (s *conn) TouchKeysLastUsed(ctx context.Context, uses []domain.ClientKeyUse) error {
	batch := latestUses(uses, func(u domain.ClientKeyUse) (domain.ClientKeyID, time.Time) { return u.KeyID, u.At })
	if len(batch) == 0 {
		return nil
	}
	return s.atomic(ctx, func(t *conn) error {
		for part := range slices.Chunk(batch, importBatch) {
			ids := make([]any, len(part))
			for i, u := range part {
				ids[i] = u.KeyID
			}
			in := "?" + strings.Repeat(", ?", len(part)-1)
			if err := t.lockRows(ctx, `SELECT id FROM client_keys WHERE id IN (`+in+`) ORDER BY id`, ids...); err != nil {
				return err
			}
			for _, u := range part {
				if _, err := t.exec(ctx, `UPDATE client_keys SET last_used_at = ?, last_used_from = ?
					WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`, micros(u.At), u.From, u.KeyID, micros(u.At)); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// ConsumeAssertionID implements store.ClientAssertions with one
// statement: the insert wins, or takes over an entry that has expired; a
// live entry is left alone (no row affected: a replay). Two nodes
// inserting the same pair at once are serialised by the primary key.
func (s *conn) ConsumeAssertionID(ctx context.Context, client domain.ClientID, jti string, expires, now time.Time) (bool, error) {
	n, err := rowsAffected(s.exec(ctx, `INSERT INTO client_assertions (client_id, jti, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (client_id, jti) DO UPDATE SET expires_at = excluded.expires_at WHERE client_assertions.expires_at <= ?`,
		client, jti, micros(expires), micros(now)))
	return n == 1, err
}

func (s *conn) DeleteAssertionIDsBefore(ctx context.Context, t time.Time) (int, error) {
	n, err := rowsAffected(s.exec(ctx, `DELETE FROM client_assertions WHERE expires_at < ?`, micros(t)))
	return int(n), err
}

// loadClientKeys reads a client's keys for LoadClientAuth.
func (s *conn) loadClientKeys(ctx context.Context, clientID domain.ClientID) ([]domain.ClientKey, error) {
	rows, err := s.query(ctx, `SELECT `+clientKeyColumns+` FROM client_keys WHERE client_id = ? ORDER BY created_at, id`, clientID)
	return collect(rows, err, scanClientKey)
}
