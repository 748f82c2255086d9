package cli

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"keywarden/internal/config"
	"keywarden/internal/server"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

func assertGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s; run go test -update and review the diff\ngot:\n%s", path, got)
	}
}

// result is what one run of Main produced.
type result struct {
	code   int
	stdout string
	stderr string
}

// run runs Main with args.
func run(t *testing.T, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(t.Context(), args, &out, &errOut)
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

// mustRun runs Main and fails the test unless it exits 0.
func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	r := run(t, args...)
	if r.code != 0 {
		t.Fatalf("keywarden %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// decodeJSON parses a command's -o json output into v.
func decodeJSON(t *testing.T, out string, v any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("output is not the expected JSON: %v\n%s", err, out)
	}
}

// testServer is an in-process Keywarden server with one initialized
// organization.
type testServer struct {
	url     string
	token   string
	dataDir string
}

// startServer initializes a fresh data directory through `keywarden init`,
// starts a server on a free port and stops it when the test ends.
func startServer(t *testing.T) *testServer {
	t.Helper()
	dir := t.TempDir()
	var boot struct {
		APIToken string `json:"api_token"`
	}
	out := mustRun(t, "init", "--org", "Acme", "--email", "admin@example.com", "--data-dir", dir, "--dev", "-o", "json")
	if err := json.Unmarshal([]byte(out), &boot); err != nil || boot.APIToken == "" {
		t.Fatalf("init -o json: no api_token (%v):\n%s", err, out)
	}

	cfg := config.Defaults()
	cfg.DataDir = dir
	cfg.Dev = true
	cfg.Listen = "127.0.0.1:0"
	cfg.MasterKey = config.Secret(os.Getenv("KEYWARDEN_MASTER_KEY")) // as init saw it
	srv, err := server.New(t.Context(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	ready := filepath.Join(t.TempDir(), "ready")
	done := make(chan error, 1)
	go func() { done <- srv.Run(t.Context(), ready) }()
	// t.Context is cancelled before cleanups run: wait for the shutdown,
	// so the data directory is not removed under a running server.
	t.Cleanup(func() {
		if err := <-done; err != nil {
			t.Errorf("server: %v", err)
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		addr, err := os.ReadFile(ready)
		if err == nil && len(addr) > 0 {
			return &testServer{url: "http://" + string(addr), token: boot.APIToken, dataDir: dir}
		}
		select {
		case err := <-done:
			t.Fatalf("server stopped before it was ready: %v", err)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("server not ready after 10s")
		}
	}
}

// args appends the connection flags to a command line.
func (s *testServer) args(args ...string) []string {
	return append(args, "--server", s.url, "--token", s.token)
}

func (s *testServer) run(t *testing.T, args ...string) result {
	t.Helper()
	return run(t, s.args(args...)...)
}

func (s *testServer) mustRun(t *testing.T, args ...string) string {
	t.Helper()
	return mustRun(t, s.args(args...)...)
}

func TestHelpGolden(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
	}{
		{"help-root", []string{"--help"}},
		{"help-clients", []string{"clients", "--help"}},
		{"help-secrets", []string{"secrets", "--help"}},
		{"help-secrets-delete", []string{"secrets", "delete", "--help"}},
		{"help-secrets-rotate", []string{"secrets", "rotate", "--help"}},
		{"help-rotations", []string{"rotations", "--help"}},
		{"help-rotations-complete", []string{"rotations", "complete", "--help"}},
		{"help-refresh-tokens", []string{"refresh-tokens", "--help"}},
		{"help-keys", []string{"keys", "--help"}},
		{"help-keys-rotate", []string{"keys", "rotate", "--help"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := run(t, tc.args...)
			if r.code != 0 || r.stderr != "" {
				t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
			}
			assertGolden(t, tc.name, []byte(r.stdout))
		})
	}
}
