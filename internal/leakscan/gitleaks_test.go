package leakscan_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"keywarden/internal/leakscan"
)

// gitleaks returns the gitleaks binary: $KEYWARDEN_GITLEAKS (which must
// work: .ci/run sets it, so CI never skips), else gitleaks on $PATH, else
// the test skips.
func gitleaks(t *testing.T) string {
	if p := os.Getenv("KEYWARDEN_GITLEAKS"); p != "" {
		if out, err := exec.Command(p, "version").CombinedOutput(); err != nil {
			t.Fatalf("KEYWARDEN_GITLEAKS=%s: %v\n%s", p, err, out)
		}
		return p
	}
	p, err := exec.LookPath("gitleaks")
	if err != nil {
		t.Skip("gitleaks is not installed: GOBIN=$(go env GOPATH)/bin go install github.com/zricethezav/gitleaks/v8@v8.30.1, " +
			"then put it on PATH or set KEYWARDEN_GITLEAKS (.ci/run does)")
	}
	return p
}

// A gitleaksFinding is the part of gitleaks' JSON report the test reads.
type gitleaksFinding struct {
	RuleID    string
	File      string
	StartLine int
	Secret    string
	Commit    string
}

func runGitleaks(t *testing.T, bin string, args ...string) []gitleaksFinding {
	t.Helper()
	report := filepath.Join(t.TempDir(), "report.json")
	rules, err := filepath.Abs(filepath.Join(rulesDir, "gitleaks.toml"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, append(args, "--no-banner", "--log-level", "warn", "-c", rules,
		"-f", "json", "-r", report, "--exit-code", "0")...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gitleaks %v: %v\n%s", args, err, out)
	}
	raw, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	var findings []gitleaksFinding
	if err := json.Unmarshal(raw, &findings); err != nil {
		t.Fatal(err)
	}
	return findings
}

// TestGitleaks runs the real gitleaks with the shipped rules over the
// fixture's history and work tree. It asserts what is true of a scanner
// that cannot compute a CRC32: every real value is found — whole or split
// across lines, at its file, line and commit, under its kind's rule — and
// so is every look-alike of the right shape with a wrong checksum; values
// of the wrong shape are not. Then keywarden's check of gitleaks' findings
// (keywarden scan over each finding's secret) keeps exactly the real
// values: gitleaks finds candidates, keywarden scan confirms.
func TestGitleaks(t *testing.T) {
	bin := gitleaks(t)
	f := newFixture(t)
	for _, mode := range []string{"git", "dir"} {
		t.Run(mode, func(t *testing.T) {
			var findings []gitleaksFinding
			if mode == "git" {
				findings = runGitleaks(t, bin, "git", f.dir)
			} else {
				findings = runGitleaks(t, bin, "dir", f.dir)
			}
			byValue := map[string]planted{}
			for _, p := range f.planted {
				byValue[p.value] = p
			}
			var found, confirmed []string
			for _, g := range findings {
				v := strip(g.Secret)
				p, ok := byValue[v]
				if !ok {
					t.Errorf("gitleaks reported %s:%d %q, which the fixture did not plant", g.File, g.StartLine, g.Secret)
					continue
				}
				path := g.File
				if mode == "dir" {
					path, _ = filepath.Rel(f.dir, g.File)
				}
				if p.binary {
					continue // what gitleaks does with binary files is its own business
				}
				if g.RuleID != p.kind.RuleID() {
					t.Errorf("%s found by rule %s, want %s", p.paste, g.RuleID, p.kind.RuleID())
				}
				if mode == "git" && (g.StartLine != p.line || g.Commit != f.commits[p.commit]) {
					t.Errorf("%s (%s): at %s@%.7s:%d, want %s@%.7s:%d", p.paste, p.kind.ID, path, g.Commit, g.StartLine,
						p.path, f.commits[p.commit], p.line)
				}
				found = append(found, filepath.ToSlash(path)+" "+v)
				var s leakscan.Scan
				s.Bytes(leakscan.Stdin, []byte(g.Secret))
				for _, x := range s.Findings {
					confirmed = append(confirmed, x.Value.Reveal())
				}
			}
			checkPatternOnly(t, f, found, func(p planted) bool { return !p.binary && (mode == "git" || !p.gone) })
			var real []string
			for _, p := range f.planted {
				if p.real && !p.binary && (mode == "git" || !p.gone) {
					real = append(real, p.value)
				}
			}
			diff(t, sortedCopy(confirmed), sortedCopy(real))
			t.Logf("gitleaks %s: %d candidates (real and look-alike), keywarden scan confirmed %d", mode, len(found), len(confirmed))
		})
	}
}
