package e2e

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// envelopeMigration is the migration that introduced envelope encryption:
// the commit before the one that added it is the last version whose keys
// all came from the master key directly.
const envelopeMigration = "internal/store/sqlite/migrations/00040_data_key.sql"

// buildPreEnvelope builds keywarden as it was before envelope encryption,
// from this repository's history, or skips t when the history is not
// there (a source archive, a shallow clone).
func buildPreEnvelope(t *testing.T) string {
	t.Helper()
	root := ""
	git := func(args ...string) string {
		if root != "" {
			args = append([]string{"-C", root}, args...)
		}
		out, err := exec.CommandContext(t.Context(), "git", args...).Output()
		if err != nil {
			t.Skipf("git %s: %v: the upgrade test needs the repository's history", strings.Join(args, " "), err)
		}
		return strings.TrimSpace(string(out))
	}
	root = git("rev-parse", "--show-toplevel")
	added := git("log", "--diff-filter=A", "--format=%H", "--", envelopeMigration)
	lines := strings.Fields(added)
	if len(lines) == 0 {
		t.Skipf("%s is not committed yet: nothing to upgrade from", envelopeMigration)
	}
	before := git("rev-parse", "--verify", "--quiet", lines[len(lines)-1]+"^")
	dir := t.TempDir()
	archive := exec.CommandContext(t.Context(), "git", "-C", root, "archive", "--format=tar", before)
	extract := exec.CommandContext(t.Context(), "tar", "-x", "-C", dir)
	pipe, err := archive.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	extract.Stdin = pipe
	if err := extract.Start(); err != nil {
		t.Fatal(err)
	}
	if err := archive.Run(); err != nil {
		t.Fatalf("git archive %s: %v", before, err)
	}
	if err := extract.Wait(); err != nil {
		t.Fatalf("tar: %v", err)
	}
	bin := filepath.Join(dir, "keywarden-before")
	start := time.Now()
	build := exec.CommandContext(t.Context(), "go", "build", "-o", bin, "./cmd/keywarden")
	build.Dir = dir
	build.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=readonly")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", before, err, out)
	}
	t.Logf("built keywarden at %.12s (before envelope encryption) in %v", before, time.Since(start).Round(time.Second))
	return bin
}

// TestUpgradeToEnvelopeEncryption runs an installation made by the version
// before envelope encryption under this one: the first start keeps every
// verifier, sealed value and audit hash (the master key becomes the data
// key), a wrong key is refused before anything is adopted, and the
// installation can then rotate its master key.
func TestUpgradeToEnvelopeEncryption(t *testing.T) {
	t.Parallel()
	oldBin := buildPreEnvelope(t)
	key1, key2 := newMasterKey(), newMasterKey()
	legacy := &instance{dataDir: t.TempDir(), noDev: true, env: []string{"KEYWARDEN_MASTER_KEY=" + key1}, bin: oldBin}
	e := oauthStart(t, legacy)
	c, sec := e.client(t, "billing", "invoices:read")
	tok := e.token(t, c.ClientID, sec.Value).AccessToken
	e.srv.stop(t)

	wrong := withKey(legacy, key2)
	if out, errOut, code := wrong.run(t, "", "serve", "--listen", "127.0.0.1:0", "--data-dir", legacy.dataDir); code == 0 || !strings.Contains(errOut, "wrong master key") {
		t.Fatalf("serve with another key after the upgrade exited %d: %s %s", code, out, errOut)
	}

	upgraded := withKey(legacy, key1)
	out, errOut, code := upgraded.run(t, "", "audit", "verify", "--data-dir", legacy.dataDir)
	if code != 0 || !strings.HasPrefix(out, "audit chain OK") {
		t.Fatalf("audit verify after the upgrade exited %d: %s %s", code, out, errOut)
	}
	u := &oauthEnv{in: upgraded, srv: upgraded.start(t), admin: e.admin, org: e.org}
	u.token(t, c.ClientID, sec.Value)
	u.wantActive(t, c.ClientID, sec.Value, tok, true)
	u.srv.must(t, http.StatusOK, e.admin, "GET", "/v1/clients/"+c.ClientID, nil, nil)
	out, _, _ = upgraded.run(t, "", "rekey", "--status", "--data-dir", legacy.dataDir)
	if !strings.Contains(out, "first master key") {
		t.Errorf("rekey --status after the upgrade:\n%s", out)
	}

	// It rotates like a new installation.
	rekey := withKey(legacy, key1, "KEYWARDEN_NEW_MASTER_KEY="+key2)
	if out, errOut, code := rekey.run(t, "", "rekey", "--data-dir", legacy.dataDir); code != 0 {
		t.Fatalf("rekey exited %d: %s %s", code, out, errOut)
	}
	u.srv.stop(t)
	rotated := withKey(legacy, key2)
	r := &oauthEnv{in: rotated, srv: rotated.start(t), admin: e.admin, org: e.org}
	if out, errOut, code := rotated.run(t, "", "rekey", "--finish", "--data-dir", legacy.dataDir); code != 0 {
		t.Fatalf("rekey --finish exited %d: %s %s", code, out, errOut)
	}
	r.token(t, c.ClientID, sec.Value)
	r.wantActive(t, c.ClientID, sec.Value, tok, true)
	if out, errOut, code := rotated.run(t, "", "audit", "verify", "--data-dir", legacy.dataDir); code != 0 || !strings.HasPrefix(out, "audit chain OK") {
		t.Errorf("audit verify after the rotation exited %d: %s %s", code, out, errOut)
	}
	if out, errOut, code := upgraded.run(t, "", "audit", "verify", "--data-dir", legacy.dataDir); code == 0 || !strings.Contains(errOut, "wrong master key") {
		t.Errorf("audit verify with the first key after the rotation exited %d: %s %s", code, out, errOut)
	}
}
