package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"keywarden/pkg/apiv1"
)

// newMasterKey returns a random master key in hex.
func newMasterKey() string {
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// withKey returns an instance on in's store whose master key is key, from
// the environment (no --dev).
func withKey(in *instance, key string, env ...string) *instance {
	return &instance{dataDir: in.dataDir, database: in.database, noDev: true, env: append([]string{"KEYWARDEN_MASTER_KEY=" + key}, env...)}
}

// written is a client and secret whose creation the server acknowledged.
type written struct {
	clientID, secret string
	at               time.Time // when the acknowledgement arrived
}

// writeLoad creates clients with a secret each through the API from
// several goroutines until stop closes (or each made max), and returns
// what was acknowledged, with when.
func writeLoad(base, admin string, stop <-chan struct{}, max int) (func() ([]written, []error), *sync.WaitGroup) {
	hc := &http.Client{Timeout: 20 * time.Second}
	var mu sync.Mutex
	var done []written
	var errs []error
	post := func(path string, body, out any) error {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", base+path, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+admin)
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusCreated {
			return fmt.Errorf("POST %s = %d: %s", path, resp.StatusCode, raw)
		}
		return json.Unmarshal(raw, out)
	}
	var wg sync.WaitGroup
	for w := range 3 {
		wg.Go(func() {
			for i := range max {
				select {
				case <-stop:
					return
				default:
				}
				var c apiv1.Client
				var s apiv1.CreatedSecret
				err := post("/v1/clients", apiv1.CreateClient{Name: fmt.Sprintf("load-%d-%d", w, i), Scopes: []string{"a:read"}}, &c)
				if err == nil {
					err = post("/v1/clients/"+c.ClientID+"/secrets", apiv1.CreateSecret{Description: "load"}, &s)
				}
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
				} else {
					done = append(done, written{clientID: c.ClientID, secret: s.Value, at: time.Now()})
				}
				mu.Unlock()
				if err != nil {
					return
				}
			}
		})
	}
	return func() ([]written, []error) {
		mu.Lock()
		defer mu.Unlock()
		return append([]written(nil), done...), append([]error(nil), errs...)
	}, &wg
}

// TestBackupUnderWriteLoadRestoreElsewhere backs up a running server's
// SQLite store while clients are being created, restores the backup into
// a new data directory and serves from it: everything acknowledged before
// the backup started is there and authenticates, and the audit chain
// verifies.
func TestBackupUnderWriteLoadRestoreElsewhere(t *testing.T) {
	t.Parallel()
	key := newMasterKey()
	in := withKey(&instance{dataDir: t.TempDir()}, key)
	e := oauthStart(t, in)

	stop := make(chan struct{})
	snapshot, wg := writeLoad(e.srv.URL, e.admin, stop, 400)
	defer func() { close(stop); wg.Wait() }()
	deadline := time.Now().Add(30 * time.Second)
	for ok, _ := snapshot(); len(ok) < 25; ok, _ = snapshot() {
		if time.Now().After(deadline) {
			t.Fatal("the write load made fewer than 25 clients in 30 s")
		}
		time.Sleep(20 * time.Millisecond)
	}

	out := filepath.Join(t.TempDir(), "keywarden.backup")
	started := time.Now()
	stdout, stderr, code := in.run(t, "", "backup", "--out", out, "--data-dir", in.dataDir)
	finished := time.Now()
	if code != 0 {
		t.Fatalf("backup exited %d: %s %s", code, stdout, stderr)
	}
	all, errs := snapshot()
	if len(errs) > 0 {
		t.Fatalf("the write load failed: %v", errs)
	}
	var before []written
	var during int
	for _, w := range all {
		if w.at.Before(started) {
			before = append(before, w)
		} else if w.at.Before(finished) {
			during++
		}
	}
	t.Logf("backup took %v; %d clients acknowledged before it, %d while it ran", finished.Sub(started), len(before), during)
	if during == 0 {
		t.Log("no write was acknowledged while the backup ran (a fast backup); the copy is still checked against what came before")
	}
	if st, err := os.Stat(out); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v, %v; want mode 0600", st, err)
	}
	if _, stderr, code := in.run(t, "", "backup", "--out", out, "--data-dir", in.dataDir); code == 0 || !strings.Contains(stderr, "never overwrites") {
		t.Errorf("a second backup onto the file exited %d: %s", code, stderr)
	}

	restored := withKey(&instance{dataDir: filepath.Join(t.TempDir(), "new-data")}, key)
	wrong := withKey(restored, newMasterKey())
	if _, stderr, code := wrong.run(t, "", "restore", "--from", out, "--data-dir", restored.dataDir); code == 0 || !strings.Contains(stderr, "wrong master key") {
		t.Errorf("restore with another master key exited %d: %s", code, stderr)
	}
	if _, stderr, code := restored.run(t, "", "restore", "--from", out, "--data-dir", restored.dataDir); code != 0 {
		t.Fatalf("restore exited %d: %s", code, stderr)
	}
	if stdout, stderr, code := restored.run(t, "", "audit", "verify", "--data-dir", restored.dataDir); code != 0 || !strings.HasPrefix(stdout, "audit chain OK") {
		t.Fatalf("audit verify of the restored store exited %d: %s %s", code, stdout, stderr)
	}
	srv := restored.start(t)
	r := &oauthEnv{in: restored, srv: srv, admin: e.admin, org: e.org}
	for _, w := range before {
		r.token(t, w.clientID, w.secret)
	}
	// The admin's API token (a verifier too) works on the restored server.
	srv.must(t, http.StatusOK, e.admin, "GET", "/v1/clients/"+before[0].clientID, nil, nil)
	// What was written after the backup started may be there or not, but a
	// secret that is not in the copy is refused, not an error.
	for _, w := range all[len(all)-1:] {
		res := r.post(t, "/oauth2/token", w.clientID, w.secret, url.Values{"grant_type": {"client_credentials"}})
		if res.Status != http.StatusOK && res.Status != http.StatusUnauthorized {
			t.Errorf("token for a client written late = %d: %s", res.Status, res.Body)
		}
	}
}

