package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sync"

	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"keywarden/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// FileName is the database file in the data directory.
const FileName = "keywarden.db"

// Open opens (creating if needed) the database in dataDir and applies
// pending migrations.
//
// Notifications (store.Notifier) reach every store this process opened on
// the same database file, after the sending transaction commits. They do
// not reach other processes: several Keywarden processes on one SQLite
// file are not supported (use PostgreSQL for several nodes).
func Open(ctx context.Context, dataDir string) (*sqlstore.Store, error) {
	db, err := openDB(dataDir)
	if err != nil {
		return nil, err
	}
	if err := migrate(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	bus, release := buses.acquire(filepath.Join(dataDir, FileName))
	return sqlstore.New(db, dialect{}, bus, func() error { release(); return nil }), nil
}

// buses holds one notification bus per database file that is open in this
// process, so that every store on a file hears every other one.
var buses = busRegistry{m: map[string]*sharedBus{}}

type busRegistry struct {
	mu sync.Mutex
	m  map[string]*sharedBus // cleaned absolute path → bus
}

type sharedBus struct {
	bus  *sqlstore.LocalBus
	refs int
}

// acquire returns the bus of the database file at path and a function that
// gives it back when its store closes.
func (r *busRegistry) acquire(path string) (*sqlstore.LocalBus, func()) {
	key := canonical(path)
	r.mu.Lock()
	defer r.mu.Unlock()
	b := r.m[key]
	if b == nil {
		b = &sharedBus{bus: sqlstore.NewLocalBus()}
		r.m[key] = b
	}
	b.refs++
	var once sync.Once
	return b.bus, func() {
		once.Do(func() {
			r.mu.Lock()
			defer r.mu.Unlock()
			if b.refs--; b.refs == 0 {
				delete(r.m, key)
			}
		})
	}
}

// canonical names a file the same way however it was reached: absolute,
// with symbolic links resolved (the file exists once openDB returned).
func canonical(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	if resolved, err := filepath.EvalSymlinks(path); err == nil {
		path = resolved
	}
	return filepath.Clean(path)
}

// Migrate applies pending migrations and reports how many it applied.
func Migrate(ctx context.Context, dataDir string) (int, error) {
	db, err := openDB(dataDir)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	p, err := provider(db)
	if err != nil {
		return 0, err
	}
	res, err := p.Up(ctx)
	return len(res), err
}

func openDB(dataDir string) (*sql.DB, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	// The database holds sealed secrets and audit history: create it
	// readable by its owner only (SQLite would use the umask).
	path := filepath.Join(dataDir, FileName)
	if f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o600); err == nil {
		f.Close()
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	dsn := "file:" + path + "?" + q.Encode()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	// WAL allows many readers; writers take turns on the database lock.
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", dsn, err)
	}
	return db, nil
}

func provider(db *sql.DB) (*goose.Provider, error) {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	// Out of order: migration numbers are handed out in ranges to changes
	// made side by side, so a lower number may arrive after a higher one
	// was applied; each migration stands alone.
	return goose.NewProvider(goose.DialectSQLite3, db, sub, goose.WithAllowOutofOrder(true))
}

func migrate(ctx context.Context, db *sql.DB) error {
	p, err := provider(db)
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate sqlite: %w", err)
	}
	return nil
}

type dialect struct{}

func (dialect) Rebind(q string) string { return q }
func (dialect) LockSuffix() string     { return "" }

func (dialect) IsUniqueViolation(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && (se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY)
}

func (dialect) IsRetryable(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && (se.Code()&0xff == sqlite3.SQLITE_BUSY || se.Code()&0xff == sqlite3.SQLITE_LOCKED)
}
