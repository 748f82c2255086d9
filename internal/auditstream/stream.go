package auditstream

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"math"
	"strings"
	"sync"
	"time"

	"keywarden/internal/domain"
	"keywarden/internal/store"
)

// Options configure a Streamer.
type Options struct {
	Store        store.Store
	Destinations []Destination
	// Interval is how often an idle stream looks for new events (1s when
	// zero); a stream that sent a full batch goes on at once.
	Interval time.Duration
	// Lease is how long a node holds a stream after each claim (10s when
	// zero): a node that stops (or is killed) hands its streams over to
	// the others after at most that long.
	Lease time.Duration
	// Batch bounds the events of one send (500 when zero).
	Batch int
	// OrgStreams, when set, makes the Streamer also send the streams
	// organisations configured (store.AuditStreams.ListAuditStreams),
	// each with only its organisation's events: it reads the table every
	// Interval, starting new streams and stopping deleted ones. It turns
	// a stored stream into its destination (unsealing the token).
	OrgStreams func(domain.AuditStream) (Destination, error)
	Log        *slog.Logger
	Now        func() time.Time
}

// Streamer sends the audit log to its destinations, one goroutine each.
type Streamer struct {
	o     Options
	owner string // this node, in the leases
}

// New returns a Streamer.
func New(o Options) *Streamer {
	if o.Interval <= 0 {
		o.Interval = time.Second
	}
	if o.Lease <= 0 {
		o.Lease = 10 * time.Second
	}
	if o.Batch <= 0 {
		o.Batch = 500
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	b := make([]byte, 8)
	rand.Read(b)
	return &Streamer{o: o, owner: "node-" + hex.EncodeToString(b)}
}

// StreamID is the store's name of an installation-wide destination.
func StreamID(d Destination) string { return "install:" + d.Name }

// Ensure creates the store's position of every destination that has
// none: a new destination starts at the oldest event kept.
func (s *Streamer) Ensure(ctx context.Context) error {
	for _, d := range s.o.Destinations {
		if err := s.o.Store.EnsureAuditStream(ctx, StreamID(d), "", 0, s.o.Now()); err != nil {
			return err
		}
	}
	return nil
}

// Keep is the last event retention may remove: nothing a destination has
// not received yet (math.MaxInt64 without destinations).
func (s *Streamer) Keep(ctx context.Context) (int64, error) {
	ids := make([]string, len(s.o.Destinations))
	for i, d := range s.o.Destinations {
		ids[i] = StreamID(d)
	}
	if s.o.OrgStreams != nil {
		orgs, err := s.o.Store.ListAuditStreams(ctx, "")
		if err != nil {
			return 0, err
		}
		for _, as := range orgs {
			ids = append(ids, as.ID)
		}
	}
	min, ok, err := s.o.Store.SlowestAuditStream(ctx, ids)
	if err != nil || !ok {
		return math.MaxInt64, err
	}
	return min, nil
}

// Run streams until ctx ends.
func (s *Streamer) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, d := range s.o.Destinations {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.run(ctx, d, StreamID(d), "")
		}()
	}
	if s.o.OrgStreams != nil {
		s.runOrgStreams(ctx, &wg)
	}
	wg.Wait()
}

