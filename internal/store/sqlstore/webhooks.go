package sqlstore

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"keywarden/internal/domain"
)

// Webhook outbox, delivery log, endpoint health and expiry notices.

// webhookEventsJSON stores a client's event selection: "" for every event
// (nil or empty), else a JSON array.
func webhookEventsJSON(events []string) string {
	if len(events) == 0 {
		return ""
	}
	b, _ := json.Marshal(events) // a []string always marshals
	return string(b)
}

const webhookMessageColumns = `id, org_id, client_id, endpoint_id, event_type, payload, created_at, status, attempts, retry_count, retry_from,
	next_attempt_at, last_attempt_at, last_status_code, last_error, delivered_at, payload_deleted_at`

func scanWebhookMessage(row interface{ Scan(...any) error }) (domain.WebhookMessage, error) {
	var m domain.WebhookMessage
	var payload string
	var created, retryFrom int64
	var next, last, delivered, deleted sql.NullInt64
	var client, endpoint sql.NullString
	if err := row.Scan(&m.ID, &m.OrgID, &client, &endpoint, &m.EventType, &payload, &created, &m.Status, &m.Attempts, &m.RetryCount, &retryFrom,
		&next, &last, &m.LastStatusCode, &m.LastError, &delivered, &deleted); err != nil {
		return m, notFound(err)
	}
	m.ClientID, m.EndpointID = domain.ClientID(client.String), endpoint.String
	m.PayloadDeletedAt = fromNullMicros(deleted)
	m.Payload = []byte(payload)
	m.CreatedAt, m.RetryFrom = fromMicros(created), fromMicros(retryFrom)
	m.NextAttemptAt, m.LastAttemptAt, m.DeliveredAt = fromNullMicros(next), fromNullMicros(last), fromNullMicros(delivered)
	return m, nil
}

func (s *conn) collectWebhookMessages(ctx context.Context, query string, args ...any) ([]domain.WebhookMessage, error) {
	rows, err := s.query(ctx, query, args...)
	return collect(rows, err, scanWebhookMessage)
}

func (s *conn) CreateWebhookMessage(ctx context.Context, m domain.WebhookMessage) error {
	_, err := s.exec(ctx, `INSERT INTO webhook_messages (`+webhookMessageColumns+`, claim_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '')`,
		m.ID, m.OrgID, nullString(string(m.ClientID)), nullString(m.EndpointID), m.EventType, string(m.Payload), micros(m.CreatedAt), m.Status, m.Attempts, m.RetryCount, micros(m.RetryFrom),
		nullMicros(m.NextAttemptAt), nullMicros(m.LastAttemptAt), m.LastStatusCode, m.LastError, nullMicros(m.DeliveredAt), nullMicros(m.PayloadDeletedAt))
	return s.conflict(err, "webhook message exists")
}

func (s *conn) GetWebhookMessage(ctx context.Context, org domain.OrgID, id string) (domain.WebhookMessage, error) {
	return scanWebhookMessage(s.queryRow(ctx, `SELECT `+webhookMessageColumns+` FROM webhook_messages WHERE org_id = ? AND id = ?`, org, id))
}

// A message's target: the column that names its endpoint.
const (
	byClient   = "client_id"
	byEndpoint = "endpoint_id"
)

func (s *conn) ListWebhookMessages(ctx context.Context, org domain.OrgID, clientID domain.ClientID, f domain.WebhookFilter) ([]domain.WebhookMessage, string, error) {
	return s.listWebhookMessages(ctx, org, byClient, string(clientID), f)
}

func (s *conn) ListEndpointWebhookMessages(ctx context.Context, org domain.OrgID, endpointID string, f domain.WebhookFilter) ([]domain.WebhookMessage, string, error) {
	return s.listWebhookMessages(ctx, org, byEndpoint, endpointID, f)
}

