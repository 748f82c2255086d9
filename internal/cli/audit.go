package cli

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"keywarden/internal/audit"
	"keywarden/internal/config"
	"keywarden/internal/server"
	"keywarden/pkg/apiv1"
	"keywarden/pkg/keywarden"
)

func newAuditCmd(api *apiFlags, stdout io.Writer, getenv func(string) string) *cobra.Command {
	return newGroupCmd("audit", "Read the audit log (through the API) and verify its hash chain (on the store)",
		newAuditListCmd(api, stdout),
		newAuditVerifyCmd(stdout, getenv),
	)
}

func newAuditListCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	var q keywarden.AuditQuery
	var since, until string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List audit events, newest first",
		Args:  noArgs,
	}
	fs := cmd.Flags()
	fs.StringVar(&q.Action, "action", "", "only this action, e.g. secret.rotate")
	fs.StringVar(&q.Actor, "actor", "", "only events by this actor ID")
	fs.StringVar(&q.Target, "target", "", "only events on this object ID")
	fs.StringVar(&since, "since", "", "only events at or after this RFC 3339 time, e.g. 2026-11-01T00:00:00Z")
	fs.StringVar(&until, "until", "", "only events before this RFC 3339 time")
	fs.IntVar(&q.Limit, "limit", 0, "page size (0: the server's default)")
	fs.StringVar(&q.Cursor, "cursor", "", "continue after a previous page (its next cursor)")
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{
		check: func(cmd *cobra.Command, args []string) error {
			var err error
			if q.Since, err = parseRFC3339("since", since); err != nil {
				return err
			}
			if q.Until, err = parseRFC3339("until", until); err != nil {
				return err
			}
			return checkLimit(&q.Limit)(cmd, args)
		},
		call: func(ctx context.Context, c conn, args []string) (view, error) {
			list, err := c.ListAudit(ctx, q)
			return show(list, printAuditList), err
		},
	})
	return cmd
}

func printAuditList(w io.Writer, list apiv1.AuditList) error {
	t := newTable(w, "AT", "ACTION", "RESULT", "ACTOR", "TARGET", "SOURCE", "DETAIL")
	for _, e := range list.Items {
		actor := e.ActorID
		if e.ActorKind != "" {
			actor = e.ActorKind + ":" + e.ActorID
		}
		t.row(formatTime(e.At), e.Action, e.Result, actor, e.Target, e.Source, formatDetail(e.Detail))
	}
	if err := t.flush(); err != nil {
		return err
	}
	return printNextPage(w, list.NextCursor)
}

func parseRFC3339(flag, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, usageError{fmt.Errorf("--%s %q: want an RFC 3339 time such as 2026-11-01T00:00:00Z", flag, s)}
	}
	return t, nil
}

// formatDetail renders an event's detail as sorted key=value pairs.
func formatDetail(d map[string]string) string {
	parts := make([]string, 0, len(d))
	for _, k := range slices.Sorted(maps.Keys(d)) {
		parts = append(parts, k+"="+d[k])
	}
	return strings.Join(parts, " ")
}

func newAuditVerifyCmd(stdout io.Writer, getenv func(string) string) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Verify the audit log's hash chain, reading the store directly (exit 1 if it is broken)",
		Long: `Verify the audit log's hash chain, reading the store directly.

Every event's hash covers the previous event's hash and all of its own fields,
under a key derived from the master key: an edited, removed, inserted or
reordered event breaks the chain. The command needs the same store and master
key as the server. It exits 0 when the chain holds and 1 when it is broken.`,
		Args: noArgs,
	}
	l := config.Register(cmd.Flags(), "data-dir", "database", "master-key-file", "dev")
	cmd.RunE = addOutput(cmd, stdout).run(func(cmd *cobra.Command, args []string) (view, error) {
		cfg, err := loadConfig(l, getenv)
		if err != nil {
			return view{}, err
		}
		if err := server.CheckExisting(cfg); err != nil {
			return view{}, err
		}
		core, err := server.OpenCore(cmd.Context(), cfg)
		if err != nil {
			return view{}, err
		}
		defer core.Close()
		res, err := core.Audit.Verify(cmd.Context())
		var brk *audit.Break
		switch {
		case errors.As(err, &brk):
			return view{
				json:  verifyJSON{OK: false, Break: &breakJSON{Seq: brk.Seq, Reason: brk.Reason}},
				table: message("audit chain BROKEN at event %d: %s\n", brk.Seq, brk.Reason),
			}, exitError{code: exitFailure, err: errors.New("the audit chain does not verify")}
		case err != nil:
			return view{}, fmt.Errorf("verify the audit chain: %w", err)
		}
		return view{
			json:  verifyJSON{OK: true, Events: res.Events, Head: hex.EncodeToString(res.Head)},
			table: message("audit chain OK: %d events\n", res.Events),
		}, nil
	})
	return cmd
}

// verifyJSON is audit verify's -o json output.
type verifyJSON struct {
	OK     bool       `json:"ok"`
	Events int64      `json:"events"`
	Head   string     `json:"head,omitempty"` // hex hash of the last event
	Break  *breakJSON `json:"break,omitempty"`
}

type breakJSON struct {
	Seq    int64  `json:"seq"`
	Reason string `json:"reason"`
}
