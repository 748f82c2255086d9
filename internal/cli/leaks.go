package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"keywarden/pkg/apiv1"
	"keywarden/pkg/keywarden"
)

func newLeaksCmd(api *apiFlags, stdin io.Reader, stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "leaks",
		Short: "Report leaked values and list the organisation's leaks (docs/leaks.md)",
		Args:  noArgs,
	}
	cmd.AddCommand(newLeaksReportCmd(api, stdin, stdout), newLeaksListCmd(api, stdout))
	return cmd
}

func newLeaksReportCmd(api *apiFlags, stdin io.Reader, stdout io.Writer) *cobra.Command {
	var sourceURL, source string
	cmd := &cobra.Command{
		Use:   "report --source-url URL < values",
		Short: "Report values found exposed, one per line on standard input: live ones are revoked (or quarantined) at once",
		Long: `Report values found exposed (kws_ secrets, kwr_ refresh tokens, kwt_ API
tokens, kwu_ session tokens), one per line on standard input, so that
they never appear in shell history. Every live value is shut down at
once, in whichever organisation it belongs to; each line gets the
server's label: revoked, quarantined, already_reported, inactive,
unknown or invalid. Needs an admin's token or the leak-reporter token.`,
		Args: noArgs,
	}
	cmd.Flags().StringVar(&sourceURL, "source-url", "", "where the values were found (stored and audited)")
	cmd.Flags().StringVar(&source, "source", "", "what kind of place, e.g. paste, commit, chat")
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{call: func(ctx context.Context, c conn, args []string) (view, error) {
		var values []apiv1.LeakedValue
		sc := bufio.NewScanner(stdin)
		for sc.Scan() {
			if v := strings.TrimSpace(sc.Text()); v != "" {
				values = append(values, apiv1.LeakedValue{Value: v, SourceURL: sourceURL, Source: source})
			}
		}
		if err := sc.Err(); err != nil {
			return view{}, err
		}
		if len(values) == 0 {
			return view{}, usageError{errors.New("no values on standard input: give one per line")}
		}
		labels, err := reportValues(ctx, c.Client, values)
		if err != nil {
			return view{}, err
		}
		masked := make([]string, len(values))
		for i, v := range values {
			masked[i] = maskValue(v.Value)
		}
		return view{json: apiv1.LeakReportResult{Labels: labels}, table: func(w io.Writer) error {
			t := newTable(w, "VALUE", "LABEL")
			for i, l := range labels {
				t.row(masked[i], l)
			}
			return t.flush()
		}}, nil
	}})
	return cmd
}

// reportBatch is the most values one report may carry (the server's
// limit, leak.MaxFindings).
const reportBatch = 100

// reportValues sends values to the server's leak report, reportBatch at a
// time, and returns its label for each, in order.
func reportValues(ctx context.Context, sdk *keywarden.Client, values []apiv1.LeakedValue) ([]string, error) {
	var labels []string
	for part := range slices.Chunk(values, reportBatch) {
		res, err := sdk.ReportLeaks(ctx, part)
		if err != nil {
			return nil, err
		}
		if len(res.Labels) != len(part) {
			return nil, fmt.Errorf("the server answered %d labels for %d values", len(res.Labels), len(part))
		}
		labels = append(labels, res.Labels...)
	}
	return labels, nil
}

// maskValue shows a value as the product shows a secret: its first four
// and last four characters.
func maskValue(v string) string {
	if len(v) <= 12 {
		return "…"
	}
	return v[:4] + "…" + v[len(v)-4:]
}

func newLeaksListCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	var client string
	var limit int
	cmd := &cobra.Command{
		Use:   "list [--client CLIENT_ID]",
		Short: "List the organisation's recorded leaks, newest first (admins)",
		Args:  noArgs,
	}
	cmd.Flags().StringVar(&client, "client", "", "only this client's leaks")
	cmd.Flags().IntVar(&limit, "limit", 0, "at most this many (1-200)")
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{call: func(ctx context.Context, c conn, args []string) (view, error) {
		list, err := c.ListLeaks(ctx, keywarden.LeakQuery{ClientID: client, Limit: limit})
		return show(list, printLeaks), err
	}})
	return cmd
}

func printLeaks(w io.Writer, list apiv1.LeakList) error {
	t := newTable(w, "REPORTED", "KIND", "TARGET", "VALUE", "RESPONSE", "REPORTER", "SOURCE")
	for _, l := range list.Items {
		resp := l.Response
		if l.QuarantineUntil != nil {
			resp += " until " + formatTime(*l.QuarantineUntil)
		}
		t.row(formatTime(l.ReportedAt), l.Kind, l.TargetID, "…"+l.Hint, resp, l.Reporter, fmt.Sprint(l.SourceURL))
	}
	return t.flush()
}
