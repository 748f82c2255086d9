package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"keywarden/internal/secretvalue"
)

func scanRun(t *testing.T, args ...string) result {
	t.Helper()
	return newEnv(t).run(t, append([]string{"scan"}, args...)...)
}

// scanFixture writes a real client secret (whole), a refresh token split
// across two lines and a look-alike with a wrong checksum.
func scanFixture(t *testing.T) (dir, secret, refresh string) {
	dir = t.TempDir()
	secret = secretvalue.Generate(secretvalue.PrefixClientSecret).Reveal()
	refresh = secretvalue.Generate(secretvalue.PrefixRefreshToken).Reveal()
	fake := secretvalue.Generate(secretvalue.PrefixAPIToken).Reveal()
	fake = fake[:10] + string(fake[10]^1) + fake[11:] // same shape, wrong checksum
	os.MkdirAll(filepath.Join(dir, "config"), 0o755)
	os.WriteFile(filepath.Join(dir, "config", "app.env"), []byte("ID=kwc_x\nSECRET="+secret+"\nADMIN="+fake+"\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "notes.md"), []byte("# notes\n\nrefresh: "+refresh[:25]+"\n"+refresh[25:]+"\n"), 0o644)
	return dir, secret, refresh
}

func noValueIn(t *testing.T, r result, values ...string) {
	t.Helper()
	for _, v := range values {
		if strings.Contains(r.stdout+r.stderr, v) {
			t.Errorf("the output shows a value:\n%s%s", r.stdout, r.stderr)
		}
	}
}

func TestScanFiles(t *testing.T) {
	dir, secret, refresh := scanFixture(t)
	r := scanRun(t, dir)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
	}
	noValueIn(t, r, secret, refresh)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 3 {
		t.Fatalf("want a header and two findings (no look-alike):\n%s", r.stdout)
	}
	for _, want := range []string{
		filepath.Join(dir, "config", "app.env") + " 2 - client secret kws_…" + secret[len(secret)-4:],
		filepath.Join(dir, "notes.md") + " 3-4 - refresh token kwr_…" + refresh[len(refresh)-4:],
	} {
		if !strings.Contains(strings.Join(strings.Fields(r.stdout), " "), want) {
			t.Errorf("no row %q in\n%s", want, r.stdout)
		}
	}
	if !strings.Contains(r.stderr, "2 Keywarden value(s) found") {
		t.Errorf("stderr: %s", r.stderr)
	}
}

func TestScanJSON(t *testing.T) {
	dir, secret, refresh := scanFixture(t)
	r := scanRun(t, "-o", "json", filepath.Join(dir, "notes.md"), filepath.Join(dir, "missing"))
	if r.code != 1 {
		t.Fatalf("exit %d, want 1 (found beats could not read)\n%s%s", r.code, r.stdout, r.stderr)
	}
	noValueIn(t, r, secret, refresh)
	var rep scanReport
	decodeStrict(t, r.stdout, &rep)
	want := scanFinding{Type: "refresh_token", Rule: "keywarden-refresh-token", Masked: "kwr_…" + refresh[len(refresh)-4:],
		Path: filepath.Join(dir, "notes.md"), Line: 3, Column: 10, EndLine: 4}
	if len(rep.Findings) != 1 || rep.Findings[0] != want || rep.Scanned != 1 || len(rep.Errors) != 1 {
		t.Errorf("report %+v, want the one finding %+v and the missing file's error", rep, want)
	}
}

func decodeStrict(t *testing.T, s string, v any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%v\n%s", err, s)
	}
}

