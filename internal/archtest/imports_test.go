package archtest

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// allowed maps each package to the internal packages it may import
// (non-test code). A new package needs a line here and in STYLE.md.
var allowed = map[string][]string{
	"api":                      {},
	"cmd/keywarden":            {"internal/cli"},
	"internal/archtest":        {},
	"internal/domain":          {},
	"internal/secretvalue":     {},
	"internal/keyring":         {},
	"internal/httpx":           {},
	"internal/servertls":       {},
	"internal/config":          {},
	"pkg/apiv1":                {},
	"internal/store":           {"internal/domain"},
	"internal/store/sqlstore":  {"internal/store", "internal/domain"},
	"internal/store/sqlite":    {"internal/store", "internal/store/sqlstore"},
	"internal/store/postgres":  {"internal/store", "internal/store/sqlstore"},
	"internal/store/storetest": {"internal/store", "internal/domain"},
	"internal/authz":           {"internal/domain"},
	"internal/audit":           {"internal/store", "internal/domain"},
	"internal/datakey":         {"internal/keyring", "internal/store", "internal/audit", "internal/domain"},
	"internal/account":         {"internal/domain", "internal/store", "internal/secretvalue", "internal/keyring", "internal/audit", "internal/ratelimit"},
	"internal/loadbench":       {"internal/secretvalue"},
	"internal/leakscan":        {"internal/secretvalue"},
	"cmd/keywarden-bench":      {"internal/loadbench", "pkg/apiv1", "pkg/keywarden", "internal/config", "internal/server"},
	"internal/credential":      {"internal/domain", "internal/store", "internal/secretvalue", "internal/keyring", "internal/audit", "internal/ratelimit", "internal/webhook"},
	"pkg/keywarden":            {"pkg/apiv1"},
	"internal/api":             {"pkg/apiv1", "internal/account", "internal/credential", "internal/audit", "internal/authz", "internal/httpx", "internal/domain", "internal/store", "internal/secretvalue", "internal/token", "internal/webhook"},
	"internal/server": {"api", "internal/api", "internal/oauth", "internal/config", "internal/httpx", "internal/account", "internal/audit",
		"internal/credential", "internal/datakey", "internal/keyring", "internal/store", "internal/store/sqlite", "internal/store/postgres", "internal/token", "internal/domain", "internal/metrics", "internal/webhook", "internal/ui", "internal/servertls"},
	"internal/cli":       {"internal/config", "internal/server", "pkg/keywarden", "pkg/apiv1", "internal/audit", "pkg/webhooksig", "internal/leakscan", "internal/datakey", "internal/keyring", "internal/store", "internal/store/sqlite"},
	"internal/ratelimit": {},
	"internal/token":     {"internal/domain", "internal/store", "internal/keyring", "internal/secretvalue", "internal/audit", "internal/webhook"},
	"internal/oauth":     {"internal/credential", "internal/token", "internal/httpx", "internal/domain", "internal/metrics"},
	"internal/metrics":   {},
	"internal/ui":        {"internal/account", "internal/credential", "internal/audit", "internal/authz", "internal/token", "internal/store", "internal/httpx", "internal/domain", "internal/webhook"},
	"internal/webhook":   {"internal/domain", "internal/store", "internal/keyring", "internal/audit", "pkg/webhooksig"},
	"pkg/webhooksig":     {},
}

func TestImportRules(t *testing.T) {
	out, err := exec.Command("go", "list", "-e", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, "keywarden/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for line := range strings.Lines(string(out)) {
		pkg, imports, _ := strings.Cut(strings.TrimSpace(line), " ")
		name := strings.TrimPrefix(pkg, "keywarden/")
		if strings.HasPrefix(name, "test/") {
			continue // black-box test packages import what they test
		}
		rule, ok := allowed[name]
		if !ok {
			t.Errorf("%s has no import rule: add it to allowed and to STYLE.md's table", pkg)
			continue
		}
		for _, imp := range strings.Fields(imports) {
			dep, internal := strings.CutPrefix(imp, "keywarden/")
			if internal && !slices.Contains(rule, dep) {
				t.Errorf("%s imports %s, which the dependency table does not allow", pkg, imp)
			}
		}
	}
}
