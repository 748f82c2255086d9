package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"keywarden/pkg/apiv1"
)

func newKeysCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	return newGroupCmd("keys", "List and roll the keys that sign access tokens (through the API)",
		newKeysListCmd(api, stdout),
		newKeysRotateCmd(api, stdout),
	)
}

func newKeysListCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the published signing keys, oldest first, and which one signs new tokens",
		Args:  noArgs,
	}
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{call: func(ctx context.Context, c conn, args []string) (view, error) {
		list, err := c.ListKeys(ctx)
		return show(list, printKeyList), err
	}})
	return cmd
}

func printKeyList(w io.Writer, list apiv1.SigningKeyList) error {
	t := newTable(w, "KEY ID", "ALG", "CREATED", "ACTIVE FROM", "USE")
	for _, k := range list.Items {
		t.row(k.ID, k.Algorithm, formatTime(k.CreatedAt), formatTime(k.ActiveFrom), keyUse(list.Items, k))
	}
	return t.flush()
}

// keyUse says what key k of the published keys is for. It goes by the
// server's signing flag, not the local clock: a key that became active
// before the signing one only verifies the tokens it signed, one that
// becomes active after it is pending.
func keyUse(keys []apiv1.SigningKey, k apiv1.SigningKey) string {
	if k.Signing {
		return "signing"
	}
	for _, s := range keys {
		if s.Signing && k.ActiveFrom.After(s.ActiveFrom) {
			return "pending (signs from ACTIVE FROM)"
		}
		if s.Signing {
			return "verify only (tokens it signed)"
		}
	}
	return "published"
}

func newKeysRotateCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	var delay string
	var in apiv1.RotateKeys
	cmd := &cobra.Command{
		Use:   "rotate [--delay 10m]",
		Short: "Publish a new signing key that signs new tokens after a delay",
		Long: `Publish a new signing key that signs new access tokens after a delay.

The new key appears in the JWKS (/.well-known/jwks.json) at once, but signs
only after --delay, so that verifiers that cache the JWKS learn it before the
first token signed with it reaches them. The previous key stays published for
as long as tokens it signed can still be valid.

--delay 0s switches at once: verifiers with a stale JWKS cache then refuse
new tokens until they fetch it again.`,
		Args: noArgs,
	}
	cmd.Flags().StringVar(&delay, "delay", "", "how long the new key is published before it signs: 10m, 1h or 600s, at most 7d (default: the server's --key-activation-delay, 10m unless configured)")
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{
		check: func(cmd *cobra.Command, args []string) error {
			var err error
			in.DelaySeconds, err = secondsFlag(cmd.Flags(), "delay", delay)
			return err
		},
		call: func(ctx context.Context, c conn, args []string) (view, error) {
			k, err := c.RotateKeys(ctx, in)
			return show(k, printRotatedKey), err
		},
	})
	return cmd
}

func printRotatedKey(w io.Writer, k apiv1.SigningKey) error {
	if err := writeFields(w, []field{
		{"Key ID", k.ID},
		{"Algorithm", k.Algorithm},
		{"Created", formatTime(k.CreatedAt)},
		{"Active from", formatTime(k.ActiveFrom)},
	}); err != nil {
		return err
	}
	when := "from " + formatTime(k.ActiveFrom)
	if k.Signing {
		when = "now"
	}
	_, err := fmt.Fprintf(w, "\nKey %s is published in the JWKS and signs new access tokens %s.\n", cell(k.ID), when)
	return err
}
