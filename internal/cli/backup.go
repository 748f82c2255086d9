package cli

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"keywarden/internal/config"
	"keywarden/internal/store/sqlite"
)

func newBackupCmd(stdout io.Writer, getenv func(string) string) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "backup --out FILE",
		Short: "Write a consistent copy of the SQLite store while the server runs (PostgreSQL: use pg_dump)",
		Long: `Write a consistent copy of the SQLite store to FILE while the server keeps
serving: the copy holds everything committed when it started. FILE must not
exist; it is created with mode 0600 and appears only when complete.

The master key is not in the backup, and the backup is useless without it:
keep the master key (or its own backup) separately. For PostgreSQL use
pg_dump; docs/operations.md ("Backup and restore") has the commands.`,
		Args: noArgs,
	}
	l := config.Register(cmd.Flags(), "data-dir", "database")
	cmd.Flags().StringVar(&out, "out", "", "the backup file to create (required; never overwritten)")
	cmd.MarkFlagRequired("out")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		cfg, err := loadConfig(l, getenv)
		if err != nil {
			return err
		}
		if cfg.IsPostgres() {
			return usageError{errors.New("the store is PostgreSQL: back it up with pg_dump (docs/operations.md, \"Backup and restore\")")}
		}
		info, err := sqlite.Backup(cmd.Context(), cfg.DataDir, out)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(stdout, `backup written to %s (%d bytes, migration %d)
It does not contain the master key: without that key the backup cannot be used.
`, out, info.Bytes, info.Version)
		return err
	}
	return cmd
}