func (s *conn) listWebhookMessages(ctx context.Context, org domain.OrgID, target, id string, f domain.WebhookFilter) ([]domain.WebhookMessage, string, error) {
	limit := f.Page.Size()
	where := `org_id = ? AND ` + target + ` = ?`
	args := []any{org, id}
	if f.Status != "" {
		where += ` AND status = ?`
		args = append(args, f.Status)
	}
	page, pargs, err := keyset("created_at", true, f.Page.After)
	if err != nil {
		return nil, "", err
	}
	out, err := s.collectWebhookMessages(ctx, `SELECT `+webhookMessageColumns+` FROM webhook_messages WHERE `+where+page+order("created_at", true),
		append(append(args, pargs...), limit+1)...)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		last := out[limit-1]
		next = domain.Cursor{At: last.CreatedAt, ID: last.ID}.Encode()
	}
	return out, next, nil
}

// skipLocked is the lock clause of a claim: on an engine with row locks
// (LockSuffix " FOR UPDATE") a claim skips the rows another node's claim
// holds instead of waiting for them; SQLite's write lock already makes
// claims take turns.
func (s *conn) skipLocked() string {
	if l := s.dialect.LockSuffix(); l != "" {
		return l + " SKIP LOCKED"
	}
	return ""
}

func (s *conn) ClaimWebhookMessages(ctx context.Context, now, until time.Time, claimID string, limit int) ([]domain.WebhookMessage, error) {
	const due = ` FROM webhook_messages WHERE status = 'pending' AND next_attempt_at <= ?`
	if s.tx == nil {
		// Most polls find nothing: find that out with a read, without
		// taking SQLite's write lock.
		var one int
		err := s.queryRow(ctx, `SELECT 1`+due+` LIMIT 1`, micros(now)).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
	}
	var out []domain.WebhookMessage
	err := s.atomic(ctx, func(tx *conn) error {
		var err error
		out, err = tx.collectWebhookMessages(ctx, `SELECT `+webhookMessageColumns+due+`
			ORDER BY next_attempt_at, id LIMIT ?`+tx.skipLocked(), micros(now), limit)
		if err != nil {
			return err
		}
		for i := range out {
			if _, err := tx.exec(ctx, `UPDATE webhook_messages SET next_attempt_at = ?, claim_id = ? WHERE id = ?`,
				micros(until), claimID, out[i].ID); err != nil {
				return err
			}
			out[i].NextAttemptAt = &until
		}
		return nil
	})
	return out, err
}

func (s *conn) FinishWebhookMessage(ctx context.Context, m domain.WebhookMessage, claimID string) error {
	err := mustAffect(s.exec(ctx, `UPDATE webhook_messages SET status = ?, attempts = ?, retry_count = ?, retry_from = ?,
		next_attempt_at = ?, last_attempt_at = ?, last_status_code = ?, last_error = ?, delivered_at = ?, claim_id = ''
		WHERE org_id = ? AND id = ? AND claim_id = ?`,
		m.Status, m.Attempts, m.RetryCount, micros(m.RetryFrom), nullMicros(m.NextAttemptAt), nullMicros(m.LastAttemptAt),
		m.LastStatusCode, m.LastError, nullMicros(m.DeliveredAt), m.OrgID, m.ID, claimID))
	if err == domain.ErrNotFound {
		return domain.Conflict("the webhook message is no longer claimed by this delivery")
	}
	return err
}

func (s *conn) RedeliverWebhookMessage(ctx context.Context, org domain.OrgID, id string, at time.Time) error {
	return mustAffect(s.exec(ctx, `UPDATE webhook_messages SET status = 'pending', next_attempt_at = ?, retry_from = ?, retry_count = 0,
		last_error = '', claim_id = '' WHERE org_id = ? AND id = ? AND payload_deleted_at IS NULL`, micros(at), micros(at), org, id))
}

func (s *conn) ReplayWebhookMessages(ctx context.Context, org domain.OrgID, clientID domain.ClientID, since time.Time, all bool,
	at time.Time, spacing time.Duration, limit int) (int, error) {
	return s.replayWebhookMessages(ctx, org, byClient, string(clientID), since, all, at, spacing, limit)
}

