package leakscan_test

import (
	"strings"
	"testing"

	"keywarden/internal/leakscan"
	"keywarden/internal/secretvalue"
)

func scanText(text string) []leakscan.Finding {
	var s leakscan.Scan
	s.Bytes("t", []byte(text))
	return s.Findings
}

// TestPastes: every paste style is found, with the line and column of the
// value's first character and the line of its last; its look-alike is not.
func TestPastes(t *testing.T) {
	for _, p := range append(append([]paste{}, contiguous...), split...) {
		for _, k := range leakscan.Kinds() {
			t.Run(p.name+"/"+k.ID, func(t *testing.T) {
				v := secretvalue.Generate(k.Prefix).Reveal()
				text := "intro line\n" + p.render(v) + "\nlast line"
				got := scanText(text)
				if len(got) != 1 {
					t.Fatalf("found %d values in %q, want 1", len(got), text)
				}
				start := strings.Index(text, v[:4])
				lineStart := strings.LastIndex(text[:start], "\n") + 1
				end := lastCharOf(text, start, len(v))
				f := got[0]
				switch {
				case f.Value.Reveal() != v:
					t.Errorf("value %s, want %s", f.Value.Reveal(), v)
				case f.Kind != k:
					t.Errorf("kind %v, want %v", f.Kind, k)
				case f.Line != strings.Count(text[:start], "\n")+1 || f.Column != start-lineStart+1:
					t.Errorf("at %d:%d, want %d:%d", f.Line, f.Column, strings.Count(text[:start], "\n")+1, start-lineStart+1)
				case f.EndLine != strings.Count(text[:end], "\n")+1:
					t.Errorf("end line %d, want %d", f.EndLine, strings.Count(text[:end], "\n")+1)
				case f.Masked() != k.Prefix+"…"+v[len(v)-4:]:
					t.Errorf("masked %q", f.Masked())
				}
				if got := scanText("intro line\n" + p.render(lookAlike(t, v)) + "\nlast line"); len(got) != 0 {
					t.Errorf("look-alike reported: %+v", got)
				}
			})
		}
	}
}

// lastCharOf returns the index of the n-th value character from start.
func lastCharOf(text string, start, n int) int {
	for i := start; i < len(text); i++ {
		if c := text[i]; c == '_' || '0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' {
			if n--; n == 0 {
				return i
			}
		}
	}
	return -1
}

func TestBoundaries(t *testing.T) {
	v := secretvalue.Generate(secretvalue.PrefixClientSecret).Reveal()
	w := secretvalue.Generate(secretvalue.PrefixRefreshToken).Reveal()
	tests := []struct {
		name string
		text string
		want []string
	}{
		{"alone", v, []string{v}},
		{"adjacent, one space apart", v + " " + w, []string{v, w}},
		{"adjacent, one comma apart", v + "," + w + "," + v, []string{v, w, v}},
		{"next line starts with a word", v + "\nnext", []string{v}},
		{"next line continues a wrapped look-alike", v[:30] + "\n" + v[30:] + "X", nil},
		{"letter before", "x" + v, nil},
		{"underscore before", "_" + v, nil},
		{"digit after", v + "0", nil},
		{"underscore after", v + "_old", nil},
		{"non-ASCII around", "é" + v + "é", []string{v}},
		{"one short", v[:len(v)-1], nil},
		{"other prefix", "kwx_" + v[4:], nil},
		{"client id prefix", "kwc_" + v[4:], nil},
		{"break inside the prefix", "kw\n" + v[2:], nil},
		{"two line breaks", v[:20] + "\n\n" + v[20:], nil},
		{"space, no line break", v[:20] + " " + v[20:], nil},
		{"concatenation on one line", `"` + v[:20] + `" + "` + v[20:] + `"`, nil},
		{"backslash-n escape, not a break", v[:20] + `\n` + v[20:], nil},
		{"prefix doubled: no word boundary", "kws_" + v, nil},
		{"inside a longer look-alike run", "kws_" + v[4:30] + "\n" + v, []string{v}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, f := range scanText(tc.text) {
				got = append(got, f.Value.Reveal())
			}
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("found %q, want %q", got, tc.want)
			}
		})
	}
}

func TestBinarySkipped(t *testing.T) {
	v := secretvalue.Generate(secretvalue.PrefixClientSecret).Reveal()
	var s leakscan.Scan
	s.Bytes("bin", []byte("\x00"+v))
	s.Bytes("late nul", []byte(strings.Repeat("x", 8000)+"\x00 "+v)) // git's test looks at 8000 bytes
	if s.Binary != 1 || s.Scanned != 1 || len(s.Findings) != 1 {
		t.Errorf("binary %d, scanned %d, findings %d; want 1, 1, 1", s.Binary, s.Scanned, len(s.Findings))
	}
}

func TestKindsCoverEveryPrefix(t *testing.T) {
	var got []string
	for _, k := range leakscan.Kinds() {
		got = append(got, k.Prefix)
		if len(k.Prefix) != len(secretvalue.PrefixClientSecret) {
			t.Errorf("%s: prefixes must all be as long, the pattern assumes it", k.Prefix)
		}
	}
	if want := secretvalue.Prefixes(); strings.Join(got, " ") != strings.Join(want, " ") && len(got) != len(want) {
		t.Errorf("kinds %v, secretvalue.Prefixes %v", got, want)
	}
	for _, p := range secretvalue.Prefixes() {
		if !strings.Contains(strings.Join(got, " "), p) {
			t.Errorf("no kind for prefix %s", p)
		}
	}
}
