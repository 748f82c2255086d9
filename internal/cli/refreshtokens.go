package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"keywarden/pkg/apiv1"
	"keywarden/pkg/keywarden"
)

// refreshTokenPrefix starts every refresh token value; the API shows only
// the last characters (the hint).
const refreshTokenPrefix = "kwr_"

func newRefreshTokensCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	return newGroupCmd("refresh-tokens", "Issue and list clients' one-time refresh tokens (through the API)",
		newRefreshTokensCreateCmd(api, stdout),
		newRefreshTokensListCmd(api, stdout),
	)
}

func newRefreshTokensCreateCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "create CLIENT_ID",
		Short: "Issue a refresh token for a client and print its value once",
		Long: `Issue a refresh token for a client and print its value once.

The client exchanges it once at the token endpoint (grant_type=refresh_token,
authenticated with one of its secrets) for a fresh access token and the next
refresh token. Unused, it expires after the server's --refresh-token-ttl
(default 1h).`,
		Args: exactArgs(1),
	}
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{call: func(ctx context.Context, c conn, args []string) (view, error) {
		rt, err := c.CreateRefreshToken(ctx, args[0])
		return show(rt, func(w io.Writer, rt apiv1.CreatedRefreshToken) error {
			if err := printRefreshToken(w, rt.RefreshToken); err != nil {
				return err
			}
			return printOnce(w, rt.Value, "refresh token")
		}), err
	}})
	return cmd
}

func newRefreshTokensListCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "list CLIENT_ID",
		Short: "List a client's refresh tokens, newest first (never their values)",
		Args:  exactArgs(1),
	}
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{call: func(ctx context.Context, c conn, args []string) (view, error) {
		items, err := every(c.RefreshTokens(ctx, args[0], keywarden.ListOptions{Limit: 200}))
		list := apiv1.RefreshTokenList{Items: items}
		return show(list, printRefreshTokenList), err
	}})
	return cmd
}

func printRefreshTokenList(w io.Writer, list apiv1.RefreshTokenList) error {
	t := newTable(w, "REFRESH TOKEN ID", "MASKED", "STATUS", "CREATED", "EXPIRES", "USED", "REVOKED")
	for _, rt := range list.Items {
		t.row(rt.ID, maskedRefreshToken(rt), rt.Status, formatTime(rt.CreatedAt), formatTime(rt.ExpiresAt),
			formatOptTime(rt.UsedAt, "-"), formatOptTime(rt.RevokedAt, "-"))
	}
	return t.flush()
}

func maskedRefreshToken(rt apiv1.RefreshToken) string {
	return refreshTokenPrefix + "…" + rt.Hint
}

func printRefreshToken(w io.Writer, rt apiv1.RefreshToken) error {
	return writeFields(w, []field{
		{"Refresh token ID", rt.ID},
		{"Client ID", rt.ClientID},
		{"Masked value", maskedRefreshToken(rt)},
		{"Status", rt.Status},
		{"Created", fmt.Sprintf("%s by %s", formatTime(rt.CreatedAt), rt.CreatedBy)},
		{"Expires", formatTime(rt.ExpiresAt)},
	})
}
