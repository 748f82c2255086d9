package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode"

	"github.com/spf13/cobra"

	"keywarden/internal/leakscan"
	"keywarden/pkg/apiv1"
)

// exitScanIncomplete: keywarden scan found nothing, but could not read
// everything it was asked to (a file, git).
const exitScanIncomplete = 3

// scanFinding is one finding in -o json: never the value, only its mask.
type scanFinding struct {
	Type    string `json:"type"`
	Rule    string `json:"rule"`
	Masked  string `json:"masked"`
	Path    string `json:"path"`
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	EndLine int    `json:"end_line"`
	Commit  string `json:"commit,omitempty"`
	// Label is the server's answer with --report (docs/leaks.md).
	Label string `json:"label,omitempty"`
}

type scanReport struct {
	Findings []scanFinding `json:"findings"`
	Scanned  int           `json:"scanned"`
	Binary   int           `json:"binary_skipped"`
	Errors   []string      `json:"errors"`
}

func newScanCmd(api *apiFlags, stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	var output, revs string
	var history, staged, report bool
	cmd := &cobra.Command{
		Use:   "scan [PATH ...]",
		Short: "Find leaked Keywarden secrets and tokens in files, standard input or git history",
		Long: `Find Keywarden values (kws_ client and personal credential secrets, kwr_
refresh tokens, kwt_ admin API tokens, kwu_ session tokens), whole or split
across lines, in files and directories (default: the current directory;
"-" reads standard input), in git history (--git: every commit; --range
A..B: those commits) or in what is staged for the next commit (--staged,
for a pre-commit hook). Only values with a right checksum are reported,
masked. With --report, the values found are sent to the server's leak
report (POST /v1/leaks, with an admin's token or the leak-reporter token),
which revokes or quarantines every live one; each finding then shows the
server's label. Exit status: 0 nothing found, 1 found, 2 usage error, 3
nothing found but something could not be read. See docs/leaks.md.`,
		Example: `  keywarden scan .
  git diff | keywarden scan -
  keywarden scan --git --range origin/main..HEAD
  keywarden scan --staged        # in .git/hooks/pre-commit
  keywarden scan --report ./leaked-dump   # shut down what it finds`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if output != "table" && output != "json" {
				return usageError{fmt.Errorf("--output %q: must be table or json", output)}
			}
			if strings.HasPrefix(revs, "-") {
				return usageError{fmt.Errorf("--range %q: a revision range does not start with -", revs)}
			}
			history = history || revs != ""
			if history && staged {
				return usageError{errors.New("--staged scans the index: it does not go with --git or --range")}
			}
			if (history || staged) && len(args) > 1 {
				return usageError{errors.New("--git, --range and --staged take at most one repository directory")}
			}
			var conn connection
			if report {
				var err error
				if conn, err = api.authed(); err != nil {
					return err
				}
			}
			var s leakscan.Scan
			var problems []error
			switch {
			case history || staged:
				repo := "."
				if len(args) == 1 {
					repo = args[0]
				}
				var err error
				if staged {
					err = s.Staged(cmd.Context(), repo)
				} else {
					err = s.History(cmd.Context(), repo, revs)
				}
				problems = append(problems, err)
			default:
				if len(args) == 0 {
					args = []string{"."}
				}
				stdinSeen := false
				for _, a := range args {
					if a != "-" {
						problems = append(problems, s.Path(a))
						continue
					}
					if stdinSeen {
						return usageError{errors.New(`"-" (standard input) given twice`)}
					}
					stdinSeen = true
					problems = append(problems, s.Reader(leakscan.Stdin, stdin))
				}
			}
			errs := unjoin(errors.Join(problems...))
			var labels []string
			if report && len(s.Findings) > 0 {
				var err error
				if labels, err = reportFindings(cmd.Context(), conn, s.Findings); err != nil {
					return fmt.Errorf("report to %s: %w", conn.server, err)
				}
			}
			if err := printScan(stdout, stderr, output, &s, labels, errs); err != nil {
				return err
			}
			switch {
			case len(s.Findings) > 0:
				return exitError{exitFailure, fmt.Errorf("%d Keywarden value(s) found: revoke or rotate them now, then remove them (docs/leaks.md)", len(s.Findings))}
			case len(errs) > 0:
				return exitError{exitScanIncomplete, errors.New("scan incomplete: nothing found, but not everything could be read")}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output format: table or json")
	cmd.Flags().BoolVar(&history, "git", false, "scan the git history of the repository (PATH, default .): every commit reachable from any ref")
	cmd.Flags().StringVar(&revs, "range", "", "scan only the commits of this revision range (e.g. A..B); implies --git")
	cmd.Flags().BoolVar(&staged, "staged", false, "scan what is staged for the next commit (a pre-commit hook)")
	cmd.Flags().BoolVar(&report, "report", false, "send the values found to the server's leak report, which shuts down the live ones (needs a token)")
	return cmd
}

// reportFindings sends the findings' values to the server's leak report
// and returns its label for each.
func reportFindings(ctx context.Context, c connection, findings []leakscan.Finding) ([]string, error) {
	values := make([]apiv1.LeakedValue, len(findings))
	for i, f := range findings {
		where := f.Path + ":" + strconv.Itoa(f.Line)
		if f.Commit != "" {
			where = f.Commit + ":" + where
		}
		values[i] = apiv1.LeakedValue{Value: f.Value.Reveal(), SourceURL: where, Source: "keywarden scan"}
	}
	return reportValues(ctx, c.api(), values)
}

// unjoin flattens errors.Join's tree, so that each problem prints once.
func unjoin(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, unjoin(e)...)
		}
		return out
	}
	return []error{err}
}

