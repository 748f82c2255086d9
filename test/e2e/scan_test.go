package e2e

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"keywarden/pkg/apiv1"
)

// TestScanAsPreCommitHookAndInHistory is a security team's check: a secret
// the server just issued is refused by a pre-commit hook that runs
// keywarden scan --staged; a look-alike with a wrong checksum goes
// through; once committed anyway (--no-verify) and deleted, keywarden scan
// --git still finds it in history, and standard input works as well.
func TestScanAsPreCommitHookAndInHistory(t *testing.T) {
	in := newSQLite(t)
	boot := in.init(t, "Acme", "admin@acme.test")
	srv := in.start(t)
	var c apiv1.Client
	srv.must(t, http.StatusCreated, boot.APIToken, "POST", "/v1/clients", apiv1.CreateClient{Name: "billing"}, &c)
	var sec apiv1.CreatedSecret
	srv.must(t, http.StatusCreated, boot.APIToken, "POST", "/v1/clients/"+c.ClientID+"/secrets", apiv1.CreateSecret{Description: "ci"}, &sec)
	secret := sec.Value
	fake := secret[:20] + string(secret[20]^1) + secret[21:]

	repo := t.TempDir()
	env := append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=Dev", "GIT_AUTHOR_EMAIL=dev@acme.test", "GIT_COMMITTER_NAME=Dev", "GIT_COMMITTER_EMAIL=dev@acme.test")
	git := func(args ...string) (string, int) {
		cmd := exec.Command("git", append([]string{"-C", repo}, args...)...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); ok {
			return string(out), ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(out), 0
	}
	if out, code := git("init", "-q"); code != 0 {
		t.Fatal(out)
	}
	hook := "#!/bin/sh\nexec " + binary + " scan --staged\n"
	if err := os.WriteFile(filepath.Join(repo, ".git", "hooks", "pre-commit"), []byte(hook), 0o755); err != nil {
		t.Fatal(err)
	}

	// The secret, split the way a Go string is wrapped, is refused.
	src := "package main\n\nconst secret = \"" + secret[:24] + "\" +\n\t\"" + secret[24:] + "\"\n"
	os.WriteFile(filepath.Join(repo, "main.go"), []byte(src), 0o644)
	git("add", "main.go")
	out, code := git("commit", "-qm", "add client")
	if code == 0 {
		t.Fatalf("the hook let the secret in:\n%s", out)
	}
	if !strings.Contains(out, "main.go") || !strings.Contains(out, "3-4") || !strings.Contains(out, "kws_…"+sec.Hint) || strings.Contains(out, secret) {
		t.Errorf("hook output does not name main.go:3-4 with the masked value (or shows the value):\n%s", out)
	}

	// A look-alike goes through.
	os.WriteFile(filepath.Join(repo, "main.go"), []byte(strings.Replace(src, secret[:24], fake[:24], 1)), 0o644)
	git("add", "main.go")
	if out, code := git("commit", "-qm", "look-alike"); code != 0 {
		t.Fatalf("the hook refused a look-alike:\n%s", out)
	}

	// Committed past the hook, then deleted: history keeps it.
	os.WriteFile(filepath.Join(repo, "ci.env"), []byte("KEYWARDEN_CLIENT_SECRET="+secret+"\n"), 0o644)
	git("add", "ci.env")
	git("commit", "-q", "--no-verify", "-m", "ci")
	leaked, _ := git("rev-parse", "HEAD")
	git("rm", "-q", "ci.env")
	git("commit", "-qm", "remove ci.env")

	stdout, stderr, code := in.run(t, "", "scan", "--git", "-o", "json", repo)
	var rep struct {
		Findings []struct {
			Type, Masked, Path, Commit string
			Line                       int
		}
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("%v: %s %s", err, stdout, stderr)
	}
	if code != 1 || len(rep.Findings) != 1 || rep.Findings[0].Commit != strings.TrimSpace(leaked) ||
		rep.Findings[0].Path != "ci.env" || rep.Findings[0].Type != "client_secret" || strings.Contains(stdout, secret) {
		t.Errorf("scan --git: exit %d, %s", code, stdout)
	}
	if _, _, code := in.run(t, "", "scan", repo); code != 0 {
		t.Errorf("work tree scan: exit %d, want 0 (the look-alike only)", code)
	}
	if stdout, _, code := in.run(t, "token="+boot.APIToken+"\n", "scan", "-"); code != 1 || !strings.Contains(stdout, "admin API token") {
		t.Errorf("stdin: exit %d\n%s", code, stdout)
	}
}