func (s *conn) ReplayEndpointWebhookMessages(ctx context.Context, org domain.OrgID, endpointID string, since time.Time, all bool,
	at time.Time, spacing time.Duration, limit int) (int, error) {
	return s.replayWebhookMessages(ctx, org, byEndpoint, endpointID, since, all, at, spacing, limit)
}

func (s *conn) replayWebhookMessages(ctx context.Context, org domain.OrgID, target, targetID string, since time.Time, all bool,
	at time.Time, spacing time.Duration, limit int) (int, error) {
	status := `status = 'failed' AND payload_deleted_at IS NULL`
	if all {
		status = `status <> 'pending' AND payload_deleted_at IS NULL`
	}
	n := 0
	err := s.atomic(ctx, func(tx *conn) error {
		rows, err := tx.query(ctx, `SELECT id FROM webhook_messages WHERE org_id = ? AND `+target+` = ? AND created_at >= ? AND `+status+`
			ORDER BY created_at, id LIMIT ?`+tx.lock(), org, targetID, micros(since), limit)
		if err != nil {
			return err
		}
		var ids []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		n = 0
		for i, id := range ids {
			due := micros(at.Add(time.Duration(i) * spacing))
			// The status condition again: a message redelivered meanwhile
			// (SQLite has no row lock) is left alone.
			c, err := rowsAffected(tx.exec(ctx, `UPDATE webhook_messages SET status = 'pending', next_attempt_at = ?, retry_from = ?,
				retry_count = 0, last_error = '', claim_id = '' WHERE id = ? AND `+status, due, due, id))
			if err != nil {
				return err
			}
			n += c
		}
		return nil
	})
	return n, err
}

func (s *conn) CountFailedWebhookMessages(ctx context.Context, org domain.OrgID, clientID domain.ClientID, since time.Time, limit int) (int, error) {
	return s.countFailedWebhookMessages(ctx, org, byClient, string(clientID), since, limit)
}

func (s *conn) CountFailedEndpointWebhookMessages(ctx context.Context, org domain.OrgID, endpointID string, since time.Time, limit int) (int, error) {
	return s.countFailedWebhookMessages(ctx, org, byEndpoint, endpointID, since, limit)
}