// TestBackupPostgresWithPgDump runs the PostgreSQL commands
// docs/operations.md gives, against a running server under write load:
// pg_dump's snapshot restored with pg_restore into a new database serves
// everything acknowledged before the dump started.
func TestBackupPostgresWithPgDump(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{"pg_dump", "pg_restore"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (Debian: postgresql-client)", tool)
		}
	}
	key := newMasterKey()
	pg := newPostgres(t)
	in := withKey(pg, key)
	e := oauthStart(t, in)
	u, err := url.Parse(in.database)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	schema := q.Get("search_path")
	q.Del("search_path")
	u.RawQuery = q.Encode()
	base := u.String()

	stop := make(chan struct{})
	snapshot, wg := writeLoad(e.srv.URL, e.admin, stop, 400)
	defer func() { close(stop); wg.Wait() }()
	deadline := time.Now().Add(30 * time.Second)
	for ok, _ := snapshot(); len(ok) < 25; ok, _ = snapshot() {
		if time.Now().After(deadline) {
			t.Fatal("the write load made fewer than 25 clients in 30 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	dump := filepath.Join(t.TempDir(), "keywarden.dump")
	started := time.Now()
	// --schema only because the tests share one database, a schema each.
	if out, err := exec.CommandContext(t.Context(), "pg_dump", "--format=custom", "--file="+dump, "--schema="+schema, base).CombinedOutput(); err != nil {
		t.Fatalf("pg_dump: %v\n%s", err, out)
	}
	all, errs := snapshot()
	if len(errs) > 0 {
		t.Fatalf("the write load failed: %v", errs)
	}

	// A new, empty database, as an operator restoring elsewhere would make.
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	newDB := "kw_restore_" + newMasterKey()[:12]
	if _, err := admin.ExecContext(t.Context(), "CREATE DATABASE "+newDB); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+newDB+" WITH (FORCE)") })
	u.Path = "/" + newDB
	target := u.String()
	if out, err := exec.CommandContext(t.Context(), "pg_restore", "--exit-on-error", "--no-owner", "--single-transaction", "--dbname="+target, dump).CombinedOutput(); err != nil {
		t.Fatalf("pg_restore: %v\n%s", err, out)
	}
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	restored := withKey(&instance{dataDir: t.TempDir(), database: u.String()}, key)
	if stdout, stderr, code := withKey(restored, newMasterKey()).run(t, "", "audit", "verify", "--database", restored.database); code == 0 || !strings.Contains(stderr, "wrong master key") {
		t.Errorf("audit verify with another key exited %d: %s %s", code, stdout, stderr)
	}
	if stdout, stderr, code := restored.run(t, "", "audit", "verify", "--database", restored.database); code != 0 || !strings.HasPrefix(stdout, "audit chain OK") {
		t.Fatalf("audit verify of the restored database exited %d: %s %s", code, stdout, stderr)
	}
	r := &oauthEnv{in: restored, srv: restored.start(t), admin: e.admin, org: e.org}
	n := 0
	for _, w := range all {
		if w.at.Before(started) {
			r.token(t, w.clientID, w.secret)
			n++
		}
	}
	t.Logf("%d clients acknowledged before pg_dump started authenticate on the restored database", n)
}
