package leakscan

import (
	"bytes"
	"strings"
	"testing"

	"keywarden/internal/secretvalue"
)

func fuzzSeeds(f *testing.F) {
	v := secretvalue.Generate(secretvalue.PrefixClientSecret).Reveal()
	for _, s := range []string{
		"", v, "x" + v, v + "\n" + v, v[:20] + "\n" + v[20:], v[:20] + "\\\r\n  " + v[20:],
		`"` + v[:10] + `" +` + "\n\t\"" + v[10:] + `"`, "'" + v[:30] + "'\n  || '" + v[30:] + "'",
		"# " + v[:5] + "\n# > " + v[5:], v[:49] + "x", "kw", "kws_", "kws_\n", strings.Repeat("kws_a\n", 20),
		strings.Repeat(`"a" +`+"\n", 30), "\x00" + v,
	} {
		f.Add([]byte(s))
	}
}

// FuzzFind: find never panics, reports only values that parse, in order,
// at lines that exist; and a value dropped between spaces anywhere in the
// input is always found.
func FuzzFind(f *testing.F) {
	fuzzSeeds(f)
	planted := secretvalue.Generate(secretvalue.PrefixAPIToken).Reveal()
	f.Fuzz(func(t *testing.T, data []byte) {
		lines := bytes.Count(data, []byte("\n")) + 1
		last := 0
		find(data, func(m match) {
			v := m.value.Reveal()
			if _, err := secretvalue.Parse(m.kind.Prefix, v); err != nil {
				t.Fatalf("reported %q: %v", v, err)
			}
			if m.line < last || m.line < 1 || m.endLine < m.line || m.endLine > lines || m.column < 1 {
				t.Fatalf("bad position %d:%d-%d (previous line %d, %d lines)", m.line, m.column, m.endLine, last, lines)
			}
			last = m.line
		})
		at := len(data) / 2
		with := append(append(append([]byte{}, data[:at]...), " "+planted+" "...), data[at:]...)
		seen := false
		find(with, func(m match) { seen = seen || m.value.Reveal() == planted })
		if !seen {
			t.Fatalf("a value planted in %q was missed", with)
		}
	})
}

// FuzzPatch: the parser of git's patch output never panics or loops on
// any input, and finds a value on an added line of a well-formed hunk
// whatever came before it.
func FuzzPatch(f *testing.F) {
	v := secretvalue.Generate(secretvalue.PrefixRefreshToken).Reveal()
	f.Add([]byte("commit abc\n\ndiff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1,2 @@\n-old\n+" + v[:9] + "\n+" + v[9:] + "\n"))
	f.Add([]byte("+++ \"b/q\\303\\251\"\n@@ -0,0 +3 @@\n+" + v + "\n\\ No newline at end of file\n"))
	f.Add([]byte("@@ -1,0 +1,1 @@\n"))
	f.Add([]byte("@@ -x +y @@\n+" + v + "\n"))
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		var s Scan
		if err := s.patch(bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
		for _, x := range s.Findings {
			if x.Path == "" {
				t.Fatalf("finding without a path: %+v", x)
			}
		}
		tail := "\ndiff --git a/k b/k\n+++ b/k\n@@ -0,0 +7,1 @@\n+token " + v + "\n"
		var s2 Scan
		s2.patch(bytes.NewReader(append(append([]byte{}, data...), tail...)))
		n := len(s2.Findings)
		if n == 0 || s2.Findings[n-1].Path != "k" || s2.Findings[n-1].Line != 7 || s2.Findings[n-1].Value.Reveal() != v {
			t.Fatalf("value in a well-formed trailing hunk missed or misplaced: %+v", s2.Findings)
		}
	})
}
