package sqlstore

import (
	"context"
	"database/sql"
	"sync"
	"time"

	"keywarden/internal/domain"
)

// keyset is the WHERE fragment that starts a page after the cursor in a
// list ordered by (col, id), ascending or descending, and its arguments.
// It is written so that both engines seek the (…, col, id) index to the
// cursor and read only the page: a range on col ("col >= ?"), then the
// tie on the ID. (The plain "(col > ? OR (col = ? AND id > ?))" makes
// SQLite read the index from its start.)
func keyset(col string, desc bool, after string) (string, []any, error) {
	if after == "" {
		return "", nil, nil
	}
	cur, err := domain.DecodeCursor(after)
	if err != nil {
		return "", nil, err
	}
	at := micros(cur.At)
	if desc {
		return ` AND ` + col + ` <= ? AND (` + col + ` < ? OR id < ?)`, []any{at, at, cur.ID}, nil
	}
	return ` AND ` + col + ` >= ? AND (` + col + ` > ? OR id > ?)`, []any{at, at, cur.ID}, nil
}

// order is the ORDER BY and LIMIT of a keyset page.
func order(col string, desc bool) string {
	if desc {
		return ` ORDER BY ` + col + ` DESC, id DESC LIMIT ?`
	}
	return ` ORDER BY ` + col + `, id LIMIT ?`
}

// cut trims a page read with limit+1 rows to limit and returns the cursor
// of the next page ("" when this is the last).
func cut[T any](list []T, limit int, key func(T) (time.Time, string)) ([]T, string) {
	if len(list) <= limit {
		return list, ""
	}
	list = list[:limit]
	at, id := key(list[limit-1])
	return list, domain.Cursor{At: at, ID: id}.Encode()
}

func (s *conn) PageSecrets(ctx context.Context, org domain.OrgID, clientID domain.ClientID, page domain.Page) ([]domain.Secret, string, error) {
	limit := page.Size()
	where, args, err := keyset("created_at", false, page.After)
	if err != nil {
		return nil, "", err
	}
	list, err := s.collectSecrets(ctx, `SELECT `+secretColumns+` FROM secrets WHERE org_id = ? AND client_id = ?`+where+order("created_at", false),
		append(append([]any{org, clientID}, args...), limit+1)...)
	if err != nil {
		return nil, "", err
	}
	out, next := cut(list, limit, func(x domain.Secret) (time.Time, string) { return x.CreatedAt, string(x.ID) })
	return out, next, nil
}

func (s *conn) ListActiveSecrets(ctx context.Context, org domain.OrgID, clientID domain.ClientID, now time.Time) ([]domain.Secret, error) {
	// Two index ranges of secrets_client_live (client, expiry) among the
	// unrevoked: never expiring, and expiring after now; expired ones are
	// not read. No ORDER BY: callers look for the newest
	// (domain.NewestActive).
	return s.collectSecrets(ctx, `SELECT `+secretColumns+` FROM secrets WHERE org_id = ? AND client_id = ? AND revoked_at IS NULL AND expires_at IS NULL
		UNION ALL SELECT `+secretColumns+` FROM secrets WHERE org_id = ? AND client_id = ? AND revoked_at IS NULL AND expires_at > ?`,
		org, clientID, org, clientID, micros(now))
}

func (s *conn) SecretsByID(ctx context.Context, org domain.OrgID, ids []domain.SecretID) ([]domain.Secret, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	args := make([]any, 0, len(ids)+1)
	args = append(args, org)
	marks := make([]byte, 0, 2*len(ids))
	for i, id := range ids {
		if i > 0 {
			marks = append(marks, ',')
		}
		marks = append(marks, '?')
		args = append(args, id)
	}
	// Not cached by s.q: the text depends on how many IDs there are.
	query := s.dialect.Rebind(`SELECT ` + secretColumns + ` FROM secrets WHERE org_id = ? AND id IN (` + string(marks) + `) ORDER BY created_at, id`)
	s.record(query, args)
	var rows *sql.Rows
	var err error
	if s.tx != nil {
		rows, err = s.tx.QueryContext(ctx, query, args...)
	} else {
		rows, err = s.db.QueryContext(ctx, query, args...)
	}
	return collect(rows, err, scanSecret)
}

func (s *conn) ListRotations(ctx context.Context, org domain.OrgID, clientID domain.ClientID, page domain.Page) ([]domain.Rotation, string, error) {
	limit := page.Size()
	where, args, err := keyset("started_at", true, page.After)
	if err != nil {
		return nil, "", err
	}
	list, err := s.collectRotations(ctx, `SELECT `+rotationColumns+` FROM rotations WHERE org_id = ? AND client_id = ?`+where+order("started_at", true),
		append(append([]any{org, clientID}, args...), limit+1)...)
	if err != nil {
		return nil, "", err
	}
	out, next := cut(list, limit, func(r domain.Rotation) (time.Time, string) { return r.StartedAt, string(r.ID) })
	return out, next, nil
}

func (s *conn) ListRefreshTokens(ctx context.Context, org domain.OrgID, clientID domain.ClientID, page domain.Page) ([]domain.RefreshToken, string, error) {
	limit := page.Size()
	where, args, err := keyset("created_at", true, page.After)
	if err != nil {
		return nil, "", err
	}
	list, err := s.collectRefresh(ctx, `SELECT `+refreshColumns+` FROM refresh_tokens WHERE org_id = ? AND client_id = ?`+where+order("created_at", true),
		append(append([]any{org, clientID}, args...), limit+1)...)
	if err != nil {
		return nil, "", err
	}
	out, next := cut(list, limit, func(t domain.RefreshToken) (time.Time, string) { return t.CreatedAt, string(t.ID) })
	return out, next, nil
}

func (s *conn) PageSessions(ctx context.Context, org domain.OrgID, userID domain.UserID, now time.Time, page domain.Page) ([]domain.Session, string, error) {
	limit := page.Size()
	where, args, err := keyset("created_at", true, page.After)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.query(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE org_id = ? AND user_id = ? AND ended_at IS NULL AND expires_at > ?`+
		where+order("created_at", true), append(append([]any{org, userID, micros(now)}, args...), limit+1)...)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	var list []domain.Session
	for rows.Next() {
		x, err := scanSession(rows)
		if err != nil {
			return nil, "", err
		}
		list = append(list, x)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	out, next := cut(list, limit, func(x domain.Session) (time.Time, string) { return x.CreatedAt, string(x.ID) })
	return out, next, nil
}

// Plans of the paged reads (PagedQueries), for the engines' query-plan
// tests.

// CapturedQuery is a statement a store ran, as the engine got it.
type CapturedQuery struct {
	SQL  string
	Args []any
}

// capture collects the statements of the conns that carry it.
type capture struct {
	mu   sync.Mutex
	list []CapturedQuery
}

// Capture runs fn on a handle of s that records every query it runs, and
// returns them (rebound for the engine), so that a test can ask the engine
// for their plans.
func (s *Store) Capture(fn func(c *Store) error) ([]CapturedQuery, error) {
	cp := &capture{}
	c := *s.conn
	c.capture = cp
	err := fn(&Store{conn: &c})
	return cp.list, err
}

func (s *conn) record(query string, args []any) {
	if s.capture == nil {
		return
	}
	s.capture.mu.Lock()
	s.capture.list = append(s.capture.list, CapturedQuery{SQL: query, Args: args})
	s.capture.mu.Unlock()
}
