package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"keywarden/pkg/apiv1"
)

func newAuditStreamsCmd(api *apiFlags, stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	return newGroupCmd("streams", "List, create, show and delete the organization's audit streams to SIEMs (syslog, NDJSON, Splunk HEC)",
		newAuditStreamsListCmd(api, stdout),
		newAuditStreamsCreateCmd(api, stdin, stdout, stderr),
		newAuditStreamsShowCmd(api, stdout),
		newAuditStreamsDeleteCmd(api, stdout),
	)
}

func newAuditStreamsListCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the organization's audit streams with how far each has got and its health (admins)",
		Args:  noArgs,
	}
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{
		call: func(ctx context.Context, c conn, args []string) (view, error) {
			list, err := c.ListAuditStreams(ctx)
			return show(list, printAuditStreamList), err
		},
	})
	return cmd
}

// auditStreamBehind says how far behind a stream is.
func auditStreamBehind(s apiv1.AuditStream) string {
	if s.UndeliveredSince == nil {
		return "caught up"
	}
	return "since " + formatTime(*s.UndeliveredSince)
}

func printAuditStreamList(w io.Writer, list apiv1.AuditStreamList) error {
	t := newTable(w, "STREAM ID", "NAME", "FORMAT", "URL", "STATUS", "DELIVERED", "BEHIND", "LAST ERROR")
	for _, s := range list.Items {
		lastErr := ""
		if s.LastError != "" {
			lastErr = formatOptTime(s.LastErrorAt, "") + " " + s.LastError
		}
		t.row(s.ID, s.Name, s.Format, s.URL, s.Status, strconv.FormatInt(s.DeliveredSeq, 10), auditStreamBehind(s), lastErr)
	}
	return t.flush()
}

func printAuditStream(w io.Writer, s apiv1.AuditStream) error {
	token := "none"
	if s.HasToken {
		token = "set (never shown)"
	}
	status := s.Status
	if s.Failures > 0 {
		status += fmt.Sprintf(" (%d failures in a row)", s.Failures)
	}
	fields := []field{
		{"Stream ID", s.ID},
		{"Name", s.Name},
		{"URL", s.URL},
		{"Format", s.Format},
		{"Token", token},
		{"Created", formatTime(s.CreatedAt)},
		{"Status", status},
		{"Delivered", fmt.Sprintf("up to event %d of %d", s.DeliveredSeq, s.LatestSeq)},
		{"Behind", auditStreamBehind(s)},
		{"Last delivery", formatOptTime(s.DeliveredAt, "never")},
	}
	if s.LastError != "" {
		fields = append(fields, field{"Last error", formatOptTime(s.LastErrorAt, "") + " " + s.LastError})
	}
	return writeFields(w, fields)
}

func newAuditStreamsCreateCmd(api *apiFlags, stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	var in apiv1.CreateAuditStream
	var tokenStdin bool
	cmd := &cobra.Command{
		Use:   "create NAME URL [--format ndjson|hec|syslog] [--receiver-token-stdin]",
		Short: "Send the organization's audit events, from now on, to a SIEM (super admins)",
		Long: `Send the organization's audit events, from now on, to a SIEM: at least once,
in chain order, each record with its sequence number, hash and previous hash.

  https://collector.example.com/audit              JSON lines (format ndjson, the default)
  https://splunk.example.com:8088/services/collector/event --format hec
  syslog+tls://siem.example.com:6514               RFC 5424 syslog over TLS

Plain http:// and syslog+tcp:// only reach hosts the server's
--webhook-allow-private lists. With --receiver-token-stdin the token sent to
the receiver (Authorization: Bearer, or Splunk for hec) is asked for on the
terminal without echo, or read from the first line of standard input; never
from a flag. It is stored sealed and never shown again.`,
		Args: exactArgs(2),
	}
	cmd.Flags().StringVar(&in.Format, "format", "", "ndjson or hec for http(s) URLs (default ndjson), syslog for syslog URLs")
	cmd.Flags().BoolVar(&tokenStdin, "receiver-token-stdin", false, "read the token sent to the receiver from the terminal (no echo) or the first line of standard input")
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{
		call: func(ctx context.Context, c conn, args []string) (view, error) {
			in.Name, in.URL = args[0], args[1]
			if tokenStdin {
				tok, err := newPrompter(stdin, stderr).secret("Receiver token: ")
				if err != nil {
					return view{}, answerError("the receiver token", "--receiver-token-stdin", err)
				}
				if in.Token = strings.TrimSpace(tok); in.Token == "" {
					return view{}, usageError{errors.New("the receiver token is empty")}
				}
			}
			s, err := c.CreateAuditStream(ctx, in)
			return show(s, printAuditStream), err
		},
	})
	return cmd
}

func newAuditStreamsShowCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "show STREAM_ID",
		Short: "Show an audit stream, how far it has got and its last error (admins)",
		Args:  exactArgs(1),
	}
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{
		call: func(ctx context.Context, c conn, args []string) (view, error) {
			s, err := c.GetAuditStream(ctx, args[0])
			return show(s, printAuditStream), err
		},
	})
	return cmd
}

func newAuditStreamsDeleteCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "delete STREAM_ID",
		Short: "Stop and remove an audit stream (super admins)",
		Args:  exactArgs(1),
	}
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{
		call: func(ctx context.Context, c conn, args []string) (view, error) {
			err := c.DeleteAuditStream(ctx, args[0])
			return view{
				json: struct {
					ID      string `json:"id"`
					Deleted bool   `json:"deleted"`
				}{args[0], true},
				table: message("Deleted audit stream %s. Every node stops sending it within --audit-stream-interval.\n", cell(args[0])),
			}, err
		},
	})
	return cmd
}