func (s *conn) countFailedWebhookMessages(ctx context.Context, org domain.OrgID, target, id string, since time.Time, limit int) (int, error) {
	var n int
	err := s.queryRow(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM webhook_messages WHERE org_id = ? AND `+target+` = ? AND created_at >= ?
		AND status = 'failed' LIMIT ?) AS failed`, org, id, micros(since), limit).Scan(&n)
	return n, err
}

func (s *conn) DeleteWebhookPayloadsBefore(ctx context.Context, t, at time.Time, limit int) (int, error) {
	n := 0
	err := s.atomic(ctx, func(tx *conn) error {
		var err error
		n, err = rowsAffected(tx.exec(ctx, `UPDATE webhook_messages SET payload = '', payload_deleted_at = ? WHERE id IN (
			SELECT id FROM webhook_messages WHERE status <> 'pending' AND created_at < ? AND payload_deleted_at IS NULL
			ORDER BY created_at LIMIT ?)`, micros(at), micros(t), limit))
		if err != nil {
			return err
		}
		_, err = tx.exec(ctx, `UPDATE webhook_attempts SET response_excerpt = '' WHERE id IN (
			SELECT id FROM webhook_attempts WHERE attempted_at < ? AND response_excerpt <> '' ORDER BY attempted_at LIMIT ?)`, micros(t), limit)
		return err
	})
	return n, err
}

func (s *conn) DeleteWebhookPayload(ctx context.Context, org domain.OrgID, id string, at time.Time) error {
	return s.atomic(ctx, func(tx *conn) error {
		if err := mustAffect(tx.exec(ctx, `UPDATE webhook_messages SET payload = '', payload_deleted_at = COALESCE(payload_deleted_at, ?),
			status = CASE WHEN status = 'pending' THEN 'failed' ELSE status END,
			last_error = CASE WHEN status = 'pending' THEN 'the payload was deleted' ELSE last_error END,
			next_attempt_at = NULL, claim_id = '' WHERE org_id = ? AND id = ?`, micros(at), org, id)); err != nil {
			return err
		}
		_, err := tx.exec(ctx, `UPDATE webhook_attempts SET response_excerpt = '' WHERE org_id = ? AND message_id = ?`, org, id)
		return err
	})
}

func (s *conn) DeleteWebhookMessagesBefore(ctx context.Context, t time.Time) (int, error) {
	return rowsAffected(s.exec(ctx, `DELETE FROM webhook_messages WHERE status <> 'pending' AND created_at < ?`, micros(t)))
}

const webhookAttemptColumns = `id, message_id, org_id, client_id, attempted_at, url, status_code, latency_us, error, response_excerpt`

func (s *conn) AddWebhookAttempt(ctx context.Context, a domain.WebhookAttempt) error {
	_, err := s.exec(ctx, `INSERT INTO webhook_attempts (`+webhookAttemptColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.ID, a.MessageID, a.OrgID, a.ClientID, micros(a.At), a.URL, a.StatusCode, a.Latency.Microseconds(), a.Error, a.ResponseExcerpt)
	return s.conflict(err, "webhook attempt exists")
}

func (s *conn) ListWebhookAttempts(ctx context.Context, org domain.OrgID, messageID string) ([]domain.WebhookAttempt, error) {
	rows, err := s.query(ctx, `SELECT `+webhookAttemptColumns+` FROM webhook_attempts WHERE org_id = ? AND message_id = ?
		ORDER BY attempted_at, id`, org, messageID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []domain.WebhookAttempt
	for rows.Next() {
		var a domain.WebhookAttempt
		var at, latency int64
		if err := rows.Scan(&a.ID, &a.MessageID, &a.OrgID, &a.ClientID, &at, &a.URL, &a.StatusCode, &latency, &a.Error, &a.ResponseExcerpt); err != nil {
			return nil, err
		}
		a.At, a.Latency = fromMicros(at), time.Duration(latency)*time.Microsecond
		out = append(out, a)
	}
	return out, rows.Err()
}

func (s *conn) GetWebhookEndpoint(ctx context.Context, org domain.OrgID, clientID domain.ClientID) (domain.WebhookEndpoint, error) {
	return s.getWebhookEndpoint(ctx, org, clientID, "")
}

func (s *conn) getWebhookEndpoint(ctx context.Context, org domain.OrgID, clientID domain.ClientID, lock string) (domain.WebhookEndpoint, error) {
	var e domain.WebhookEndpoint
	var failing, exhausted, disabled sql.NullInt64
	var updated int64
	err := s.queryRow(ctx, `SELECT org_id, client_id, url, failing_since, exhausted_at, disabled_at, disabled_reason, updated_at
		FROM webhook_endpoints WHERE org_id = ? AND client_id = ?`+lock, org, clientID).
		Scan(&e.OrgID, &e.ClientID, &e.URL, &failing, &exhausted, &disabled, &e.DisabledReason, &updated)
	if err != nil {
		return e, notFound(err)
	}
	e.FailingSince, e.ExhaustedAt, e.DisabledAt, e.UpdatedAt = fromNullMicros(failing), fromNullMicros(exhausted), fromNullMicros(disabled), fromMicros(updated)
	return e, nil
}

func (s *conn) UpdateWebhookEndpoint(ctx context.Context, org domain.OrgID, clientID domain.ClientID, url string, at time.Time,
	fn func(*domain.WebhookEndpoint) error) (domain.WebhookEndpoint, error) {
	return update(ctx, s, func(c *conn) (domain.WebhookEndpoint, error) {
		// ON CONFLICT DO NOTHING: a concurrent creator waits for the first
		// to commit, then both lock the one row.
		if _, err := c.exec(ctx, `INSERT INTO webhook_endpoints (client_id, org_id, url, disabled_reason, updated_at)
			VALUES (?, ?, ?, '', ?) ON CONFLICT (client_id) DO NOTHING`, clientID, org, url, micros(at)); err != nil {
			return domain.WebhookEndpoint{}, err
		}
		return c.getWebhookEndpoint(ctx, org, clientID, c.lock())
	}, fn, func(c *conn, e domain.WebhookEndpoint) error {
		return mustAffect(c.exec(ctx, `UPDATE webhook_endpoints SET url = ?, failing_since = ?, exhausted_at = ?, disabled_at = ?, disabled_reason = ?,
			updated_at = ? WHERE org_id = ? AND client_id = ?`,
			e.URL, nullMicros(e.FailingSince), nullMicros(e.ExhaustedAt), nullMicros(e.DisabledAt), e.DisabledReason, micros(e.UpdatedAt), org, clientID))
	})
}

func (s *conn) DisableWebhookEndpoint(ctx context.Context, org domain.OrgID, clientID domain.ClientID, url string, at time.Time, reason string) (bool, error) {
	n, err := rowsAffected(s.exec(ctx, `UPDATE webhook_endpoints SET disabled_at = ?, disabled_reason = ?, updated_at = ?
		WHERE org_id = ? AND client_id = ? AND url = ? AND disabled_at IS NULL`, micros(at), reason, micros(at), org, clientID, url))
	return n == 1, err
}

func (s *conn) RecordWebhookNotice(ctx context.Context, n domain.WebhookNotice) (bool, error) {
	// ON CONFLICT DO NOTHING instead of catching the unique violation: on
	// PostgreSQL a failed statement would abort the caller's transaction.
	// A concurrent insert of the same key waits for the first to commit
	// and then does nothing.
	c, err := rowsAffected(s.exec(ctx, `INSERT INTO webhook_notices (secret_id, notice, expires_at, org_id, recorded_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		n.SecretID, n.Notice, micros(n.ExpiresAt), n.OrgID, micros(n.RecordedAt)))
	return c == 1, err
}

