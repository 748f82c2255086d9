package cli

import (
	"bufio"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
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

func newAuditCmd(api *apiFlags, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) *cobra.Command {
	return newGroupCmd("audit", "Read the audit log and manage its streams to SIEMs (through the API); verify its hash chain (on the store)",
		newAuditListCmd(api, stdout),
		newAuditStreamsCmd(api, stdin, stdout, stderr),
		newAuditVerifyCmd(stdout, getenv),
		newAuditCheckpointCmd(stdout, getenv),
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
	fs.StringVar(&q.Client, "client", "", "only events about this client ID and what it holds")
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
		if n, ok := e.Names[e.ActorID]; ok {
			actor += " (" + n.Name + ")"
		}
		target := e.Target
		if n, ok := e.Names[e.Target]; ok {
			target += " (" + n.Name + ")"
		}
		detail := formatDetail(e.Detail)
		for _, ch := range e.Changes {
			detail = strings.TrimSpace(detail + " " + ch.Field + ": " + quoteEmpty(ch.Before) + " → " + quoteEmpty(ch.After))
		}
		t.row(formatTime(e.At), e.Action, e.Result, actor, target, e.Source, detail)
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

// quoteEmpty shows an empty value as "".
func quoteEmpty(s string) string {
	if s == "" {
		return `""`
	}
	return s
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
reordered event breaks the chain. The chain is read in one consistent snapshot,
so a server writing meanwhile raises no false alarm.

Removing the newest events and rewinding the head, or wiping the log, leaves a
shorter chain that still holds: to detect that, pass checkpoints kept outside
the database (the server logs one every --audit-checkpoint-interval, and sends
it to the audit streams; "keywarden audit checkpoint" prints one). Each
--checkpoint must be found in the chain (or in the range retention archived).

The command needs the same store and master key as the server. It exits 0 when
the chain holds, 1 when it is broken, 2 for a checkpoint that is malformed or
not made with this installation's key.`,
		Args: noArgs,
	}
	var texts []string
	var file string
	cmd.Flags().StringArrayVar(&texts, "checkpoint", nil, "a checkpoint (kwcp1.…) the chain must still contain; repeatable")
	cmd.Flags().StringVar(&file, "checkpoint-file", "", "a file of checkpoints, one per line, or log lines that hold them (\"-\": standard input)")
	l := config.Register(cmd.Flags(), "data-dir", "database", "master-key-file", "dev")
	cmd.RunE = addOutput(cmd, stdout).run(func(cmd *cobra.Command, args []string) (view, error) {
		cps, err := readCheckpoints(cmd.InOrStdin(), texts, file)
		if err != nil {
			return view{}, usageError{err}
		}
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
		res, err := core.Audit.Verify(cmd.Context(), cps...)
		var brk *audit.Break
		switch {
		case errors.As(err, &brk):
			return view{
				json:  verifyJSON{OK: false, Break: &breakJSON{Seq: brk.Seq, Reason: brk.Reason}},
				table: message("audit chain BROKEN at event %d: %s\n", brk.Seq, brk.Reason),
			}, exitError{code: exitFailure, err: errors.New("the audit chain does not verify")}
		case errors.Is(err, audit.ErrCheckpoint):
			return view{}, usageError{err}
		case err != nil:
			return view{}, fmt.Errorf("verify the audit chain: %w", err)
		}
		msg := fmt.Sprintf("audit chain OK: %d events", res.Events)
		if res.ArchivedThrough > 0 {
			msg += fmt.Sprintf(" (events 1–%d archived by retention)", res.ArchivedThrough)
		}
		if len(cps) > 0 {
			msg += fmt.Sprintf("; %d of %d checkpoints found in the chain", res.Checkpoints, len(cps))
			if len(res.Archived) > 0 {
				msg += fmt.Sprintf(", %d in the archived range", len(res.Archived))
			}
		}
		return view{
			json: verifyJSON{OK: true, Events: res.Events, Head: hex.EncodeToString(res.HeadHash), HeadSeq: res.Head,
				ArchivedThrough: res.ArchivedThrough, Checkpoints: res.Checkpoints, ArchivedCheckpoints: len(res.Archived)},
			table: message("%s\n", msg),
		}, nil
	})
	return cmd
}

// readCheckpoints parses the --checkpoint values and the checkpoints of
// --checkpoint-file: every kwcp1.… word on its lines, so a log excerpt
// works as it is.
func readCheckpoints(stdin io.Reader, texts []string, file string) ([]audit.Checkpoint, error) {
	if file != "" {
		var r io.Reader = stdin
		if file != "-" {
			f, err := os.Open(file)
			if err != nil {
				return nil, fmt.Errorf("--checkpoint-file: %w", err)
			}
			defer f.Close()
			r = f
		}
		found := 0
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			for _, w := range strings.FieldsFunc(sc.Text(), func(r rune) bool { return r == ' ' || r == '\t' || r == '"' || r == '=' || r == ',' }) {
				if strings.HasPrefix(w, "kwcp1.") {
					texts = append(texts, w)
					found++
				}
			}
		}
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("--checkpoint-file: %w", err)
		}
		if found == 0 {
			return nil, fmt.Errorf("--checkpoint-file %s holds no checkpoint (kwcp1.…)", file)
		}
	}
	cps := make([]audit.Checkpoint, 0, len(texts))
	for _, s := range texts {
		cp, err := audit.ParseCheckpoint(s)
		if err != nil {
			return nil, err
		}
		cps = append(cps, cp)
	}
	return cps, nil
}

