package leakscan

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
)

// Options that make git's patch output the same whatever the user's
// configuration says (prefixes, colour, external diff and textconv drivers,
// signatures, relative paths, hunks merged across context).
var patchArgs = []string{"-p", "-U0", "--inter-hunk-context=0", "--no-color", "--no-ext-diff", "--no-textconv",
	"--no-relative", "--src-prefix=a/", "--dst-prefix=b/"}

// History scans the lines each commit added, in every commit reachable
// from any ref of the repository at repo, or in revs (a revision range such
// as A..B). Files git treats as binary are skipped, as are merge commits'
// own changes (git log -p shows none).
func (s *Scan) History(ctx context.Context, repo, revs string) error {
	args := append([]string{"log"}, patchArgs...)
	args = append(args, "--no-show-signature", "--format=commit %H")
	if revs == "" {
		args = append(args, "--all")
	} else {
		if strings.HasPrefix(revs, "-") {
			return fmt.Errorf("revision range %q: must not start with -", revs)
		}
		args = append(args, "--end-of-options", revs)
	}
	return s.git(ctx, repo, append(args, "--"))
}

// Staged scans the lines staged for the next commit, for a pre-commit hook.
func (s *Scan) Staged(ctx context.Context, repo string) error {
	return s.git(ctx, repo, append(append([]string{"diff", "--cached"}, patchArgs...), "--"))
}

func (s *Scan) git(ctx context.Context, repo string, args []string) error {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", repo}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("git: %w", err)
	}
	perr := s.patch(out)
	io.Copy(io.Discard, out) // let git finish if patch stopped early
	if err := cmd.Wait(); err != nil {
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return fmt.Errorf("git %s: %s", args[0], msg)
		}
		return fmt.Errorf("git %s: %w", args[0], err)
	}
	return perr
}

// patch scans the added lines of git's patch output (git log -p or git
// diff, with -U0 and the prefixes of patchArgs). Each run of consecutive
// added lines is scanned as one text, so that a value split across lines
// is found; "commit <hash>" lines (History's format) name the commit.
func (s *Scan) patch(r io.Reader) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var commit, path string
	var oldN, newN, next int // lines left in the current hunk; the next new line's number
	var run []byte           // consecutive added lines, from line runStart
	runStart := 0
	flush := func() {
		if len(run) > 0 && path != "" {
			s.text(path, commit, runStart, run)
		}
		run = run[:0]
	}
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 && (oldN > 0 || newN > 0) && strings.IndexByte("+- \\", line[0]) >= 0 {
			switch line[0] {
			case '+':
				if len(run) == 0 {
					runStart = next
				}
				run = append(run, line[1:]...)
				next++
				newN--
			case '-':
				oldN--
			case ' ': // context: only if diff.interHunkContext got in
				flush()
				next++
				oldN--
				newN--
			} // '\\': "\ No newline at end of file"
			if oldN <= 0 && newN <= 0 {
				flush()
				oldN, newN = 0, 0
			}
		} else if len(line) > 0 {
			flush() // a hunk shorter than its header said ends here
			oldN, newN = 0, 0
			switch {
			case bytes.HasPrefix(line, []byte("commit ")):
				commit = string(bytes.TrimSpace(line[len("commit "):]))
			case bytes.HasPrefix(line, []byte("diff --git ")):
				path = ""
			case bytes.HasPrefix(line, []byte("+++ ")):
				if path = newPath(line[len("+++ "):]); path != "" {
					s.Scanned++
				}
			case bytes.HasPrefix(line, []byte("@@ ")):
				var ok bool
				if oldN, next, newN, ok = hunkHeader(line); !ok {
					oldN, newN = 0, 0
				}
			}
		}
		if err != nil {
			flush()
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

// newPath returns the path in a "+++ " line: b/<path>, maybe C-quoted, or
// /dev/null (a deleted file: ""). Git ends a name holding a space with a tab.
func newPath(b []byte) string {
	p := strings.TrimSuffix(strings.TrimRight(string(b), "\r\n"), "\t")
	if strings.HasPrefix(p, `"`) {
		u, err := strconv.Unquote(p)
		if err != nil {
			return ""
		}
		p = u
	}
	p, ok := strings.CutPrefix(p, "b/")
	if !ok {
		return ""
	}
	return p
}

// hunkHeader parses "@@ -a[,b] +c[,d] @@": it returns b (the old lines), c
// (the first new line) and d (the new lines).
func hunkHeader(line []byte) (oldN, start, newN int, ok bool) {
	f := strings.Fields(string(line))
	if len(f) < 4 || f[3] != "@@" || !strings.HasPrefix(f[1], "-") || !strings.HasPrefix(f[2], "+") {
		return 0, 0, 0, false
	}
	_, oldN, ok1 := span(f[1][1:])
	start, newN, ok2 := span(f[2][1:])
	return oldN, start, newN, ok1 && ok2
}

// span parses "a,b" or "a" (b = 1).
func span(s string) (a, b int, ok bool) {
	as, bs, found := strings.Cut(s, ",")
	a, err1 := strconv.Atoi(as)
	b = 1
	var err2 error
	if found {
		b, err2 = strconv.Atoi(bs)
	}
	return a, b, err1 == nil && err2 == nil && a >= 0 && b >= 0
}
