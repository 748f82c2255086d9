package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"keywarden/internal/domain"
)

// Health reads the overview's figures in a fixed number of queries,
// however many clients and secrets the organisation has.
func (s *conn) Health(ctx context.Context, org domain.OrgID, q domain.HealthQuery) (domain.Health, error) {
	now := micros(q.Now)
	limit := q.Limit
	if limit <= 0 {
		limit = 20
	}
	var h domain.Health
	const activeSecret = `x.revoked_at IS NULL AND (x.expires_at IS NULL OR x.expires_at > ?)`
	secrets := func(where, order string, args ...any) ([]domain.HealthSecret, error) {
		rows, err := s.query(ctx, `SELECT x.id, x.client_id, c.name, x.description, x.created_at, x.expires_at, x.last_used_at
			FROM secrets x JOIN clients c ON c.id = x.client_id
			WHERE x.org_id = ? AND c.owner_user_id IS NULL AND `+activeSecret+` AND `+where+` ORDER BY `+order+` LIMIT ?`,
			append(append([]any{org, now}, args...), limit)...)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []domain.HealthSecret
		for rows.Next() {
			var x domain.HealthSecret
			var created int64
			var exp, used sql.NullInt64
			if err := rows.Scan(&x.SecretID, &x.ClientID, &x.ClientName, &x.Description, &created, &exp, &used); err != nil {
				return nil, err
			}
			x.CreatedAt, x.ExpiresAt, x.LastUsedAt = fromMicros(created), fromNullMicros(exp), fromNullMicros(used)
			out = append(out, x)
		}
		return out, rows.Err()
	}
	var err error
	if h.Expiring, err = secrets(`x.expires_at IS NOT NULL AND x.expires_at <= ?`, `x.expires_at, x.id`, micros(q.Horizon)); err != nil {
		return h, fmt.Errorf("expiring secrets: %w", err)
	}
	h.ExpiringWithin = map[int]int{}
	day := int64(86400 * 1e6)
	var d1, d7, d14 int
	if err := s.queryRow(ctx, `SELECT
			COALESCE(SUM(CASE WHEN x.expires_at <= ? THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN x.expires_at <= ? THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN x.expires_at <= ? THEN 1 ELSE 0 END), 0)
		FROM secrets x JOIN clients c ON c.id = x.client_id
		WHERE x.org_id = ? AND c.owner_user_id IS NULL AND x.revoked_at IS NULL AND x.expires_at > ? AND x.expires_at <= ?`,
		now+day, now+7*day, now+14*day, org, now, now+14*day).Scan(&d1, &d7, &d14); err != nil {
		return h, fmt.Errorf("expiring counts: %w", err)
	}
	h.ExpiringWithin[1], h.ExpiringWithin[7], h.ExpiringWithin[14] = d1, d7, d14
	unused := micros(q.UnusedSince)
	if h.Unused, err = secrets(`COALESCE(x.last_used_at, x.created_at) < ?`, `COALESCE(x.last_used_at, x.created_at), x.id`, unused); err != nil {
		return h, fmt.Errorf("unused secrets: %w", err)
	}
	if err := s.queryRow(ctx, `SELECT COUNT(*) FROM secrets x JOIN clients c ON c.id = x.client_id
		WHERE x.org_id = ? AND c.owner_user_id IS NULL AND `+activeSecret+` AND COALESCE(x.last_used_at, x.created_at) < ?`, org, now, unused).Scan(&h.UnusedCount); err != nil {
		return h, fmt.Errorf("unused count: %w", err)
	}

	// A client that authenticates with a key (private_key_jwt) has a
	// credential too.
	const noActive = `FROM clients c WHERE c.org_id = ? AND c.owner_user_id IS NULL AND c.disabled = 0
		AND NOT EXISTS (SELECT 1 FROM secrets x WHERE x.client_id = c.id AND ` + activeSecret + `)
		AND NOT EXISTS (SELECT 1 FROM client_keys k WHERE k.client_id = c.id AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > ?))`
	rows, err := s.query(ctx, `SELECT c.id, c.name, c.created_at `+noActive+` ORDER BY c.created_at DESC, c.id LIMIT ?`, org, now, now, limit)
	if err != nil {
		return h, fmt.Errorf("clients without a secret: %w", err)
	}
	for rows.Next() {
		var c domain.HealthClient
		var created int64
		if err := rows.Scan(&c.ClientID, &c.Name, &created); err != nil {
			rows.Close()
			return h, err
		}
		c.Since = fromMicros(created)
		h.NoActiveSecret = append(h.NoActiveSecret, c)
	}
	rows.Close()
	if err := s.queryRow(ctx, `SELECT COUNT(*) `+noActive, org, now, now).Scan(&h.NoActiveSecretCount); err != nil {
		return h, fmt.Errorf("clients without a secret: %w", err)
	}

	rows, err = s.query(ctx, `SELECT e.client_id, c.name, e.failing_since, e.disabled_at, e.disabled_reason
		FROM webhook_endpoints e JOIN clients c ON c.id = e.client_id
		WHERE e.org_id = ? AND (e.failing_since IS NOT NULL OR e.disabled_at IS NOT NULL) ORDER BY e.client_id LIMIT ?`, org, limit)
	if err != nil {
		return h, fmt.Errorf("failing endpoints: %w", err)
	}
	for rows.Next() {
		var c domain.HealthClient
		var failing, disabled sql.NullInt64
		if err := rows.Scan(&c.ClientID, &c.Name, &failing, &disabled, &c.Detail); err != nil {
			rows.Close()
			return h, err
		}
		if disabled.Valid {
			c.Since = fromMicros(disabled.Int64)
			if c.Detail == "" {
				c.Detail = "disabled"
			}
		} else {
			c.Since, c.Detail = fromMicros(failing.Int64), "failing"
		}
		h.FailingEndpoints = append(h.FailingEndpoints, c)
	}
	rows.Close()

	rows, err = s.query(ctx, `SELECT `+rotationColumns+` FROM rotations WHERE org_id = ? AND completed_at IS NULL ORDER BY started_at, id LIMIT ?`, org, limit)
	if err != nil {
		return h, fmt.Errorf("open rotations: %w", err)
	}
	for rows.Next() {
		r, err := scanRotation(rows)
		if err != nil {
			rows.Close()
			return h, err
		}
		h.OpenRotations = append(h.OpenRotations, r)
	}
	rows.Close()

	h.Personal = map[domain.UserID]domain.HealthSecret{}
	rows, err = s.query(ctx, `SELECT c.owner_user_id, x.id, c.id, x.created_at, x.expires_at, x.last_used_at
		FROM clients c JOIN secrets x ON x.client_id = c.id
		WHERE c.org_id = ? AND c.owner_user_id IS NOT NULL AND `+activeSecret, org, now)
	if err != nil {
		return h, fmt.Errorf("personal credentials: %w", err)
	}
	for rows.Next() {
		var user string
		var x domain.HealthSecret
		var created int64
		var exp, used sql.NullInt64
		if err := rows.Scan(&user, &x.SecretID, &x.ClientID, &created, &exp, &used); err != nil {
			rows.Close()
			return h, err
		}
		x.CreatedAt, x.ExpiresAt, x.LastUsedAt = fromMicros(created), fromNullMicros(exp), fromNullMicros(used)
		if cur, ok := h.Personal[domain.UserID(user)]; !ok || x.CreatedAt.After(cur.CreatedAt) {
			h.Personal[domain.UserID(user)] = x // the newest active (a rotation's grace keeps two)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return h, err
	}

	since := micros(q.FailuresSince)
	if err := s.queryRow(ctx, `SELECT
			COALESCE(SUM(CASE WHEN at >= ? THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN at < ? THEN 1 ELSE 0 END), 0)
		FROM audit_events WHERE org_id = ? AND result = ? AND at >= ?`,
		since, since, org, string(domain.ResultFailure), since-7*day).Scan(&h.Failures, &h.FailuresWeekBefore); err != nil {
		return h, fmt.Errorf("failed authentications: %w", err)
	}
	return h, nil
}
