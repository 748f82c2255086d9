package ratelimit

import (
	"math"
	"slices"
	"sync"
	"time"
)

// Limiter allows Burst failures per key at once, refilled at a steady rate.
// The zero value is not usable; call New.
//
// A caller takes a slot before the slow check (Take) and gives it back
// when the attempt turned out not to be a failure (Refund), so a burst of
// concurrent attempts is evaluated against the limit as it is, not as it
// was before any of them finished.
type Limiter struct {
	mu      sync.Mutex
	keys    map[string]*bucket
	perSec  float64
	burst   float64
	maxKeys int
	ops     int
}

// bucket holds tokens failures left at the time at.
type bucket struct {
	tokens float64
	at     time.Time
}

// New returns a limiter that allows burst failures per key and refills
// perMinute of them a minute (a fraction for slower rates: 10 an hour is
// 10.0/60). It keeps at most maxKeys keys.
func New(burst int, perMinute float64, maxKeys int) *Limiter {
	return &Limiter{keys: map[string]*bucket{}, perSec: perMinute / 60, burst: float64(burst), maxKeys: maxKeys}
}

// epsilon absorbs rounding: an hour at 10 an hour refills 10, not 9.999….
const epsilon = 1e-9

// level returns b's tokens at now.
func (l *Limiter) level(b *bucket, now time.Time) float64 {
	if !now.After(b.at) {
		return b.tokens
	}
	return math.Min(l.burst, b.tokens+now.Sub(b.at).Seconds()*l.perSec+epsilon)
}

// wait is how long a bucket with tokens left waits for a whole one.
func (l *Limiter) wait(tokens float64) time.Duration {
	secs := math.Ceil((1-tokens)/l.perSec - 1e-6)
	return time.Duration(max(secs, 1)) * time.Second
}

// Take reserves one failure of key at now. ok is true when the key had one
// to spend: the caller may evaluate the attempt, and calls Refund if it was
// not a failure. Otherwise nothing is taken and wait is how long until a
// slot frees (whole seconds, at least one).
func (l *Limiter) Take(key string, now time.Time) (wait time.Duration, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, found := l.keys[key]
	if !found {
		if len(l.keys) >= l.maxKeys {
			l.sweep(now)
		}
		b = &bucket{tokens: l.burst, at: now}
		l.keys[key] = b
	}
	tokens := l.level(b, now)
	if tokens < 1 {
		return l.wait(tokens), false
	}
	b.tokens, b.at = tokens-1, maxTime(b.at, now)
	l.ops++
	if l.ops%1024 == 0 {
		l.sweep(now)
	}
	return 0, true
}

// Blocked reports whether key has no failure left at now, and if so how
// long until it has one. It takes nothing.
func (l *Limiter) Blocked(key string, now time.Time) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.keys[key]
	if !ok {
		return 0, false
	}
	if tokens := l.level(b, now); tokens < 1 {
		return l.wait(tokens), true
	}
	return 0, false
}

// Refund gives back a slot Take reserved for key.
func (l *Limiter) Refund(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if b, ok := l.keys[key]; ok {
		b.tokens, b.at = math.Min(l.burst, l.level(b, now)+1), maxTime(b.at, now)
	}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// sweep forgets keys that have fully recovered; if the map is still full,
// it forgets arbitrary keys (a flood of distinct keys must not exhaust
// memory). Called with mu held.
func (l *Limiter) sweep(now time.Time) {
	for k, b := range l.keys {
		if l.level(b, now) >= l.burst {
			delete(l.keys, k)
		}
	}
	for k := range l.keys {
		if len(l.keys) < l.maxKeys {
			break
		}
		delete(l.keys, k)
	}
}

// Len returns how many keys are tracked.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.keys)
}

// Key names one key of one limiter, for TakeAll.
type Key struct {
	Limiter *Limiter
	Key     string
}

// Taken is the slots TakeAll reserved.
type Taken struct {
	keys []Key
	now  time.Time
}

// TakeAll takes a slot of every key, in order. If one has none, it gives
// back those already taken and returns the index of the blocked key and
// its wait; otherwise blocked is -1.
func TakeAll(now time.Time, keys ...Key) (t Taken, blocked int, wait time.Duration) {
	for i, k := range keys {
		if w, ok := k.Limiter.Take(k.Key, now); !ok {
			Taken{keys: keys[:i], now: now}.Refund()
			return Taken{}, i, w
		}
	}
	return Taken{keys: keys, now: now}, -1, 0
}

// Refund gives the slots back (the attempt was not a failure), except
// those of the limiters in keep.
func (t Taken) Refund(keep ...*Limiter) {
	for _, k := range t.keys {
		if !slices.Contains(keep, k.Limiter) {
			k.Limiter.Refund(k.Key, t.now)
		}
	}
}
