package cli

import (
	"context"
	"errors"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"keywarden/pkg/apiv1"
)

func newAuthCmd(api *apiFlags, stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	return newGroupCmd("auth", "Get an access token with your personal credential",
		newAuthLoginCmd(api, stdin, stdout, stderr),
	)
}

func newAuthLoginCmd(api *apiFlags, stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	var email, org string
	var secretStdin bool
	cmd := &cobra.Command{
		Use:   "login --email EMAIL [--secret-stdin]",
		Short: "Exchange your email and personal credential secret for an access token that acts as you",
		Long: `Exchange your email and your personal credential's secret for an access token
that acts as you on the API, with your current role (POST /v1/auth/login, the
legacy login shape: the secret goes where a password used to). While your
organisation's legacy password migration is open and you have neither changed
your password nor generated a personal credential, your console password works
as the secret.

The secret is asked for on the terminal, without echo. With --secret-stdin it
is read from the first line of standard input instead, never from a flag.
Use the token as Authorization: Bearer <token>, or as KEYWARDEN_TOKEN.`,
		Args: noArgs,
	}
	cmd.Flags().StringVar(&email, "email", "", "your email (required)")
	cmd.Flags().StringVar(&org, "organization", "", "your organization's ID (only needed when your email is in several organizations)")
	cmd.Flags().BoolVar(&secretStdin, "secret-stdin", false, "read the credential's secret from the first line of standard input")
	cmd.MarkFlagRequired("email")
	cmd.RunE = api.run(addOutput(cmd, stdout), apiCommand{
		login: true,
		check: func(*cobra.Command, []string) error {
			if strings.TrimSpace(email) == "" {
				return usageError{errors.New("--email: give the email of the credential's user")}
			}
			return nil
		},
		call: func(ctx context.Context, c conn, args []string) (view, error) {
			p := newPrompter(stdin, stderr)
			if !secretStdin && !p.tty {
				return view{}, usageError{errors.New("standard input is not a terminal: pipe the secret in with --secret-stdin")}
			}
			secret, err := p.secret("Personal credential secret: ")
			if err != nil {
				return view{}, answerError("the secret", "--secret-stdin", err)
			}
			secret = strings.TrimSpace(secret)
			if secret == "" {
				return view{}, usageError{errors.New("the secret is empty")}
			}
			tok, err := c.PasswordLogin(ctx, apiv1.PasswordLogin{Email: email, Password: secret, Organization: org})
			return view{json: tok, table: message("%s\n\nA %s token for %s, valid for %s. Use it as Authorization: Bearer <token>, or as %s.\n",
				tok.AccessToken, cell(tok.TokenType), cell(email), formatSeconds(tok.ExpiresIn), envToken)}, err
		},
	})
	return cmd
}
