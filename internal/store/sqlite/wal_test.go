package sqlite_test

import (
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"keywarden/internal/store/sqlite"
)

// TestCheckpointKeepsWALBounded writes heavily while readers overlap all
// the time (as token requests do under load), so that SQLite's passive
// automatic checkpoints can never start the log over; the periodic
// truncating checkpoint of the server's job keeps the log bounded. The
// same run without it is the reference and is logged.
func TestCheckpointKeepsWALBounded(t *testing.T) {
	const batches, rowsPerBatch, rowSize = 12, 100, 8 << 10 // ~0.8 MB per batch, ~10 MB in all
	run := func(t *testing.T, checkpoint bool) (maxWAL, finalWAL int64) {
		dir := t.TempDir()
		s, err := sqlite.Open(t.Context(), dir)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		db := s.DB()
		if _, err := db.ExecContext(t.Context(), `CREATE TABLE wal_load (b BLOB)`); err != nil {
			t.Fatal(err)
		}
		ctx, stop := context.WithCancel(t.Context())
		var readers sync.WaitGroup
		for range 2 {
			readers.Add(1)
			go func() {
				defer readers.Done()
				for ctx.Err() == nil {
					// An open result set holds a read snapshot; two
					// readers always overlap.
					rows, err := db.QueryContext(ctx, `SELECT length(b) FROM wal_load`)
					if err != nil {
						continue
					}
					for i := 0; i < 3 && rows.Next(); i++ {
					}
					rows.Close()
				}
			}()
		}
		walPath := filepath.Join(dir, sqlite.FileName+"-wal")
		size := func() int64 {
			fi, err := os.Stat(walPath)
			if err != nil {
				return 0
			}
			return fi.Size()
		}
		blob := make([]byte, rowSize)
		for range batches {
			for range rowsPerBatch {
				rand.Read(blob)
				if _, err := db.ExecContext(t.Context(), `INSERT INTO wal_load (b) VALUES (?)`, blob); err != nil {
					t.Fatal(err)
				}
			}
			if checkpoint {
				if _, err := sqlite.Checkpoint(t.Context(), db); err != nil {
					t.Fatal(err)
				}
			}
			maxWAL = max(maxWAL, size())
		}
		stop()
		readers.Wait()
		if checkpoint {
			reset, err := sqlite.Checkpoint(t.Context(), db)
			if err != nil || !reset {
				t.Fatalf("final Checkpoint with no readers = %v, %v; want the log reset", reset, err)
			}
		}
		return maxWAL, size()
	}
	refMax, refFinal := run(t, false)
	gotMax, gotFinal := run(t, true)
	written := int64(batches * rowsPerBatch * rowSize)
	t.Logf("WAL size: without checkpoints max %d, end %d; with a checkpoint per batch max %d, end %d (%d bytes written)",
		refMax, refFinal, gotMax, gotFinal, written)
	// One batch is ~0.8 MB; the log may hold about two between
	// checkpoints (the pages of a batch plus SQLite's own 1000-page
	// automatic checkpoints), never the whole history.
	if limit := int64(3 * rowsPerBatch * rowSize); gotMax > limit {
		t.Errorf("with checkpoints the WAL reached %d bytes, want at most %d (%d written in all)", gotMax, limit, written)
	}
	if gotFinal != 0 {
		t.Errorf("after the last checkpoint the WAL has %d bytes, want 0 (truncated)", gotFinal)
	}
}
