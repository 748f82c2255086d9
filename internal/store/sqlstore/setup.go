package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"keywarden/internal/domain"
)

func (s *conn) CreateSetupToken(ctx context.Context, t domain.SetupToken) error {
	_, err := s.exec(ctx, `INSERT INTO setup_tokens (verifier, created_at, expires_at, used_at) VALUES (?, ?, ?, ?)`,
		t.Verifier, micros(t.CreatedAt), micros(t.ExpiresAt), nullMicros(t.UsedAt))
	return s.conflict(err, "setup token exists")
}

func (s *conn) GetSetupToken(ctx context.Context, verifier []byte) (domain.SetupToken, error) {
	return s.getSetupToken(ctx, verifier, "")
}

func (s *conn) getSetupToken(ctx context.Context, verifier []byte, lock string) (domain.SetupToken, error) {
	var t domain.SetupToken
	var created, expires int64
	var used sql.NullInt64
	err := s.queryRow(ctx, `SELECT verifier, created_at, expires_at, used_at FROM setup_tokens WHERE verifier = ?`+lock, verifier).
		Scan(&t.Verifier, &created, &expires, &used)
	if err != nil {
		return t, notFound(err)
	}
	t.CreatedAt, t.ExpiresAt, t.UsedAt = fromMicros(created), fromMicros(expires), fromNullMicros(used)
	return t, nil
}

func (s *conn) ConsumeSetupToken(ctx context.Context, verifier []byte, at time.Time) (domain.SetupToken, bool, error) {
	var before domain.SetupToken
	var won bool
	err := s.atomic(ctx, func(c *conn) error {
		// The row stays locked until commit (PostgreSQL; SQLite holds the
		// write lock): a concurrent consumer waits, then reads it used.
		var err error
		if before, err = c.getSetupToken(ctx, verifier, c.lock()); err != nil {
			return err
		}
		if !before.Usable(at) {
			won = false
			return nil
		}
		res, err := c.exec(ctx, `UPDATE setup_tokens SET used_at = ? WHERE verifier = ? AND used_at IS NULL AND expires_at > ?`,
			micros(at), verifier, micros(at))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		won = n == 1
		return err
	})
	return before, won, err
}

func (s *conn) ClaimInstallation(ctx context.Context, org domain.OrgID, at time.Time) (bool, error) {
	// An UPDATE of the one row: on PostgreSQL a concurrent claimer waits
	// for the row and then re-checks set_up_at, so it loses.
	res, err := s.exec(ctx, `UPDATE installation SET set_up_at = ?, org_id = ?
		WHERE id = 1 AND set_up_at IS NULL AND NOT EXISTS (SELECT 1 FROM organizations)`, micros(at), org)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func (s *conn) Installed(ctx context.Context) (bool, error) {
	var n int
	err := s.queryRow(ctx, `SELECT CASE WHEN set_up_at IS NOT NULL OR EXISTS (SELECT 1 FROM organizations) THEN 1 ELSE 0 END
		FROM installation WHERE id = 1`).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("installation: %w", err)
	}
	return n == 1, nil
}

func (s *conn) DeleteSetupTokensBefore(ctx context.Context, t time.Time) (int, error) {
	res, err := s.exec(ctx, `DELETE FROM setup_tokens WHERE expires_at < ?`, micros(t))
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// OpsStats implements store.Stats, on the indexes of migration 00031. The
// predicates repeat the partial indexes' own as literals, not parameters,
// so that both engines' planners match them to the index.
func (s *conn) OpsStats(ctx context.Context, now time.Time, expiringWithin []time.Duration) (domain.OpsStats, error) {
	var out domain.OpsStats
	if err := s.queryRow(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM webhook_messages WHERE status = 'pending' LIMIT ?) p`,
		domain.OutboxCountCap).Scan(&out.OutboxPending); err != nil {
		return out, fmt.Errorf("outbox depth: %w", err)
	}
	// ORDER BY … LIMIT 1 rather than MIN: both planners then read the
	// first pending entry of (status, retry_from).
	var oldest int64
	switch err := s.queryRow(ctx, `SELECT retry_from FROM webhook_messages WHERE status = 'pending' ORDER BY retry_from LIMIT 1`).Scan(&oldest); {
	case err == nil:
		out.OutboxOldest = fromMicros(oldest)
	case !errors.Is(err, sql.ErrNoRows):
		return out, fmt.Errorf("outbox age: %w", err)
	}
	if err := s.queryRow(ctx, `SELECT (SELECT COUNT(*) FROM webhook_endpoints e JOIN clients c ON c.id = e.client_id AND c.webhook_url = e.url
		WHERE e.disabled_at IS NOT NULL) + (SELECT COUNT(*) FROM org_webhook_endpoints WHERE disabled_at IS NOT NULL)`).Scan(&out.EndpointsDisabled); err != nil {
		return out, fmt.Errorf("disabled endpoints: %w", err)
	}
	if len(expiringWithin) == 0 {
		return out, nil
	}
	var cols []string
	args := []any{}
	longest := expiringWithin[0]
	for _, w := range expiringWithin {
		cols = append(cols, "COALESCE(SUM(CASE WHEN expires_at <= ? THEN 1 ELSE 0 END), 0)")
		args = append(args, micros(now.Add(w)))
		longest = max(longest, w)
	}
	args = append(args, micros(now), micros(now.Add(longest)))
	out.SecretsExpiring = make([]int, len(expiringWithin))
	dest := make([]any, len(expiringWithin))
	for i := range dest {
		dest[i] = &out.SecretsExpiring[i]
	}
	if err := s.queryRow(ctx, `SELECT `+strings.Join(cols, ", ")+` FROM secrets
		WHERE revoked_at IS NULL AND expires_at IS NOT NULL AND expires_at > ? AND expires_at <= ?`, args...).Scan(dest...); err != nil {
		return out, fmt.Errorf("expiring secrets: %w", err)
	}
	return out, nil
}
