package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"keywarden/internal/domain"
	"keywarden/internal/store"
)

// Dialect is what differs between SQL engines.
type Dialect interface {
	// Rebind rewrites "?" placeholders into the engine's form.
	Rebind(query string) string
	// LockSuffix is appended to a SELECT whose rows must stay locked until
	// commit (" FOR UPDATE" on PostgreSQL; SQLite transactions already hold
	// the write lock).
	LockSuffix() string
	// Binary follows a text column that must compare byte by byte (""
	// on SQLite, whose default is BINARY; ` COLLATE "C"` on PostgreSQL),
	// as the index on it does.
	Binary() string
	IsUniqueViolation(err error) bool
	// IsRetryable reports whether a transaction failed only because of a
	// concurrent one and can be run again.
	IsRetryable(err error) bool
}

// conn runs statements on the database, or inside a transaction when tx
// is set. It carries every data method; Store and Tx add what only each of
// them may do.
type conn struct {
	db      *sql.DB
	tx      *sql.Tx // set inside a transaction
	dialect Dialect
	queries *sync.Map // query text → rebound text, shared with transactions
	bus     Bus
	life    *life // shared with transactions
	// afterCommit collects what runs once tx commits (AfterCommit).
	afterCommit *[]func()
	capture     *capture // Store.Capture: nil but in query-plan tests
}

// Store implements store.Store over a *sql.DB.
type Store struct {
	*conn
	closeFn func() error
}

// Tx implements store.Tx: the handle InTx gives fn.
type Tx struct{ *conn }

var (
	_ store.Store = (*Store)(nil)
	_ store.Tx    = (*Tx)(nil)
)

// New returns a Store whose notifications travel on bus (a LocalBus of its
// own when bus is nil). closeFn, if not nil, runs after the database
// closes.
func New(db *sql.DB, d Dialect, bus Bus, closeFn func() error) *Store {
	if bus == nil {
		bus = NewLocalBus()
	}
	return &Store{conn: &conn{db: db, dialect: d, queries: &sync.Map{}, bus: bus, life: newLife()}, closeFn: closeFn}
}

// DB returns the underlying database, for backends' own statements.
func (s *Store) DB() *sql.DB { return s.db }

func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// Close ends every Listen, waits for them to return, and closes the
// database. Closing a closed Store does nothing.
func (s *Store) Close() error {
	if !s.life.close() {
		return nil
	}
	err := s.db.Close()
	if s.closeFn != nil {
		err = errors.Join(err, s.closeFn())
	}
	return err
}

// InTx implements store.Store.
func (s *Store) InTx(ctx context.Context, fn func(tx store.Tx) error) error {
	return s.atomic(ctx, func(c *conn) error { return fn(&Tx{c}) })
}

const maxTxAttempts = 5

// atomic runs fn in c's transaction, or in one of its own (retried after a
// serialization failure or deadlock) when c has none: the methods that
// take several statements use it, so that each is one step inside or
// outside a caller's transaction. Callers outside this package cannot join
// a transaction: a Tx has no InTx.
func (c *conn) atomic(ctx context.Context, fn func(c *conn) error) error {
	if c.tx != nil {
		return fn(c)
	}
	var err error
	for attempt := range maxTxAttempts {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Duration(attempt*attempt) * 5 * time.Millisecond):
			}
		}
		err = c.runTx(ctx, fn)
		if err == nil || !c.dialect.IsRetryable(err) {
			return err
		}
	}
	return err
}

func (c *conn) runTx(ctx context.Context, fn func(c *conn) error) (err error) {
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	// Rollback after Commit is a no-op; deferring it unconditionally also
	// releases the transaction (and SQLite's write lock) if fn panics.
	defer tx.Rollback()
	var after []func()
	if err = fn(&conn{db: c.db, tx: tx, dialect: c.dialect, queries: c.queries, bus: c.bus, life: c.life, afterCommit: &after, capture: c.capture}); err != nil {
		return err
	}
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	for _, f := range after {
		f()
	}
	return nil
}

// lock is appended to a SELECT whose rows stay locked until the
// transaction ends (" FOR UPDATE" on PostgreSQL; SQLite's IMMEDIATE
// transactions already hold the database's write lock).
func (c *conn) lock() string { return c.dialect.LockSuffix() }

func (s *conn) q(query string) string {
	if v, ok := s.queries.Load(query); ok {
		return v.(string)
	}
	r := s.dialect.Rebind(query)
	s.queries.Store(query, r)
	return r
}

func (s *conn) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if s.tx != nil {
		return s.tx.ExecContext(ctx, s.q(query), args...)
	}
	return s.db.ExecContext(ctx, s.q(query), args...)
}

func (s *conn) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	s.record(s.q(query), args)
	if s.tx != nil {
		return s.tx.QueryContext(ctx, s.q(query), args...)
	}
	return s.db.QueryContext(ctx, s.q(query), args...)
}

func (s *conn) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	s.record(s.q(query), args)
	if s.tx != nil {
		return s.tx.QueryRowContext(ctx, s.q(query), args...)
	}
	return s.db.QueryRowContext(ctx, s.q(query), args...)
}

// mustAffect turns "no row changed" into ErrNotFound.
func mustAffect(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return domain.ErrNotFound
	}
	return nil
}

// notFound maps sql.ErrNoRows to domain.ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return domain.ErrNotFound
	}
	return err
}

func (s *conn) conflict(err error, reason string) error {
	if err != nil && s.dialect.IsUniqueViolation(err) {
		return domain.Conflict(reason)
	}
	return err
}

// Time columns.

func micros(t time.Time) int64 { return t.UnixMicro() }

func nullMicros(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMicro(), Valid: true}
}

func fromMicros(m int64) time.Time { return time.UnixMicro(m).UTC() }

func fromNullMicros(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := fromMicros(n.Int64)
	return &t
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// RebindDollar rewrites "?" into "$1", "$2", … (PostgreSQL). Queries here
// never contain "?" inside string literals.
func RebindDollar(query string) string {
	var b strings.Builder
	b.Grow(len(query) + 8)
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

// update is the read–change–write of one row in one transaction: read
// (which locks the row) hands fn the stored value, and write stores what
// fn leaves. When fn returns store.ErrNoChange nothing is written and the
// value is returned as read.
func update[T any](ctx context.Context, c *conn, read func(c *conn) (T, error), fn func(*T) error, write func(c *conn, v T) error) (T, error) {
	var out T
	err := c.atomic(ctx, func(c *conn) error {
		v, err := read(c)
		if err != nil {
			return err
		}
		switch err := fn(&v); {
		case errors.Is(err, store.ErrNoChange):
			out = v
			return nil
		case err != nil:
			return err
		}
		if err := write(c, v); err != nil {
			return err
		}
		out = v
		return nil
	})
	if err != nil {
		var zero T
		return zero, err
	}
	return out, nil
}

// PoolStats implements store.Store.
func (s *Store) PoolStats() sql.DBStats { return s.db.Stats() }

// collect scans every row of a query's result with scan; rows and err are
// what the query returned.
func collect[T any](rows *sql.Rows, err error, scan func(interface{ Scan(...any) error }) (T, error)) ([]T, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		x, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}
