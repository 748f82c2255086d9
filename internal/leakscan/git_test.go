package leakscan_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"keywarden/internal/leakscan"
	"keywarden/internal/secretvalue"
)

// where identifies a finding or a planted value for comparison.
func where(path, commit string, line int, value string) string {
	return fmt.Sprintf("%s@%.7s:%d %s", path, commit, line, value)
}

// want lists the real, text values the fixture planted that keep (in the
// work tree) or that history holds.
func (f *fixture) want(workTree bool, commits ...int) []string {
	var out []string
	for _, p := range f.planted {
		if !p.real || p.binary || workTree && p.gone {
			continue
		}
		if workTree {
			out = append(out, where(p.path, "", 0, p.value))
		} else if len(commits) == 0 || slices.Contains(commits, p.commit) {
			out = append(out, where(p.path, f.commits[p.commit], p.line, p.value))
		}
	}
	slices.Sort(out)
	return out
}

func got(s *leakscan.Scan, withLines bool) []string {
	var out []string
	for _, x := range s.Findings {
		line := x.Line
		if !withLines {
			line = 0
		}
		out = append(out, where(x.Path, x.Commit, line, x.Value.Reveal()))
	}
	slices.Sort(out)
	return out
}

func diff(t *testing.T, got, want []string) {
	t.Helper()
	for _, g := range got {
		if !slices.Contains(want, g) {
			t.Errorf("unexpected finding %s", g)
		}
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("missed %s", w)
		}
	}
}

func TestHistory(t *testing.T) {
	f := newFixture(t)
	t.Run("all commits", func(t *testing.T) {
		var s leakscan.Scan
		if err := s.History(t.Context(), f.dir, ""); err != nil {
			t.Fatal(err)
		}
		diff(t, got(&s, true), f.want(false))
		if s.Scanned == 0 {
			t.Error("no file versions counted")
		}
	})
	t.Run("a range", func(t *testing.T) {
		var s leakscan.Scan
		if err := s.History(t.Context(), f.dir, f.commits[0]+".."+f.commits[2]); err != nil {
			t.Fatal(err)
		}
		diff(t, got(&s, true), f.want(false, 1, 2))
	})
	t.Run("a range that starts like an option", func(t *testing.T) {
		var s leakscan.Scan
		if err := s.History(t.Context(), f.dir, "--output=/tmp/x"); err == nil {
			t.Fatal("accepted")
		}
	})
	t.Run("an unknown revision", func(t *testing.T) {
		var s leakscan.Scan
		err := s.History(t.Context(), f.dir, "nosuchbranch..main")
		if err == nil || !strings.Contains(err.Error(), "nosuchbranch") {
			t.Fatalf("err = %v, want git's message", err)
		}
	})
	t.Run("not a repository", func(t *testing.T) {
		var s leakscan.Scan
		if err := s.History(t.Context(), t.TempDir(), ""); err == nil {
			t.Fatal("no error")
		}
	})
}

func TestWorkTree(t *testing.T) {
	f := newFixture(t)
	var s leakscan.Scan
	if err := s.Path(f.dir); err != nil {
		t.Fatal(err)
	}
	for i := range s.Findings {
		rel, _ := filepath.Rel(f.dir, s.Findings[i].Path)
		s.Findings[i].Path = filepath.ToSlash(rel)
	}
	diff(t, got(&s, false), f.want(true))
	if s.Binary != 1 {
		t.Errorf("binary files skipped: %d, want 1 (.git holds more, but is skipped)", s.Binary)
	}
}

func TestStaged(t *testing.T) {
	f := newFixture(t)
	v := secretvalue.Generate(secretvalue.PrefixAPIToken).Reveal()
	w := secretvalue.Generate(secretvalue.PrefixClientSecret).Reveal()
	// Staged: v, split over two lines, appended to a committed file. Not
	// staged: w in a new file.
	notes := filepath.Join(f.dir, "docs/setup notes.md")
	before, _ := os.ReadFile(notes)
	os.WriteFile(notes, append(before, []byte("token: "+v[:20]+"\\\n  "+v[20:]+"\n")...), 0o644)
	gitCmd(t, f.dir, "add", "docs/setup notes.md")
	os.WriteFile(filepath.Join(f.dir, "unstaged.txt"), []byte(w), 0o644)
	var s leakscan.Scan
	if err := s.Staged(t.Context(), f.dir); err != nil {
		t.Fatal(err)
	}
	line := strings.Count(string(before), "\n") + 1
	diff(t, got(&s, true), []string{where("docs/setup notes.md", "", line, v)})
}

func TestPathErrors(t *testing.T) {
	dir := t.TempDir()
	v := secretvalue.Generate(secretvalue.PrefixRefreshToken).Reveal()
	os.WriteFile(filepath.Join(dir, "a.txt"), []byte(v), 0o644)
	os.Symlink(filepath.Join(dir, "a.txt"), filepath.Join(dir, "link.txt"))
	os.Symlink(dir, filepath.Join(dir, "loop"))
	var s leakscan.Scan
	err := s.Path(filepath.Join(dir, "missing"))
	if err == nil {
		t.Error("a missing path gave no error")
	}
	if err := s.Path(dir); err != nil {
		t.Fatal(err)
	}
	if len(s.Findings) != 1 {
		t.Errorf("%d findings, want 1: symbolic links inside the tree are not followed", len(s.Findings))
	}
	var viaLink leakscan.Scan
	if err := viaLink.Path(filepath.Join(dir, "link.txt")); err != nil || len(viaLink.Findings) != 1 {
		t.Errorf("a link named on the command line: %v, %d findings, want it followed", err, len(viaLink.Findings))
	}
}