func (s *conn) ListUnnoticedSecrets(ctx context.Context, notice string, from, to time.Time, after string, limit int) ([]domain.Secret, error) {
	cols := "s." + strings.ReplaceAll(strings.Join(strings.Fields(secretColumns), " "), ", ", ", s.")
	// The partial index secrets_unrevoked_expiry (expires_at, id) WHERE
	// revoked_at IS NULL AND expires_at IS NOT NULL serves the range and
	// the order; the notice is one primary-key probe per secret.
	query := `SELECT ` + cols + ` FROM secrets s
		WHERE s.revoked_at IS NULL AND s.expires_at IS NOT NULL AND s.expires_at > ? AND s.expires_at <= ?
		AND NOT EXISTS (SELECT 1 FROM webhook_notices n WHERE n.secret_id = s.id AND n.notice = ? AND n.expires_at = s.expires_at)`
	args := []any{micros(from), micros(to), notice}
	if after != "" {
		cur, err := domain.DecodeCursor(after)
		if err != nil {
			return nil, err
		}
		at := micros(cur.At)
		query += ` AND s.expires_at >= ? AND (s.expires_at > ? OR s.id > ?)`
		args = append(args, at, at, cur.ID)
	}
	return s.collectSecrets(ctx, query+` ORDER BY s.expires_at, s.id LIMIT ?`, append(args, limit)...)
}

