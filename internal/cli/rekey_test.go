package cli

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"keywarden/internal/keyring"
)

// keyFile writes a new random master key to a 0600 file.
func keyFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "master.key")
	if err := os.WriteFile(path, []byte(hex.EncodeToString(keyring.NewDataKey())+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func wantFailure(t *testing.T, r result, code int, want string) {
	t.Helper()
	if r.code != code || !strings.Contains(r.stderr, want) {
		t.Errorf("exit %d, stderr %q; want exit %d and %q", r.code, r.stderr, code, want)
	}
}

func TestRekeyFlow(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	k1, k2 := keyFile(t), keyFile(t)
	with := func(key string, args ...string) []string {
		return append(args, "--data-dir", dir, "--master-key-file", key)
	}
	mustRun(t, with(k1, "init", "--org", "Acme", "--email", "a@acme.test")...)

	out := mustRun(t, with(k1, "rekey", "--new-master-key-file", k2)...)
	if !strings.Contains(out, "(2 keys open it)") || !strings.Contains(out, "rekey --finish") {
		t.Errorf("rekey output:\n%s", out)
	}
	if out := mustRun(t, with(k1, "rekey", "--new-master-key-file", k2)...); !strings.Contains(out, "nothing changed") {
		t.Errorf("rekey again:\n%s", out)
	}
	status := mustRun(t, with(k2, "rekey", "--status")...)
	if !strings.Contains(status, "data key: random") || strings.Count(status, "\n") != 4 || strings.Count(status, " yes ") != 1 {
		t.Errorf("status:\n%s", status)
	}
	for _, key := range []string{k1, k2} {
		if out := mustRun(t, with(key, "audit", "verify")...); !strings.HasPrefix(out, "audit chain OK") {
			t.Errorf("audit verify: %s", out)
		}
	}
	wantFailure(t, run(t, with(k1, "rekey", "--finish")...), exitFailure, "added")
	// audit verify opened the store with the old key after the new
	// wrapping was made, as a node that still starts with it would.
	wantFailure(t, run(t, with(k2, "rekey", "--finish")...), exitFailure, "still in use")
	if out := mustRun(t, with(k2, "rekey", "--finish", "--force")...); !strings.Contains(out, "removed 1") {
		t.Errorf("finish:\n%s", out)
	}
	r := run(t, with(k1, "audit", "verify")...)
	wantFailure(t, r, exitFailure, "wrong master key")
	if strings.Contains(r.stdout+r.stderr, "BROKEN") || strings.Contains(r.stderr, "tamper") {
		t.Errorf("a wrong key is reported as a broken chain: %s %s", r.stdout, r.stderr)
	}
	if out := mustRun(t, with(k2, "audit", "verify")...); !strings.HasPrefix(out, "audit chain OK") {
		t.Errorf("audit verify with the new key: %s", out)
	}
}

func TestRekeyUsage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	k1 := keyFile(t)
	mustRun(t, "init", "--org", "Acme", "--email", "a@acme.test", "--data-dir", dir, "--master-key-file", k1)
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"no mode":           {[]string{"rekey"}, "exactly one of"},
		"two modes":         {[]string{"rekey", "--finish", "--status"}, "exactly one of"},
		"force alone":       {[]string{"rekey", "--status", "--force"}, "--force goes with --finish"},
		"unreadable newkey": {[]string{"rekey", "--new-master-key-file", filepath.Join(dir, "none")}, "new master key"},
	} {
		t.Run(name, func(t *testing.T) {
			code := exitUsage
			if name == "unreadable newkey" {
				code = exitFailure
			}
			wantFailure(t, run(t, append(tc.args, "--data-dir", dir, "--master-key-file", k1)...), code, tc.want)
		})
	}
	t.Run("no key", func(t *testing.T) {
		wantFailure(t, run(t, "rekey", "--status", "--data-dir", dir), exitFailure, "no master key")
		wantFailure(t, run(t, "rekey", "--status", "--data-dir", dir, "--dev"), exitFailure, "no master key")
		if _, err := os.Stat(filepath.Join(dir, keyring.DevKeyFile)); err == nil {
			t.Error("rekey --dev generated a master key")
		}
	})
	t.Run("same key", func(t *testing.T) {
		wantFailure(t, run(t, "rekey", "--new-master-key-file", k1, "--data-dir", dir, "--master-key-file", k1), exitFailure, "the current one")
	})
	t.Run("missing data directory", func(t *testing.T) {
		wantFailure(t, run(t, "rekey", "--status", "--data-dir", filepath.Join(dir, "typo"), "--master-key-file", k1), exitFailure, "no Keywarden database")
	})
}

func TestBackupRestore(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	k1, k2 := keyFile(t), keyFile(t)
	mustRun(t, "init", "--org", "Acme", "--email", "a@acme.test", "--data-dir", dir, "--master-key-file", k1)
	out := filepath.Join(t.TempDir(), "keywarden.backup")
	if got := mustRun(t, "backup", "--out", out, "--data-dir", dir); !strings.Contains(got, "backup written to "+out) || !strings.Contains(got, "master key") {
		t.Errorf("backup output: %s", got)
	}
	wantFailure(t, run(t, "backup", "--out", out, "--data-dir", dir), exitFailure, "never overwrites")
	wantFailure(t, run(t, "backup", "--out", out+"2", "--database", "postgres://db.invalid/x"), exitUsage, "pg_dump")

	target := filepath.Join(t.TempDir(), "restored")
	wantFailure(t, run(t, "restore", "--from", out, "--data-dir", target, "--master-key-file", k2), exitFailure, "wrong master key")
	wantFailure(t, run(t, "restore", "--from", out, "--data-dir", target, "--dev"), exitFailure, "no master key")
	if got := mustRun(t, "restore", "--from", out, "--data-dir", target, "--master-key-file", k1); !strings.Contains(got, "the master key opens it") {
		t.Errorf("restore output: %s", got)
	}
	wantFailure(t, run(t, "restore", "--from", out, "--data-dir", target, "--master-key-file", k1), exitFailure, "--force")
	mustRun(t, "restore", "--from", out, "--data-dir", target, "--master-key-file", k1, "--force")
	if got := mustRun(t, "audit", "verify", "--data-dir", target, "--master-key-file", k1); !strings.HasPrefix(got, "audit chain OK") {
		t.Errorf("audit verify of the restored store: %s", got)
	}
	wantFailure(t, run(t, "restore", "--from", k1, "--data-dir", t.TempDir(), "--master-key-file", k1), exitFailure, "not a Keywarden database")
	wantFailure(t, run(t, "restore", "--from", out, "--database", "postgres://db.invalid/x", "--master-key-file", k1), exitUsage, "pg_restore")
}
