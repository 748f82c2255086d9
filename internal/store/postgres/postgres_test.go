package postgres_test

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

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver

	"keywarden/internal/store"
	"keywarden/internal/store/postgres"
	"keywarden/internal/store/storetest"
)

// testDSN returns the database the tests may use, or skips t.
func testDSN(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv("KEYWARDEN_TEST_POSTGRES")
	if dsn == "" {
		t.Skip("KEYWARDEN_TEST_POSTGRES is unset; .ci/run sets it " +
			"(e.g. KEYWARDEN_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test?sslmode=disable)")
	}
	return dsn
}

// freshSchema creates an empty schema for t, drops it (CASCADE) when t and
// the stores it opened are done, and returns dsn with search_path set to it.
// A schema per test lets the tests run in parallel on one database.
func freshSchema(t *testing.T, dsn string) string {
	t.Helper()
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatalf("sql.Open: %v", err)
	}
	schema := "t_" + hex.EncodeToString(randomBytes(8))
	if _, err := admin.ExecContext(t.Context(), "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		t.Fatalf("CREATE SCHEMA: %v", err)
	}
	// Registered before any store opens, so it runs after they close.
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

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// openMu serialises Opens in this process. Migrations take one advisory
// lock for the whole database, and goose retries a taken lock only every
// five seconds: parallel tests would mostly wait.
var openMu sync.Mutex

func open(t *testing.T, dsn string) store.Store {
	t.Helper()
	openMu.Lock()
	defer openMu.Unlock()
	s, err := postgres.Open(t.Context(), dsn)
	if err != nil {
		t.Fatalf("postgres.Open: %v", err)
	}
	return s
}

func TestConformance(t *testing.T) {
	dsn := testDSN(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		return open(t, freshSchema(t, dsn))
	})
}

// TestMultiNode opens two connection pools on one schema, as two Keywarden
// nodes sharing a database would.
func TestMultiNode(t *testing.T) {
	dsn := testDSN(t)
	storetest.RunMultiNode(t, func(t *testing.T) (store.Store, store.Store) {
		schema := freshSchema(t, dsn)
		return open(t, schema), open(t, schema)
	})
}
