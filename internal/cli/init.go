package cli

import (
	"io"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"keywarden/internal/config"
	"keywarden/internal/server"
)

func itoa(n int) string { return strconv.Itoa(n) }

func newInitCmd(stdout io.Writer, getenv func(string) string) *cobra.Command {
	var org, email string
	cmd := &cobra.Command{
		Use:   "init --org NAME --email EMAIL",
		Short: "Create an organisation and its first super admin; print the one-time password and the bootstrap API token (expires after 90 days) once",
		Args:  noArgs,
	}
	l := config.Register(cmd.Flags(), "data-dir", "database", "master-key-file", "dev")
	cmd.Flags().StringVar(&org, "org", "", "organisation name (required)")
	cmd.Flags().StringVar(&email, "email", "", "the super admin's email (required)")
	cmd.MarkFlagRequired("org")
	cmd.MarkFlagRequired("email")
	cmd.RunE = addOutput(cmd, stdout).run(func(cmd *cobra.Command, args []string) (view, error) {
		cfg, err := loadConfig(l, getenv)
		if err != nil {
			return view{}, err
		}
		core, err := server.OpenCore(cmd.Context(), cfg)
		if err != nil {
			return view{}, err
		}
		defer core.Close()
		b, err := core.Accounts.Init(cmd.Context(), org, email)
		if err != nil {
			return view{}, err
		}
		return view{
			json: map[string]string{
				"organization_id": string(b.Org.ID), "organization": b.Org.Name, "user_id": string(b.User.ID), "email": b.User.Email,
				"password": b.Password.Reveal(), "api_token": b.APIToken.Reveal(),
				"api_token_id": string(b.Token.ID), "api_token_expires_at": b.Token.ExpiresAt.Format(time.RFC3339),
			},
			table: message(`Organization  %s (%s)
Super admin   %s (%s)
Password      %s   (one-time: change it at first login)
API token     %s
              (the bootstrap token %s, expires %s)

These values are shown once and cannot be shown again. Store them now.
Use the token with:  export KEYWARDEN_TOKEN=%s
Replace it before it expires: keywarden api-tokens rotate current
(or create your own tokens with keywarden api-tokens create, then revoke it).
`, b.Org.Name, b.Org.ID, b.User.Email, b.User.ID, b.Password.Reveal(), b.APIToken.Reveal(), b.Token.ID, formatTime(*b.Token.ExpiresAt), b.APIToken.Reveal()),
		}, nil
	})
	return cmd
}
