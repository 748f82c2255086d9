package provider_test

// The acceptance tests' harness: each test starts the real keywarden
// binary on 127.0.0.1 with a fresh SQLite data directory, and runs
// terraform-plugin-testing with a real OpenTofu binary (KEYWARDEN_TOFU;
// .ci/run builds one) against the provider served in-process. Every plan
// (the parsed `tofu show -json`, and the raw saved plan file) and every
// state (parsed, and every file the run leaves) is kept and searched for
// every secret value the test saw.

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"keywarden/pkg/keywarden"
	"keywarden/terraform-provider-keywarden/internal/provider"
)

// keywardenBinary is the server built once for all tests.
var keywardenBinary string

func TestMain(m *testing.M) {
	if os.Getenv("KEYWARDEN_TOFU") == "" {
		// Unit tests still run; acceptance tests skip (tofu).
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "keywarden-tf")
	if err != nil {
		log.Fatal(err)
	}
	keywardenBinary = filepath.Join(dir, "keywarden")
	build := exec.Command("go", "build", "-o", keywardenBinary, "./cmd/keywarden")
	build.Dir = "../../.." // the repository root: the server's own module
	if out, err := build.CombinedOutput(); err != nil {
		log.Fatalf("build keywarden: %v\n%s", err, out)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// tofu returns the OpenTofu binary or skips the test.
func tofu(t *testing.T) string {
	t.Helper()
	p := os.Getenv("KEYWARDEN_TOFU")
	if p == "" {
		t.Skip("KEYWARDEN_TOFU is unset: set it to an OpenTofu ≥ 1.11 binary to run the acceptance tests (.ci/run builds one from the Go module proxy)")
	}
	return p
}

// server is a running keywarden serve process.
type server struct {
	URL   string
	Token string
	OrgID string
	// Password is the super admin's one-time password (ops@acme.example).
	Password string
	dataDir  string
	logs     *bytes.Buffer
	mu       sync.Mutex
}

// startServer runs keywarden init and serve on a fresh data directory.
func startServer(t *testing.T, extra ...string) *server {
	t.Helper()
	dataDir := t.TempDir()
	out, err := exec.CommandContext(t.Context(), keywardenBinary, "init", "--org", "Acme", "--email", "ops@acme.example",
		"-o", "json", "--data-dir", dataDir, "--dev").Output()
	if err != nil {
		t.Fatalf("keywarden init: %v", err)
	}
	var boot struct {
		OrganizationID string `json:"organization_id"`
		APIToken       string `json:"api_token"`
		Password       string `json:"password"`
	}
	if err := json.Unmarshal(out, &boot); err != nil {
		t.Fatalf("init output: %v", err)
	}
	ready := filepath.Join(t.TempDir(), "ready")
	args := append([]string{"serve", "--listen", "127.0.0.1:0", "--ready-file", ready, "--data-dir", dataDir, "--dev"}, extra...)
	cmd := exec.Command(keywardenBinary, args...)
	s := &server{Token: boot.APIToken, OrgID: boot.OrganizationID, Password: boot.Password, dataDir: dataDir, logs: &bytes.Buffer{}}
	cmd.Stdout, cmd.Stderr = lockedWriter{s}, lockedWriter{s}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			s.mu.Lock()
			t.Logf("server log:\n%s", s.logs.String())
			s.mu.Unlock()
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		if b, err := os.ReadFile(ready); err == nil && len(b) > 0 {
			s.URL = "http://" + string(b)
			return s
		}
		select {
		case err := <-done:
			t.Fatalf("server exited before listening: %v\n%s", err, s.logs.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("server did not start in time")
		}
	}
}

type lockedWriter struct{ s *server }

func (w lockedWriter) Write(p []byte) (int, error) {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	return w.s.logs.Write(p)
}

// acc is one acceptance test: its server, its SDK client and its record of
// secrets seen and documents written.
type acc struct {
	t     *testing.T
	srv   *server
	kw    *keywarden.Client
	tmp   string // TF_ACC_TEMP_DIR: every working directory of the run
	leaks *leakCheck
	tofu  string
}

// newAcc starts a server and points the provider and
// terraform-plugin-testing at it and at OpenTofu.
func newAcc(t *testing.T, serverArgs ...string) *acc {
	bin := tofu(t)
	srv := startServer(t, serverArgs...)
	a := &acc{t: t, srv: srv, kw: keywarden.New(srv.URL, srv.Token, nil), tmp: t.TempDir(), leaks: &leakCheck{}, tofu: bin}
	cli := filepath.Join(t.TempDir(), "tofurc")
	// No provider is ever installed: the one under test is reattached,
	// and the machine has no registry to reach.
	if err := os.WriteFile(cli, []byte("provider_installation {\n  direct {\n    exclude = [\"*/*/*\"]\n  }\n}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"TF_ACC":                     "1",
		"TF_ACC_TERRAFORM_PATH":      bin,
		"TF_ACC_PROVIDER_HOST":       "registry.opentofu.org",
		"TF_ACC_PROVIDER_NAMESPACE":  "keywarden",
		"TF_ACC_TEMP_DIR":            a.tmp,
		"TF_ACC_PERSIST_WORKING_DIR": "1", // kept so that every file can be searched
		"TF_CLI_CONFIG_FILE":         cli,
		"CHECKPOINT_DISABLE":         "1",
		"TF_IN_AUTOMATION":           "1",
		provider.EnvURL:              srv.URL,
		provider.EnvToken:            srv.Token,
	} {
		t.Setenv(k, v)
	}
	a.leaks.add("the API token", srv.Token)
	return a
}

// factories serves the provider in-process for OpenTofu to reattach to.
func factories() map[string]func() (tfprotov6.ProviderServer, error) {
	return map[string]func() (tfprotov6.ProviderServer, error){
		"keywarden": providerserver.NewProtocol6WithError(provider.New("test")()),
	}
}

// run runs the steps, each with the recorders that keep its plans and
// states, and then searches everything for every secret seen.
func (a *acc) run(checkDestroy func() error, steps ...resource.TestStep) {
	a.t.Helper()
	for i := range steps {
		s := &steps[i]
		name := fmt.Sprintf("step %d", i+1)
		rec := planRecorder{a: a, name: name}
		// On each step rather than the test case: a step whose
		// configuration has its own provider block (examples/) may not
		// have them on the test case too.
		s.ProtoV6ProviderFactories = factories()
		switch {
		case s.ImportState:
			// A classic import writes a state only; sweepFiles and the
			// next step's recorders see it.
		case s.RefreshState:
			s.RefreshPlanChecks.PostRefresh = append(s.RefreshPlanChecks.PostRefresh, rec)
		default:
			// A plan-only step has only the two later plans.
			s.ConfigPlanChecks.PostApplyPreRefresh = append(s.ConfigPlanChecks.PostApplyPreRefresh, rec)
			s.ConfigPlanChecks.PostApplyPostRefresh = append(s.ConfigPlanChecks.PostApplyPostRefresh, rec)
			if !s.PlanOnly {
				s.ConfigPlanChecks.PreApply = append(s.ConfigPlanChecks.PreApply, rec)
				s.ConfigStateChecks = append(s.ConfigStateChecks, stateRecorder{a: a, name: name})
			}
		}
	}
	tc := resource.TestCase{Steps: steps}
	if checkDestroy != nil {
		tc.CheckDestroy = func(*terraform.State) error { return checkDestroy() }
	}
	resource.Test(a.t, tc)
	a.sweepFiles("after the run")
	a.leaks.verify(a.t)
	a.t.Logf("searched every plan and state for %d secret values", len(a.leaks.values))
}

// sweepFiles records every file the run has left: states, backups, saved
// plans (a zip: each member), lock files, configurations.
func (a *acc) sweepFiles(when string) {
	a.t.Helper()
	err := filepath.WalkDir(a.tmp, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(a.tmp, p)
		if zr, zerr := zip.NewReader(bytes.NewReader(b), int64(len(b))); zerr == nil {
			for _, f := range zr.File {
				rc, err := f.Open()
				if err != nil {
					return err
				}
				member, err := io.ReadAll(rc)
				rc.Close()
				if err != nil {
					return err
				}
				a.leaks.record("plan", when+": "+rel+"!"+f.Name, member)
			}
			return nil
		}
		kind := "file"
		if strings.Contains(filepath.Base(p), "tfstate") {
			kind = "state"
		}
		a.leaks.record(kind, when+": "+rel, b)
		return nil
	})
	if err != nil {
		a.t.Fatalf("search the working directories: %v", err)
	}
}

// planRecorder keeps the plan a check sees (the parsed `tofu show -json`)
// and the saved plan files as they are at that moment: the next step
// overwrites them.
type planRecorder struct {
	a    *acc
	name string
}

func (r planRecorder) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	b, err := json.Marshal(req.Plan)
	if err != nil {
		resp.Error = err
		return
	}
	r.a.leaks.record("plan", r.name+": tofu show -json", b)
	r.a.sweepFiles(r.name)
}

type stateRecorder struct {
	a    *acc
	name string
}

func (r stateRecorder) CheckState(_ context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	b, err := json.Marshal(req.State)
	if err != nil {
		resp.Error = err
		return
	}
	r.a.leaks.record("state", r.name+": tofu show -json", b)
}

// leakCheck holds the secret values a test saw and the documents the run
// wrote; verify fails the test if any document holds any value, in plain
// text or base64.
type leakCheck struct {
	mu     sync.Mutex
	values map[string]string // value → what it is
	docs   []leakDoc
	seen   map[[32]byte]bool // contents already recorded (files are swept often)
}

type leakDoc struct {
	kind, name string
	data       []byte
}

func (l *leakCheck) add(what, value string) {
	if value == "" {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.values == nil {
		l.values = map[string]string{}
	}
	l.values[value] = what
}

func (l *leakCheck) record(kind, name string, data []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	sum := sha256.Sum256(append([]byte(kind+"\x00"), data...))
	if l.seen[sum] {
		return
	}
	if l.seen == nil {
		l.seen = map[[32]byte]bool{}
	}
	l.seen[sum] = true
	l.docs = append(l.docs, leakDoc{kind: kind, name: name, data: bytes.Clone(data)})
}

func (l *leakCheck) verify(t *testing.T) {
	t.Helper()
	for _, f := range l.findings() {
		t.Error(f)
	}
}

// findings are the leaks found, and a complaint when there was too little
// to search.
func (l *leakCheck) findings() []string {
	var out []string
	l.mu.Lock()
	defer l.mu.Unlock()
	kinds := map[string]int{}
	for _, d := range l.docs {
		kinds[d.kind]++
		for v, what := range l.values {
			for _, form := range []string{v, base64.StdEncoding.EncodeToString([]byte(v)), base64.RawURLEncoding.EncodeToString([]byte(v))} {
				if bytes.Contains(d.data, []byte(form)) {
					out = append(out, fmt.Sprintf("%s (%s) holds %s", d.name, d.kind, what))
					break
				}
			}
		}
	}
	// The search must have had something to search: at least one plan,
	// one state and one value (the API token is always one).
	if kinds["plan"] == 0 || kinds["state"] == 0 || len(l.values) == 0 {
		out = append(out, fmt.Sprintf("leak search had too little to search: %d plans, %d states, %d secret values", kinds["plan"], kinds["state"], len(l.values)))
	}
	return out
}

// readSecretFile reads a value file the provider wrote, checks its mode,
// and remembers the value as one that must appear nowhere.
func (a *acc) readSecretFile(what, name string) string {
	a.t.Helper()
	fi, err := os.Stat(name)
	if err != nil {
		a.t.Fatalf("%s: %v", what, err)
	}
	if fi.Mode().Perm() != 0o600 {
		a.t.Errorf("%s is mode %v, want 0600", name, fi.Mode().Perm())
	}
	b, err := os.ReadFile(name)
	if err != nil {
		a.t.Fatal(err)
	}
	a.leaks.add(what, string(b))
	return string(b)
}

// hcl renders a configuration from a template, with %q-quoted arguments.
func hcl(format string, args ...any) string {
	return fmt.Sprintf(format, args...)
}
