package postgres_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver

	"keywarden/internal/store"
	"keywarden/internal/store/enginetest"
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

// freshSchema is enginetest's: a schema of the test's own.
func freshSchema(t *testing.T, dsn string) string { return enginetest.FreshSchema(t, dsn) }

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

// TestListenReconnects kills the listening connection, as a failover or an
// administrator would: Listen reports the error, listens again (calling
// fn("") so that the listener reloads what it caches) and hears what is
// sent afterwards.
func TestListenReconnects(t *testing.T) {
	dsn := testDSN(t)
	s := open(t, freshSchema(t, dsn))
	defer s.Close()
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()

	ch := "kwtest_" + hex.EncodeToString(randomBytes(8))
	starts, payloads, errs := make(chan struct{}, 10), make(chan string, 10), make(chan error, 10)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- s.Listen(ctx, ch, func(p string) {
			if p == "" {
				starts <- struct{}{}
			} else {
				payloads <- p
			}
		}, func(err error) {
			select {
			case errs <- err:
			default:
			}
		})
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Listen = %v, want nil", err)
		}
	}()
	wait := func(what string, c <-chan struct{}) {
		t.Helper()
		select {
		case <-c:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: not within 10s", what)
		}
	}
	wait("listening", starts)

	var killed int
	if err := admin.QueryRowContext(t.Context(), "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE query = $1",
		`LISTEN "`+ch+`"`).Scan(&killed); err != nil || killed != 1 {
		t.Fatalf("terminating the listening connection: %d killed, %v; want 1", killed, err)
	}
	select {
	case err := <-errs:
		t.Logf("onError: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("Listen reported no error after its connection was killed")
	}
	wait("listening again", starts)

	if err := s.Notify(t.Context(), ch, "after"); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	select {
	case p := <-payloads:
		if p != "after" {
			t.Errorf("heard %q, want %q", p, "after")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("nothing heard after reconnecting")
	}
}
