package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"keywarden/pkg/keywarden"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "keywarden-e2e")
	if err != nil {
		log.Fatal(err)
	}
	binary = filepath.Join(dir, "keywarden")
	build := exec.Command("go", "build", "-race", "-o", binary, "keywarden/cmd/keywarden")
	if os.Getenv("KEYWARDEN_E2E_NORACE") != "" {
		build = exec.Command("go", "build", "-o", binary, "keywarden/cmd/keywarden")
	}
	if out, err := build.CombinedOutput(); err != nil {
		log.Fatalf("build: %v\n%s", err, out)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// syncBuffer is a bytes.Buffer safe for a process writing and a test reading.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// instance is the state a server runs on: a data directory, and optionally
// a PostgreSQL URL. Several servers may run on one instance in turn (restart)
// or at once (two nodes on PostgreSQL).
type instance struct {
	dataDir  string
	database string
	env      []string
	noDev    bool   // the master key comes from env; no --dev
	bin      string // the keywarden binary to run; the one under test when empty
}

func (in *instance) binary() string {
	if in.bin != "" {
		return in.bin
	}
	return binary
}

func newSQLite(t *testing.T) *instance {
	return &instance{dataDir: t.TempDir()}
}

// newPostgres returns an instance in a fresh schema of the test database,
// or skips the test when KEYWARDEN_TEST_POSTGRES is unset.
func newPostgres(t *testing.T) *instance {
	dsn := os.Getenv("KEYWARDEN_TEST_POSTGRES")
	if dsn == "" {
		t.Skip("KEYWARDEN_TEST_POSTGRES is unset; .ci/run sets it (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)")
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "e2e_" + hex.EncodeToString(b)
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(t.Context(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		db.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		db.Close()
	})
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return &instance{dataDir: t.TempDir(), database: dsn + sep + "search_path=" + schema}
}

func (in *instance) storeArgs() []string {
	args := []string{"--data-dir", in.dataDir}
	if !in.noDev {
		args = append(args, "--dev")
	}
	if in.database != "" {
		args = append(args, "--database", in.database)
	}
	return args
}

// run runs a keywarden command to completion and returns stdout, stderr and
// the exit code.
func (in *instance) run(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), in.binary(), args...)
	cmd.Env = append(os.Environ(), in.env...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %v: %v", args, err)
	}
	return stdout.String(), stderr.String(), code
}

type bootstrap struct {
	OrganizationID string `json:"organization_id"`
	UserID         string `json:"user_id"`
	Password       string `json:"password"`
	APIToken       string `json:"api_token"`
}

// init runs keywarden init and returns its JSON output.
func (in *instance) init(t *testing.T, org, email string) bootstrap {
	t.Helper()
	out, errOut, code := in.run(t, "", append([]string{"init", "--org", org, "--email", email, "-o", "json"}, in.storeArgs()...)...)
	if code != 0 {
		t.Fatalf("init exited %d: %s", code, errOut)
	}
	var b bootstrap
	if err := json.Unmarshal([]byte(out), &b); err != nil {
		t.Fatalf("init output %q: %v", out, err)
	}
	return b
}

// server is a running keywarden serve process.
type server struct {
	URL  string
	cmd  *exec.Cmd
	logs *syncBuffer
	done chan error
}

// start runs keywarden serve on a free port and waits until it listens.
// The process is stopped at cleanup; its log is printed if the test failed.
func (in *instance) start(t *testing.T, extra ...string) *server {
	t.Helper()
	ready := filepath.Join(t.TempDir(), "ready")
	args := append([]string{"serve", "--listen", "127.0.0.1:0", "--ready-file", ready}, in.storeArgs()...)
	cmd := exec.Command(in.binary(), append(args, extra...)...)
	cmd.Env = append(os.Environ(), in.env...)
	logs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, logs: logs, done: make(chan error, 1)}
	go func() { s.done <- cmd.Wait() }()
	t.Cleanup(func() {
		s.stop(t)
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		if b, err := os.ReadFile(ready); err == nil && len(b) > 0 {
			s.URL = "http://" + string(b)
			return s
		}
		select {
		case err := <-s.done:
			s.done <- err
			t.Fatalf("server exited before listening: %v\n%s", err, logs.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not start in time\n%s", logs.String())
		}
	}
}

// stop sends SIGTERM and waits for a clean exit.
func (s *server) stop(t *testing.T) {
	t.Helper()
	if s.cmd.ProcessState != nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		s.done <- err
		if err != nil {
			t.Errorf("server exit after SIGTERM: %v", err)
		}
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		t.Errorf("server did not stop within 30s of SIGTERM")
	}
}

// api returns an SDK client for the server that authenticates with token:
// the tests reach the API the way Go programs do. It never retries, so
// that a refusal shows.
func (s *server) api(token string) *keywarden.Client {
	return keywarden.New(s.URL, token, nil, keywarden.WithRetry(keywarden.RetryPolicy{MaxAttempts: 1}))
}

// noErr fails the test at once if err is not nil.
func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// call sends a JSON request and decodes the JSON answer into out (when not
// nil). It returns the status code and the raw body: for the tests of what
// goes on the wire (statuses, raw bodies, malformed requests).
func (s *server) call(t *testing.T, token, method, path string, body, out any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, s.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if out != nil && len(raw) > 0 && resp.StatusCode < 300 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: decode %s: %v", method, path, raw, err)
		}
	}
	return resp.StatusCode, raw
}

// must is call that fails the test unless the status is want.
func (s *server) must(t *testing.T, want int, token, method, path string, body, out any) []byte {
	t.Helper()
	code, raw := s.call(t, token, method, path, body, out)
	if code != want {
		t.Fatalf("%s %s = %d, want %d: %s", method, path, code, want, raw)
	}
	return raw
}

func fmtJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