func newAuditCheckpointCmd(stdout io.Writer, getenv func(string) string) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "checkpoint",
		Short: "Verify the audit chain and print a checkpoint of its head, to keep outside the database",
		Long: `Verify the audit chain, reading the store directly, and print a checkpoint
of its head: its sequence number and hash under a MAC keyed from the master
key. Keep it away from the database; "keywarden audit verify --checkpoint"
later proves the chain still contains that event. The checkpoint is also
recorded in the chain (an audit.checkpoint event) when events were added since
the last one. The server makes one every --audit-checkpoint-interval by itself.`,
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
		cp, _, err := core.Audit.NewCheckpointer().Next(cmd.Context())
		var brk *audit.Break
		switch {
		case errors.As(err, &brk):
			return view{}, exitError{code: exitFailure, err: fmt.Errorf("no checkpoint: %w", brk)}
		case err != nil:
			return view{}, fmt.Errorf("audit checkpoint: %w", err)
		case cp.Seq == 0:
			return view{}, exitError{code: exitFailure, err: errors.New("the audit log is empty: nothing to checkpoint")}
		}
		return view{
			json:  checkpointJSON{Checkpoint: cp.String(), Seq: cp.Seq, Hash: hex.EncodeToString(cp.Hash)},
			table: message("%s\n", cp),
		}, nil
	})
	return cmd
}

type checkpointJSON struct {
	Checkpoint string `json:"checkpoint"`
	Seq        int64  `json:"seq"`
	Hash       string `json:"hash"`
}

// verifyJSON is audit verify's -o json output.
type verifyJSON struct {
	OK     bool   `json:"ok"`
	Events int64  `json:"events"`
	Head   string `json:"head,omitempty"` // hex hash of the last event
	// HeadSeq is the last event's sequence number; ArchivedThrough the
	// last one retention removed (0: none).
	HeadSeq         int64 `json:"head_seq,omitempty"`
	ArchivedThrough int64 `json:"archived_through,omitempty"`
	// Checkpoints is how many --checkpoint were found in the chain,
	// ArchivedCheckpoints how many fell in the archived range.
	Checkpoints         int        `json:"checkpoints,omitempty"`
	ArchivedCheckpoints int        `json:"archived_checkpoints,omitempty"`
	Break               *breakJSON `json:"break,omitempty"`
}

type breakJSON struct {
	Seq    int64  `json:"seq"`
	Reason string `json:"reason"`
}
