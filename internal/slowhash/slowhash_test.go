package slowhash_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"keywarden/internal/slowhash"
	"keywarden/internal/testkit"
)

// TestGateBoundsChecksInFlight holds every admitted check until all
// callers have either run or been refused: at most Concurrency checks run
// at once, at most Concurrency+Queue are admitted, and the rest are
// refused at once with a BusyError.
func TestGateBoundsChecksInFlight(t *testing.T) {
	g := slowhash.New(slowhash.Options{Concurrency: 2, Queue: 3, MaxWait: time.Minute})
	const callers = 50
	release := make(chan struct{})
	var running, peak, ran, busy atomic.Int32
	var refusedAll sync.WaitGroup
	refusedAll.Add(callers - 5) // 2 running + 3 queued are admitted
	go func() { refusedAll.Wait(); close(release) }()
	testkit.Race(callers, func(int) {
		err := g.Do(t.Context(), func() {
			n := running.Add(1)
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
			}
			<-release
			running.Add(-1)
			ran.Add(1)
		})
		var be *slowhash.BusyError
		switch {
		case errors.As(err, &be):
			if be.RetryAfter <= 0 {
				t.Errorf("BusyError.RetryAfter = %v", be.RetryAfter)
			}
			busy.Add(1)
			refusedAll.Done()
		case err != nil:
			t.Errorf("Do: %v", err)
		}
	})
	if g.Checks() != 5 || g.Refused() != callers-5 {
		t.Errorf("Checks %d, Refused %d; want 5, %d", g.Checks(), g.Refused(), callers-5)
	}
	if ran.Load() != 5 || busy.Load() != callers-5 || peak.Load() != 2 {
		t.Errorf("ran %d, refused %d, at most %d at once; want 5, %d, 2", ran.Load(), busy.Load(), peak.Load(), callers-5)
	}
}

func TestGateCancelledWhileQueued(t *testing.T) {
	g := slowhash.New(slowhash.Options{Concurrency: 1, Queue: 1})
	hold, held := make(chan struct{}), make(chan struct{})
	go g.Do(context.Background(), func() { close(held); <-hold })
	<-held
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	ran := false
	if err := g.Do(ctx, func() { ran = true }); !errors.Is(err, context.Canceled) || ran {
		t.Errorf("Do with a cancelled context while queued = %v (ran %v), want context.Canceled", err, ran)
	}
	close(hold)
}

func TestDefaultConcurrency(t *testing.T) {
	if n := slowhash.DefaultConcurrency(); n < 1 {
		t.Errorf("DefaultConcurrency = %d", n)
	}
	g := slowhash.New(slowhash.Options{})
	if g.Concurrency() != slowhash.DefaultConcurrency() || g.Queue() != slowhash.DefaultQueuePerSlot*g.Concurrency() {
		t.Errorf("defaults: concurrency %d, queue %d", g.Concurrency(), g.Queue())
	}
}

// TestImitateHoldsATurnWithoutTheWork: before any check has run, Imitate
// runs its calibration as the check; after, it holds a turn for the
// measured time, running nothing, and the turn is a real one: with the
// only slot held, a check is refused.
func TestImitateHoldsATurnWithoutTheWork(t *testing.T) {
	slept := make(chan time.Duration)
	wake := make(chan struct{})
	g := slowhash.New(slowhash.Options{Concurrency: 1, Queue: -1, Sleep: func(ctx context.Context, d time.Duration) error {
		slept <- d
		<-wake
		return nil
	}})
	calibrations := 0
	calibrate := func() { calibrations++; time.Sleep(time.Millisecond) }
	if err := g.Imitate(t.Context(), calibrate); err != nil {
		t.Fatalf("first Imitate: %v", err)
	}
	if calibrations != 1 || g.Checks() != 1 || g.Imitated() != 0 {
		t.Fatalf("first Imitate: calibrations %d, Checks %d, Imitated %d; want 1, 1, 0", calibrations, g.Checks(), g.Imitated())
	}

	done := make(chan error)
	go func() { done <- g.Imitate(t.Context(), calibrate) }()
	if d := <-slept; d < time.Millisecond {
		t.Errorf("Imitate held its turn for %v; want what the calibration took (≥ 1ms)", d)
	}
	var be *slowhash.BusyError
	if err := g.Do(t.Context(), func() { t.Error("a check ran while Imitate held the only slot") }); !errors.As(err, &be) {
		t.Errorf("Do while Imitate holds the slot = %v; want a BusyError", err)
	}
	close(wake)
	if err := <-done; err != nil {
		t.Fatalf("second Imitate: %v", err)
	}
	if calibrations != 1 || g.Checks() != 1 || g.Imitated() != 1 || g.Refused() != 1 {
		t.Errorf("calibrations %d, Checks %d, Imitated %d, Refused %d; want 1, 1, 1, 1", calibrations, g.Checks(), g.Imitated(), g.Refused())
	}
	if err := g.Do(t.Context(), func() {}); err != nil {
		t.Errorf("Do after Imitate released its turn: %v", err)
	}
}

// TestImitateRecalibrates: once the last real check is older than
// Recalibrate, Imitate runs its calibration as a real check again, so a
// measure taken under load does not outlive the load; in between it only
// imitates.
func TestImitateRecalibrates(t *testing.T) {
	now := time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)
	g := slowhash.New(slowhash.Options{Concurrency: 1, Recalibrate: time.Minute, Now: func() time.Time { return now },
		Sleep: func(context.Context, time.Duration) error { return nil }})
	calibrations := 0
	calibrate := func() { calibrations++ }
	for _, step := range []struct {
		advance time.Duration
		want    int
	}{{0, 1}, {time.Second, 1}, {59 * time.Second, 1}, {2 * time.Second, 2}, {time.Second, 2}} {
		now = now.Add(step.advance)
		if err := g.Imitate(t.Context(), calibrate); err != nil {
			t.Fatal(err)
		}
		if calibrations != step.want {
			t.Fatalf("after %v more: %d calibrations, want %d", step.advance, calibrations, step.want)
		}
	}
	if g.Imitated() != 3 || g.Checks() != 2 {
		t.Errorf("Imitated %d, Checks %d; want 3, 2", g.Imitated(), g.Checks())
	}
}
