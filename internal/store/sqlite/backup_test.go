package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"keywarden/internal/domain"
	"keywarden/internal/store"
	"keywarden/internal/store/sqlite"
)

func newOrg(name string) domain.Organization {
	return domain.Organization{ID: domain.NewOrgID(), Name: name, Policy: domain.DefaultPolicy(), CreatedAt: time.Now().UTC().Truncate(time.Microsecond)}
}

func noCheck(context.Context, store.Store) error { return nil }

// TestBackupDuringWrites copies the database while writers keep
// committing: every write acknowledged before the backup began is in the
// copy, and the copy restores and opens.
func TestBackupDuringWrites(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	s := open(t, dir)
	defer s.Close()

	var mu sync.Mutex
	var acked []domain.OrgID
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 3 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				o := newOrg("writer")
				if err := s.CreateOrg(ctx, o); err != nil {
					t.Errorf("writer %d: %v", w, err)
					return
				}
				mu.Lock()
				acked = append(acked, o.ID)
				mu.Unlock()
			}
		})
	}
	for { // let the writers get going
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 20 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	mu.Lock()
	before := append([]domain.OrgID(nil), acked...)
	mu.Unlock()
	out := filepath.Join(t.TempDir(), "backup.db")
	info, err := sqlite.Backup(ctx, dir, out)
	mu.Lock()
	during := len(acked) - len(before)
	mu.Unlock()
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatalf("Backup: %v", err)
	}
	t.Logf("%d writes acknowledged before the backup, %d while it ran", len(before), during)
	if st, err := os.Stat(out); err != nil || st.Mode().Perm() != 0o600 || st.Size() != info.Bytes {
		t.Errorf("backup file: %v, %v; want mode 0600 and %d bytes", st.Mode(), err, info.Bytes)
	}
	if _, err := os.Stat(out + "-wal"); err == nil {
		t.Error("the backup has a -wal file beside it")
	}
	if leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(out), ".*partial*")); len(leftovers) > 0 {
		t.Errorf("partial files left: %v", leftovers)
	}
	latest, _ := sqlite.LatestVersion()
	if info.Version != latest {
		t.Errorf("backup version %d, want %d", info.Version, latest)
	}

	restored := t.TempDir()
	if _, err := sqlite.Restore(ctx, out, restored, false, noCheck); err != nil {
		t.Fatalf("Restore: %v", err)
	}
	r := open(t, restored)
	defer r.Close()
	for _, id := range before {
		if _, err := r.GetOrg(ctx, id); err != nil {
			t.Fatalf("organisation %s acknowledged before the backup: %v", id, err)
		}
	}
}

func TestBackupRefuses(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	open(t, dir).Close()
	out := filepath.Join(t.TempDir(), "backup.db")
	if err := os.WriteFile(out, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := sqlite.Backup(ctx, dir, out); err == nil || !strings.Contains(err.Error(), "never overwrites") {
		t.Errorf("Backup onto an existing file = %v", err)
	}
	if b, _ := os.ReadFile(out); string(b) != "keep me" {
		t.Errorf("the existing file changed: %q", b)
	}
	missing := filepath.Join(t.TempDir(), "nothing-here")
	out2 := filepath.Join(t.TempDir(), "b.db")
	if _, err := sqlite.Backup(ctx, missing, out2); err == nil || !strings.Contains(err.Error(), "no Keywarden database") {
		t.Errorf("Backup of a missing database = %v", err)
	}
	if _, err := os.Stat(out2); err == nil {
		t.Error("a failed backup left its file")
	}
	if _, err := os.Stat(filepath.Join(missing, sqlite.FileName)); err == nil {
		t.Error("Backup created a database")
	}
}

func TestInspect(t *testing.T) {
	ctx := t.Context()
	tmp := t.TempDir()
	garbage := filepath.Join(tmp, "garbage")
	os.WriteFile(garbage, []byte(strings.Repeat("not sqlite ", 100)), 0o600)
	empty := filepath.Join(tmp, "empty")
	os.WriteFile(empty, nil, 0o600)
	other := filepath.Join(tmp, "other.db")
	db, err := sql.Open("sqlite", "file:"+other)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE notes (body TEXT)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	for name, path := range map[string]string{"garbage": garbage, "empty": empty, "another SQLite database": other} {
		if _, err := sqlite.Inspect(ctx, path); !errors.Is(err, sqlite.ErrNotKeywarden) {
			t.Errorf("%s: Inspect = %v, want ErrNotKeywarden", name, err)
		}
	}

	dir := t.TempDir()
	s := open(t, dir)
	if _, err := s.(interface{ DB() *sql.DB }).DB().Exec(`INSERT INTO goose_db_version (version_id, is_applied) VALUES (9999, true)`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	out := filepath.Join(t.TempDir(), "newer.db")
	if _, err := sqlite.Backup(ctx, dir, out); err != nil {
		t.Fatal(err)
	}
	if _, err := sqlite.Inspect(ctx, out); err == nil || !strings.Contains(err.Error(), "newer Keywarden") {
		t.Errorf("Inspect of a newer database = %v", err)
	}
	target := t.TempDir()
	if _, err := sqlite.Restore(ctx, out, target, false, noCheck); err == nil {
		t.Error("Restore took a database from a newer version")
	}
	if _, err := os.Stat(filepath.Join(target, sqlite.FileName)); err == nil {
		t.Error("a refused restore left a database")
	}
}

func TestRestoreRefusesAndLeavesTheTarget(t *testing.T) {
	ctx := t.Context()
	src := t.TempDir()
	s := open(t, src)
	kept := newOrg("from the backup")
	if err := s.CreateOrg(ctx, kept); err != nil {
		t.Fatal(err)
	}
	s.Close()
	backup := filepath.Join(t.TempDir(), "b.db")
	if _, err := sqlite.Backup(ctx, src, backup); err != nil {
		t.Fatal(err)
	}

	target := t.TempDir()
	s = open(t, target)
	existing := newOrg("already here")
	if err := s.CreateOrg(ctx, existing); err != nil {
		t.Fatal(err)
	}
	s.Close()
	wantOnly := func(want, gone domain.Organization) {
		t.Helper()
		s := open(t, target)
		defer s.Close()
		if _, err := s.GetOrg(ctx, want.ID); err != nil {
			t.Errorf("%s: %v", want.Name, err)
		}
		if _, err := s.GetOrg(ctx, gone.ID); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("%s is there: %v", gone.Name, err)
		}
		if left, _ := filepath.Glob(filepath.Join(target, ".restore-*")); len(left) > 0 {
			t.Errorf("staging left behind: %v", left)
		}
	}

	if _, err := sqlite.Restore(ctx, backup, target, false, noCheck); !errors.Is(err, sqlite.ErrTargetNotEmpty) {
		t.Errorf("Restore onto a database = %v, want ErrTargetNotEmpty", err)
	}
	wantOnly(existing, kept)
	refused := errors.New("wrong master key: test")
	if _, err := sqlite.Restore(ctx, backup, target, true, func(context.Context, store.Store) error { return refused }); !errors.Is(err, refused) {
		t.Errorf("Restore with a failing check = %v", err)
	}
	wantOnly(existing, kept)

	if _, err := sqlite.Restore(ctx, backup, target, true, noCheck); err != nil {
		t.Fatalf("Restore --force: %v", err)
	}
	wantOnly(kept, existing)
	if st, err := os.Stat(filepath.Join(target, sqlite.FileName)); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("restored database mode %v, %v; want 0600", st.Mode(), err)
	}
}
