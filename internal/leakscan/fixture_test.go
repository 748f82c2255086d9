package leakscan_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"keywarden/internal/leakscan"
	"keywarden/internal/secretvalue"
)

// A paste is one way people put a value into a file: the text around it,
// with the value split across lines or not.
type paste struct {
	name   string
	render func(v string) string
}

// at splits v into pieces at the given offsets.
func at(v string, cuts ...int) []string {
	var parts []string
	last := 0
	for _, c := range cuts {
		parts = append(parts, v[last:c])
		last = c
	}
	return append(parts, v[last:])
}

// wrap hard-wraps text every width bytes, as a terminal or fold(1) does.
func wrap(text string, width int, eol string) string {
	var b strings.Builder
	for len(text) > width {
		b.WriteString(text[:width] + eol)
		text = text[width:]
	}
	b.WriteString(text)
	return b.String()
}

var contiguous = []paste{
	{"dotenv", func(v string) string { return "KEYWARDEN_SECRET=" + v }},
	{"json", func(v string) string { return `{"client_id": "kwc_x", "client_secret": "` + v + `"}` }},
	{"yaml", func(v string) string { return "keywarden:\n  token: '" + v + "'" }},
	{"curl", func(v string) string {
		return `curl -H "Authorization: Bearer ` + v + `" https://kw.example/v1/clients`
	}},
	{"url", func(v string) string { return "https://kw.example/cb?refresh_token=" + v + "&x=1" }},
	{"two on a line", func(v string) string { return "old=" + v + ";" }},
}

var split = []paste{
	{"terminal wrap at 32 columns", func(v string) string {
		return wrap("export KEYWARDEN_TOKEN="+v+" # from the console", 32, "\n")
	}},
	{"wrap at 8 columns", func(v string) string { return wrap(v, 8, "\n") }},
	{"CRLF wrap", func(v string) string { return wrap("secret: "+v, 40, "\r\n") }},
	{"wrap right after the prefix", func(v string) string { p := at(v, 4); return "token " + p[0] + "\n" + p[1] }},
	{"indented continuation", func(v string) string { p := at(v, 30); return "- token: " + p[0] + "\n    " + p[1] }},
	{"reflowed comment", func(v string) string { p := at(v, 17); return "# rotate " + p[0] + "\n# " + p[1] + " before May" }},
	{"e-mail quote", func(v string) string {
		p := at(v, 25)
		return "> here is the secret: " + p[0] + "\n> " + p[1] + "\n> thanks"
	}},
	{"quoted-printable soft break", func(v string) string { p := at(v, 21); return "Secret: " + p[0] + "=\r\n" + p[1] }},
	{"shell backslash in quotes", func(v string) string {
		p := at(v, 26)
		return `export KEYWARDEN_CLIENT_SECRET="` + p[0] + "\\\n" + p[1] + `"`
	}},
	{"YAML escaped line break", func(v string) string { p := at(v, 12); return "secret: \"" + p[0] + "\\\n  " + p[1] + "\"" }},
	{"Go concatenation", func(v string) string {
		p := at(v, 20, 38)
		return "const secret = \"" + p[0] + "\" +\n\t\"" + p[1] + "\" +\n\t\"" + p[2] + "\""
	}},
	{"JavaScript operator first", func(v string) string { p := at(v, 33); return "const s = '" + p[0] + "'\n  + '" + p[1] + "';" }},
	{"Python implicit concatenation", func(v string) string {
		p := at(v, 24)
		return "SECRET = (\"" + p[0] + "\"\n          \"" + p[1] + "\")"
	}},
	{"PHP dot", func(v string) string { p := at(v, 15); return "$s = \"" + p[0] + "\" .\n    \"" + p[1] + "\";" }},
	{"SQL ||", func(v string) string {
		p := at(v, 40)
		return "INSERT INTO t VALUES ('" + p[0] + "' ||\n'" + p[1] + "');"
	}},
	{"Go raw strings", func(v string) string { p := at(v, 45); return "s := `" + p[0] + "` +\n\t`" + p[1] + "`" }},
}

// lookAlike returns v with one character of its random part changed: the
// same shape, a wrong checksum.
func lookAlike(t testing.TB, v string) string {
	i := 4 + len(v)%40
	c := byte('a')
	if v[i] == 'a' {
		c = 'b'
	}
	la := v[:i] + string(c) + v[i+1:]
	if _, err := secretvalue.Parse(v[:4], la); !errors.Is(err, secretvalue.ErrChecksum) {
		t.Fatalf("look-alike parses: %v", err)
	}
	return la
}

// A planted value is one the fixture wrote, and where.
type planted struct {
	value  string
	kind   leakscan.Kind
	real   bool // false: a look-alike with a wrong checksum
	shaped bool // true: it has a value's shape, so pattern-only scanners flag it
	paste  string
	path   string
	line   int // of its first character, in the commit that added it
	commit int // index into fixture.commits
	binary bool
	gone   bool // deleted from the work tree by a later commit
}

// A fixture is a git repository with Keywarden values and look-alikes in
// its history and work tree.
type fixture struct {
	dir     string
	commits []string // hashes, oldest first
	planted []planted
}

// fileBuilder writes a file and records what it planted where.
type fileBuilder struct {
	f     *fixture
	path  string
	text  strings.Builder
	lines int // lines before this commit's text (for an appended file)
}

