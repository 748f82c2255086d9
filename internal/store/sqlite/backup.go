package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"

	"keywarden/internal/store"
)

// BackupInfo describes a database copy.
type BackupInfo struct {
	Bytes   int64
	Version int64 // the last migration applied to it
}

// Backup writes a consistent copy of the database in dataDir to out while
// other processes keep reading and writing it. The copy is SQLite's
// VACUUM INTO, which reads inside one transaction: it holds exactly what
// was committed when it started (WAL lets writers go on meanwhile). out
// must not exist; it is created with mode 0600 and appears only once it is
// complete. The copy is a single file (no -wal beside it).
func Backup(ctx context.Context, dataDir, out string) (BackupInfo, error) {
	src := filepath.Join(dataDir, FileName)
	if _, err := os.Stat(src); err != nil {
		return BackupInfo{}, fmt.Errorf("no Keywarden database at %s (check --data-dir)", src)
	}
	// Claim the name first: O_EXCL refuses an existing file, also one
	// made by a concurrent backup.
	claim, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return BackupInfo{}, fmt.Errorf("%s exists: backup never overwrites a file", out)
		}
		return BackupInfo{}, fmt.Errorf("backup file: %w", err)
	}
	claim.Close()
	info, err := copyDatabase(ctx, fileURI(src, "mode=rw"), out)
	if err != nil {
		os.Remove(out)
		return BackupInfo{}, err
	}
	return info, nil
}

// fileURI is an SQLite URI filename for path with query parameters; the
// path is escaped, so a "?" or "#" in it stays part of the name.
func fileURI(path, query string) string {
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + query
}

// copyDatabase copies the database at dsn (a URI filename) to out, which
// exists and is empty or is replaced: the copy goes to a temporary file in
// out's directory first and is renamed onto out when it is complete.
func copyDatabase(ctx context.Context, dsn, out string) (BackupInfo, error) {
	src, err := sql.Open("sqlite", dsn+"&_pragma=busy_timeout(10000)")
	if err != nil {
		return BackupInfo{}, err
	}
	defer src.Close()
	tmp, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".partial-*")
	if err != nil {
		return BackupInfo{}, fmt.Errorf("backup file: %w", err)
	}
	tmp.Close()
	defer os.Remove(tmp.Name()) // a no-op once renamed
	if err := os.Chmod(tmp.Name(), 0o600); err != nil {
		return BackupInfo{}, err
	}
	// VACUUM INTO writes into an existing file only when it is empty.
	if _, err := src.ExecContext(ctx, `VACUUM INTO ?`, tmp.Name()); err != nil {
		return BackupInfo{}, fmt.Errorf("copy the database: %w", err)
	}
	info, err := finishCopy(ctx, tmp.Name())
	if err != nil {
		return BackupInfo{}, err
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return BackupInfo{}, err
	}
	if d, err := os.Open(filepath.Dir(out)); err == nil {
		d.Sync() // the rename survives a crash
		d.Close()
	}
	return info, nil
}

// finishCopy makes the copy at path a single self-contained file (journal
// mode DELETE, so no -wal belongs to it), flushes it to disk and reads its
// migration version.
func finishCopy(ctx context.Context, path string) (BackupInfo, error) {
	db, err := sql.Open("sqlite", fileURI(path, "mode=rw"))
	if err != nil {
		return BackupInfo{}, err
	}
	var mode string
	err = db.QueryRowContext(ctx, `PRAGMA journal_mode = DELETE`).Scan(&mode)
	var version int64
	if err == nil {
		version, err = migrationVersion(ctx, db)
	}
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return BackupInfo{}, fmt.Errorf("check the copy: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return BackupInfo{}, err
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return BackupInfo{}, err
	}
	st, err := f.Stat()
	if err != nil {
		return BackupInfo{}, err
	}
	return BackupInfo{Bytes: st.Size(), Version: version}, nil
}

func migrationVersion(ctx context.Context, db *sql.DB) (int64, error) {
	var v sql.NullInt64
	err := db.QueryRowContext(ctx, `SELECT max(version_id) FROM goose_db_version WHERE is_applied`).Scan(&v)
	return v.Int64, err
}

// LatestVersion is the last migration this build knows.
func LatestVersion() (int64, error) {
	entries, err := fs.ReadDir(migrations, "migrations")
	if err != nil {
		return 0, err
	}
	var latest int64
	for _, e := range entries {
		var n int64
		if _, err := fmt.Sscanf(e.Name(), "%d_", &n); err == nil && n > latest {
			latest = n
		}
	}
	return latest, nil
}

// ErrNotKeywarden means a file is not a Keywarden SQLite database.
var ErrNotKeywarden = errors.New("not a Keywarden database")

