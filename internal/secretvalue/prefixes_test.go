package secretvalue_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"keywarden/internal/secretvalue"
)

// TestPrefixesListsEveryPrefixConstant keeps Prefixes complete: a value
// kind it forgot would be invisible to keywarden scan and to the rule files
// generated for other scanners.
func TestPrefixesListsEveryPrefixConstant(t *testing.T) {
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var declared []string
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			spec, ok := n.(*ast.ValueSpec)
			if !ok {
				return true
			}
			for i, name := range spec.Names {
				if !strings.HasPrefix(name.Name, "Prefix") || i >= len(spec.Values) {
					continue
				}
				if lit, ok := spec.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					v, _ := strconv.Unquote(lit.Value)
					declared = append(declared, v)
				}
			}
			return true
		})
	}
	got := secretvalue.Prefixes()
	slices.Sort(declared)
	slices.Sort(got)
	if len(declared) == 0 || !slices.Equal(got, declared) {
		t.Errorf("Prefixes() = %v, but the package declares %v", got, declared)
	}
}
