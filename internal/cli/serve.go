package cli

import (
	"io"

	"github.com/spf13/cobra"

	"keywarden/internal/config"
	"keywarden/internal/server"
)

func newServeCmd(stderr io.Writer, getenv func(string) string) *cobra.Command {
	var readyFile string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the Keywarden HTTP server (applies pending migrations first)",
		Args:  noArgs,
	}
	l := config.Register(cmd.Flags())
	cmd.Flags().StringVar(&readyFile, "ready-file", "", "write the bound address to this file once listening (for scripts and tests)")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		cfg, err := loadConfig(l, getenv)
		if err != nil {
			return err
		}
		log := newLogger(stderr, cfg.LogLevel)
		srv, err := server.New(cmd.Context(), cfg, log)
		if err != nil {
			return err
		}
		return srv.Run(cmd.Context(), readyFile)
	}
	return cmd
}

func newMigrateCmd(stdout io.Writer, getenv func(string) string) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply the embedded database migrations",
		Args:  noArgs,
	}
	l := config.Register(cmd.Flags(), "data-dir", "database")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		cfg, err := loadConfig(l, getenv)
		if err != nil {
			return err
		}
		n, err := server.Migrate(cmd.Context(), cfg)
		if err != nil {
			return err
		}
		_, err = io.WriteString(stdout, migratedMessage(n))
		return err
	}
	return cmd
}

func migratedMessage(n int) string {
	if n == 0 {
		return "the database is up to date\n"
	}
	if n == 1 {
		return "applied 1 migration\n"
	}
	return "applied " + itoa(n) + " migrations\n"
}
