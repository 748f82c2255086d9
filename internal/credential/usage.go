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
	auditBatch = 20
	// finalFlushTimeout bounds the flush at shutdown.
	finalFlushTimeout = 10 * time.Second
	// minFlushTime is the least time a flush gets, however short the
	// interval: on a busy machine a very short one would otherwise cut
	// every flush before its first write.
	minFlushTime = time.Second
)

// UsageAuditPerOrg bounds the per-secret audit events of one flush for
// one organisation: its busiest secrets get one each (client.authenticate
// with the count of uses), the others share one summary event
// (client.authenticate.summary).
const UsageAuditPerOrg = 100

// usageKey is one secret, or one key (private_key_jwt), used from one
// organisation's client.
type usageKey struct {
	org    domain.OrgID
	client domain.ClientID
	secret domain.SecretID
	key    domain.ClientKeyID
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

func (u *usage) record(k usageKey, at time.Time, from string) {
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
	slices.SortFunc(out, func(a, b pendingUse) int {
		return cmp.Or(cmp.Compare(a.key.secret, b.key.secret), cmp.Compare(a.key.key, b.key.key))
	})
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
// aggregated audit events (usageEvents), in transactions of their own, so that the last-used writes never hold
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
		var keyUses []domain.ClientKeyUse
		for _, e := range part {
			switch {
			case e.stored:
			case e.key.key != "":
				keyUses = append(keyUses, domain.ClientKeyUse{KeyID: e.key.key, At: e.last, From: e.from})
			default:
				uses = append(uses, domain.SecretUse{SecretID: e.key.secret, At: e.last, From: e.from})
			}
		}
		if err := s.store.TouchLastUsed(ctx, uses); err != nil {
			errs = append(errs, err)
			break
		}
		if err := s.store.TouchKeysLastUsed(ctx, keyUses); err != nil {
			errs = append(errs, err)
			break
		}
		for _, e := range part {
			e.stored = true
		}
	}
	events := usageEvents(p)
	done := 0
	for done < len(events) && len(errs) == 0 {
		part := events[done:min(done+auditBatch, len(events))]
		err := s.store.InTx(ctx, func(tx store.Tx) error {
			for _, ev := range part {
				if err := s.audit.Append(ctx, tx, ev.entry); err != nil {
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
	var left []pendingUse
	for _, ev := range events[done:] {
		left = append(left, ev.uses...)
	}
	s.usage.putBack(left)
	return errors.Join(errs...)
}

// usageEvent is one audit event of a flush and the uses it covers.
type usageEvent struct {
	entry audit.Entry
	uses  []pendingUse
}

// usageEvents turns a flush into audit events: for each organisation, one
// event for each of its UsageAuditPerOrg busiest secrets (how many uses,
// first and last), and one summary event for the rest (how many clients,
// secrets and uses, first and last), so that a flush writes a bounded
// number of events however many clients are in use. The last-used time of
// every secret is stored whatever its event.
func usageEvents(p []pendingUse) []usageEvent {
	byOrg := map[domain.OrgID][]pendingUse{}
	var orgs []domain.OrgID
	for _, e := range p {
		if _, ok := byOrg[e.key.org]; !ok {
			orgs = append(orgs, e.key.org)
		}
		byOrg[e.key.org] = append(byOrg[e.key.org], e)
	}
	slices.Sort(orgs)
	var out []usageEvent
	for _, org := range orgs {
		uses := byOrg[org]
		slices.SortStableFunc(uses, func(a, b pendingUse) int { return cmp.Compare(b.count, a.count) })
		n := min(len(uses), UsageAuditPerOrg)
		for _, e := range uses[:n] {
			out = append(out, usageEvent{entry: audit.Entry{Actor: domain.ClientActor(org, e.key.client, e.from), Action: "client.authenticate",
				Target: string(e.key.client), Detail: e.detail()},
				uses: []pendingUse{e}})
		}
		rest := uses[n:]
		if len(rest) == 0 {
			continue
		}
		clients := map[domain.ClientID]bool{}
		total := 0
		first, last := rest[0].first, rest[0].last
		for _, e := range rest {
			clients[e.key.client] = true
			total += e.count
			if e.first.Before(first) {
				first = e.first
			}
			if e.last.After(last) {
				last = e.last
			}
		}
		out = append(out, usageEvent{entry: audit.Entry{Actor: domain.System(org, "usage"), Action: "client.authenticate.summary",
			Detail: map[string]string{"clients": strconv.Itoa(len(clients)), "secrets": strconv.Itoa(len(rest)), "count": strconv.Itoa(total),
				"first_at": first.Format(time.RFC3339Nano), "last_at": last.Format(time.RFC3339Nano)}},
			uses: rest})
	}
	return out
}

// detail is the audit detail of one secret's or key's uses.
func (e pendingUse) detail() map[string]string {
	d := map[string]string{"count": strconv.Itoa(e.count),
		"first_at": e.first.Format(time.RFC3339Nano), "last_at": e.last.Format(time.RFC3339Nano)}
	if e.key.key != "" {
		d["key_id"], d["method"] = string(e.key.key), "private_key_jwt"
	} else {
		d["secret_id"] = string(e.key.secret)
	}
	return d
}

// RunUsageFlusher flushes every interval until ctx ends, then once more
// (bounded by finalFlushTimeout) so that shutdown writes the last batch.
// Each flush is bounded by the interval (at least minFlushTime): what it
// cannot write in time waits for the next one, and ticks that come while
// it runs are dropped, so flushes never pile up.
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
			fctx, cancel := context.WithTimeout(ctx, max(interval, minFlushTime))
			err := s.FlushUsage(fctx)
			cancel()
			if err != nil && ctx.Err() == nil {
				onError(err)
			}
		}
	}
}