func (b *fileBuilder) add(p paste, value string, k leakscan.Kind, real, shaped bool) {
	snippet := p.render(value)
	if b.text.Len() > 0 {
		b.text.WriteString("\n# --\n")
	}
	start := b.text.Len() + strings.Index(snippet, value[:4])
	b.text.WriteString(snippet)
	line := b.lines + strings.Count(b.text.String()[:start], "\n") + 1
	b.f.planted = append(b.f.planted, planted{value: value, kind: k, real: real, shaped: shaped, paste: p.name,
		path: b.path, line: line, commit: len(b.f.commits)})
}

func gitCmd(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=Fixture", "GIT_AUTHOR_EMAIL=fixture@example.com",
		"GIT_COMMITTER_NAME=Fixture", "GIT_COMMITTER_EMAIL=fixture@example.com")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func (f *fixture) write(t testing.TB, b *fileBuilder, appendTo bool) {
	t.Helper()
	full := filepath.Join(f.dir, b.path)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		t.Fatal(err)
	}
	flag := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	if appendTo {
		flag = os.O_CREATE | os.O_WRONLY | os.O_APPEND
	}
	fh, err := os.OpenFile(full, flag, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fh.WriteString(b.text.String() + "\n"); err != nil {
		t.Fatal(err)
	}
	fh.Close()
}

func (f *fixture) commit(t testing.TB, msg string) {
	gitCmd(t, f.dir, "add", "-A")
	gitCmd(t, f.dir, "commit", "-q", "-m", msg)
	f.commits = append(f.commits, gitCmd(t, f.dir, "rev-parse", "HEAD"))
}

// newFixture builds the repository: every kind of value, whole and split in
// every paste style, real and look-alike, over three commits (the last
// deletes a file, so one real value is only in history), plus values of the
// wrong shape and a binary file.
func newFixture(t testing.TB) *fixture {
	f := &fixture{dir: t.TempDir()}
	gitCmd(t, f.dir, "init", "-q", "-b", "main")
	kinds := leakscan.Kinds()
	gen := func(i int) (leakscan.Kind, string) {
		k := kinds[i%len(kinds)]
		return k, secretvalue.Generate(k.Prefix).Reveal()
	}
	n := 0

	// Commit 1: whole values of every kind in config files, and the first
	// half of the paste styles.
	for i, k := range kinds {
		b := &fileBuilder{f: f, path: fmt.Sprintf("config/%s.env", k.ID)}
		for _, p := range contiguous {
			v := secretvalue.Generate(k.Prefix).Reveal()
			b.add(p, v, k, true, true)
			b.add(p, lookAlike(t, secretvalue.Generate(k.Prefix).Reveal()), k, false, true)
		}
		f.write(t, b, false)
		if i == 0 {
			old := &fileBuilder{f: f, path: "config/old.env"}
			old.add(contiguous[0], secretvalue.Generate(k.Prefix).Reveal(), k, true, true)
			f.write(t, old, false)
		}
	}
	docs := &fileBuilder{f: f, path: "docs/setup notes.md"}
	for _, p := range split[:len(split)/2] {
		k, v := gen(n)
		n++
		docs.add(p, v, k, true, true)
		docs.add(p, lookAlike(t, v), k, false, true)
	}
	f.write(t, docs, false)
	f.commit(t, "config and notes")

	// Commit 2: the other paste styles, appended to the notes (their lines
	// start past 1 in the diff) and in source files; wrong shapes; a binary.
	more := &fileBuilder{f: f, path: docs.path, lines: strings.Count(docs.text.String()+"\n", "\n")}
	src := &fileBuilder{f: f, path: "src/client.go"}
	for i, p := range split[len(split)/2:] {
		k, v := gen(n)
		n++
		b := more
		if i%2 == 1 {
			b = src
		}
		b.add(p, v, k, true, true)
		b.add(p, lookAlike(t, v), k, false, true)
	}
	_, v := gen(0)
	wrong := &fileBuilder{f: f, path: "src/wrong_shapes.txt"}
	wrong.add(contiguous[0], "kwx_"+v[4:], kinds[0], false, false)
	wrong.add(contiguous[0], v[:len(v)-1], kinds[0], false, false)
	wrong.add(contiguous[0], v+"Q", kinds[0], false, false)
	wrong.add(contiguous[0], "x"+v, kinds[0], false, false)
	f.write(t, more, true)
	f.write(t, src, false)
	f.write(t, wrong, false)
	bin := secretvalue.Generate(secretvalue.PrefixClientSecret).Reveal()
	if err := os.MkdirAll(filepath.Join(f.dir, "assets"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(f.dir, "assets/blob.bin"), append([]byte("\x00\x01PNG "), bin...), 0o644); err != nil {
		t.Fatal(err)
	}
	f.planted = append(f.planted, planted{value: bin, kind: kinds[0], real: true, shaped: true, paste: "binary",
		path: "assets/blob.bin", line: 1, commit: 1, binary: true})
	f.commit(t, "more notes, client, wrong shapes, a binary")

	// Commit 3: delete a file: its value stays in history.
	gitCmd(t, f.dir, "rm", "-q", "config/old.env")
	f.commit(t, "remove old.env")
	for i := range f.planted {
		if f.planted[i].path == "config/old.env" {
			f.planted[i].gone = true
		}
	}
	return f
}

// files lists the fixture's work-tree files (slash-separated, relative).
func (f *fixture) files(t testing.TB) []string {
	return strings.FieldsFunc(gitCmd(t, f.dir, "ls-files", "-z"), func(r rune) bool { return r == 0 })
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	slices.Sort(out)
	return out
}
