package deploy

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

var exposureRE = regexp.MustCompile(`Overall exposure level for keywarden\.service: ([0-9.]+)`)

// TestSystemdUnit checks deploy/systemd/keywarden.service with
// systemd-analyze: verify (syntax, directives, the ExecStart binary, here
// one built from this tree) and security (the exposure score, printed,
// and held at 2.0 or below: "OK" and better).
func TestSystemdUnit(t *testing.T) {
	analyze := tool(t, "systemd-analyze", "")
	dir := t.TempDir()
	bin := filepath.Join(dir, "keywarden")
	run(t, 5*time.Minute, "go", "build", "-o", bin, "./cmd/keywarden")
	unit, err := os.ReadFile(filepath.Join(repoRoot(t), "deploy", "systemd", "keywarden.service"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(unit)
	for _, want := range []string{"DynamicUser=yes", "ProtectSystem=strict", "NoNewPrivileges=yes", "ExecStart=/usr/local/bin/keywarden serve", "LoadCredential=master.key:"} {
		if !strings.Contains(text, want) {
			t.Errorf("unit lacks %s", want)
		}
	}
	file := filepath.Join(dir, "keywarden.service")
	if err := os.WriteFile(file, []byte(strings.ReplaceAll(text, "/usr/local/bin/keywarden", bin)), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := try(t, time.Minute, analyze, "verify", file); err != nil || strings.TrimSpace(out) != "" {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	out, err := try(t, time.Minute, analyze, "security", "--offline=true", file)
	m := exposureRE.FindStringSubmatch(out)
	if err != nil || m == nil {
		t.Fatalf("systemd-analyze security: %v\n%s", err, out)
	}
	score, _ := strconv.ParseFloat(m[1], 64)
	t.Logf("systemd-analyze security: exposure %.1f", score)
	if score > 2.0 {
		t.Errorf("exposure %.1f, want at most 2.0:\n%s", score, out)
	}
}
