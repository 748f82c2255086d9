package audit_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"keywarden/internal/audit"
	"keywarden/internal/store"
	"keywarden/internal/store/enginetest"
	"keywarden/internal/testkit"
)

func TestRetentionKeepsTheChainVerifiable(t *testing.T) {
	enginetest.Run(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		clock := testkit.NewClock(start)
		s, log := chainOn(t, open, clock, 6) // events 1-6 on day 0
		old := checkpoint(t, log)            // of 6, recorded as 7
		clock.Add(48 * time.Hour)
		appendN(t, log, 3) // 8-10 on day 2

		// Nothing is older than three days yet.
		if n, err := log.ApplyRetention(t.Context(), 72*time.Hour, nil); err != nil || n != 0 {
			t.Fatalf("ApplyRetention(72h) = %d, %v; want nothing removed", n, err)
		}
		// A stream that has delivered only through event 4 holds the rest.
		keep := func(context.Context) (int64, error) { return 4, nil }
		if n, err := log.ApplyRetention(t.Context(), 24*time.Hour, keep); err != nil || n != 4 {
			t.Fatalf("ApplyRetention(24h, keep 4) = %d, %v; want 4 removed", n, err)
		}
		if n, err := log.ApplyRetention(t.Context(), 24*time.Hour, nil); err != nil || n != 3 {
			t.Fatalf("ApplyRetention(24h) = %d, %v; want 5-7 removed", n, err)
		}
		res, err := log.Verify(t.Context(), old)
		if err != nil || res.ArchivedThrough != 7 || res.Events != 3 || res.Head != 10 || len(res.Archived) != 1 {
			t.Fatalf("Verify after retention = %+v, %v; want events 8-10 from the mark at 7, the checkpoint in the archived range", res, err)
		}
		recent := checkpoint(t, log) // of 10
		if _, err := log.Verify(t.Context(), old, recent); err != nil {
			t.Fatalf("Verify with both checkpoints = %v", err)
		}

		// The mark cannot be moved or dropped by hand.
		exec(t, s, `UPDATE audit_archive SET seq = 8, hash = (SELECT hash FROM audit_events WHERE seq = 8)`)
		_, err = log.Verify(t.Context())
		wantBreak(t, err, 8)
		exec(t, s, `DELETE FROM audit_archive`)
		_, err = log.Verify(t.Context())
		wantBreak(t, err, 1)
	})
}

func TestRetentionKeepsTamperedEvents(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := testkit.NewClock(start)
	s, log := chainOn(t, enginetest.All()[0].Open, clock, 5)
	exec(t, s, `UPDATE audit_events SET target = 'x' WHERE seq = 3`)
	clock.Add(48 * time.Hour)
	n, err := log.ApplyRetention(t.Context(), 24*time.Hour, nil)
	wantBreak(t, err, 3)
	if n != 0 {
		t.Errorf("removed %d events of a range that does not verify", n)
	}
}

// Verify reads one snapshot: while writers append on every side, it never
// reports events removed (it read the head at another time than the
// events, before). Every round checks a chain that grew meanwhile.
func TestVerifyUnderConcurrentAppends(t *testing.T) {
	enginetest.Run(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		_, log := chainOn(t, open, testkit.NewClock(time.Now()), 50)
		ctx, cancel := context.WithCancel(t.Context())
		var wg sync.WaitGroup
		var appended atomic.Int64
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for ctx.Err() == nil {
					if err := log.Record(ctx, audit.Entry{Actor: actor(), Action: "client.update", Target: "kwc_1"}); err != nil && ctx.Err() == nil {
						t.Errorf("Record: %v", err)
						return
					}
					appended.Add(1)
				}
			}()
		}
		var last int64
		for round := 0; (round < 40 || appended.Load() < 100) && round < 100000; round++ {
			res, err := log.Verify(t.Context())
			if err != nil {
				cancel()
				wg.Wait()
				t.Fatalf("round %d: Verify = %v while %d events were being appended", round, err, appended.Load())
			}
			if res.Head < last {
				t.Fatalf("round %d: head went back from %d to %d", round, last, res.Head)
			}
			last = res.Head
		}
		cancel()
		wg.Wait()
		if _, err := log.Verify(t.Context()); err != nil {
			t.Fatalf("Verify after the writers stopped: %v", err)
		}
	})
}
