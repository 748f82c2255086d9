package cli

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"maps"
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

// env is the environment of one user's command line: Main reads it through
// getenv, never from the process, so every test has its own and runs in
// parallel.
type env map[string]string

// newEnv returns an environment whose configuration directory (where login
// keeps the session) is a new temporary directory.
func newEnv(t *testing.T) env {
	home := t.TempDir()
	return env{"HOME": home, "XDG_CONFIG_HOME": filepath.Join(home, "xdg-config"), "AppData": filepath.Join(home, "AppData")}
}

// with returns a copy of e with more variables set.
func (e env) with(kv ...string) env {
	out := maps.Clone(e)
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

func (e env) getenv(k string) string { return e[k] }

// sessionFile is where login stores the session in e.
func (e env) sessionFile(t *testing.T) string {
	t.Helper()
	p, err := sessionStore{getenv: e.getenv}.path()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// result is what one run of Main produced.
type result struct {
	args   []string
	code   int
	stdout string
	stderr string
}

// runStdin runs Main with args, e and input on standard input (a reader,
// so never a terminal).
func (e env) runStdin(t *testing.T, input string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(t.Context(), args, strings.NewReader(input), &out, &errOut, e.getenv)
	return result{args: args, code: code, stdout: out.String(), stderr: errOut.String()}
}

func (e env) run(t *testing.T, args ...string) result { t.Helper(); return e.runStdin(t, "", args...) }

// mustRunStdin runs Main and fails the test unless it exits 0.
func (e env) mustRunStdin(t *testing.T, input string, args ...string) string {
	t.Helper()
	r := e.runStdin(t, input, args...)
	if r.code != 0 {
		t.Fatalf("keywarden %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

func (e env) mustRun(t *testing.T, args ...string) string {
	t.Helper()
	return e.mustRunStdin(t, "", args...)
}

// run and mustRun run Main in a fresh environment of their own.
func run(t *testing.T, args ...string) result { t.Helper(); return newEnv(t).run(t, args...) }

func mustRun(t *testing.T, args ...string) string { t.Helper(); return newEnv(t).mustRun(t, args...) }

// fails checks that the run exited with code, with each of wants in stderr
// and nothing on stdout.
func (r result) fails(t *testing.T, code int, wants ...string) {
	t.Helper()
	if r.code != code {
		t.Errorf("keywarden %s: exit %d, want %d; stderr %q", strings.Join(r.args, " "), r.code, code, r.stderr)
	}
	wantIn(t, "stderr", r.stderr, wants...)
	if r.stdout != "" {
		t.Errorf("keywarden %s: stdout %q, want nothing", strings.Join(r.args, " "), r.stdout)
	}
}

// wantIn checks that s (named what) holds each of wants.
func wantIn(t *testing.T, what, s string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(s, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, s)
		}
	}
}

// wantNotIn checks that s (named what) holds none of unwanted.
func wantNotIn(t *testing.T, what, s string, unwanted ...string) {
	t.Helper()
	for _, u := range unwanted {
		if u != "" && strings.Contains(s, u) {
			t.Errorf("%s holds %q:\n%s", what, u, s)
		}
	}
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
	cfg.DataDir, cfg.Dev, cfg.Listen = dir, true, "127.0.0.1:0" // the master key init generated in dir
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

// run and mustRun run a command as the super admin, with --server and
// --token.
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
		{"help-client-keys", []string{"client-keys", "--help"}},
		{"help-client-keys-create", []string{"client-keys", "create", "--help"}},
		{"help-rotations", []string{"rotations", "--help"}},
		{"help-rotations-complete", []string{"rotations", "complete", "--help"}},
		{"help-refresh-tokens", []string{"refresh-tokens", "--help"}},
		{"help-keys", []string{"keys", "--help"}},
		{"help-keys-rotate", []string{"keys", "rotate", "--help"}},
		{"help-api-tokens", []string{"api-tokens", "--help"}},
		{"help-api-tokens-rotate", []string{"api-tokens", "rotate", "--help"}},
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