func printScan(stdout, stderr io.Writer, output string, s *leakscan.Scan, labels []string, errs []error) error {
	label := func(i int) string {
		if i < len(labels) {
			return labels[i]
		}
		return ""
	}
	for _, err := range errs {
		fmt.Fprintln(stderr, "keywarden scan:", err)
	}
	if output == "json" {
		r := scanReport{Findings: []scanFinding{}, Scanned: s.Scanned, Binary: s.Binary, Errors: []string{}}
		for i, f := range s.Findings {
			r.Findings = append(r.Findings, scanFinding{Type: f.Kind.ID, Rule: f.Kind.RuleID(), Masked: f.Masked(),
				Path: f.Path, Line: f.Line, Column: f.Column, EndLine: f.EndLine, Commit: f.Commit, Label: label(i)})
		}
		for _, err := range errs {
			r.Errors = append(r.Errors, err.Error())
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(r)
	}
	if len(s.Findings) == 0 {
		fmt.Fprintf(stderr, "No Keywarden values found (%d scanned, %d binary skipped).\n", s.Scanned, s.Binary)
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	header := "PATH\tLINE\tCOMMIT\tTYPE\tVALUE"
	if labels != nil {
		header += "\tREPORTED"
	}
	fmt.Fprintln(tw, header)
	for i, f := range s.Findings {
		line := strconv.Itoa(f.Line)
		if f.EndLine != f.Line {
			line += "-" + strconv.Itoa(f.EndLine) // split across lines
		}
		commit := "-"
		if f.Commit != "" {
			commit = f.Commit[:min(12, len(f.Commit))]
		}
		path := f.Path
		if strings.ContainsFunc(path, unicode.IsControl) {
			path = strconv.Quote(path) // a tab or line break would break the table
		}
		row := fmt.Sprintf("%s\t%s\t%s\t%s\t%s", path, line, commit, f.Kind.Name, f.Masked())
		if labels != nil {
			row += "\t" + label(i)
		}
		fmt.Fprintln(tw, row)
	}
	return tw.Flush()
}
