package leakscan

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"keywarden/internal/secretvalue"
)

// A Finding is a Keywarden value with a right checksum, and where it was.
type Finding struct {
	Kind  Kind
	Value secretvalue.Plaintext // prints as its hint; Reveal it only to report it
	// Path is the file ("(stdin)" for standard input); in git history, the
	// file's path in Commit.
	Path    string
	Commit  string // full hash; empty outside history
	Line    int    // 1-based line of the value's first character
	Column  int    // 1-based, in characters
	EndLine int    // the line of its last character: > Line when it was split
}

// Masked shows the value as the product shows a secret: prefix and hint.
func (f Finding) Masked() string { return f.Kind.Prefix + "…" + f.Value.Hint() }

// Stdin is the Path of findings in standard input.
const Stdin = "(stdin)"

// sniffLen is how much of a file decides whether it is binary: a NUL byte
// in its first 8000 bytes, the test git itself uses.
const sniffLen = 8000

// A Scan collects the findings of one or more sources.
type Scan struct {
	Findings []Finding
	Scanned  int // texts read: files, or file versions in git history
	Binary   int // files skipped as binary
}

// Bytes scans data, which came from path.
func (s *Scan) Bytes(path string, data []byte) {
	if bytes.IndexByte(data[:min(len(data), sniffLen)], 0) >= 0 {
		s.Binary++
		return
	}
	s.Scanned++
	s.text(path, "", 1, data)
}

// Reader scans everything r holds (standard input).
func (s *Scan) Reader(path string, r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	s.Bytes(path, data)
	return nil
}

// Path scans a file, or a directory and everything below it except .git
// directories, symbolic links and special files. It goes on past files it
// cannot read and returns their errors at the end.
func (s *Scan) Path(root string) error {
	if fi, err := os.Lstat(root); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		if target, err := filepath.EvalSymlinks(root); err == nil {
			root = target // named on the command line: followed
		}
	}
	var problems []error
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			problems = append(problems, err)
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		switch {
		case d.Name() == ".git" && path != root:
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil // a worktree's or submodule's .git file
		case d.IsDir():
			return nil
		case !d.Type().IsRegular() && path != root:
			return nil // symbolic links are not followed, so that a walk never loops or leaves the tree
		}
		data, err := os.ReadFile(path)
		if err != nil {
			problems = append(problems, err)
			return nil
		}
		s.Bytes(path, data)
		return nil
	})
	if err != nil {
		problems = append(problems, err)
	}
	return errors.Join(problems...)
}

// text scans data, which starts at line first of path in commit.
func (s *Scan) text(path, commit string, first int, data []byte) {
	find(data, func(m match) {
		s.Findings = append(s.Findings, Finding{Kind: m.kind, Value: m.value, Path: path, Commit: commit,
			Line: first + m.line - 1, Column: m.column, EndLine: first + m.endLine - 1})
	})
}
