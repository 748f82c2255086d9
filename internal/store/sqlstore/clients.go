package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"keywarden/internal/domain"
	"keywarden/internal/store"
)

const clientColumns = `id, org_id, name, description, scopes, token_ttl, webhook_url, disabled, created_at, updated_at, tokens_revoked_at, owner_user_id, webhook_events`

// clientReadColumns are clientColumns and the client's last use, which
// only TouchLastUsed writes.
const clientReadColumns = clientColumns + `, last_used_at`

func scanClient(row interface{ Scan(...any) error }) (domain.Client, error) {
	var c clientScan
	var lastUsed sql.NullInt64
	if err := row.Scan(append(c.dest(), &lastUsed)...); err != nil {
		return c.c, notFound(err)
	}
	out, err := c.client()
	out.LastUsedAt = fromNullMicros(lastUsed)
	return out, err
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
	return scanClient(s.queryRow(ctx, `SELECT `+clientReadColumns+` FROM clients WHERE org_id = ? AND id = ?`, org, id))
}

func (s *conn) LookupClient(ctx context.Context, id domain.ClientID) (domain.Client, error) {
	return scanClient(s.queryRow(ctx, `SELECT `+clientReadColumns+` FROM clients WHERE id = ?`, id))
}

func (s *conn) ListClients(ctx context.Context, org domain.OrgID, page domain.Page) ([]domain.Client, string, error) {
	limit := page.Size()
	var rows *sql.Rows
	var err error
	if page.After == "" {
		rows, err = s.query(ctx, `SELECT `+clientReadColumns+` FROM clients WHERE org_id = ? AND owner_user_id IS NULL
			ORDER BY created_at, id LIMIT ?`, org, limit+1)
	} else {
		cur, cerr := domain.DecodeCursor(page.After)
		if cerr != nil {
			return nil, "", cerr
		}
		at := micros(cur.At)
		rows, err = s.query(ctx, `SELECT `+clientReadColumns+` FROM clients WHERE org_id = ? AND owner_user_id IS NULL
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
	return scanClient(s.queryRow(ctx, `SELECT `+clientReadColumns+` FROM clients WHERE org_id = ? AND id = ?`+s.lock(), org, id))
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
	return scanClient(s.queryRow(ctx, `SELECT `+clientReadColumns+` FROM clients WHERE org_id = ? AND owner_user_id = ?`, org, userID))
}

// SearchClients runs q in two reads however many clients match: the page
// (filters and order in SQL, on the indexes of migration 00025), then the
// active-secret figures of the page's clients in one grouped query.
func (s *conn) SearchClients(ctx context.Context, org domain.OrgID, q domain.ClientQuery) ([]domain.ClientSummary, string, error) {
	limit := q.Page.Size()
	now := micros(q.Now)
	var where []string
	args := []any{org}
	where = append(where, "c.org_id = ?", "c.owner_user_id IS NULL")
	if t := strings.ToLower(strings.TrimSpace(q.Text)); t != "" {
		like := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(t) + "%"
		where = append(where, `(lower(c.name) LIKE ? ESCAPE '\' OR lower(c.id) LIKE ? ESCAPE '\' OR lower(c.description) LIKE ? ESCAPE '\')`)
		args = append(args, like, like, like)
	}
	if q.Disabled != nil {
		where = append(where, "c.disabled = ?")
		args = append(args, boolInt(*q.Disabled))
	}
	const active = `SELECT 1 FROM secrets s WHERE s.client_id = c.id AND s.revoked_at IS NULL AND (s.expires_at IS NULL OR s.expires_at > ?)`
	if q.HasActiveSecret != nil {
		if *q.HasActiveSecret {
			where = append(where, "EXISTS ("+active+")")
		} else {
			where = append(where, "NOT EXISTS ("+active+")")
		}
		args = append(args, now)
	}
	if q.ExpiringBefore != nil {
		where = append(where, "EXISTS ("+active+" AND s.expires_at IS NOT NULL AND s.expires_at < ?)")
		args = append(args, now, micros(*q.ExpiringBefore))
	}
	if q.UnusedSince != nil {
		where = append(where, "COALESCE(c.last_used_at, c.created_at) < ?")
		args = append(args, micros(*q.UnusedSince))
	}
	sort := q.Sort
	var key string
	switch sort {
	case domain.SortName:
		key = "lower(c.name)"
	case domain.SortLastUsed:
		key = "COALESCE(c.last_used_at, 0)"
	default:
		sort, key = domain.SortCreated, "c.created_at"
	}
	dir, cmp := "", ">"
	if q.Desc {
		dir, cmp = " DESC", "<"
	}
	if q.Page.After != "" {
		cur, err := domain.DecodeClientCursor(q.Page.After, sort)
		if err != nil {
			return nil, "", err
		}
		var k any = cur.Key
		if sort != domain.SortName {
			n, _ := strconv.ParseInt(cur.Key, 10, 64)
			k = n
		}
		where = append(where, "("+key+" "+cmp+" ? OR ("+key+" = ? AND c.id "+cmp+" ?))")
		args = append(args, k, k, cur.ID)
	}
	args = append(args, limit+1)
	rows, err := s.query(ctx, `SELECT `+prefixed("c.", clientReadColumns)+` FROM clients c WHERE `+strings.Join(where, " AND ")+
		` ORDER BY `+key+dir+`, c.id`+dir+` LIMIT ?`, args...)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	var out []domain.ClientSummary
	for rows.Next() {
		c, err := scanClient(rows)
		if err != nil {
			return nil, "", err
		}
		out = append(out, domain.ClientSummary{Client: c})
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		last := out[limit-1]
		c := domain.ClientCursor{Sort: sort, ID: string(last.ID)}
		switch sort {
		case domain.SortName:
			c.Key = strings.ToLower(last.Name)
		case domain.SortLastUsed:
			if last.LastUsedAt != nil {
				c.Key = strconv.FormatInt(micros(*last.LastUsedAt), 10)
			} else {
				c.Key = "0"
			}
		default:
			c.Key = strconv.FormatInt(micros(last.CreatedAt), 10)
		}
		next = c.Encode()
	}
	if len(out) == 0 {
		return out, next, nil
	}
	ids := make([]any, 0, len(out)+2)
	ids = append(ids, org, now)
	marks := make([]string, len(out))
	at := make(map[domain.ClientID]int, len(out))
	for i, c := range out {
		ids, marks[i], at[c.ID] = append(ids, string(c.ID)), "?", i
	}
	figs, err := s.query(ctx, `SELECT client_id, COUNT(*), MIN(expires_at) FROM secrets
		WHERE org_id = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?) AND client_id IN (`+strings.Join(marks, ", ")+`)
		GROUP BY client_id`, ids...)
	if err != nil {
		return nil, "", err
	}
	defer figs.Close()
	for figs.Next() {
		var id string
		var n int
		var first sql.NullInt64
		if err := figs.Scan(&id, &n, &first); err != nil {
			return nil, "", err
		}
		i := at[domain.ClientID(id)]
		out[i].ActiveSecrets, out[i].NextExpiry = n, fromNullMicros(first)
	}
	return out, next, figs.Err()
}

// prefixed qualifies every column of a list with p.
func prefixed(p, cols string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		parts[i] = p + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}

// authColumns are clientColumns, the policy and secretColumns of a join
// in which a client without secrets has one row of NULL secret columns.
const authColumns = `c.id, c.org_id, c.name, c.description, c.scopes, c.token_ttl, c.webhook_url, c.disabled, c.created_at,
	c.updated_at, c.tokens_revoked_at, c.owner_user_id, c.webhook_events, o.policy,
	s.id, s.org_id, s.client_id, s.description, s.created_at, s.created_by, s.expires_at, s.revoked_at,
	s.last_used_at, s.last_used_from, s.hint, s.origin, s.verifier, s.hash, s.allowed_cidrs, s.keep_tokens`

// LoadClientAuth implements store.Clients: one query joins the client,
// its organisation and its secrets. The sealed secret values stay in the
// database: authentication never needs them.
func (s *conn) LoadClientAuth(ctx context.Context, id domain.ClientID) (store.ClientAuthData, error) {
	rows, err := s.query(ctx, `SELECT `+authColumns+` FROM clients c JOIN organizations o ON o.id = c.org_id
		LEFT JOIN secrets s ON s.client_id = c.id AND s.org_id = c.org_id
		WHERE c.id = ? ORDER BY s.created_at, s.id`, id)
	if err != nil {
		return store.ClientAuthData{}, err
	}
	defer rows.Close()
	var out store.ClientAuthData
	n := 0
	for rows.Next() {
		var c clientScan
		var policy string
		var x secretScan
		if err := rows.Scan(append(c.dest(), &policy, &x.id, &x.orgID, &x.clientID, &x.description, &x.created, &x.createdBy,
			&x.expires, &x.revoked, &x.used, &x.usedFrom, &x.hint, &x.origin, &x.verifier, &x.hash, &x.cidrs, &x.keep)...); err != nil {
			return store.ClientAuthData{}, err
		}
		if n == 0 {
			if out.Client, err = c.client(); err != nil {
				return store.ClientAuthData{}, err
			}
			if err := json.Unmarshal([]byte(policy), &out.Policy); err != nil {
				return store.ClientAuthData{}, fmt.Errorf("organization %s: policy: %w", out.Client.OrgID, err)
			}
		}
		n++
		if x.id.Valid {
			out.Secrets = append(out.Secrets, x.secret())
		}
	}
	if err := rows.Err(); err != nil {
		return store.ClientAuthData{}, err
	}
	if n == 0 {
		return store.ClientAuthData{}, domain.ErrNotFound
	}
	// The keys (private_key_jwt) in a second query: a cache miss only.
	if out.Keys, err = s.loadClientKeys(ctx, id); err != nil {
		return store.ClientAuthData{}, err
	}
	return out, nil
}

// clientScan holds the scanned columns of clientColumns.
type clientScan struct {
	c             domain.Client
	scopes        string
	disabled      int
	created       int64
	updated       int64
	tokensRevoked sql.NullInt64
	owner         sql.NullString
	events        string
}

func (s *clientScan) dest() []any {
	return []any{&s.c.ID, &s.c.OrgID, &s.c.Name, &s.c.Description, &s.scopes, &s.c.TokenTTL, &s.c.WebhookURL, &s.disabled,
		&s.created, &s.updated, &s.tokensRevoked, &s.owner, &s.events}
}

func (s *clientScan) client() (domain.Client, error) {
	c := s.c
	if err := json.Unmarshal([]byte(s.scopes), &c.Scopes); err != nil {
		return c, fmt.Errorf("client %s: scopes: %w", c.ID, err)
	}
	c.Disabled, c.CreatedAt, c.UpdatedAt, c.TokensRevokedAt = s.disabled != 0, fromMicros(s.created), fromMicros(s.updated), fromNullMicros(s.tokensRevoked)
	c.OwnerUserID = domain.UserID(s.owner.String)
	if s.events != "" {
		if err := json.Unmarshal([]byte(s.events), &c.WebhookEvents); err != nil {
			return c, fmt.Errorf("client %s: webhook events: %w", c.ID, err)
		}
	}
	return c, nil
}

// secretScan holds the columns of one secret that may all be NULL (the
// outer join's row of a client without secrets).
type secretScan struct {
	id, orgID, clientID, description, createdBy, usedFrom, hint, origin, hash, cidrs sql.NullString
	created, expires, revoked, used, keep                                            sql.NullInt64
	verifier                                                                         []byte
}

func (x *secretScan) secret() domain.Secret {
	out := domain.Secret{ID: domain.SecretID(x.id.String), OrgID: domain.OrgID(x.orgID.String), ClientID: domain.ClientID(x.clientID.String),
		Description: x.description.String, CreatedBy: x.createdBy.String, LastUsedFrom: x.usedFrom.String, Hint: x.hint.String,
		Origin: domain.SecretOrigin(x.origin.String), Verifier: x.verifier, Hash: x.hash.String, KeepTokens: x.keep.Int64 != 0,
		CreatedAt: fromMicros(x.created.Int64), ExpiresAt: fromNullMicros(x.expires), RevokedAt: fromNullMicros(x.revoked),
		LastUsedAt: fromNullMicros(x.used)}
	if x.cidrs.String != "" {
		out.AllowedCIDRs = strings.Split(x.cidrs.String, ",")
	}
	return out
}

// importBatch bounds the rows of one multi-row INSERT (SQLite allows
// 32,766 parameters a statement, PostgreSQL 65,535).
const importBatch = 500

// ImportClients implements store.Clients.
func (s *conn) ImportClients(ctx context.Context, clients []store.ImportedClient) error {
	if len(clients) == 0 {
		return nil
	}
	return s.atomic(ctx, func(t *conn) error {
		for part := range slices.Chunk(clients, importBatch) {
			var q strings.Builder
			args := make([]any, 0, len(part)*13)
			q.WriteString(`INSERT INTO clients (` + clientColumns + `) VALUES `)
			for i, c := range part {
				if i > 0 {
					q.WriteString(", ")
				}
				q.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
				args = append(args, c.Client.ID, c.Client.OrgID, c.Client.Name, c.Client.Description, scopesJSON(c.Client.Scopes),
					c.Client.TokenTTL, c.Client.WebhookURL, boolInt(c.Client.Disabled), micros(c.Client.CreatedAt), micros(c.Client.UpdatedAt),
					nullMicros(c.Client.TokensRevokedAt), nullString(string(c.Client.OwnerUserID)), webhookEventsJSON(c.Client.WebhookEvents))
			}
			if _, err := t.exec(ctx, q.String(), args...); err != nil {
				return t.conflict(err, "client exists")
			}
		}
		var secrets []domain.Secret
		for _, c := range clients {
			secrets = append(secrets, c.Secrets...)
		}
		for part := range slices.Chunk(secrets, importBatch) {
			var q strings.Builder
			args := make([]any, 0, len(part)*18)
			q.WriteString(`INSERT INTO secrets (` + secretColumns + `, next_notice_at) VALUES `)
			for i, x := range part {
				if i > 0 {
					q.WriteString(", ")
				}
				q.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
				var verifier any
				if x.Verifier != nil {
					verifier = x.Verifier
				}
				args = append(args, x.ID, x.OrgID, x.ClientID, x.Description, micros(x.CreatedAt), x.CreatedBy, nullMicros(x.ExpiresAt),
					nullMicros(x.RevokedAt), nullMicros(x.LastUsedAt), x.LastUsedFrom, x.Hint, string(x.Origin), verifier, x.Hash, x.Sealed,
					strings.Join(x.AllowedCIDRs, ","), boolInt(x.KeepTokens), nullMicros(domain.FirstNoticeAt(x)))
			}
			if _, err := t.exec(ctx, q.String(), args...); err != nil {
				return t.conflict(err, "secret exists")
			}
			for _, x := range part {
				if err := t.recordDigest(ctx, x.Digest, domain.LeakSecret, x.Verifier, x.CreatedAt); err != nil {
					return err
				}
			}
		}
		return nil
	})
}