// Inspect checks that the file at path is an undamaged Keywarden database
// that this build can open (its migration version is not newer than
// LatestVersion), reading it only.
func Inspect(ctx context.Context, path string) (BackupInfo, error) {
	st, err := os.Stat(path)
	if err != nil {
		return BackupInfo{}, err
	}
	if !st.Mode().IsRegular() || st.Size() == 0 {
		return BackupInfo{}, fmt.Errorf("%s: %w (empty or not a regular file)", path, ErrNotKeywarden)
	}
	db, err := sql.Open("sqlite", fileURI(path, "mode=ro"))
	if err != nil {
		return BackupInfo{}, err
	}
	defer db.Close()
	var n int
	err = db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('goose_db_version', 'organizations', 'audit_events', 'audit_head')`).Scan(&n)
	if err != nil {
		return BackupInfo{}, fmt.Errorf("%s: %w (%v)", path, ErrNotKeywarden, err)
	}
	if n != 4 {
		return BackupInfo{}, fmt.Errorf("%s: %w (an SQLite database without Keywarden's tables)", path, ErrNotKeywarden)
	}
	var check string
	if err := db.QueryRowContext(ctx, `PRAGMA quick_check`).Scan(&check); err != nil || check != "ok" {
		return BackupInfo{}, fmt.Errorf("%s is damaged: quick_check says %q (%v)", path, check, err)
	}
	version, err := migrationVersion(ctx, db)
	if err != nil {
		return BackupInfo{}, fmt.Errorf("%s: migration version: %w", path, err)
	}
	latest, err := LatestVersion()
	if err != nil {
		return BackupInfo{}, err
	}
	if version > latest {
		return BackupInfo{}, fmt.Errorf("%s was made by a newer Keywarden (migration %d; this one knows up to %d): restore it with that version", path, version, latest)
	}
	return BackupInfo{Bytes: st.Size(), Version: version}, nil
}

// ErrTargetNotEmpty means Restore found a database in the data directory
// and was not told to replace it.
var ErrTargetNotEmpty = errors.New("the data directory already holds a database")

// Restore puts the backup at from into dataDir as its database. It checks
// the file (Inspect), copies it into a staging directory inside dataDir,
// applies this build's migrations to the copy, runs check on it (the
// master key must open it) and only then moves it into place, so a
// refused backup leaves dataDir as it was. A database already in dataDir
// is ErrTargetNotEmpty unless replace is set. No server may be running on
// dataDir.
func Restore(ctx context.Context, from, dataDir string, replace bool, check func(ctx context.Context, st store.Store) error) (BackupInfo, error) {
	info, err := Inspect(ctx, from)
	if err != nil {
		return BackupInfo{}, err
	}
	target := filepath.Join(dataDir, FileName)
	if st, err := os.Stat(target); err == nil && st.Size() > 0 && !replace {
		return BackupInfo{}, fmt.Errorf("%w: %s (stop the server, and pass --force to replace it)", ErrTargetNotEmpty, target)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return BackupInfo{}, fmt.Errorf("data directory: %w", err)
	}
	staging, err := os.MkdirTemp(dataDir, ".restore-")
	if err != nil {
		return BackupInfo{}, err
	}
	defer os.RemoveAll(staging)
	copied := filepath.Join(staging, FileName)
	f, err := os.OpenFile(copied, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return BackupInfo{}, err
	}
	f.Close()
	// Copied with VACUUM INTO too, so that the restored file is a clean
	// copy whatever journal the backup came with.
	if _, err := copyDatabase(ctx, fileURI(from, "mode=ro"), copied); err != nil {
		return BackupInfo{}, err
	}
	s, err := Open(ctx, staging)
	if err != nil {
		return BackupInfo{}, fmt.Errorf("migrate the restored copy: %w", err)
	}
	err = check(ctx, s)
	if err == nil {
		// Fold the WAL into the file before it moves.
		_, err = s.DB().ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
	}
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return BackupInfo{}, err
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if st, err := os.Stat(copied + suffix); err == nil && suffix == "-wal" && st.Size() > 0 {
			return BackupInfo{}, fmt.Errorf("the restored copy kept a write-ahead log (%s)", copied+suffix)
		}
		// The old database's WAL must not be replayed into the new one.
		if err := os.Remove(target + suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return BackupInfo{}, err
		}
	}
	if err := os.Rename(copied, target); err != nil {
		return BackupInfo{}, err
	}
	if d, err := os.Open(dataDir); err == nil {
		d.Sync()
		d.Close()
	}
	if info.Version, err = LatestVersion(); err != nil {
		return BackupInfo{}, err
	}
	return info, nil
}
