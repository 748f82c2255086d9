package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"keywarden/pkg/apiv1"
	"keywarden/pkg/keywarden"
)

// newGroupCmd returns a command that only holds subcommands: run alone it
// prints its help, and an unknown subcommand is a usage error (cobra would
// otherwise print the help and succeed).
func newGroupCmd(use, short string, subs ...*cobra.Command) *cobra.Command {
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError{fmt.Errorf("unknown command %q for %q; see %s --help", args[0], cmd.CommandPath(), cmd.CommandPath())}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	cmd.AddCommand(subs...)
	return cmd
}

func newClientsCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	return newGroupCmd("clients", "Create, list, show, edit and delete API clients (through the API)",
		newClientsCreateCmd(api, stdout),
		newClientsListCmd(api, stdout),
		newClientsShowCmd(api, stdout),
		newClientsUpdateCmd(api, stdout),
		newClientsDeleteCmd(api, stdout),
		newRevokeAllCmd(api, stdout),
		newClientsActivityCmd(api, stdout),
	)
}

func newClientsActivityCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	var opts keywarden.ListOptions
	cmd := &cobra.Command{
		Use:   "activity CLIENT_ID",
		Short: "List the events about a client and what it holds (secrets, rotations, refresh tokens, deliveries), newest first",
		Args:  exactArgs(1),
	}
	fs := cmd.Flags()
	fs.IntVar(&opts.Limit, "limit", 0, "page size (0: the server's default)")
	fs.StringVar(&opts.Cursor, "cursor", "", "continue after a previous page (its next cursor)")
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{
		check: checkLimit(&opts.Limit),
		call: func(ctx context.Context, c conn, args []string) (view, error) {
			list, err := c.GetClientActivity(ctx, args[0], opts)
			return show(list, printAuditList), err
		},
	})
	return cmd
}

func newClientsCreateCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	var in apiv1.CreateClient
	cmd := &cobra.Command{
		Use:   "create NAME",
		Short: "Register an API client",
		Args:  exactArgs(1),
	}
	cmd.Flags().StringVar(&in.Description, "description", "", "what the client is for")
	cmd.Flags().StringSliceVar(&in.Scopes, "scope", nil, "a scope the client may request (repeat, or separate with commas)")
	cmd.Flags().IntVar(&in.TokenTTLSeconds, "token-ttl", 0, "access-token lifetime in seconds (0: the organization's default)")
	cmd.Flags().StringVar(&in.WebhookURL, "webhook-url", "", "endpoint that receives this client's credential events")
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{
		check: func(cmd *cobra.Command, args []string) error {
			if in.TokenTTLSeconds < 0 {
				return usageError{errors.New("--token-ttl: must not be negative")}
			}
			in.Name = args[0]
			return nil
		},
		call: func(ctx context.Context, c conn, args []string) (view, error) {
			cl, err := c.CreateClient(ctx, in)
			return show(cl, printClient), err
		},
	})
	return cmd
}

func newClientsListCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	var q keywarden.ClientQuery
	var all bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List or search API clients, one page at a time (or --all)",
		Args:  noArgs,
	}
	cmd.Flags().IntVar(&q.Limit, "limit", 0, "page size (0: the server's default)")
	cmd.Flags().StringVar(&q.Cursor, "cursor", "", "continue after a previous page (its next cursor)")
	cmd.Flags().BoolVar(&all, "all", false, "follow the cursors and list every client")
	cmd.Flags().StringVar(&q.Text, "search", "", "only clients with this text in the name, client ID or description")
	cmd.Flags().StringVar(&q.Status, "status", "", `only "active" or "disabled" clients`)
	cmd.Flags().IntVar(&q.UnusedDays, "unused-days", 0, "only clients not used for this many days")
	cmd.Flags().StringVar(&q.Sort, "sort", "", `order: created, name or last_used ("-" first for descending)`)
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{
		check: checkLimit(&q.Limit),
		call: func(ctx context.Context, c conn, args []string) (view, error) {
			if !all {
				list, err := c.ListClients(ctx, q)
				return show(list, printClientList), err
			}
			list := apiv1.ClientList{Items: []apiv1.Client{}}
			for {
				p, err := c.ListClients(ctx, q)
				if err != nil {
					return show(apiv1.ClientList{}, printClientList), err
				}
				list.Items = append(list.Items, p.Items...)
				if p.NextCursor == "" {
					return show(list, printClientList), nil
				}
				q.Cursor = p.NextCursor
			}
		},
	})
	return cmd
}

// every collects what seq yields: the list commands of a client's
// secrets, rotations and refresh tokens, and of sessions, follow every page.
func every[T any](seq iter.Seq2[T, error]) ([]T, error) {
	out := []T{}
	for x, err := range seq {
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, nil
}

// checkLimit refuses a negative --limit before any request.
func checkLimit(limit *int) func(*cobra.Command, []string) error {
	return func(*cobra.Command, []string) error {
		if *limit < 0 {
			return usageError{errors.New("--limit: must not be negative")}
		}
		return nil
	}
}

func printClientList(w io.Writer, list apiv1.ClientList) error {
	t := newTable(w, "CLIENT ID", "NAME", "STATUS", "SCOPES", "CREATED")
	for _, cl := range list.Items {
		t.row(cl.ClientID, cl.Name, cl.Status, strings.Join(cl.Scopes, " "), formatTime(cl.CreatedAt))
	}
	if err := t.flush(); err != nil {
		return err
	}
	return printNextPage(w, list.NextCursor)
}

// printNextPage tells how to get the next page, if there is one.
func printNextPage(w io.Writer, next string) error {
	if next == "" {
		return nil
	}
	_, err := fmt.Fprintf(w, "\nMore results: run the same command with --cursor %s\n", next)
	return err
}

func newClientsShowCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "show CLIENT_ID",
		Short: "Show one API client",
		Args:  exactArgs(1),
	}
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{call: func(ctx context.Context, c conn, args []string) (view, error) {
		cl, err := c.GetClient(ctx, args[0])
		return show(cl, printClient), err
	}})
	return cmd
}

func newClientsUpdateCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	var name, description, webhookURL string
	var scopes []string
	var ttl int
	var disable, enable bool
	var in apiv1.UpdateClient
	cmd := &cobra.Command{
		Use:   "update CLIENT_ID",
		Short: "Change an API client; only the flags given are changed",
		Args:  exactArgs(1),
	}
	fs := cmd.Flags()
	fs.StringVar(&name, "name", "", "new name")
	fs.StringVar(&description, "description", "", "new description")
	fs.StringSliceVar(&scopes, "scope", nil, `the client's scopes, replacing the current ones (repeat, or separate with commas; --scope "" removes all)`)
	fs.IntVar(&ttl, "token-ttl", 0, "access-token lifetime in seconds (0: the organization's default)")
	fs.StringVar(&webhookURL, "webhook-url", "", `webhook endpoint (--webhook-url "" removes it)`)
	fs.BoolVar(&disable, "disable", false, "disable the client: its secrets stop authenticating")
	fs.BoolVar(&enable, "enable", false, "enable a disabled client")
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{
		check: func(cmd *cobra.Command, args []string) error {
			setIfChanged(fs, "name", &in.Name, name)
			setIfChanged(fs, "description", &in.Description, description)
			setIfChanged(fs, "scope", &in.Scopes, scopes)
			setIfChanged(fs, "webhook-url", &in.WebhookURL, webhookURL)
			if fs.Changed("token-ttl") {
				if ttl < 0 {
					return usageError{errors.New("--token-ttl: must not be negative")}
				}
				in.TokenTTLSeconds = &ttl
			}
			switch {
			case fs.Changed("disable") && fs.Changed("enable"):
				return usageError{errors.New("--disable and --enable: give at most one")}
			case fs.Changed("disable"):
				in.Disabled = &disable
			case fs.Changed("enable"):
				d := !enable
				in.Disabled = &d
			}
			if in == (apiv1.UpdateClient{}) {
				return usageError{errors.New("nothing to change: give at least one of --name, --description, --scope, --token-ttl, --webhook-url, --disable, --enable")}
			}
			return nil
		},
		call: func(ctx context.Context, c conn, args []string) (view, error) {
			cl, err := c.UpdateClient(ctx, args[0], in)
			return show(cl, printClient), err
		},
	})
	return cmd
}

// setIfChanged points *field at v when the flag was given: the API leaves
// absent fields as they are.
func setIfChanged[T any](fs *pflag.FlagSet, flag string, field **T, v T) {
	if fs.Changed(flag) {
		*field = &v
	}
}

func newClientsDeleteCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "delete CLIENT_ID",
		Short: "Delete an API client; its secrets stop working at once",
		Args:  exactArgs(1),
	}
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{call: func(ctx context.Context, c conn, args []string) (view, error) {
		// The API answers 204 without a body; say what happened.
		return view{
			json: struct {
				ClientID string `json:"client_id"`
				Deleted  bool   `json:"deleted"`
			}{args[0], true},
			table: message("Deleted client %s.\n", cell(args[0])),
		}, c.DeleteClient(ctx, args[0])
	}})
	return cmd
}

// newRevokeAllCmd is "revoke-all CLIENT_ID", under both clients and
// secrets.
func newRevokeAllCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "revoke-all CLIENT_ID",
		Short: "Revoke every secret of a client now (breach response); then add a new one",
		Args:  exactArgs(1),
	}
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{call: func(ctx context.Context, c conn, args []string) (view, error) {
		res, err := c.RevokeAll(ctx, args[0])
		return show(res, printRevokeAll), err
	}})
	return cmd
}

func printRevokeAll(w io.Writer, res apiv1.RevokeAll) error {
	noun := "secrets"
	if res.Revoked == 1 {
		noun = "secret"
	}
	_, err := fmt.Fprintf(w, "Revoked %d %s of client %s.\nAdd a new one with: keywarden secrets create %s --description DESCRIPTION\n",
		res.Revoked, noun, cell(res.ClientID), cell(res.ClientID))
	return err
}

func printClient(w io.Writer, c apiv1.Client) error {
	ttl := "organization default"
	if c.TokenTTLSeconds > 0 {
		ttl = strconv.Itoa(c.TokenTTLSeconds) + "s"
	}
	return writeFields(w, []field{
		{"Client ID", c.ClientID},
		{"Name", c.Name},
		{"Description", c.Description},
		{"Status", c.Status},
		{"Scopes", strings.Join(c.Scopes, " ")},
		{"Token TTL", ttl},
		{"Webhook URL", c.WebhookURL},
		{"Created", formatTime(c.CreatedAt)},
		{"Updated", formatTime(c.UpdatedAt)},
	})
}
