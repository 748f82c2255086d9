package archtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// allowed maps each package to the internal packages it may import
// (non-test code). A new package needs a line here and in STYLE.md.
var allowed = map[string][]string{
	"api":                       {},
	"docs":                      {},
	"cmd/keywarden":             {"internal/cli"},
	"internal/archtest":         {},
	"internal/testkit":          {},
	"internal/testkit/oidcop":   {},
	"internal/federation":       {"internal/domain", "internal/store", "internal/keyring", "internal/audit", "internal/account", "internal/secretvalue"},
	"internal/domain":           {},
	"internal/secretvalue":      {},
	"internal/keyring":          {},
	"internal/httpx":            {},
	"internal/dpop":             {},
	"internal/servertls":        {},
	"internal/config":           {},
	"internal/buildinfo":        {},
	"pkg/apiv1":                 {},
	"internal/store":            {"internal/domain"},
	"internal/store/sqlstore":   {"internal/store", "internal/domain"},
	"internal/store/sqlite":     {"internal/store", "internal/store/sqlstore"},
	"internal/store/postgres":   {"internal/store", "internal/store/sqlstore"},
	"internal/store/storetest":  {"internal/store", "internal/domain", "internal/testkit"},
	"internal/store/enginetest": {"internal/store", "internal/store/sqlite", "internal/store/postgres", "internal/store/sqlstore", "internal/domain"},
	"internal/authz":            {"internal/domain"},
	"internal/problem":          {"internal/domain"},
	"internal/audit":            {"internal/store", "internal/domain"},
	"internal/auditstream":      {"internal/store", "internal/domain", "internal/audit", "internal/keyring", "internal/webhook"},
	"internal/datakey":          {"internal/keyring", "internal/store", "internal/audit", "internal/domain"},
	"internal/account":          {"internal/domain", "internal/store", "internal/secretvalue", "internal/keyring", "internal/audit", "internal/ratelimit", "internal/slowhash", "internal/metrics"},
	"internal/loadbench":        {"internal/secretvalue"},
	"internal/leakscan":         {"internal/secretvalue"},
	"internal/leak":             {"internal/domain", "internal/secretvalue"},
	"cmd/keywarden-bench":       {"internal/loadbench", "pkg/apiv1", "pkg/keywarden", "internal/config", "internal/server", "internal/secretvalue"},
	"internal/credential":       {"internal/domain", "internal/store", "internal/secretvalue", "internal/keyring", "internal/audit", "internal/ratelimit", "internal/slowhash", "internal/webhook", "internal/metrics"},
	"pkg/keywarden":             {"pkg/apiv1"},
	"internal/api":              {"pkg/apiv1", "internal/problem", "internal/account", "internal/credential", "internal/audit", "internal/auditstream", "internal/federation", "internal/authz", "internal/httpx", "internal/domain", "internal/secretvalue", "internal/token", "internal/webhook", "internal/leak", "internal/dpop"},
	"internal/server": {"api", "docs", "internal/api", "internal/oauth", "internal/config", "internal/httpx", "internal/account", "internal/audit", "internal/auditstream",
		"internal/credential", "internal/datakey", "internal/federation", "internal/keyring", "internal/store", "internal/store/sqlite", "internal/store/postgres", "internal/token", "internal/domain", "internal/metrics", "internal/webhook", "internal/ui", "internal/servertls", "internal/slowhash", "internal/leak", "internal/dpop"},
	"internal/cli":       {"internal/config", "internal/server", "internal/buildinfo", "pkg/keywarden", "pkg/apiv1", "internal/audit", "pkg/webhooksig", "internal/leakscan", "internal/datakey"},
	"internal/ratelimit": {},
	"internal/slowhash":  {},
	"internal/token":     {"internal/domain", "internal/store", "internal/keyring", "internal/secretvalue", "internal/audit", "internal/webhook", "internal/metrics", "internal/dpop"},
	"internal/oauth":     {"internal/credential", "internal/token", "internal/httpx", "internal/domain", "internal/metrics", "internal/dpop"},
	"internal/metrics":   {"internal/buildinfo"},
	"internal/ui":        {"internal/problem", "internal/account", "internal/federation", "internal/credential", "internal/audit", "internal/authz", "internal/token", "internal/httpx", "internal/domain", "internal/secretvalue", "internal/webhook"},
	"internal/webhook":   {"internal/domain", "internal/store", "internal/keyring", "internal/audit", "pkg/webhooksig", "internal/metrics"},
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

// transports parse, call one service method and render: they never reach
// the store themselves, whatever the table above says.
var transports = []string{"internal/api", "internal/oauth", "internal/ui"}

func TestTransportsDoNotImportTheStore(t *testing.T) {
	for _, pkg := range transports {
		for _, dep := range allowed[pkg] {
			if dep == "internal/store" || strings.HasPrefix(dep, "internal/store/") {
				t.Errorf("%s may not import %s: transports call services, which own the store", pkg, dep)
			}
		}
	}
}

// TestDocImportLines checks that each package's doc.go says what it
// imports: its "Imports:" paragraph names exactly the internal packages
// the package imports (names without "internal/", anything in parentheses
// is a remark), or says there are none.
func TestDocImportLines(t *testing.T) {
	out, err := exec.Command("go", "list", "-e", "-f", `{{.ImportPath}} {{.Dir}}{{range .Imports}} {{.}}{{end}}`, "keywarden/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	paren := regexp.MustCompile(`\([^)]*\)`)
	for line := range strings.Lines(string(out)) {
		fields := strings.Fields(line)
		name, dir := strings.TrimPrefix(fields[0], "keywarden/"), fields[1]
		if strings.HasPrefix(name, "test/") || strings.HasPrefix(name, "cmd/") {
			continue
		}
		doc, err := os.ReadFile(filepath.Join(dir, "doc.go"))
		if err != nil {
			t.Errorf("%s has no doc.go", name)
			continue
		}
		_, text, ok := strings.Cut(string(doc), "// Imports:")
		if !ok {
			t.Errorf("%s/doc.go has no Imports: line", name)
			continue
		}
		text, _, _ = strings.Cut(text, "\npackage ")
		text, _, _ = strings.Cut(text, "// Imported by")
		text = paren.ReplaceAllString(strings.ReplaceAll(text, "//", " "), " ")
		if strings.Contains(text, "everything") {
			continue // the composition root
		}
		said := map[string]bool{}
		for _, w := range strings.FieldsFunc(text, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\n' || r == '.' }) {
			if _, ok := allowed["internal/"+w]; ok {
				said["internal/"+w] = true
			} else if _, ok := allowed[w]; ok && strings.Contains(w, "/") {
				said[w] = true
			}
		}
		does := map[string]bool{}
		for _, imp := range fields[2:] {
			if dep, ok := strings.CutPrefix(imp, "keywarden/"); ok {
				does[dep] = true
			}
		}
		for dep := range does {
			if !said[dep] {
				t.Errorf("%s imports %s, which its doc.go's Imports: line does not name", name, dep)
			}
		}
		for dep := range said {
			if !does[dep] {
				t.Errorf("%s/doc.go's Imports: line names %s, which %s does not import", name, dep, name)
			}
		}
	}
}