func (s *conn) ListSecretsDueNotice(ctx context.Context, now time.Time, after string, limit int) ([]domain.Secret, string, error) {
	// The partial index secrets_next_notice (next_notice_at, id) WHERE
	// next_notice_at IS NOT NULL serves the range and the order; the
	// sort key is selected after the secret's columns for the cursor.
	query := `SELECT ` + secretColumns + `, next_notice_at FROM secrets WHERE next_notice_at IS NOT NULL AND next_notice_at <= ?`
	args := []any{micros(now)}
	if after != "" {
		cur, err := domain.DecodeCursor(after)
		if err != nil {
			return nil, "", err
		}
		at := micros(cur.At)
		query += ` AND next_notice_at >= ? AND (next_notice_at > ? OR id > ?)`
		args = append(args, at, at, cur.ID)
	}
	rows, err := s.query(ctx, query+` ORDER BY next_notice_at, id LIMIT ?`, append(args, limit+1)...)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	var out []domain.Secret
	var due []int64
	for rows.Next() {
		var at int64
		x, err := scanSecret(rowWith{rows, &at})
		if err != nil {
			return nil, "", err
		}
		out, due = append(out, x), append(due, at)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	if len(out) <= limit {
		return out, "", nil
	}
	out = out[:limit]
	return out, domain.Cursor{At: fromMicros(due[limit-1]), ID: string(out[limit-1].ID)}.Encode(), nil
}

// rowWith scans a row's leading columns with scan and the last into extra.
type rowWith struct {
	row   interface{ Scan(...any) error }
	extra any
}

func (r rowWith) Scan(dest ...any) error { return r.row.Scan(append(dest, r.extra)...) }

func (s *conn) ScheduleSecretNotice(ctx context.Context, org domain.OrgID, id domain.SecretID, expiresAt time.Time, next *time.Time) (bool, error) {
	n, err := rowsAffected(s.exec(ctx, `UPDATE secrets SET next_notice_at = ? WHERE org_id = ? AND id = ? AND expires_at = ? AND revoked_at IS NULL`,
		nullMicros(next), org, id, micros(expiresAt)))
	return n == 1, err
}

func (s *conn) collectSecrets(ctx context.Context, query string, args ...any) ([]domain.Secret, error) {
	rows, err := s.query(ctx, query, args...)
	return collect(rows, err, scanSecret)
}

func (s *conn) ListExpiringSecrets(ctx context.Context, from, to time.Time, after string, limit int) ([]domain.Secret, error) {
	cols := "s." + strings.ReplaceAll(strings.Join(strings.Fields(secretColumns), " "), ", ", ", s.")
	query := `SELECT ` + cols + ` FROM secrets s
		WHERE s.revoked_at IS NULL AND s.expires_at >= ? AND s.expires_at <= ?
		AND NOT EXISTS (SELECT 1 FROM webhook_notices n WHERE n.secret_id = s.id AND n.notice = 'expired' AND n.expires_at = s.expires_at)`
	args := []any{micros(from), micros(to)}
	if after != "" {
		cur, err := domain.DecodeCursor(after)
		if err != nil {
			return nil, err
		}
		at := micros(cur.At)
		query += ` AND (s.expires_at > ? OR (s.expires_at = ? AND s.id > ?))`
		args = append(args, at, at, cur.ID)
	}
	rows, err := s.query(ctx, query+` ORDER BY s.expires_at, s.id LIMIT ?`, append(args, limit)...)
	return collect(rows, err, scanSecret)
}

func (s *conn) CreateWebhookSigningKey(ctx context.Context, k domain.WebhookSigningKey) error {
	_, err := s.exec(ctx, `INSERT INTO webhook_signing_keys (id, org_id, client_id, public_key, sealed, created_at, retired_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, k.ID, k.OrgID, k.ClientID, base64.StdEncoding.EncodeToString(k.PublicKey), k.Sealed,
		micros(k.CreatedAt), nullMicros(k.RetiredAt))
	return s.conflict(err, "webhook signing key exists")
}

func (s *conn) ListWebhookSigningKeys(ctx context.Context, org domain.OrgID, clientID domain.ClientID) ([]domain.WebhookSigningKey, error) {
	rows, err := s.query(ctx, `SELECT id, org_id, client_id, public_key, sealed, created_at, retired_at FROM webhook_signing_keys
		WHERE org_id = ? AND client_id = ? ORDER BY created_at, id`, org, clientID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []domain.WebhookSigningKey
	for rows.Next() {
		var k domain.WebhookSigningKey
		var pub string
		var created int64
		var retired sql.NullInt64
		if err := rows.Scan(&k.ID, &k.OrgID, &k.ClientID, &pub, &k.Sealed, &created, &retired); err != nil {
			return nil, err
		}
		if k.PublicKey, err = base64.StdEncoding.DecodeString(pub); err != nil {
			return nil, err
		}
		k.CreatedAt, k.RetiredAt = fromMicros(created), fromNullMicros(retired)
		out = append(out, k)
	}
	return out, rows.Err()
}

func (s *conn) RetireWebhookSigningKey(ctx context.Context, org domain.OrgID, clientID domain.ClientID, id string, at time.Time) (bool, error) {
	n, err := rowsAffected(s.exec(ctx, `UPDATE webhook_signing_keys SET retired_at = ? WHERE org_id = ? AND client_id = ? AND id = ?
		AND retired_at IS NULL`, micros(at), org, clientID, id))
	if err != nil || n == 1 {
		return n == 1, err
	}
	var one int
	if err := s.queryRow(ctx, `SELECT 1 FROM webhook_signing_keys WHERE org_id = ? AND client_id = ? AND id = ?`, org, clientID, id).Scan(&one); err != nil {
		return false, notFound(err)
	}
	return false, nil
}

// Organisation endpoints.

const orgEndpointColumns = `id, org_id, url, description, events, secret_sealed, secret_created_at, previous_secret_sealed,
	previous_secret_until, failing_since, exhausted_at, disabled_at, disabled_reason, created_at, updated_at`

func scanOrgEndpoint(row interface{ Scan(...any) error }) (domain.OrgWebhookEndpoint, error) {
	var e domain.OrgWebhookEndpoint
	var events string
	var secretCreated, created, updated int64
	var until, failing, exhausted, disabled sql.NullInt64
	if err := row.Scan(&e.ID, &e.OrgID, &e.URL, &e.Description, &events, &e.SecretSealed, &secretCreated, &e.PreviousSealed,
		&until, &failing, &exhausted, &disabled, &e.DisabledReason, &created, &updated); err != nil {
		return e, notFound(err)
	}
	if events != "" {
		if err := json.Unmarshal([]byte(events), &e.Events); err != nil {
			return e, err
		}
	}
	if len(e.PreviousSealed) == 0 {
		e.PreviousSealed = nil
	}
	e.SecretCreatedAt, e.CreatedAt, e.UpdatedAt = fromMicros(secretCreated), fromMicros(created), fromMicros(updated)
	e.PreviousUntil, e.FailingSince, e.ExhaustedAt, e.DisabledAt = fromNullMicros(until), fromNullMicros(failing), fromNullMicros(exhausted), fromNullMicros(disabled)
	return e, nil
}

// nullBytes stores nil as NULL.
func nullBytes(b []byte) any {
	if b == nil {
		return nil
	}
	return b
}

func (s *conn) CreateOrgWebhookEndpoint(ctx context.Context, e domain.OrgWebhookEndpoint) error {
	_, err := s.exec(ctx, `INSERT INTO org_webhook_endpoints (`+orgEndpointColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ID, e.OrgID, e.URL, e.Description, webhookEventsJSON(e.Events), e.SecretSealed, micros(e.SecretCreatedAt), nullBytes(e.PreviousSealed),
		nullMicros(e.PreviousUntil), nullMicros(e.FailingSince), nullMicros(e.ExhaustedAt), nullMicros(e.DisabledAt), e.DisabledReason,
		micros(e.CreatedAt), micros(e.UpdatedAt))
	return s.conflict(err, "webhook endpoint exists")
}

func (s *conn) GetOrgWebhookEndpoint(ctx context.Context, org domain.OrgID, id string) (domain.OrgWebhookEndpoint, error) {
	return scanOrgEndpoint(s.queryRow(ctx, `SELECT `+orgEndpointColumns+` FROM org_webhook_endpoints WHERE org_id = ? AND id = ?`, org, id))
}

func (s *conn) ListOrgWebhookEndpoints(ctx context.Context, org domain.OrgID) ([]domain.OrgWebhookEndpoint, error) {
	rows, err := s.query(ctx, `SELECT `+orgEndpointColumns+` FROM org_webhook_endpoints WHERE org_id = ? ORDER BY created_at, id`, org)
	return collect(rows, err, scanOrgEndpoint)
}

func (s *conn) UpdateOrgWebhookEndpoint(ctx context.Context, org domain.OrgID, id string,
	fn func(*domain.OrgWebhookEndpoint) error) (domain.OrgWebhookEndpoint, error) {
	return update(ctx, s, func(c *conn) (domain.OrgWebhookEndpoint, error) {
		return scanOrgEndpoint(c.queryRow(ctx, `SELECT `+orgEndpointColumns+` FROM org_webhook_endpoints WHERE org_id = ? AND id = ?`+c.lock(), org, id))
	}, fn, func(c *conn, e domain.OrgWebhookEndpoint) error {
		return mustAffect(c.exec(ctx, `UPDATE org_webhook_endpoints SET url = ?, description = ?, events = ?, secret_sealed = ?,
			secret_created_at = ?, previous_secret_sealed = ?, previous_secret_until = ?, failing_since = ?, exhausted_at = ?, disabled_at = ?,
			disabled_reason = ?, updated_at = ? WHERE org_id = ? AND id = ?`,
			e.URL, e.Description, webhookEventsJSON(e.Events), e.SecretSealed, micros(e.SecretCreatedAt), nullBytes(e.PreviousSealed),
			nullMicros(e.PreviousUntil), nullMicros(e.FailingSince), nullMicros(e.ExhaustedAt), nullMicros(e.DisabledAt), e.DisabledReason,
			micros(e.UpdatedAt), org, id))
	})
}

func (s *conn) DeleteOrgWebhookEndpoint(ctx context.Context, org domain.OrgID, id string) error {
	return mustAffect(s.exec(ctx, `DELETE FROM org_webhook_endpoints WHERE org_id = ? AND id = ?`, org, id))
}

func (s *conn) ListOrgWebhookOrgs(ctx context.Context, after domain.OrgID, limit int) ([]domain.OrgID, error) {
	rows, err := s.query(ctx, `SELECT DISTINCT org_id FROM org_webhook_endpoints WHERE disabled_at IS NULL AND org_id > ?
		ORDER BY org_id LIMIT ?`, after, limit)
	return collect(rows, err, func(r interface{ Scan(...any) error }) (domain.OrgID, error) {
		var id domain.OrgID
		return id, r.Scan(&id)
	})
}

func (s *conn) RecordWebhookOrgNotice(ctx context.Context, n domain.WebhookOrgNotice) (bool, error) {
	// ON CONFLICT DO NOTHING, as RecordWebhookNotice.
	c, err := rowsAffected(s.exec(ctx, `INSERT INTO webhook_org_notices (org_id, notice, period, recorded_at)
		VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`, n.OrgID, n.Notice, micros(n.Period), micros(n.RecordedAt)))
	return c == 1, err
}

func (s *conn) ListOrgExpiringSecrets(ctx context.Context, org domain.OrgID, from, to time.Time, limit int) ([]domain.Secret, error) {
	return s.collectSecrets(ctx, `SELECT `+secretColumns+` FROM secrets WHERE org_id = ? AND revoked_at IS NULL AND expires_at IS NOT NULL
		AND expires_at > ? AND expires_at <= ? ORDER BY expires_at, id LIMIT ?`, org, micros(from), micros(to), limit)
}
