package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"keywarden/internal/domain"
)

const clientColumns = `id, org_id, name, description, scopes, token_ttl, webhook_url, disabled, created_at, updated_at, tokens_revoked_at, owner_user_id, webhook_events`

func scanClient(row interface{ Scan(...any) error }) (domain.Client, error) {
	var c domain.Client
	var scopes string
	var disabled int
	var created, updated int64
	var tokensRevoked sql.NullInt64
	var owner sql.NullString
	var events string
	if err := row.Scan(&c.ID, &c.OrgID, &c.Name, &c.Description, &scopes, &c.TokenTTL, &c.WebhookURL, &disabled, &created, &updated, &tokensRevoked, &owner, &events); err != nil {
		return c, notFound(err)
	}
	if err := json.Unmarshal([]byte(scopes), &c.Scopes); err != nil {
		return c, fmt.Errorf("client %s: scopes: %w", c.ID, err)
	}
	c.Disabled, c.CreatedAt, c.UpdatedAt, c.TokensRevokedAt = disabled != 0, fromMicros(created), fromMicros(updated), fromNullMicros(tokensRevoked)
	c.OwnerUserID = domain.UserID(owner.String)
	if events != "" {
		if err := json.Unmarshal([]byte(events), &c.WebhookEvents); err != nil {
			return c, fmt.Errorf("client %s: webhook events: %w", c.ID, err)
		}
	}
	return c, nil
}

func scopesJSON(scopes []string) string {
	if scopes == nil {
		scopes = []string{}
	}
	b, _ := json.Marshal(scopes) // a []string always marshals
	return string(b)
}

func (s *conn) CreateClient(ctx context.Context, c domain.Client) error {
	_, err := s.exec(ctx, `INSERT INTO clients (`+clientColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.OrgID, c.Name, c.Description, scopesJSON(c.Scopes), c.TokenTTL, c.WebhookURL, boolInt(c.Disabled), micros(c.CreatedAt), micros(c.UpdatedAt), nullMicros(c.TokensRevokedAt), nullString(string(c.OwnerUserID)), webhookEventsJSON(c.WebhookEvents))
	return s.conflict(err, "client exists")
}

func (s *conn) GetClient(ctx context.Context, org domain.OrgID, id domain.ClientID) (domain.Client, error) {
	return scanClient(s.queryRow(ctx, `SELECT `+clientColumns+` FROM clients WHERE org_id = ? AND id = ?`, org, id))
}

func (s *conn) LookupClient(ctx context.Context, id domain.ClientID) (domain.Client, error) {
	return scanClient(s.queryRow(ctx, `SELECT `+clientColumns+` FROM clients WHERE id = ?`, id))
}

func (s *conn) ListClients(ctx context.Context, org domain.OrgID, page domain.Page) ([]domain.Client, string, error) {
	limit := page.Size()
	var rows *sql.Rows
	var err error
	if page.After == "" {
		rows, err = s.query(ctx, `SELECT `+clientColumns+` FROM clients WHERE org_id = ? AND owner_user_id IS NULL
			ORDER BY created_at, id LIMIT ?`, org, limit+1)
	} else {
		cur, cerr := domain.DecodeCursor(page.After)
		if cerr != nil {
			return nil, "", cerr
		}
		at := micros(cur.At)
		rows, err = s.query(ctx, `SELECT `+clientColumns+` FROM clients WHERE org_id = ? AND owner_user_id IS NULL
			AND (created_at > ? OR (created_at = ? AND id > ?))
			ORDER BY created_at, id LIMIT ?`, org, at, at, cur.ID, limit+1)
	}
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	var out []domain.Client
	for rows.Next() {
		c, err := scanClient(rows)
		if err != nil {
			return nil, "", err
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		last := out[limit-1]
		next = domain.Cursor{At: last.CreatedAt, ID: string(last.ID)}.Encode()
	}
	return out, next, nil
}

func (s *conn) UpdateClient(ctx context.Context, org domain.OrgID, id domain.ClientID, fn func(*domain.Client) error) (domain.Client, error) {
	return update(ctx, s, func(c *conn) (domain.Client, error) {
		return c.lockClient(ctx, org, id)
	}, fn, func(tx *conn, c domain.Client) error {
		return mustAffect(tx.exec(ctx, `UPDATE clients SET name = ?, description = ?, scopes = ?, token_ttl = ?, webhook_url = ?, disabled = ?, updated_at = ?, tokens_revoked_at = ?, webhook_events = ?
			WHERE org_id = ? AND id = ?`,
			c.Name, c.Description, scopesJSON(c.Scopes), c.TokenTTL, c.WebhookURL, boolInt(c.Disabled), micros(c.UpdatedAt), nullMicros(c.TokensRevokedAt), webhookEventsJSON(c.WebhookEvents), org, id))
	})
}

func (s *conn) lockClient(ctx context.Context, org domain.OrgID, id domain.ClientID) (domain.Client, error) {
	return scanClient(s.queryRow(ctx, `SELECT `+clientColumns+` FROM clients WHERE org_id = ? AND id = ?`+s.lock(), org, id))
}

// LockClient implements store.Locks.
func (t *Tx) LockClient(ctx context.Context, org domain.OrgID, id domain.ClientID) (domain.Client, error) {
	return t.lockClient(ctx, org, id)
}

func (s *conn) DeleteClient(ctx context.Context, org domain.OrgID, id domain.ClientID) error {
	return mustAffect(s.exec(ctx, `DELETE FROM clients WHERE org_id = ? AND id = ?`, org, id))
}

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

func (s *conn) PersonalClient(ctx context.Context, org domain.OrgID, userID domain.UserID) (domain.Client, error) {
	return scanClient(s.queryRow(ctx, `SELECT `+clientColumns+` FROM clients WHERE org_id = ? AND owner_user_id = ?`, org, userID))
}
