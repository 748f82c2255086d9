package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/spf13/cobra"

	"keywarden/internal/config"
	"keywarden/internal/datakey"
	"keywarden/internal/store"
	"keywarden/internal/store/sqlite"
)

func newRestoreCmd(stdout io.Writer, getenv func(string) string) *cobra.Command {
	var from string
	var force bool
	cmd := &cobra.Command{
		Use:   "restore --from FILE",
		Short: "Restore an SQLite backup into the data directory, after checking it and that the master key opens it",
		Long: `Restore a backup made by keywarden backup into --data-dir.

The file must be a Keywarden database from this version or an earlier one,
and the master key (KEYWARDEN_MASTER_KEY or --master-key-file, or with --dev
the master.key already in the data directory) must be one that opens it:
restore never generates a key. The backup is staged inside the data
directory, migrated and checked there, and only then replaces anything, so a
refused restore leaves the directory as it was. A data directory that
already holds a database is refused unless --force is given. Stop the
server on that directory first.

PostgreSQL is restored with pg_restore (docs/operations.md).`,
		Args: noArgs,
	}
	l := config.Register(cmd.Flags(), "data-dir", "database", "master-key-file", "dev")
	cmd.Flags().StringVar(&from, "from", "", "the backup file (required)")
	cmd.Flags().BoolVar(&force, "force", false, "replace the database already in the data directory")
	cmd.MarkFlagRequired("from")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		cfg, err := loadConfig(l, getenv)
		if err != nil {
			return err
		}
		if cfg.IsPostgres() {
			return usageError{errors.New("the store is PostgreSQL: restore it with pg_restore (docs/operations.md, \"Backup and restore\")")}
		}
		master, err := existingMasterKey(cfg)
		if err != nil {
			return err
		}
		check := func(ctx context.Context, st store.Store) error { return datakey.New(st, nil).Check(ctx, master) }
		info, err := sqlite.Restore(cmd.Context(), from, cfg.DataDir, force, check)
		if err != nil {
			return fmt.Errorf("restore %s: %w", from, err)
		}
		_, err = fmt.Fprintf(stdout, `restored %s into %s (migration %d); the master key opens it
Start the server on it, and check the audit chain with: keywarden audit verify
`, from, filepath.Join(cfg.DataDir, sqlite.FileName), info.Version)
		return err
	}
	return cmd
}