func TestScanExitCodes(t *testing.T) {
	clean := t.TempDir()
	os.WriteFile(filepath.Join(clean, "a.txt"), []byte("nothing here: kws_short\n"), 0o644)
	dir, _, _ := scanFixture(t)
	tests := []struct {
		name string
		args []string
		code int
		say  string
	}{
		{"clean", []string{clean}, 0, "No Keywarden values found (1 scanned"},
		{"found", []string{dir}, 1, "found"},
		{"cannot read, nothing found", []string{clean, filepath.Join(clean, "missing")}, exitScanIncomplete, "missing"},
		{"not a repository", []string{"--git", clean}, exitScanIncomplete, "git log"},
		{"bad output", []string{"-o", "xml", clean}, exitUsage, "--output"},
		{"staged and git", []string{"--staged", "--git"}, exitUsage, "--staged"},
		{"range with two paths", []string{"--range", "A..B", clean, dir}, exitUsage, "at most one"},
		{"range like an option", []string{"--range=--output=/tmp/x"}, exitUsage, "--range"},
		{"stdin twice", []string{"-", "-"}, exitUsage, "twice"},
		{"unknown flag", []string{"--nope"}, exitUsage, "--nope"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := scanRun(t, tc.args...)
			if r.code != tc.code || !strings.Contains(r.stderr, tc.say) {
				t.Errorf("exit %d, stderr %q; want %d and %q", r.code, r.stderr, tc.code, tc.say)
			}
		})
	}
}

func TestScanStdin(t *testing.T) {
	v := secretvalue.Generate(secretvalue.PrefixSession).Reveal()
	var out, errOut bytes.Buffer
	cmd := newScanCmd(nil, strings.NewReader("Cookie: kw_session="+v+"\n"), &out, &errOut)
	cmd.SetArgs([]string{"-"})
	err := cmd.Execute()
	var ee exitError
	if !errors.As(err, &ee) || ee.code != exitFailure {
		t.Fatalf("err = %v, want exit 1", err)
	}
	if !strings.Contains(out.String(), "(stdin)") || !strings.Contains(out.String(), "console session token") || strings.Contains(out.String(), v) {
		t.Errorf("output:\n%s", out.String())
	}
}

func TestScanGit(t *testing.T) {
	repo := t.TempDir()
	git := func(args ...string) string {
		cmd := exec.Command("git", append([]string{"-C", repo}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
			"GIT_AUTHOR_NAME=T", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=T", "GIT_COMMITTER_EMAIL=t@example.com")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	git("init", "-q")
	v := secretvalue.Generate(secretvalue.PrefixAPIToken).Reveal()
	w := secretvalue.Generate(secretvalue.PrefixClientSecret).Reveal()
	os.WriteFile(filepath.Join(repo, "ci.sh"), []byte("export KEYWARDEN_TOKEN="+v+"\n"), 0o644)
	git("add", ".")
	git("commit", "-qm", "ci")
	first := git("rev-parse", "HEAD")
	os.Remove(filepath.Join(repo, "ci.sh"))
	os.WriteFile(filepath.Join(repo, "README"), []byte("hello\n"), 0o644)
	git("add", "-A")
	git("commit", "-qm", "oops, removed")

	if r := scanRun(t, repo); r.code != 0 {
		t.Errorf("work tree: exit %d, want 0 (the value is only in history)\n%s", r.code, r.stderr)
	}
	r := scanRun(t, "--git", "-o", "json", repo)
	var rep scanReport
	decodeStrict(t, r.stdout, &rep)
	if r.code != 1 || len(rep.Findings) != 1 || rep.Findings[0].Commit != first || rep.Findings[0].Path != "ci.sh" || rep.Findings[0].Line != 1 {
		t.Errorf("history: exit %d, %+v; want the value in ci.sh:1 of %s", r.code, rep.Findings, first)
	}
	if r := scanRun(t, "--range", first+"..HEAD", repo); r.code != 0 {
		t.Errorf("range after the leak: exit %d, want 0\n%s", r.code, r.stdout)
	}

	// A pre-commit hook: staged values are found, unstaged ones are not.
	os.WriteFile(filepath.Join(repo, "app.env"), []byte("SECRET="+w+"\n"), 0o644)
	if r := scanRun(t, "--staged", repo); r.code != 0 {
		t.Errorf("staged, nothing added yet: exit %d", r.code)
	}
	git("add", "app.env")
	if r := scanRun(t, "--staged", repo); r.code != 1 || !strings.Contains(r.stdout, "app.env") {
		t.Errorf("staged: exit %d\n%s", r.code, r.stdout)
	}
}

func TestScanHelpGolden(t *testing.T) {
	r := scanRun(t, "--help")
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	assertGolden(t, "help-scan", []byte(r.stdout))
}
