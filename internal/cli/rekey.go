package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"keywarden/internal/config"
	"keywarden/internal/datakey"
	"keywarden/internal/keyring"
	"keywarden/internal/server"
	"keywarden/internal/store"
)

// newMasterKeyEnv holds the new master key for rekey, as
// KEYWARDEN_MASTER_KEY holds the current one.
const newMasterKeyEnv = "KEYWARDEN_NEW_MASTER_KEY"

func newRekeyCmd(stdout io.Writer, getenv func(string) string) *cobra.Command {
	var newKeyFile string
	var finish, status, force bool
	cmd := &cobra.Command{
		Use:   "rekey (--new-master-key-file FILE | --finish | --status)",
		Short: "Replace the master key without downtime: wrap the data key under a new key, then remove the old wrapping",
		Long: `Replace the master key while every node keeps serving.

Every key Keywarden uses comes from one data key, stored wrapped under the
master key. keywarden rekey --new-master-key-file FILE (or with the new key
in ` + newMasterKeyEnv + `) opens the data key with the current master key and
wraps it under the new one as well, in one small transaction: no other data
changes, and running servers notice nothing. Either key opens the store
until the rotation is finished, so nodes can be restarted with the new key
one at a time.

When every node runs with the new key, keywarden rekey --finish (run with the
new key as the current one) removes every other wrapping; then destroy the
old key. --finish refuses while another key has opened the store since the
new wrapping was made (a node still starts with it), unless --force.

keywarden rekey --status lists the master keys that open the data key.
See docs/operations.md, "Master-key rotation", for what this protects.`,
		Args: noArgs,
	}
	l := config.Register(cmd.Flags(), "data-dir", "database", "master-key-file", "dev")
	fs := cmd.Flags()
	fs.StringVar(&newKeyFile, "new-master-key-file", "", "file holding the new master key (mode 0600), or set "+newMasterKeyEnv)
	fs.BoolVar(&finish, "finish", false, "remove every wrapping but the current master key's")
	fs.BoolVar(&status, "status", false, "list the master keys that open the data key")
	fs.BoolVar(&force, "force", false, "with --finish: remove the other wrappings even though another key opened the store recently")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		cfg, err := loadConfig(l, getenv)
		if err != nil {
			return err
		}
		newKeyEnv := getenv(newMasterKeyEnv)
		modes := 0
		for _, on := range []bool{newKeyFile != "" || newKeyEnv != "", finish, status} {
			if on {
				modes++
			}
		}
		if modes != 1 {
			return usageError{errors.New("rekey: give exactly one of --new-master-key-file (or " + newMasterKeyEnv + "), --finish, --status")}
		}
		if force && !finish {
			return usageError{errors.New("rekey: --force goes with --finish")}
		}
		if newKeyFile != "" && newKeyEnv != "" {
			return usageError{errors.New("rekey: both --new-master-key-file and " + newMasterKeyEnv + " are set; use one")}
		}
		if err := server.CheckExisting(cfg); err != nil {
			return err
		}
		current, err := existingMasterKey(cfg)
		if err != nil {
			return err
		}
		st, err := server.OpenStore(cmd.Context(), cfg)
		if err != nil {
			return err
		}
		defer st.Close()
		svc := datakey.New(st, nil)
		switch {
		case status:
			s, err := svc.Status(cmd.Context(), current)
			if err != nil {
				return err
			}
			return writeKeyStatus(stdout, s)
		case finish:
			n, err := svc.Finish(cmd.Context(), current, force)
			if err != nil {
				return err
			}
			if n == 0 {
				_, err = fmt.Fprintln(stdout, "only the current master key opens the data key; nothing to remove")
				return err
			}
			_, err = fmt.Fprintf(stdout, `removed %d other master key wrapping(s): only the current master key opens the store now.
Destroy the old master key, everywhere it was kept. A database backup made
before now still opens with it: destroy those backups too, or keep the old
key exactly as long as them.
`, n)
			return err
		}
		next, err := loadNewMasterKey(newKeyFile, newKeyEnv)
		if err != nil {
			return err
		}
		res, err := svc.Rekey(cmd.Context(), current, next)
		if err != nil {
			return err
		}
		if res.Already {
			_, err = fmt.Fprintf(stdout, "the data key is already wrapped under the new master key %s (%d keys open it); nothing changed\n", res.KeyID, res.Wrappings)
			return err
		}
		_, err = fmt.Fprintf(stdout, `the data key is now wrapped under the new master key %s too (%d keys open it)
Nothing else changed, and running servers keep working. Next:
  1. Give every node the new master key and restart them one at a time.
  2. Then, with the new key as the current one: keywarden rekey --finish
`, res.KeyID, res.Wrappings)
		return err
	}
	return cmd
}

func loadNewMasterKey(file, env string) ([]byte, error) {
	if file != "" {
		key, err := keyring.LoadFile(file)
		if err != nil {
			return nil, fmt.Errorf("new master key: %w", err)
		}
		return key, nil
	}
	key, err := keyring.ParseKey(env)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", newMasterKeyEnv, err)
	}
	return key, nil
}

// existingMasterKey is the configured master key for commands that work on
// an existing store (rekey, restore): unlike serve, they never generate a
// development key, which could not open anything.
func existingMasterKey(cfg config.Config) ([]byte, error) {
	if cfg.MasterKey == "" && cfg.MasterKeyFile == "" {
		dev := filepath.Join(cfg.DataDir, keyring.DevKeyFile)
		if _, err := os.Stat(dev); !cfg.Dev || err != nil {
			return nil, errors.New("no master key: set KEYWARDEN_MASTER_KEY or --master-key-file to the key this store was made with (with --dev, the data directory's " + keyring.DevKeyFile + " is used if it is there)")
		}
	}
	return server.LoadMasterKey(cfg)
}

func writeKeyStatus(w io.Writer, s datakey.Status) error {
	origin := map[store.DataKeyOrigin]string{
		store.DataKeyGenerated:     "random, made on the first start",
		store.DataKeyFromMasterKey: "this installation's first master key (adopted when it moved to envelope encryption)",
		store.DataKeyPending:       "the master key, not yet wrapped (the server has not started since the upgrade)",
	}[s.Origin]
	if _, err := fmt.Fprintf(w, "data key: %s", origin); err != nil {
		return err
	}
	if !s.CreatedAt.IsZero() {
		if _, err := fmt.Fprintf(w, ", since %s", s.CreatedAt.Format(time.RFC3339)); err != nil {
			return err
		}
	}
	if _, err := fmt.Fprintln(w); err != nil {
		return err
	}
	t := newTable(w, "KEY ID", "CURRENT", "ADDED", "LAST OPENED")
	for _, k := range s.Keys {
		cur := ""
		if k.Current {
			cur = "yes"
		}
		t.row(k.ID, cur, k.CreatedAt.Format(time.RFC3339), k.OpenedAt.Format(time.RFC3339))
	}
	return t.flush()
}
