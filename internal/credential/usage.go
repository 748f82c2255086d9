package credential

import (
	"context"
	"strconv"
	"sync"
	"time"

	"keywarden/internal/audit"
	"keywarden/internal/domain"
	"keywarden/internal/store"
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
	u.mu.Unlock()
}

func (u *usage) take() map[usageKey]*usageEntry {
	u.mu.Lock()
	defer u.mu.Unlock()
	p := u.pending
	u.pending = nil
	return p
}

// putBack re-queues entries whose flush failed, merging with new ones.
func (u *usage) putBack(p map[usageKey]*usageEntry) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.pending == nil {
		u.pending = map[usageKey]*usageEntry{}
	}
	for k, old := range p {
		if cur := u.pending[k]; cur != nil {
			cur.count += old.count
			if old.first.Before(cur.first) {
				cur.first = old.first
			}
			continue
		}
		u.pending[k] = old
	}
}

// FlushUsage writes the batched last-used times and their audit events.
func (s *Service) FlushUsage(ctx context.Context) error {
	p := s.usage.take()
	if len(p) == 0 {
		return nil
	}
	uses := make([]domain.SecretUse, 0, len(p))
	for k, e := range p {
		uses = append(uses, domain.SecretUse{SecretID: k.secret, At: e.last, From: e.from})
	}
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		if err := tx.TouchLastUsed(ctx, uses); err != nil {
			return err
		}
		for k, e := range p {
			actor := domain.ClientActor(k.org, k.client, e.from)
			if err := s.audit.Append(ctx, tx, audit.Entry{Actor: actor, Action: "client.authenticate", Target: string(k.client),
				Detail: map[string]string{"secret_id": string(k.secret), "count": strconv.Itoa(e.count),
					"first_at": e.first.Format(time.RFC3339Nano), "last_at": e.last.Format(time.RFC3339Nano)}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		s.usage.putBack(p)
		return err
	}
	return nil
}

// RunUsageFlusher flushes every interval until ctx ends, then once more.
func (s *Service) RunUsageFlusher(ctx context.Context, interval time.Duration, onError func(error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			if err := s.FlushUsage(context.WithoutCancel(ctx)); err != nil {
				onError(err)
			}
			return
		case <-t.C:
			if err := s.FlushUsage(ctx); err != nil {
				onError(err)
			}
		}
	}
}
