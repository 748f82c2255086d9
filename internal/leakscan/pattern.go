package leakscan

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"keywarden/internal/secretvalue"
)

// How a pasted value may be split. Each separator holds exactly one line
// break and no character a value can hold ([0-9A-Za-z_]), so deleting every
// other character from a match gives the value back (valueOf).
const (
	// A hard wrap (a terminal, an e-mail, a PDF), a backslash continuation
	// (shell, C and Python strings, YAML double-quoted scalars) or a
	// quoted-printable soft break (=), then the next line's indentation and
	// any comment, e-mail quote or diff markers (# ; > * + / -).
	wrapSep = `[\\=]?[ \t]*\r?\n[ \t]*(?:[#;>*+/-][ \t]*)*`
	// A string literal closed, joined and reopened on the next line: "a" +
	// (Go, Java, JavaScript, C#, Python), "a" . (PHP, Perl), "a" .. (Lua),
	// "a" & (VB), 'a' || (SQL), "a" ~ (D), or nothing (C, Python), with the
	// operator at the end of the line or the start of the next.
	concatSep = `["'\x60][ \t]*(?:` + concatOp + `[ \t]*)?\\?[ \t]*\r?\n[ \t]*(?:` + concatOp + `[ \t]*)?["'\x60]`
	concatOp  = `(?:\+|\.\.?|&|\|\||~)`
	// base62 is a character of a value after its prefix; secretvalue.Parse
	// is the authority and checks it again.
	base62 = `[0-9A-Za-z]`
)

// bodyLen is the length of a value after its prefix.
var bodyLen = secretvalue.Len - len(secretvalue.PrefixClientSecret)

// body matches what follows a prefix: bodyLen base62 characters, each of
// them maybe after a separator, then a word boundary.
var body = `(?:(?:` + wrapSep + `|` + concatSep + `)?` + base62 + `){` + strconv.Itoa(bodyLen) + `}\b`

// Pattern is the regular expression (RE2 syntax) that finds candidates of
// kind k, split or not. A break inside the prefix itself is not found: the
// scanners' keyword filters need the prefix whole.
func Pattern(k Kind) string { return `\b` + regexp.QuoteMeta(k.Prefix) + body }

// ContiguousPattern finds only unsplit values of kind k: the GitHub custom
// patterns use it, as Pattern is untested on GitHub's engine.
func ContiguousPattern(k Kind) string {
	return regexp.QuoteMeta(k.Prefix) + base62 + `{` + strconv.Itoa(bodyLen) + `}`
}

// candidate matches a value of any kind at the start of its input; find
// checks the word boundary before it.
var candidate = func() *regexp.Regexp {
	alts := make([]string, len(kinds))
	for i, k := range kinds {
		alts[i] = regexp.QuoteMeta(k.Prefix)
	}
	return regexp.MustCompile(`^(?:` + strings.Join(alts, "|") + `)` + body)
}()

// A match is a value found in a text, located by 1-based line and column
// (in characters) of its first character and the line of its last.
type match struct {
	kind    Kind
	value   secretvalue.Plaintext
	line    int
	column  int
	endLine int
}

// find calls emit for every value in text whose checksum is right, in
// order. Candidates start where "kw" follows a non-word character.
func find(text []byte, emit func(match)) {
	line, lineStart, counted := 1, 0, 0
	for i := 0; i+len(secretvalue.PrefixClientSecret) <= len(text); {
		j := bytes.Index(text[i:], []byte("kw"))
		if j < 0 {
			return
		}
		i += j
		if i > 0 && isWordByte(text[i-1]) {
			i++
			continue
		}
		loc := candidate.FindIndex(text[i:])
		if loc == nil {
			i++
			continue
		}
		raw := text[i : i+loc[1]]
		p, err := secretvalue.Parse(string(raw[:4]), valueOf(raw))
		if err != nil {
			i++ // a look-alike
			continue
		}
		for ; counted < i; counted++ {
			if text[counted] == '\n' {
				line++
				lineStart = counted + 1
			}
		}
		k, _ := kindOf(string(raw[:4]))
		emit(match{kind: k, value: p, line: line, column: utf8.RuneCount(text[lineStart:i]) + 1,
			endLine: line + bytes.Count(raw, []byte("\n"))})
		i += loc[1]
	}
}

// valueOf drops the separators from a candidate.
func valueOf(raw []byte) string {
	b := make([]byte, 0, secretvalue.Len)
	for _, c := range raw {
		if isWordByte(c) {
			b = append(b, c)
		}
	}
	return string(b)
}

// isWordByte reports whether c is an RE2 word character (\w), the class \b
// looks at.
func isWordByte(c byte) bool {
	return c == '_' || '0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z'
}
