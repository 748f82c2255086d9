package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"keywarden/internal/domain"
)

const auditColumns = `seq, id, org_id, at, actor_kind, actor_id, action, target, source, result, detail, prev_hash, hash, client_id, changes`

func scanAudit(row interface{ Scan(...any) error }) (domain.AuditEvent, error) {
	var e domain.AuditEvent
	var at int64
	var detail, changes string
	if err := row.Scan(&e.Seq, &e.ID, &e.OrgID, &at, &e.ActorKind, &e.ActorID, &e.Action, &e.Target, &e.Source, &e.Result,
		&detail, &e.PrevHash, &e.Hash, &e.ClientID, &changes); err != nil {
		return e, notFound(err)
	}
	e.At = fromMicros(at)
	if detail != "" {
		if err := json.Unmarshal([]byte(detail), &e.Detail); err != nil {
			return e, fmt.Errorf("audit event %d: detail: %w", e.Seq, err)
		}
	}
	if changes != "" {
		if err := json.Unmarshal([]byte(changes), &e.Changes); err != nil {
			return e, fmt.Errorf("audit event %d: changes: %w", e.Seq, err)
		}
	}
	return e, nil
}

func (s *conn) AuditHead(ctx context.Context) (int64, []byte, error) {
	var seq int64
	var hash []byte
	err := s.queryRow(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`+s.dialect.LockSuffix()).Scan(&seq, &hash)
	return seq, hash, err
}

func (s *conn) AppendAudit(ctx context.Context, e domain.AuditEvent) error {
	detail := ""
	if len(e.Detail) > 0 {
		b, err := json.Marshal(e.Detail)
		if err != nil {
			return err
		}
		detail = string(b)
	}
	changes := ""
	if len(e.Changes) > 0 {
		b, err := json.Marshal(e.Changes)
		if err != nil {
			return err
		}
		changes = string(b)
	}
	// Both statements run in one transaction, so a refused append leaves
	// nothing behind.
	return s.atomic(ctx, func(tx *conn) error {
		// Moving the head first, conditionally, makes a stale or skipping
		// sequence number fail before anything is written.
		if err := mustAffect(tx.exec(ctx, `UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1 AND seq = ?`, e.Seq, e.Hash, e.Seq-1)); err != nil {
			if err == domain.ErrNotFound {
				return domain.Conflict(fmt.Sprintf("audit sequence %d does not follow the chain head", e.Seq))
			}
			return err
		}
		_, err := tx.exec(ctx, `INSERT INTO audit_events (`+auditColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			e.Seq, e.ID, e.OrgID, micros(e.At), e.ActorKind, e.ActorID, e.Action, e.Target, e.Source, e.Result, detail, e.PrevHash, e.Hash,
			e.Client(), changes)
		return s.conflict(err, "audit sequence taken")
	})
}

func (s *conn) ListAudit(ctx context.Context, org domain.OrgID, f domain.AuditFilter) ([]domain.AuditEvent, string, error) {
	query, args, err := listAuditQuery(s.dialect, org, f)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.query(ctx, query, args...)
	if err != nil {
		return nil, "", err
	}
	out, err := collectAudit(rows)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if limit := f.Page.Size(); len(out) > limit {
		out = out[:limit]
		next = domain.EncodeSeq(out[limit-1].Seq)
	}
	return out, next, nil
}

// ListAuditQuery returns ListAudit's statement, in the engine's
// placeholders, and its arguments: for the plan tests, which EXPLAIN it.
func (s *Store) ListAuditQuery(org domain.OrgID, f domain.AuditFilter) (string, []any, error) {
	q, args, err := listAuditQuery(s.dialect, org, f)
	return s.q(q), args, err
}

// listAuditQuery is ListAudit's statement: one page plus one row, newest
// first. Every filter is a search of an index that starts with org_id
// (migrations 00051 and 00066; the plan tests check each); an action prefix is a
// range of that index, compared byte by byte (d.Binary) so that a
// language's collation cannot put other actions inside the range.
func listAuditQuery(d Dialect, org domain.OrgID, f domain.AuditFilter) (string, []any, error) {
	var where strings.Builder
	args := []any{org}
	where.WriteString(`org_id = ?`)
	if f.Action != "" {
		if strings.HasSuffix(f.Action, ".") {
			// Every action that starts with "x." sorts from "x." to
			// before "x/" ("/" follows ".").
			where.WriteString(` AND action` + d.Binary() + ` >= ? AND action` + d.Binary() + ` < ?`)
			args = append(args, f.Action, strings.TrimSuffix(f.Action, ".")+"/")
		} else {
			where.WriteString(` AND action` + d.Binary() + ` = ?`)
			args = append(args, f.Action)
		}
	}
	if f.ActorID != "" {
		where.WriteString(` AND actor_id = ?`)
		args = append(args, f.ActorID)
	}
	if f.Target != "" {
		where.WriteString(` AND target = ?`)
		args = append(args, f.Target)
	}
	if f.ClientID != "" {
		where.WriteString(` AND client_id = ?`)
		args = append(args, f.ClientID)
	}
	if !f.Since.IsZero() {
		where.WriteString(` AND at >= ?`)
		args = append(args, micros(f.Since))
	}
	if !f.Until.IsZero() {
		where.WriteString(` AND at < ?`)
		args = append(args, micros(f.Until))
	}
	if f.Page.After != "" {
		before, err := domain.DecodeSeq(f.Page.After)
		if err != nil {
			return "", nil, err
		}
		where.WriteString(` AND seq < ?`)
		args = append(args, before)
	}
	args = append(args, f.Page.Size()+1)
	return `SELECT ` + auditColumns + ` FROM audit_events WHERE ` + where.String() + ` ORDER BY seq DESC LIMIT ?`, args, nil
}

func (s *conn) ScanAudit(ctx context.Context, after int64, limit int) ([]domain.AuditEvent, error) {
	rows, err := s.query(ctx, `SELECT `+auditColumns+` FROM audit_events WHERE seq > ? ORDER BY seq LIMIT ?`, after, limit)
	if err != nil {
		return nil, err
	}
	return collectAudit(rows)
}

func collectAudit(rows *sql.Rows) ([]domain.AuditEvent, error) {
	defer rows.Close()
	var out []domain.AuditEvent
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func (s *conn) auditArchive(ctx context.Context) (*domain.AuditArchive, error) {
	var a domain.AuditArchive
	var at int64
	err := s.queryRow(ctx, `SELECT seq, hash, archived_at, mac FROM audit_archive WHERE id = 1`).Scan(&a.Seq, &a.Hash, &at, &a.MAC)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	a.ArchivedAt = fromMicros(at)
	return &a, nil
}

func (s *conn) ReadAuditSnapshot(ctx context.Context, fn func(st domain.AuditChainState, events func(after int64, each func(domain.AuditEvent) error) error) error) error {
	if s.tx != nil {
		return errors.New("ReadAuditSnapshot runs in a snapshot of its own, not inside a transaction")
	}
	// Read only: SQLite begins a deferred (read) transaction for it rather
	// than taking the write lock; PostgreSQL's REPEATABLE READ keeps one
	// snapshot for every statement.
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return fmt.Errorf("begin snapshot: %w", err)
	}
	defer tx.Rollback()
	snap := &conn{db: s.db, tx: tx, dialect: s.dialect, queries: s.queries, bus: s.bus, life: s.life}
	var st domain.AuditChainState
	if err := snap.queryRow(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&st.HeadSeq, &st.HeadHash); err != nil {
		return fmt.Errorf("audit head: %w", err)
	}
	if st.Archive, err = snap.auditArchive(ctx); err != nil {
		return fmt.Errorf("audit archive mark: %w", err)
	}
	events := func(after int64, each func(domain.AuditEvent) error) error {
		rows, err := snap.query(ctx, `SELECT `+auditColumns+` FROM audit_events WHERE seq > ? AND seq <= ? ORDER BY seq`, after, st.HeadSeq)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			e, err := scanAudit(rows)
			if err != nil {
				return err
			}
			if err := each(e); err != nil {
				return err
			}
		}
		return rows.Err()
	}
	return fn(st, events)
}

func (s *conn) ArchiveAudit(ctx context.Context, a domain.AuditArchive) (int64, error) {
	var n int64
	err := s.atomic(ctx, func(tx *conn) error {
		// The head's lock orders archiving with appends.
		head, _, err := tx.AuditHead(ctx)
		if err != nil {
			return err
		}
		cur, err := tx.auditArchive(ctx)
		if err != nil {
			return err
		}
		switch {
		case a.Seq > head:
			return domain.Conflict(fmt.Sprintf("audit archive up to %d is past the head (%d)", a.Seq, head))
		case cur != nil && a.Seq <= cur.Seq:
			return domain.Conflict(fmt.Sprintf("audit archive up to %d does not move the mark (%d) forward", a.Seq, cur.Seq))
		}
		if cur == nil {
			_, err = tx.exec(ctx, `INSERT INTO audit_archive (id, seq, hash, archived_at, mac) VALUES (1, ?, ?, ?, ?)`, a.Seq, a.Hash, micros(a.ArchivedAt), a.MAC)
		} else {
			_, err = tx.exec(ctx, `UPDATE audit_archive SET seq = ?, hash = ?, archived_at = ?, mac = ? WHERE id = 1`, a.Seq, a.Hash, micros(a.ArchivedAt), a.MAC)
		}
		if err != nil {
			return err
		}
		res, err := tx.exec(ctx, `DELETE FROM audit_events WHERE seq <= ?`, a.Seq)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}

// auditNameSources say where each kind of ID an event may hold is named:
// by its prefix, the table, the name column and, for what belongs to a
// client, the client column.
var auditNameSources = []struct {
	prefix, kind, query string
}{
	{domain.PrefixClient, "client", `SELECT id, 'client', name, '' FROM clients WHERE org_id = ? AND id IN (%s)`},
	{domain.PrefixPersonal, "client", `SELECT id, 'client', name, '' FROM clients WHERE org_id = ? AND id IN (%s)`},
	{domain.PrefixSecret, "secret", `SELECT id, 'secret', CASE WHEN description <> '' THEN description ELSE '…' || hint END, client_id FROM secrets WHERE org_id = ? AND id IN (%s)`},
	{domain.PrefixUser, "user", `SELECT id, 'user', email, '' FROM users WHERE org_id = ? AND id IN (%s)`},
	{domain.PrefixToken, "api_token", `SELECT id, 'api_token', name, '' FROM api_tokens WHERE org_id = ? AND id IN (%s)`},
	{domain.PrefixRotation, "rotation", `SELECT r.id, 'rotation', c.name, r.client_id FROM rotations r JOIN clients c ON c.id = r.client_id WHERE r.org_id = ? AND r.id IN (%s)`},
}

// maxAuditNames bounds one AuditNames call (a page of events names far
// fewer).
const maxAuditNames = 2000

func (s *conn) AuditNames(ctx context.Context, org domain.OrgID, ids []string) (map[string]domain.AuditName, error) {
	out := map[string]domain.AuditName{}
	var parts []string
	var args []any
	seen := map[string]bool{}
	for _, src := range auditNameSources {
		var mine []any
		for _, id := range ids {
			if strings.HasPrefix(id, src.prefix) && !seen[id] && len(seen) < maxAuditNames {
				seen[id] = true
				mine = append(mine, id)
			}
		}
		if len(mine) == 0 {
			continue
		}
		parts = append(parts, fmt.Sprintf(src.query, strings.TrimSuffix(strings.Repeat("?, ", len(mine)), ", ")))
		args = append(append(args, org), mine...)
	}
	if len(parts) == 0 {
		return out, nil
	}
	// One round trip for every kind.
	rows, err := s.query(ctx, strings.Join(parts, " UNION ALL "), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var n domain.AuditName
		if err := rows.Scan(&id, &n.Kind, &n.Name, &n.ClientID); err != nil {
			return nil, err
		}
		out[id] = n
	}
	return out, rows.Err()
}
