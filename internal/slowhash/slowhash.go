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
	// Sleep waits d or until ctx ends, for Imitate; nil: a timer. Tests
	// set it to control time.
	Sleep func(ctx context.Context, d time.Duration) error
	// Recalibrate is how old the last real check may be before Imitate
	// runs its calibration as a real check again (DefaultRecalibrate when
	// 0): the measure follows the machine's load, and a flood of made-up
	// identifiers still costs at most one hash per interval.
	Recalibrate time.Duration
	// Now is the clock Recalibrate is measured with; nil: time.Now.
	Now func() time.Time
}

// DefaultRecalibrate is how often, at most, Imitate runs a real check to
// keep its measure current.
const DefaultRecalibrate = 30 * time.Second

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
	sleep      func(context.Context, time.Duration) error
	took       atomic.Int64 // a moving average of what a check takes, ns; 0 until one ran
	lastCheck  atomic.Int64 // when the last real check ended, Unix ns
	recal      time.Duration
	now        func() time.Time
	checks     atomic.Int64
	imitated   atomic.Int64
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
		maxWait: o.MaxWait, retryAfter: o.RetryAfter, sleep: o.Sleep, recal: o.Recalibrate, now: o.Now}
	if g.recal <= 0 {
		g.recal = DefaultRecalibrate
	}
	if g.now == nil {
		g.now = time.Now
	}
	if g.sleep == nil {
		g.sleep = sleepCtx
	}
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
	release, err := g.acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	g.run(check)
	return nil
}

// Imitate costs the caller what Do costs, without the work: it takes a
// turn as Do does (the same queue, the same refusals) and holds it for as
// long as checks have recently taken. It stands in for a check against a
// hash that does not exist (an unknown client or email, no supplied
// secret to compare with): the answer's timing and the gate's admission
// tell nothing, but such guesses cannot be turned into CPU load, so a
// flood of made-up identifiers costs the token path nothing beyond the
// per-address limits (issue 9, rule 9; docs/security.md, "Slow hashing").
// Until a check has run there is no measure yet, and calibrate runs as the
// check instead; so it does when the last real check is older than
// Options.Recalibrate, so that the measure follows the load.
func (g *Gate) Imitate(ctx context.Context, calibrate func()) error {
	release, err := g.acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	took := time.Duration(g.took.Load())
	if took == 0 || g.now().UnixNano()-g.lastCheck.Load() > int64(g.recal) {
		g.run(calibrate)
		return nil
	}
	g.imitated.Add(1)
	return g.sleep(ctx, took)
}

// acquire takes a turn: a slot now, or a place in the queue and a slot
// within MaxWait.
func (g *Gate) acquire(ctx context.Context) (release func(), err error) {
	select {
	case g.admitted <- struct{}{}:
	default:
		g.refused.Add(1)
		return nil, &BusyError{RetryAfter: g.retryAfter}
	}
	select {
	case g.slots <- struct{}{}: // the common case: a free slot, no timer
	default:
		t := time.NewTimer(g.maxWait)
		defer t.Stop()
		select {
		case g.slots <- struct{}{}:
		case <-t.C:
			<-g.admitted
			g.refused.Add(1)
			return nil, &BusyError{RetryAfter: g.retryAfter}
		case <-ctx.Done():
			<-g.admitted
			return nil, ctx.Err()
		}
	}
	return func() { <-g.slots; <-g.admitted }, nil
}

// run runs check and folds its duration into the moving average (weight
// 1/8), which Imitate holds a turn for. A lost update between two
// concurrent checks only skips one sample.
func (g *Gate) run(check func()) {
	g.checks.Add(1)
	start := time.Now()
	check()
	d := int64(time.Since(start))
	g.lastCheck.Store(g.now().UnixNano())
	if old := g.took.Load(); old == 0 {
		g.took.Store(d)
	} else {
		g.took.Store(old + (d-old)/8)
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Checks is how many checks the gate has run.
func (g *Gate) Checks() int64 { return g.checks.Load() }

// Turns is how many turns the gate has given: checks run and imitated.
func (g *Gate) Turns() int64 { return g.checks.Load() + g.imitated.Load() }

// Imitated is how many checks Imitate stood in for without running one.
func (g *Gate) Imitated() int64 { return g.imitated.Load() }

// Refused is how many checks the gate has refused.
func (g *Gate) Refused() int64 { return g.refused.Load() }