// runOrgStreams starts and stops the organisations' streams as they are
// created and deleted, reading the table every Interval until ctx ends.
func (s *Streamer) runOrgStreams(ctx context.Context, wg *sync.WaitGroup) {
	running := map[string]context.CancelFunc{}
	defer func() {
		for _, stop := range running {
			stop()
		}
	}()
	t := time.NewTicker(s.o.Interval)
	defer t.Stop()
	for {
		list, err := s.o.Store.ListAuditStreams(ctx, "")
		if err != nil && ctx.Err() == nil {
			s.o.Log.Warn("audit streams of the organisations not read", "err", err)
		}
		if err == nil {
			seen := map[string]bool{}
			for _, as := range list {
				seen[as.ID] = true
				if running[as.ID] != nil {
					continue
				}
				d, err := s.o.OrgStreams(as)
				if err != nil {
					s.o.Log.Error("audit stream not started", "stream", as.ID, "org", as.OrgID, "err", err)
					continue
				}
				sctx, stop := context.WithCancel(ctx)
				running[as.ID] = stop
				wg.Add(1)
				go func() {
					defer wg.Done()
					s.run(sctx, d, as.ID, as.OrgID)
				}()
			}
			for id, stop := range running {
				if !seen[id] {
					stop()
					delete(running, id)
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// stream is one destination's state on this node.
type stream struct {
	s    *Streamer
	d    Destination
	id   string
	org  domain.OrgID // "" for the whole installation
	sink sink
	// pending is the last event sent but not yet confirmed (syslog);
	// 0 when nothing is pending.
	pending int64
	log     *slog.Logger
}

func (s *Streamer) run(ctx context.Context, d Destination, id string, org domain.OrgID) {
	st := &stream{s: s, d: d, id: id, org: org, sink: newSink(d), log: s.o.Log.With("stream", d.Name)}
	if org != "" {
		st.log = st.log.With("org", org)
	}
	defer st.stop()
	if org == "" {
		if err := s.o.Store.EnsureAuditStream(ctx, st.id, "", 0, s.o.Now()); err != nil && ctx.Err() == nil {
			st.log.Error("audit stream", "err", err)
		}
	}
	failures := 0
	var wait time.Duration
	for {
		if wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		} else if ctx.Err() != nil {
			return
		}
		full, err := st.round(ctx)
		switch {
		case err != nil && ctx.Err() != nil:
			return
		case err != nil:
			failures++
			st.recordFailure(ctx, err)
			wait = min(s.o.Interval<<min(failures, 5), 30*time.Second)
			if failures == 1 || failures%10 == 0 {
				st.log.Warn("audit stream delivery failed; retrying", "destination", d.String(), "failures", failures, "err", err)
			}
		default:
			if failures > 0 {
				st.log.Info("audit stream delivering again", "destination", d.String())
			}
			failures = 0
			wait = s.o.Interval
			if full {
				wait = 0
			}
		}
	}
}

// recordFailure stores a failed round in the stream's health (what
// GET /v1/audit/streams shows), when this node holds its lease.
func (st *stream) recordFailure(ctx context.Context, err error) {
	msg := err.Error()
	if len(msg) > maxErrorLen {
		msg = strings.ToValidUTF8(msg[:maxErrorLen], "") + "…"
	}
	o := st.s.o
	if err := o.Store.FailAuditStream(ctx, st.id, st.s.owner, msg, o.Now()); err != nil && !errors.Is(err, domain.ErrConflict) && ctx.Err() == nil {
		st.log.Warn("audit stream failure not recorded", "err", err)
	}
}

// maxErrorLen bounds a stored failure message.
const maxErrorLen = 500

// round claims the stream, confirms what is pending, and sends the next
// batch. It reports whether the batch was full (more may be waiting).
func (st *stream) round(ctx context.Context) (bool, error) {
	o := st.s.o
	now := o.Now()
	pos, ok, err := o.Store.ClaimAuditStream(ctx, st.id, st.s.owner, now, now.Add(o.Lease))
	if err != nil {
		return false, err
	}
	if !ok { // another node sends it
		st.pending = 0
		st.sink.close()
		return false, nil
	}
	if st.pending > pos {
		if err := st.sink.confirm(); err != nil {
			st.log.Info("audit stream resending what the receiver may not have read", "from", pos+1, "to", st.pending, "reason", err)
		} else if err := o.Store.AdvanceAuditStream(ctx, st.id, st.s.owner, pos, st.pending, o.Now()); err != nil {
			st.pending = 0
			return false, err
		} else {
			pos = st.pending
		}
	}
	st.pending = 0
	var events []domain.AuditEvent
	if st.org == "" {
		events, err = o.Store.ScanAudit(ctx, pos, o.Batch)
	} else {
		events, err = o.Store.ScanOrgAudit(ctx, st.org, pos, o.Batch)
	}
	if err != nil || len(events) == 0 {
		return false, err
	}
	recs := make([]Record, len(events))
	for i, e := range events {
		recs[i] = NewRecord(e)
	}
	sendCtx, cancel := context.WithTimeout(ctx, o.Lease/2)
	err = st.sink.send(sendCtx, recs)
	cancel()
	if err != nil {
		return false, err
	}
	last := events[len(events)-1].Seq
	if !st.sink.acknowledges() {
		st.pending = last
		return len(events) == o.Batch, nil
	}
	return len(events) == o.Batch, o.Store.AdvanceAuditStream(ctx, st.id, st.s.owner, pos, last, o.Now())
}

// stop records what is confirmed, releases the lease and closes the sink.
func (st *stream) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	o := st.s.o
	if st.pending > 0 && st.sink.confirm() == nil {
		if pos, ok, err := o.Store.ClaimAuditStream(ctx, st.id, st.s.owner, o.Now(), o.Now().Add(o.Lease)); err == nil && ok && st.pending > pos {
			if err := o.Store.AdvanceAuditStream(ctx, st.id, st.s.owner, pos, st.pending, o.Now()); err != nil && !errors.Is(err, domain.ErrConflict) {
				st.log.Warn("audit stream position not saved at stop", "err", err)
			}
		}
	}
	o.Store.ReleaseAuditStream(ctx, st.id, st.s.owner)
	st.sink.close()
}
