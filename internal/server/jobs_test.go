package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestScheduleSlowJobDelaysNoOther runs a job that hangs beside one that
// runs quickly: the quick one keeps running on its own interval while the
// slow one is stuck, and the slow one never overlaps itself.
func TestScheduleSlowJobDelaysNoOther(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	release := make(chan struct{})
	var slowRuns, slowNow atomic.Int32
	quick := make(chan struct{}, 100)
	jobs := []job{
		{"slow", time.Millisecond, func(ctx context.Context) error {
			if slowNow.Add(1) > 1 {
				t.Error("the slow job overlaps itself")
			}
			defer slowNow.Add(-1)
			slowRuns.Add(1)
			select {
			case <-release:
			case <-ctx.Done():
			}
			return errors.New("a failure is logged, and the job runs again")
		}},
		{"quick", time.Millisecond, func(ctx context.Context) error {
			select {
			case quick <- struct{}{}:
			default:
			}
			return nil
		}},
	}
	var wg sync.WaitGroup
	schedule(ctx, &wg, slog.New(slog.NewTextHandler(io.Discard, nil)), jobs)
	for i := range 5 {
		select {
		case <-quick:
		case <-time.After(10 * time.Second):
			t.Fatalf("the quick job ran %d times while the slow one hung, want 5", i)
		}
	}
	if n := slowRuns.Load(); n != 1 {
		t.Errorf("the slow job started %d times while hung, want 1", n)
	}
	close(release) // now it returns, fails, and runs again
	deadline := time.After(10 * time.Second)
	for slowRuns.Load() < 3 {
		select {
		case <-deadline:
			t.Fatalf("the slow job ran %d times after its release, want it to run again", slowRuns.Load())
		case <-time.After(time.Millisecond):
		}
	}
	cancel()
	wg.Wait()
}
