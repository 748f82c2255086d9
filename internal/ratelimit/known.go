package ratelimit

import (
	"sync"
	"time"
)

// Known remembers, for a while, where an account succeeded: the per-account
// guessing limit does not apply at an address the account recently logged
// in from, so a guesser elsewhere cannot lock the real user out.
type Known struct {
	mu   sync.Mutex
	seen map[string]time.Time
	ttl  time.Duration
	max  int
}

// NewKnown remembers each key for ttl, at most max keys.
func NewKnown(ttl time.Duration, max int) *Known {
	return &Known{seen: map[string]time.Time{}, ttl: ttl, max: max}
}

// Add remembers key at now.
func (k *Known) Add(key string, now time.Time) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, ok := k.seen[key]; !ok && len(k.seen) >= k.max {
		for old, at := range k.seen {
			if now.Sub(at) >= k.ttl || len(k.seen) >= k.max {
				delete(k.seen, old)
			}
		}
	}
	k.seen[key] = now
}

// Has reports whether key was added less than ttl before now.
func (k *Known) Has(key string, now time.Time) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	at, ok := k.seen[key]
	return ok && now.Sub(at) < k.ttl
}
