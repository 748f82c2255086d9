package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestVersion checks keywarden version and --version: the same line, from
// the binary's build information, which a release build overrides with
// -ldflags.
func TestVersion(t *testing.T) {
	t.Parallel()
	in := newSQLite(t)
	line, _, code := in.run(t, "", "version")
	flagLine, _, flagCode := in.run(t, "", "--version")
	if code != 0 || flagCode != 0 || line != flagLine || !strings.HasPrefix(line, "keywarden ") || !strings.Contains(line, runtime.Version()) {
		t.Errorf("version = %q (exit %d), --version = %q (exit %d); want the same line naming %s", line, code, flagLine, flagCode, runtime.Version())
	}

	release := filepath.Join(t.TempDir(), "keywarden")
	args := []string{"build", "-o", release, "-ldflags",
		"-X keywarden/internal/buildinfo.version=v1.4.0 -X keywarden/internal/buildinfo.commit=0123456789abcdef0123 -X keywarden/internal/buildinfo.date=2026-06-01T08:30:00Z"}
	if os.Getenv("KEYWARDEN_E2E_NORACE") == "" {
		args = append(args, "-race") // the packages TestMain built, so only the link is new
	}
	if out, err := exec.Command("go", append(args, "keywarden/cmd/keywarden")...).CombinedOutput(); err != nil {
		t.Fatalf("go build with -ldflags: %v\n%s", err, out)
	}
	out, err := exec.Command(release, "--version").Output()
	want := "keywarden v1.4.0 (commit 0123456789ab, built 2026-06-01T08:30:00Z, " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH + ")\n"
	if err != nil || string(out) != want {
		t.Errorf("release --version = %q, %v; want %q", out, err, want)
	}
	out, err = exec.Command(release, "version", "-o", "json").Output()
	var info struct {
		Version   string `json:"version"`
		Commit    string `json:"commit"`
		BuildTime string `json:"build_time"`
	}
	if err != nil || json.Unmarshal(out, &info) != nil || info.Version != "v1.4.0" || info.Commit != "0123456789abcdef0123" || info.BuildTime != "2026-06-01T08:30:00Z" {
		t.Errorf("release version -o json = %s, %v", out, err)
	}
}
