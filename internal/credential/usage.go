package credential

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"
	"time"

	"keywarden/internal/audit"
	"keywarden/internal/domain"
	"keywarden/internal/store"
)

// Batches of a usage flush. Each batch is a transaction of its own, kept
// short so that admin writes never wait long behind one.
const (
	// usageBatch bounds the secrets of one last-used write.
	usageBatch = 500
	// auditBatch bounds the audit events of one transaction, which holds
	// the audit chain's head until it commits.
	auditBatch = 100
	// finalFlushTimeout bounds the flush at shutdown.
	finalFlushTimeout = 10 * time.Second
)

// usageKey is one secret used from one organisation's client.
type usageKey struct {
	org    domain.OrgID
	client domain.ClientID
	secret domain.SecretID
}

type usageEntry struct {
	first, last time.Time
	from        string
	count       int
	// stored is set once the last-used time is written, so that a batch
	// put back after a failed audit write is not written twice.
	stored bool
}

// usage batches successful authentications in memory: the token path
// writes nothing; FlushUsage stores last-used times and one aggregated
// audit event per secret.
type usage struct {
	mu      sync.Mutex
	pending map[usageKey]*usageEntry
}

func (u *usage) record(org domain.OrgID, client domain.ClientID, secret domain.SecretID, at time.Time, from string) {
	k := usageKey{org, client, secret}
	u.mu.Lock()
	e := u.pending[k]
	if e == nil {
		if u.pending == nil {
			u.pending = map[usageKey]*usageEntry{}
		}
		e = &usageEntry{first: at}
		u.pending[k] = e
	}
	if at.After(e.last) {
		e.last, e.from = at, from
	}
	e.count++
	e.stored = false
	u.mu.Unlock()
}

// pendingUse is one entry of a flush.
type pendingUse struct {
	key usageKey
	*usageEntry
}

// take removes every pending use, ordered by secret ID: the order in which
// every node locks the rows, so that two flushes never deadlock.
func (u *usage) take() []pendingUse {
	u.mu.Lock()
	p := u.pending
	u.pending = nil
	u.mu.Unlock()
	out := make([]pendingUse, 0, len(p))
	for k, e := range p {
		out = append(out, pendingUse{k, e})
	}
	slices.SortFunc(out, func(a, b pendingUse) int { return cmp.Compare(a.key.secret, b.key.secret) })
	return out
}

// putBack re-queues entries a flush did not finish, merging them with
// newer ones: counts add up, the earliest first and the latest last use
// win.
func (u *usage) putBack(p []pendingUse) {
	if len(p) == 0 {
		return
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.pending == nil {
		u.pending = map[usageKey]*usageEntry{}
	}
	for _, old := range p {
		cur := u.pending[old.key]
		if cur == nil {
			u.pending[old.key] = old.usageEntry
			continue
		}
		cur.count += old.count
		if old.first.Before(cur.first) {
			cur.first = old.first
		}
		if old.last.After(cur.last) {
			cur.last, cur.from = old.last, old.from
		}
	}
}

// Pending reports how many secrets have uses not yet flushed.
func (s *Service) Pending() int {
	s.usage.mu.Lock()
	defer s.usage.mu.Unlock()
	return len(s.usage.pending)
}

// FlushUsage writes the batched last-used times, in batches of bounded
// size ordered by secret ID, each its own short transaction; then the
// aggregated audit events (one per secret: how many uses, first and last),
// in transactions of their own, so that the last-used writes never hold
// the audit chain's head. What ctx's end leaves unwritten is queued again
// for the next flush.
func (s *Service) FlushUsage(ctx context.Context) error {
	p := s.usage.take()
	if len(p) == 0 {
		return nil
	}
	var errs []error
	for i := 0; i < len(p); i += usageBatch {
		part := p[i:min(i+usageBatch, len(p))]
		uses := make([]domain.SecretUse, 0, len(part))
		for _, e := range part {
			if !e.stored {
				uses = append(uses, domain.SecretUse{SecretID: e.key.secret, At: e.last, From: e.from})
			}
		}
		if err := s.store.TouchLastUsed(ctx, uses); err != nil {
			errs = append(errs, err)
			break
		}
		for _, e := range part {
			e.stored = true
		}
	}
	done := 0
	for done < len(p) && len(errs) == 0 {
		part := p[done:min(done+auditBatch, len(p))]
		err := s.store.InTx(ctx, func(tx store.Tx) error {
			for _, e := range part {
				actor := domain.ClientActor(e.key.org, e.key.client, e.from)
				if err := s.audit.Append(ctx, tx, audit.Entry{Actor: actor, Action: "client.authenticate", Target: string(e.key.client),
					Detail: map[string]string{"secret_id": string(e.key.secret), "count": strconv.Itoa(e.count),
						"first_at": e.first.Format(time.RFC3339Nano), "last_at": e.last.Format(time.RFC3339Nano)}}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			errs = append(errs, err)
			break
		}
		done += len(part)
	}
	// The audit events not written keep their entries (a last-used time
	// already stored is not written again).
	s.usage.putBack(p[done:])
	return errors.Join(errs...)
}

// RunUsageFlusher flushes every interval until ctx ends, then once more
// (bounded by finalFlushTimeout) so that shutdown writes the last batch.
// Each flush is bounded by the interval: what it cannot write in time
// waits for the next one, so flushes never pile up.
func (s *Service) RunUsageFlusher(ctx context.Context, interval time.Duration, onError func(error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finalFlushTimeout)
			err := s.FlushUsage(fctx)
			cancel()
			if err != nil {
				onError(err)
			}
			return
		case <-t.C:
			fctx, cancel := context.WithTimeout(ctx, interval)
			err := s.FlushUsage(fctx)
			cancel()
			if err != nil && ctx.Err() == nil {
				onError(err)
			}
		}
	}
}
