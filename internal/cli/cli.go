package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"keywarden/internal/config"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// usageError marks a mistake in the command line itself.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// Main runs the keywarden command line and returns the process exit code:
// 0 success, 1 failure, 2 usage error.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRootCmd(stdout, stderr, os.Getenv)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(stderr, "keywarden:", err)
		var ue usageError
		// cobra reports a missing required flag as a plain error.
		if errors.As(err, &ue) || strings.HasPrefix(err.Error(), "required flag(s)") {
			return exitUsage
		}
		var ee exitError
		if errors.As(err, &ee) {
			return ee.code
		}
		return exitFailure
	}
	return exitOK
}

// exitError carries a specific exit code.
type exitError struct {
	code int
	err  error
}

func (e exitError) Error() string { return e.err.Error() }

func newRootCmd(stdout, stderr io.Writer, getenv func(string) string) *cobra.Command {
	root := &cobra.Command{
		Use:           "keywarden",
		Short:         "Keywarden manages API client credentials and issues OAuth 2.0 access tokens",
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmd.Help()
		},
	}
	api := newAPIFlags(root, getenv)
	root.AddCommand(
		newServeCmd(stderr, getenv),
		newMigrateCmd(stdout, getenv),
		newHealthcheckCmd(stdout, getenv),
		newInitCmd(stdout, getenv),
		newClientsCmd(api, stdout),
		newSecretsCmd(api, os.Stdin, stdout),
		newRotationsCmd(api, stdout),
		newRefreshTokensCmd(api, stdout),
		newKeysCmd(api, stdout),
		newAuditCmd(api, stdout, getenv),
		newWebhooksCmd(api, os.Stdin, stdout),
		newLoginCmd(api, os.Stdin, stdout, stderr),
		newLogoutCmd(api, stdout),
		newWhoamiCmd(api, stdout),
		newPasswordCmd(api, os.Stdin, stdout, stderr),
		newSessionsCmd(api, stdout),
		newUsersCmd(api, stdout),
		newCredentialsCmd(api, stdout),
		newAuthCmd(api, os.Stdin, stdout, stderr),
		newMFACmd(api, os.Stdin, stdout, stderr),
		newScanCmd(os.Stdin, stdout, stderr),
		newBackupCmd(stdout, getenv),
		newRestoreCmd(stdout, getenv),
		newRekeyCmd(stdout, getenv),
	)
	return root
}

func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageError{fmt.Errorf("%s: unexpected argument %q", cmd.CommandPath(), args[0])}
	}
	return nil
}

func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usageError{fmt.Errorf("%s: want %d argument(s) (%s), got %d", cmd.CommandPath(), n, cmd.Use, len(args))}
		}
		return nil
	}
}

// newLogger returns the JSON logger every server-side command uses.
func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	l.UnmarshalText([]byte(level)) // validated by config
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

// loadConfig loads the configuration bound to cmd's flags.
func loadConfig(l *config.Loader, getenv func(string) string) (config.Config, error) {
	cfg, err := l.Load(getenv)
	if err != nil {
		return cfg, usageError{err}
	}
	return cfg, nil
}
