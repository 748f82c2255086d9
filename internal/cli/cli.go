package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"

	"keywarden/internal/buildinfo"
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
// 0 success, 1 failure, 2 usage error. It reads and writes only what it is
// given: standard input, output and error, and the environment through
// getenv (os.Getenv in the binary), so tests run it in parallel.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	root := newRootCmd(stdin, stdout, stderr, getenv)
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

func newRootCmd(stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) *cobra.Command {
	root := &cobra.Command{
		Use:           "keywarden",
		Short:         "Keywarden manages API client credentials and issues OAuth 2.0 access tokens",
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmd.Help()
		},
		Version: buildinfo.Read().String(),
	}
	root.SetVersionTemplate("{{.Version}}\n")
	api := newAPIFlags(root, getenv)
	root.AddCommand(
		newServeCmd(stderr, getenv),
		newMigrateCmd(stdout, getenv),
		newHealthcheckCmd(stdout, getenv),
		newInitCmd(stdout, getenv),
		newImportCmd(stdin, stdout, stderr, getenv),
		newClientsCmd(api, stdout),
		newSecretsCmd(api, stdin, stdout),
		newClientKeysCmd(api, stdin, stdout),
		newRotationsCmd(api, stdout),
		newRefreshTokensCmd(api, stdout),
		newKeysCmd(api, stdout),
		newOverviewCmd(api, stdout),
		newAuditCmd(api, stdin, stdout, stderr, getenv),
		newWebhooksCmd(api, stdin, stdout),
		newOrgWebhooksCmd(api, stdout),
		newLoginCmd(api, stdin, stdout, stderr),
		newLogoutCmd(api, stdout),
		newWhoamiCmd(api, stdout),
		newPasswordCmd(api, stdin, stdout, stderr),
		newSessionsCmd(api, stdout),
		newUsersCmd(api, stdout),
		newIdentityProvidersCmd(api, stdin, stdout, stderr),
		newCredentialsCmd(api, stdout),
		newAPITokensCmd(api, stdout),
		newAuthCmd(api, stdin, stdout, stderr),
		newMFACmd(api, stdin, stdout, stderr),
		newScanCmd(api, stdin, stdout, stderr),
		newLeaksCmd(api, stdin, stdout),
		newVersionCmd(stdout),
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
