package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"keywarden/pkg/apiv1"
	apiclient "keywarden/pkg/keywarden"
)

func newAuthCmd(api *apiFlags, stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	return newGroupCmd("auth", "Get an access token with your personal credential",
		newAuthLoginCmd(api, stdin, stdout, stderr),
	)
}

func newAuthLoginCmd(api *apiFlags, stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	var email, org, output string
	var secretStdin bool
	cmd := &cobra.Command{
		Use:   "login --email EMAIL [--secret-stdin]",
		Short: "Exchange your email and personal credential secret for an access token that acts as you",
		Long: `Exchange your email and your personal credential's secret for an access token
that acts as you on the API, with your current role (POST /v1/auth/login, the
legacy login shape: the secret goes where a password used to).

The secret is asked for on the terminal, without echo. With --secret-stdin it
is read from the first line of standard input instead, never from a flag.
Use the token as Authorization: Bearer <token>, or as KEYWARDEN_TOKEN.`,
		Args: noArgs,
	}
	cmd.Flags().StringVar(&email, "email", "", "your email (required)")
	cmd.Flags().StringVar(&org, "organization", "", "your organization's ID (only needed when your email is in several organizations)")
	cmd.Flags().BoolVar(&secretStdin, "secret-stdin", false, "read the credential's secret from the first line of standard input")
	addOutputFlag(cmd, &output)
	cmd.MarkFlagRequired("email")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if err := checkOutput(output); err != nil {
			return err
		}
		if strings.TrimSpace(email) == "" {
			return usageError{errors.New("--email: give the email of the credential's user")}
		}
		server, err := api.loginServer()
		if err != nil {
			return err
		}
		p := newPrompter(stdin, stderr)
		if !secretStdin && !p.tty {
			return usageError{errors.New("standard input is not a terminal: pipe the secret in with --secret-stdin")}
		}
		secret, err := p.secret("Personal credential secret: ")
		if err != nil {
			return answerError("the secret", "--secret-stdin", err)
		}
		secret = strings.TrimSpace(secret)
		if secret == "" {
			return usageError{errors.New("the secret is empty")}
		}
		tok, err := apiclient.New(server, "", newHTTPClient()).PasswordLogin(cmd.Context(), apiv1.PasswordLogin{Email: email, Password: secret, Organization: org})
		if err != nil {
			return err
		}
		if output == outputJSON {
			return writeJSON(stdout, tok)
		}
		_, err = fmt.Fprintf(stdout, "%s\n\nA %s token for %s, valid for %s. Use it as Authorization: Bearer <token>, or as %s.\n",
			tok.AccessToken, cell(tok.TokenType), cell(email), formatSeconds(tok.ExpiresIn), envToken)
		return err
	}
	return cmd
}
