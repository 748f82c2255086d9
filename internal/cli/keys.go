package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"keywarden/pkg/apiv1"
	apiclient "keywarden/pkg/keywarden"
)

func newKeysCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	return newGroupCmd("keys", "List and roll the keys that sign access tokens (through the API)",
		newKeysListCmd(api, stdout),
		newKeysRotateCmd(api, stdout),
	)
}

func newKeysListCmd(api *apiFlags, stdout io.Writer) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the published signing keys, oldest first, and which one signs new tokens",
		Args:  noArgs,
	}
	addOutputFlag(cmd, &output)
	cmd.RunE = api.run(&output, func(ctx context.Context, c *apiclient.Client, args []string) error {
		list, err := c.ListKeys(ctx)
		if err != nil {
			return err
		}
		if output == outputJSON {
			return writeJSON(stdout, list)
		}
		t := newTable(stdout, "KEY ID", "ALG", "CREATED", "ACTIVE FROM", "USE")
		for _, k := range list.Items {
			t.row(k.ID, k.Algorithm, formatTime(k.CreatedAt), formatTime(k.ActiveFrom), keyUse(list.Items, k))
		}
		return t.flush()
	})
	return cmd
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
	var delay, output string
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
	addOutputFlag(cmd, &output)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if err := checkOutput(output); err != nil {
			return err
		}
		var in apiv1.RotateKeys
		if cmd.Flags().Changed("delay") {
			secs, err := parseSeconds("delay", delay)
			if err != nil {
				return err
			}
			in.DelaySeconds = &secs
		}
		c, err := api.client()
		if err != nil {
			return err
		}
		k, err := c.RotateKeys(cmd.Context(), in)
		if err != nil {
			return err
		}
		if output == outputJSON {
			return writeJSON(stdout, k)
		}
		if err := writeFields(stdout, []field{
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
		_, err = fmt.Fprintf(stdout, "\nKey %s is published in the JWKS and signs new access tokens %s.\n", cell(k.ID), when)
		return err
	}
	return cmd
}
