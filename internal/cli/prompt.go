package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// maxAnswer bounds one line read from standard input: a password, a
// secret or a code. The server's own limits are lower.
const maxAnswer = 4 << 10

// errNoAnswer means standard input ended before an answer was read.
var errNoAnswer = errors.New("standard input ended")

// prompter reads answers from standard input. On a terminal it writes a
// prompt to stderr first and turns the echo off for secrets; from a pipe it
// reads one line per answer, without prompts, so that scripts can feed
// answers in order.
type prompter struct {
	in     *bufio.Reader
	fd     int
	tty    bool
	stderr io.Writer
}

func newPrompter(stdin io.Reader, stderr io.Writer) *prompter {
	p := &prompter{in: bufio.NewReaderSize(stdin, maxAnswer), fd: -1, stderr: stderr}
	if f, ok := stdin.(*os.File); ok && f != nil {
		p.fd = int(f.Fd())
		p.tty = term.IsTerminal(p.fd)
	}
	return p
}

// secret reads an answer that must not be echoed (a password, a secret).
func (p *prompter) secret(prompt string) (string, error) {
	if !p.tty {
		return p.readLine()
	}
	fmt.Fprint(p.stderr, prompt)
	b, err := term.ReadPassword(p.fd) // reads the line with the echo off
	fmt.Fprintln(p.stderr)            // the user's Enter was not echoed
	if err != nil {
		return "", fmt.Errorf("read from the terminal: %w", err)
	}
	if len(b) > maxAnswer {
		return "", fmt.Errorf("the answer is longer than %d bytes", maxAnswer)
	}
	return string(b), nil
}

// plain reads an answer that may be echoed (a TOTP code).
func (p *prompter) plain(prompt string) (string, error) {
	if p.tty {
		fmt.Fprint(p.stderr, prompt)
	}
	return p.readLine()
}

// readLine reads one line, less its line break. A last line without a
// line break counts; no line at all is errNoAnswer.
func (p *prompter) readLine() (string, error) {
	var b strings.Builder
	for {
		c, err := p.in.ReadByte()
		if err == io.EOF {
			if b.Len() == 0 {
				return "", errNoAnswer
			}
			break
		}
		if err != nil {
			return "", fmt.Errorf("read standard input: %w", err)
		}
		if c == '\n' {
			break
		}
		if b.Len() >= maxAnswer {
			return "", usageError{fmt.Errorf("a line on standard input is longer than %d bytes", maxAnswer)}
		}
		b.WriteByte(c)
	}
	return strings.TrimSuffix(b.String(), "\r"), nil
}
