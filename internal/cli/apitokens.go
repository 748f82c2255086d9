package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"keywarden/pkg/apiv1"
)

func newAPITokensCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	return newGroupCmd("api-tokens", "List, create, revoke and rotate your admin API tokens (kwt_…, they act as you)",
		newAPITokensListCmd(api, stdout),
		newAPITokensCreateCmd(api, stdout),
		newAPITokensRevokeCmd(api, stdout),
		newAPITokensRotateCmd(api, stdout),
	)
}

func newAPITokensListCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	var user string
	cmd := &cobra.Command{
		Use:   "list [--user USER_ID]",
		Short: "List your API tokens (or, for admins, a user's), newest first, with when each was last used (never their values)",
		Args:  noArgs,
	}
	cmd.Flags().StringVar(&user, "user", "", "list this user's tokens instead of yours (admins)")
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{
		check: checkUserFlag(&user),
		call: func(ctx context.Context, c conn, args []string) (view, error) {
			if user != "" {
				list, err := c.ListUserAPITokens(ctx, user)
				return show(list, printAPITokenList), err
			}
			list, err := c.ListAPITokens(ctx)
			return show(list, printAPITokenList), err
		},
	})
	return cmd
}

func apiTokenName(t apiv1.APIToken) string {
	name := t.Name
	if t.Current {
		name += " (this one)"
	}
	return name
}

func printAPITokenList(w io.Writer, list apiv1.APITokenList) error {
	t := newTable(w, "TOKEN ID", "NAME", "VALUE", "STATUS", "CREATED", "EXPIRES", "LAST USED")
	for _, x := range list.Items {
		used := formatOptTime(x.LastUsedAt, "never")
		if x.LastUsedAt != nil && x.LastUsedFrom != "" {
			used += " from " + x.LastUsedFrom
		}
		t.row(x.ID, apiTokenName(x), "kwt_…"+x.Hint, x.Status, formatTime(x.CreatedAt), formatOptTime(x.ExpiresAt, "never"), used)
	}
	return t.flush()
}

func printAPIToken(w io.Writer, x apiv1.APIToken) error {
	fields := []field{
		{"Token ID", x.ID},
		{"Name", apiTokenName(x)},
		{"Value", "kwt_…" + x.Hint},
		{"Status", x.Status},
		{"Created", formatTime(x.CreatedAt)},
		{"Expires", formatOptTime(x.ExpiresAt, "never")},
	}
	if x.ReplacedBy != "" {
		fields = append(fields, field{"Replaced by", x.ReplacedBy})
	}
	return writeFields(w, fields)
}

func printCreatedAPIToken(w io.Writer, n apiv1.CreatedAPIToken) error {
	if err := printAPIToken(w, n.APIToken); err != nil {
		return err
	}
	if err := printOnce(w, n.Token, "token"); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "Use it with\n  export KEYWARDEN_TOKEN=<the token>\n")
	return err
}

func newAPITokensCreateCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	var expires string
	cmd := &cobra.Command{
		Use:   "create NAME [--expires DATE]",
		Short: "Create an API token that acts as you and print its value once",
		Long: `Create an admin API token that acts as you, with your role at the time of
each request, and print its value once. Every token expires: by default after
the longest lifetime the organization's policy allows your role.`,
		Args: exactArgs(1),
	}
	cmd.Flags().StringVar(&expires, "expires", "", "expiry: a date, 2026-12-31 (the end of that day, UTC), or an RFC 3339 time (default: the policy's maximum)")
	var in apiv1.CreateAPIToken
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{
		check: func(*cobra.Command, []string) error {
			var err error
			if expires != "" {
				in.ExpiresAt, err = parseExpires(expires)
			}
			return err
		},
		call: func(ctx context.Context, c conn, args []string) (view, error) {
			in.Name = args[0]
			n, err := c.CreateAPIToken(ctx, in)
			return show(n, printCreatedAPIToken), err
		},
	})
	return cmd
}

func newAPITokensRevokeCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	var user string
	cmd := &cobra.Command{
		Use:   "revoke TOKEN_ID [--user USER_ID]",
		Short: "Revoke one of your API tokens (\"current\": the one this command uses), or a user's (super admins), at once",
		Args:  exactArgs(1),
	}
	cmd.Flags().StringVar(&user, "user", "", "the token is this user's (super admins)")
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{
		check: checkUserFlag(&user),
		call: func(ctx context.Context, c conn, args []string) (view, error) {
			var err error
			if user != "" {
				err = c.RevokeUserAPIToken(ctx, user, args[0])
			} else {
				err = c.RevokeAPIToken(ctx, args[0])
			}
			return view{
				json: struct {
					ID      string `json:"id"`
					Revoked bool   `json:"revoked"`
				}{args[0], true},
				table: message("Revoked API token %s. It stopped working at once.\n", cell(args[0])),
			}, err
		},
	})
	return cmd
}

func newAPITokensRotateCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	var overlap, expires string
	cmd := &cobra.Command{
		Use:   "rotate TOKEN_ID [--overlap DURATION]",
		Short: "Replace one of your API tokens (\"current\": the one this command uses) and print the new value once",
		Long: `Replace one of your API tokens with a new one of the same name and print the
new value once. The old token is revoked at once, or keeps working for
--overlap (at most 24h) so that whatever uses it can move over. A token is
rotated once; rotate its replacement next time.`,
		Args: exactArgs(1),
	}
	cmd.Flags().StringVar(&overlap, "overlap", "", "let the old token keep working this long: 5m, 300s or 1h (default: revoked at once)")
	cmd.Flags().StringVar(&expires, "expires", "", "expiry of the new token: a date, 2026-12-31, or an RFC 3339 time (default: the policy's maximum)")
	var in apiv1.RotateAPIToken
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{
		check: func(cmd *cobra.Command, _ []string) error {
			var err error
			if in.OverlapSeconds, err = secondsFlag(cmd.Flags(), "overlap", overlap); err != nil {
				return err
			}
			if expires != "" {
				in.ExpiresAt, err = parseExpires(expires)
			}
			return err
		},
		call: func(ctx context.Context, c conn, args []string) (view, error) {
			n, err := c.RotateAPIToken(ctx, args[0], in)
			return show(n, printCreatedAPIToken), err
		},
	})
	return cmd
}
