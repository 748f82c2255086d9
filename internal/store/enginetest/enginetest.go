package enginetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"keywarden/internal/store"
	"keywarden/internal/store/postgres"
	"keywarden/internal/store/sqlite"
)

// EnvPostgres names the variable that holds the PostgreSQL test database.
const EnvPostgres = "KEYWARDEN_TEST_POSTGRES"

// Engine opens a fresh, migrated store for t, closed when t ends.
type Engine struct {
	Name string
	Open func(t *testing.T) store.Store
	// OpenTB is Open for benchmarks too.
	OpenTB func(tb testing.TB) store.Store
}

// All returns SQLite and, when EnvPostgres is set, PostgreSQL.
func All() []Engine {
	engines := []Engine{{Name: "sqlite", Open: func(t *testing.T) store.Store { return openSQLite(t) }, OpenTB: openSQLite}}
	if dsn := os.Getenv(EnvPostgres); dsn != "" {
		engines = append(engines, Engine{Name: "postgres", Open: func(t *testing.T) store.Store { return openPostgres(t, dsn) },
			OpenTB: func(tb testing.TB) store.Store { return openPostgres(tb, dsn) }})
	}
	return engines
}

// Run runs test once per engine, as a subtest named after it. Without
// PostgreSQL it says how to include it.
func Run(t *testing.T, test func(t *testing.T, open func(t *testing.T) store.Store)) {
	if os.Getenv(EnvPostgres) == "" {
		t.Logf("PostgreSQL skipped: set %s (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable) to run it too", EnvPostgres)
	}
	for _, e := range All() {
		t.Run(e.Name, func(t *testing.T) { test(t, e.Open) })
	}
}

func openSQLite(t testing.TB) store.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), t.TempDir())
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// openMu serialises Opens: migrations take one advisory lock for the whole
// database, and goose retries a taken lock only every few seconds.
var openMu sync.Mutex

func openPostgres(t testing.TB, dsn string) store.Store {
	t.Helper()
	schema := FreshSchema(t, dsn)
	openMu.Lock()
	s, err := postgres.Open(t.Context(), schema)
	openMu.Unlock()
	if err != nil {
		t.Fatalf("postgres.Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// FreshSchema creates an empty schema for t on the database dsn names,
// drops it (CASCADE) when t and the stores it opened are done, and returns
// dsn with search_path set to it: a schema per test lets tests run in
// parallel on one database.
func FreshSchema(t testing.TB, dsn string) string {
	t.Helper()
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatalf("sql.Open: %v", err)
	}
	b := make([]byte, 8)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(t.Context(), "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		t.Fatalf("CREATE SCHEMA: %v", err)
	}
	// Registered first, so it runs after the store closes.
	t.Cleanup(func() {
		defer admin.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("DROP SCHEMA %s: %v", schema, err)
		}
	})
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + "search_path=" + schema
}
