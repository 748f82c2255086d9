package ratelimit

import (
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limiter allows Burst failures per key at once, refilled at PerMinute per
// minute. The zero value is not usable; call New.
type Limiter struct {
	mu      sync.RWMutex
	keys    map[string]*rate.Limiter
	limit   rate.Limit
	burst   int
	maxKeys int
	ops     int
}

// New returns a limiter that allows burst failures per key and refills
// perMinute of them a minute. It keeps at most maxKeys keys.
func New(burst int, perMinute float64, maxKeys int) *Limiter {
	return &Limiter{keys: map[string]*rate.Limiter{}, limit: rate.Limit(perMinute / 60), burst: burst, maxKeys: maxKeys}
}

// Blocked reports whether key has used up its failures at now, and if so
// how long until it may try again.
func (l *Limiter) Blocked(key string, now time.Time) (time.Duration, bool) {
	l.mu.RLock() // the token path calls this on every request: readers share
	defer l.mu.RUnlock()
	lim, ok := l.keys[key]
	if !ok {
		return 0, false
	}
	tokens := lim.TokensAt(now)
	if tokens >= 1 {
		return 0, false
	}
	wait := time.Duration((1 - tokens) / float64(l.limit) * float64(time.Second))
	return time.Duration(math.Ceil(wait.Seconds())) * time.Second, true
}

// Fail records one failure of key at now.
func (l *Limiter) Fail(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	lim, ok := l.keys[key]
	if !ok {
		if len(l.keys) >= l.maxKeys {
			l.sweep(now)
		}
		lim = rate.NewLimiter(l.limit, l.burst)
		l.keys[key] = lim
	}
	lim.AllowN(now, 1)
	l.ops++
	if l.ops%1024 == 0 {
		l.sweep(now)
	}
}

// sweep forgets keys that have fully recovered; if the map is still full,
// it forgets arbitrary keys (a flood of distinct keys must not exhaust
// memory). Called with mu held.
func (l *Limiter) sweep(now time.Time) {
	for k, lim := range l.keys {
		if lim.TokensAt(now) >= float64(l.burst) {
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
	l.mu.RLock()
	defer l.mu.RUnlock()
	return len(l.keys)
}
