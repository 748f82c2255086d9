package server

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"keywarden/internal/config"
	"keywarden/internal/datakey"
	"keywarden/internal/keyring"
	"keywarden/internal/store"
	"keywarden/internal/store/sqlite"
)

// The local maintenance commands (backup, restore, rekey) work on the store
// through these functions, so that only this package names a backend.

// BackupInfo describes a backup file.
type BackupInfo = sqlite.BackupInfo

// ErrPostgresBackup means the store is PostgreSQL, whose own tools back it
// up and restore it (docs/operations.md, "Backup and restore").
var ErrPostgresBackup = errors.New("the store is PostgreSQL: back it up with pg_dump and restore it with pg_restore (docs/operations.md, \"Backup and restore\")")

// Backup writes a consistent copy of the SQLite store to out while servers
// keep writing to it.
func Backup(ctx context.Context, cfg config.Config, out string) (BackupInfo, error) {
	if cfg.IsPostgres() {
		return BackupInfo{}, ErrPostgresBackup
	}
	return sqlite.Backup(ctx, cfg.DataDir, out)
}

// Restore checks the backup at from (a Keywarden database, not newer than
// this binary, opened by the configured master key) and only then puts it
// in place of cfg's SQLite store (an existing one only with replace). It
// returns the backup's description and the restored file's path.
func Restore(ctx context.Context, cfg config.Config, from string, replace bool) (BackupInfo, string, error) {
	if cfg.IsPostgres() {
		return BackupInfo{}, "", ErrPostgresBackup
	}
	master, err := existingMasterKey(cfg)
	if err != nil {
		return BackupInfo{}, "", err
	}
	check := func(ctx context.Context, st store.Store) error { return datakey.New(st, nil).Check(ctx, master) }
	info, err := sqlite.Restore(ctx, from, cfg.DataDir, replace, check)
	return info, filepath.Join(cfg.DataDir, sqlite.FileName), err
}

// MasterKeys is the master-key rotation of one store, opened with the
// configured (current) master key.
type MasterKeys struct {
	store   store.Store
	keys    *datakey.Service
	current []byte
}

// OpenMasterKeys opens cfg's existing store for a master-key rotation.
func OpenMasterKeys(ctx context.Context, cfg config.Config) (*MasterKeys, error) {
	if err := CheckExisting(cfg); err != nil {
		return nil, err
	}
	current, err := existingMasterKey(cfg)
	if err != nil {
		return nil, err
	}
	st, err := OpenStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return &MasterKeys{store: st, keys: datakey.New(st, nil), current: current}, nil
}

// Close closes the store.
func (m *MasterKeys) Close() error { return m.store.Close() }

// Status lists the master keys that open the data key.
func (m *MasterKeys) Status(ctx context.Context) (datakey.Status, error) {
	return m.keys.Status(ctx, m.current)
}

// Add wraps the data key under next as well (datakey.Service.Rekey).
func (m *MasterKeys) Add(ctx context.Context, next []byte) (datakey.RekeyResult, error) {
	return m.keys.Rekey(ctx, m.current, next)
}

// Finish removes every wrapping but the current master key's and returns
// how many it removed (datakey.Service.Finish).
func (m *MasterKeys) Finish(ctx context.Context, force bool) (int, error) {
	return m.keys.Finish(ctx, m.current, force)
}

// ParseMasterKey reads a master key from file, or else from value (an
// environment variable's text); name labels errors.
func ParseMasterKey(file, value, name string) ([]byte, error) {
	if file != "" {
		key, err := keyring.LoadFile(file)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return key, nil
	}
	key, err := keyring.ParseKey(value)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
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
	return LoadMasterKey(cfg)
}
