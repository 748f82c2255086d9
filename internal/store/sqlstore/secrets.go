package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"maps"
	"slices"
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
	_, err := s.exec(ctx, `INSERT INTO secrets (`+secretColumns+`, next_notice_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		x.ID, x.OrgID, x.ClientID, x.Description, micros(x.CreatedAt), x.CreatedBy, nullMicros(x.ExpiresAt), nullMicros(x.RevokedAt),
		nullMicros(x.LastUsedAt), x.LastUsedFrom, x.Hint, string(x.Origin), verifier, x.Hash, x.Sealed,
		strings.Join(x.AllowedCIDRs, ","), boolInt(x.KeepTokens), nullMicros(domain.FirstNoticeAt(x)))
	if err != nil {
		return s.conflict(err, "secret exists")
	}
	return s.recordDigest(ctx, x.Digest, domain.LeakSecret, x.Verifier, x.CreatedAt)
}

func (s *conn) GetSecret(ctx context.Context, org domain.OrgID, id domain.SecretID) (domain.Secret, error) {
	return scanSecret(s.queryRow(ctx, `SELECT `+secretColumns+` FROM secrets WHERE org_id = ? AND id = ?`, org, id))
}

func (s *conn) ListSecrets(ctx context.Context, org domain.OrgID, clientID domain.ClientID) ([]domain.Secret, error) {
	rows, err := s.query(ctx, `SELECT `+secretColumns+` FROM secrets WHERE org_id = ? AND client_id = ? ORDER BY created_at, id`, org, clientID)
	return collect(rows, err, scanSecret)
}

func (s *conn) SecretByVerifier(ctx context.Context, verifier []byte) (domain.Secret, error) {
	return scanSecret(s.queryRow(ctx, `SELECT `+secretColumns+` FROM secrets WHERE verifier = ?`, verifier))
}

func (s *conn) UpdateSecret(ctx context.Context, org domain.OrgID, id domain.SecretID, fn func(*domain.Secret) error) (domain.Secret, error) {
	var before *time.Time
	return update(ctx, s, func(c *conn) (domain.Secret, error) {
		x, err := scanSecret(c.queryRow(ctx, `SELECT `+secretColumns+` FROM secrets WHERE org_id = ? AND id = ?`+c.lock(), org, id))
		if err == nil && x.RevokedAt != nil {
			return x, domain.Conflict("the secret is revoked; a revoked secret cannot be edited")
		}
		before = x.ExpiresAt
		return x, err
	}, fn, func(c *conn, x domain.Secret) error {
		if sameTime(before, x.ExpiresAt) {
			return mustAffect(c.exec(ctx, `UPDATE secrets SET description = ?, allowed_cidrs = ? WHERE org_id = ? AND id = ?`,
				x.Description, strings.Join(x.AllowedCIDRs, ","), org, id))
		}
		// A new expiry: its notices start over from the first.
		return mustAffect(c.exec(ctx, `UPDATE secrets SET description = ?, expires_at = ?, allowed_cidrs = ?, next_notice_at = ? WHERE org_id = ? AND id = ?`,
			x.Description, nullMicros(x.ExpiresAt), strings.Join(x.AllowedCIDRs, ","), nullMicros(domain.FirstNoticeAt(x)), org, id))
	})
}

func (s *conn) RevokeSecret(ctx context.Context, org domain.OrgID, id domain.SecretID, at time.Time, keepTokens bool) (bool, error) {
	n, err := rowsAffected(s.exec(ctx, `UPDATE secrets SET revoked_at = ?, keep_tokens = ?, next_notice_at = NULL WHERE org_id = ? AND id = ? AND revoked_at IS NULL`, micros(at), boolInt(keepTokens), org, id))
	if err != nil || n == 1 {
		return n == 1, err
	}
	// Nothing changed: either it does not exist or it is already revoked.
	_, err = s.GetSecret(ctx, org, id)
	return false, err
}

func (s *conn) RevokeClientSecrets(ctx context.Context, org domain.OrgID, clientID domain.ClientID, at time.Time) (int, error) {
	res, err := s.exec(ctx, `UPDATE secrets SET revoked_at = ?, keep_tokens = 0, next_notice_at = NULL WHERE org_id = ? AND client_id = ? AND revoked_at IS NULL`, micros(at), org, clientID)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// latestUses keeps the latest use of each credential, sorted by its ID:
// the order in which last-used flushes lock rows, so that two nodes'
// overlapping batches never deadlock.
func latestUses[U any, K cmp.Ordered](uses []U, of func(U) (K, time.Time)) []U {
	latest := map[K]U{}
	for _, u := range uses {
		id, at := of(u)
		if cur, ok := latest[id]; !ok {
			latest[id] = u
		} else if _, curAt := of(cur); at.After(curAt) {
			latest[id] = u
		}
	}
	return slices.SortedFunc(maps.Values(latest), func(a, b U) int {
		ida, _ := of(a)
		idb, _ := of(b)
		return cmp.Compare(ida, idb)
	})
}

// TouchLastUsed implements store.Secrets: the latest use of each secret,
// its rows locked in ID order (two nodes flushing overlapping batches
// never deadlock), then one UPDATE for the whole batch.
func (s *conn) TouchLastUsed(ctx context.Context, uses []domain.SecretUse) error {
	batch := latestUses(uses, func(u domain.SecretUse) (domain.SecretID, time.Time) { return u.SecretID, u.At })
	if len(batch) == 0 {
		return nil
	}
	return s.atomic(ctx, func(t *conn) error {
		for part := range slices.Chunk(batch, importBatch) {
			ids := make([]any, len(part))
			values := make([]string, len(part))
			args := make([]any, 0, 3*len(part))
			for i, u := range part {
				ids[i] = u.SecretID
				values[i] = "(?, CAST(? AS BIGINT), ?)"
				args = append(args, u.SecretID, micros(u.At), u.From)
			}
			in := "?" + strings.Repeat(", ?", len(part)-1)
			if err := t.lockRows(ctx, `SELECT id FROM secrets WHERE id IN (`+in+`) ORDER BY id`, ids...); err != nil {
				return err
			}
			if _, err := t.exec(ctx, `UPDATE secrets SET last_used_at = v.column2, last_used_from = v.column3
				FROM (VALUES `+strings.Join(values, ", ")+`) AS v
				WHERE secrets.id = v.column1 AND (secrets.last_used_at IS NULL OR secrets.last_used_at < v.column2)`, args...); err != nil {
				return err
			}
			// The client's last use is its secrets' latest: the batch's
			// clients, locked in ID order too, then one UPDATE.
			if err := t.lockRows(ctx, `SELECT id FROM clients WHERE id IN (SELECT client_id FROM secrets WHERE id IN (`+in+`)) ORDER BY id`, ids...); err != nil {
				return err
			}
			if _, err := t.exec(ctx, `UPDATE clients SET last_used_at = m.at
				FROM (SELECT s.client_id AS id, MAX(v.column2) AS at FROM (VALUES `+strings.Join(values, ", ")+`) AS v
					JOIN secrets s ON s.id = v.column1 GROUP BY s.client_id) AS m
				WHERE clients.id = m.id AND (clients.last_used_at IS NULL OR clients.last_used_at < m.at)`, args...); err != nil {
				return err
			}
		}
		return nil
	})
}

// lockRows locks the rows query selects, in its order, until the
// transaction ends (PostgreSQL; SQLite's transaction already holds the
// write lock, and this does nothing).
func (t *conn) lockRows(ctx context.Context, query string, args ...any) error {
	lock := t.lock()
	if lock == "" {
		return nil
	}
	rows, err := t.query(ctx, query+lock, args...)
	if err != nil {
		return err
	}
	for rows.Next() {
	}
	rows.Close()
	return rows.Err()
}

func sameTime(a, b *time.Time) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && micros(*a) == micros(*b))
}
