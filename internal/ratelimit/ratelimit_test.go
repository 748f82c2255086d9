package ratelimit_test

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"keywarden/internal/ratelimit"
	"keywarden/internal/testkit"
)

func TestLimiter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := ratelimit.New(3, 6, 100) // 3 failures, then one every 10 s
	for i := range 3 {
		if _, ok := l.Take("a", now); !ok {
			t.Fatalf("refused after %d failures", i)
		}
	}
	wait, ok := l.Take("a", now)
	if ok || wait != 10*time.Second {
		t.Fatalf("after 3 failures: ok %v, wait %v; want false, 10s", ok, wait)
	}
	if w, blocked := l.Blocked("a", now); !blocked || w != 10*time.Second {
		t.Errorf("Blocked = %v, %v; want 10s, true", w, blocked)
	}
	if _, ok := l.Take("b", now); !ok {
		t.Error("another key is refused for a's failures")
	}
	if _, ok := l.Take("a", now.Add(10*time.Second)); !ok {
		t.Error("still refused after the wait")
	}
}

func TestRefundGivesTheSlotBack(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := ratelimit.New(2, 1, 100)
	for range 10 { // ten successes: each takes and refunds
		if _, ok := l.Take("a", now); !ok {
			t.Fatal("a success used up the limit")
		}
		l.Refund("a", now)
	}
	l.Take("a", now)
	l.Take("a", now)
	if _, ok := l.Take("a", now); ok {
		t.Fatal("three failures allowed with a burst of two")
	}
}

// TestTakeUnderRace is issue 9, rule 6 at its root: a burst of concurrent
// attempts gets no more slots than the limit, however they interleave.
func TestTakeUnderRace(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := ratelimit.New(5, 1, 100)
	other := ratelimit.New(50, 1, 100)
	var got atomic.Int32
	testkit.Race(200, func(int) {
		if tk, blocked, _ := ratelimit.TakeAll(now, ratelimit.Key{Limiter: other, Key: "addr"}, ratelimit.Key{Limiter: l, Key: "acct"}); blocked < 0 {
			got.Add(1)
			_ = tk
		}
	})
	if got.Load() != 5 {
		t.Errorf("%d of 200 racing attempts got a slot, want 5", got.Load())
	}
	// The 195 refused by the second key gave the first one's slot back.
	if w, blocked := other.Blocked("addr", now); blocked {
		t.Errorf("the address is blocked (%v) though only 5 attempts were evaluated", w)
	}
	for i := range 45 {
		if _, ok := other.Take("addr", now); !ok {
			t.Fatalf("the address refused after %d more; TakeAll kept slots it did not use", 5+i)
		}
	}
}

func TestLimiterBoundsMemory(t *testing.T) {
	now := time.Now()
	l := ratelimit.New(3, 6, 50)
	for i := range 1000 {
		l.Take(fmt.Sprint(i), now)
	}
	if n := l.Len(); n > 50 {
		t.Errorf("tracks %d keys, want at most 50", n)
	}
}

func TestKnown(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	k := ratelimit.NewKnown(time.Hour, 3)
	k.Add("a", now)
	if !k.Has("a", now.Add(59*time.Minute)) || k.Has("a", now.Add(time.Hour)) || k.Has("b", now) {
		t.Error("Has does not follow Add and the lifetime")
	}
	for i := range 100 {
		k.Add(fmt.Sprint(i), now)
	}
	n := 0
	for i := range 100 {
		if k.Has(fmt.Sprint(i), now) {
			n++
		}
	}
	if n > 3 || !k.Has("99", now) {
		t.Errorf("remembers %d keys (want at most 3, the newest among them)", n)
	}
}
