package slowhash

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"runtime/debug"
	"sync/atomic"
	"time"
)

// CheckMemory is what one argon2id check allocates with Keywarden's
// parameters (m=19 MiB), plus a little for its goroutine.
const CheckMemory = 20 << 20

// DefaultHashMemory is the memory budget for checks in flight when the
// process has no memory limit (GOMEMLIMIT).
const DefaultHashMemory = 128 << 20

// Defaults of Options.
const (
	DefaultQueuePerSlot = 4
	DefaultMaxWait      = time.Second
	DefaultRetryAfter   = time.Second
)

// Options size a Gate; zero fields take the defaults.
type Options struct {
	// Concurrency is how many checks run at once (DefaultConcurrency when 0).
	Concurrency int
	// Queue is how many more may wait for a turn (DefaultQueuePerSlot per
	// slot when 0; -1 for none).
	Queue int
	// MaxWait is the longest a queued check waits before it is refused.
	MaxWait time.Duration
	// RetryAfter is what a refusal tells the caller to wait.
	RetryAfter time.Duration
}

// DefaultConcurrency is one check per two CPUs (GOMAXPROCS), so that a
// flood of checks leaves at least half of the CPUs to the token path; at
// most as many as fit in a quarter of the memory limit (GOMEMLIMIT), or in
// DefaultHashMemory without one; at least one.
func DefaultConcurrency() int {
	budget := int64(DefaultHashMemory)
	if lim := debug.SetMemoryLimit(-1); lim != math.MaxInt64 {
		budget = lim / 4
	}
	return max(1, min(runtime.GOMAXPROCS(0)/2, int(budget/CheckMemory)))
}

// Gate admits slow checks. The zero value is not usable; call New.
type Gate struct {
	slots      chan struct{} // one per check running
	admitted   chan struct{} // one per check running or queued
	maxWait    time.Duration
	retryAfter time.Duration
	checks     atomic.Int64
	refused    atomic.Int64
}

// New returns a Gate sized by o.
func New(o Options) *Gate {
	conc := o.Concurrency
	if conc <= 0 {
		conc = DefaultConcurrency()
	}
	queue := o.Queue
	switch {
	case queue == 0:
		queue = DefaultQueuePerSlot * conc
	case queue < 0:
		queue = 0
	}
	g := &Gate{slots: make(chan struct{}, conc), admitted: make(chan struct{}, conc+queue),
		maxWait: o.MaxWait, retryAfter: o.RetryAfter}
	if g.maxWait <= 0 {
		g.maxWait = DefaultMaxWait
	}
	if g.retryAfter <= 0 {
		g.retryAfter = DefaultRetryAfter
	}
	return g
}

// Concurrency is how many checks run at once.
func (g *Gate) Concurrency() int { return cap(g.slots) }

// Queue is how many checks may wait.
func (g *Gate) Queue() int { return cap(g.admitted) - cap(g.slots) }

// BusyError is a check the gate refused: the queue was full, or the check
// waited MaxWait without a turn.
type BusyError struct{ RetryAfter time.Duration }

func (e *BusyError) Error() string {
	return fmt.Sprintf("too many password checks at once; retry after %s", e.RetryAfter)
}

// Do runs check when a slot is free. It refuses with *BusyError when the
// queue is full or no slot frees within MaxWait, and returns ctx's error
// when ctx ends first; check has not run then.
func (g *Gate) Do(ctx context.Context, check func()) error {
	select {
	case g.admitted <- struct{}{}:
	default:
		g.refused.Add(1)
		return &BusyError{RetryAfter: g.retryAfter}
	}
	defer func() { <-g.admitted }()
	select {
	case g.slots <- struct{}{}: // the common case: a free slot, no timer
	default:
		t := time.NewTimer(g.maxWait)
		defer t.Stop()
		select {
		case g.slots <- struct{}{}:
		case <-t.C:
			g.refused.Add(1)
			return &BusyError{RetryAfter: g.retryAfter}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	defer func() { <-g.slots }()
	g.checks.Add(1)
	check()
	return nil
}

// Checks is how many checks the gate has run.
func (g *Gate) Checks() int64 { return g.checks.Load() }

// Refused is how many checks the gate has refused.
func (g *Gate) Refused() int64 { return g.refused.Load() }
