package ratelimit_test

import (
	"fmt"
	"testing"
	"time"

	"keywarden/internal/ratelimit"
)

func TestLimiter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := ratelimit.New(3, 6, 100) // 3 failures, then one every 10 s
	for i := range 3 {
		if _, blocked := l.Blocked("a", now); blocked {
			t.Fatalf("blocked after %d failures", i)
		}
		l.Fail("a", now)
	}
	wait, blocked := l.Blocked("a", now)
	if !blocked || wait != 10*time.Second {
		t.Fatalf("after 3 failures: blocked %v, wait %v; want true, 10s", blocked, wait)
	}
	if _, blocked := l.Blocked("b", now); blocked {
		t.Error("another key is blocked by a's failures")
	}
	if _, blocked := l.Blocked("a", now.Add(10*time.Second)); blocked {
		t.Error("still blocked after the wait")
	}
}

func TestLimiterBoundsMemory(t *testing.T) {
	now := time.Now()
	l := ratelimit.New(3, 6, 50)
	for i := range 1000 {
		l.Fail(fmt.Sprint(i), now)
	}
	if n := l.Len(); n > 50 {
		t.Errorf("tracks %d keys, want at most 50", n)
	}
}
