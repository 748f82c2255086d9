package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"keywarden/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Open connects to dsn (a postgres:// URL) and applies pending migrations.
// Notifications (store.Notifier) are NOTIFY and LISTEN, so they reach every
// node on the database; each Listen holds one more connection.
func Open(ctx context.Context, dsn string) (*sqlstore.Store, error) {
	db, err := openDB(ctx, dsn)
	if err != nil {
		return nil, err
	}
	if _, err := migrate(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	b, err := newBus(dsn)
	if err != nil {
		db.Close()
		return nil, err
	}
	return sqlstore.New(db, dialect{}, b, nil), nil
}

// Migrate applies pending migrations and reports how many it applied.
func Migrate(ctx context.Context, dsn string) (int, error) {
	db, err := openDB(ctx, dsn)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	return migrate(ctx, db)
}

func openDB(ctx context.Context, dsn string) (*sql.DB, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	db.SetMaxOpenConns(20)
	db.SetMaxIdleConns(10)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	return db, nil
}

func migrate(ctx context.Context, db *sql.DB) (int, error) {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return 0, err
	}
	// Retry the migration lock every second (goose's default is 5 s), so
	// nodes starting together wait briefly.
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 300))
	if err != nil {
		return 0, err
	}
	// Out of order: migration numbers are handed out in ranges to changes
	// made side by side, so a lower number may arrive after a higher one
	// was applied; each migration stands alone.
	p, err := goose.NewProvider(goose.DialectPostgres, db, sub, goose.WithSessionLocker(locker), goose.WithAllowOutofOrder(true))
	if err != nil {
		return 0, err
	}
	res, err := p.Up(ctx)
	if err != nil {
		return 0, fmt.Errorf("migrate postgres: %w", err)
	}
	return len(res), nil
}

type dialect struct{}

func (dialect) Rebind(q string) string { return sqlstore.RebindDollar(q) }
func (dialect) LockSuffix() string     { return " FOR UPDATE" }

func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

func (dialect) IsUniqueViolation(err error) bool { return pgCode(err) == "23505" }

// IsRetryable: serialization_failure and deadlock_detected.
func (dialect) IsRetryable(err error) bool {
	c := pgCode(err)
	return c == "40001" || c == "40P01"
}
