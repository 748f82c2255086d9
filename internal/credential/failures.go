package credential

import (
	"cmp"
	"context"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"keywarden/internal/audit"
	"keywarden/internal/domain"
	"keywarden/internal/store"
)

// Bounds of the failure aggregation (docs/security.md, "Failed
// authentications").
const (
	// maxFailureKeys is how many (client or address, minute) groups wait
	// for a flush; failures past it are counted in one overflow group.
	maxFailureKeys = 10_000
	// maxFailureSamples is how many addresses (or, without an
	// organisation, client IDs) a group lists; the failures of the others
	// are only counted (failures_from_others).
	maxFailureSamples = 16
	// failuresPerTx is how many groups one flush transaction writes.
	failuresPerTx = 100
)

// failureKey groups failed client authentications: one client's in its
// organisation, or, with no organisation (an unknown client), one source
// address's; per minute.
type failureKey struct {
	org    domain.OrgID
	client domain.ClientID // "" when org is ""
	source string          // "" when org is set
	minute int64           // Unix minutes
}

type failureGroup struct {
	first, last time.Time
	count       int
	reasons     map[string]int
	samples     map[string]struct{}          // addresses, or client IDs without an organisation
	dropped     int                          // failures whose sample was not kept
	from        string                       // the latest failure's address
	reason      string                       // the latest failure's reason
	secrets     map[domain.SecretID]struct{} // the secrets the failures named (at most maxFailureSamples)
}

// failures aggregates failed authentications in memory, like usage does
// successes: the token path writes nothing when a brute force hits it;
// FlushFailures writes one audit event per group.
type failures struct {
	mu       sync.Mutex
	pending  map[failureKey]*failureGroup
	overflow int // failures of groups past maxFailureKeys
}

// record counts one failure. client is the presented client ID (kept, as
// a sample, only when it has the shape of one).
func (f *failures) record(org domain.OrgID, client domain.ClientID, secret domain.SecretID, source, reason string, at time.Time) {
	k := failureKey{org: org, minute: at.Unix() / 60}
	sample := source
	if org != "" {
		k.client = client
	} else {
		k.source = source
		sample = "unknown client"
		if client.Authenticates() {
			sample = string(client)
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	g := f.pending[k]
	if g == nil {
		if f.pending == nil {
			f.pending = map[failureKey]*failureGroup{}
		}
		if len(f.pending) >= maxFailureKeys {
			f.overflow++
			return
		}
		g = &failureGroup{first: at, reasons: map[string]int{}, samples: map[string]struct{}{}, secrets: map[domain.SecretID]struct{}{}}
		f.pending[k] = g
	}
	g.count++
	g.last, g.from, g.reason = at, source, reason
	if _, ok := g.secrets[secret]; secret != "" && !ok && len(g.secrets) < maxFailureSamples {
		g.secrets[secret] = struct{}{}
	}
	g.reasons[reason]++
	if _, ok := g.samples[sample]; !ok {
		if len(g.samples) < maxFailureSamples {
			g.samples[sample] = struct{}{}
		} else {
			g.dropped++
		}
	}
}

func (f *failures) take() (map[failureKey]*failureGroup, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, o := f.pending, f.overflow
	f.pending, f.overflow = nil, 0
	return p, o
}

// putBack re-queues groups whose flush failed (within the bound).
func (f *failures) putBack(p map[failureKey]*failureGroup) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.pending == nil {
		f.pending = map[failureKey]*failureGroup{}
	}
	for k, g := range p {
		cur := f.pending[k]
		switch {
		case cur == nil && len(f.pending) >= maxFailureKeys:
			f.overflow += g.count
		case cur == nil:
			f.pending[k] = g
		default:
			cur.count += g.count
			cur.first = minTime(cur.first, g.first)
			for x := range g.secrets {
				if len(cur.secrets) < maxFailureSamples {
					cur.secrets[x] = struct{}{}
				}
			}
			for r, n := range g.reasons {
				cur.reasons[r] += n
			}
			for s := range g.samples {
				if len(cur.samples) < maxFailureSamples {
					cur.samples[s] = struct{}{}
				} else {
					cur.dropped++
				}
			}
			cur.dropped += g.dropped
		}
	}
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// detail is what a group's audit event or log line says.
func (g *failureGroup) detail(samplesName string) map[string]string {
	reasons := slices.Sorted(maps.Keys(g.reasons))
	parts := make([]string, len(reasons))
	for i, r := range reasons {
		parts[i] = r + ": " + strconv.Itoa(g.reasons[r])
	}
	d := map[string]string{
		"count": strconv.Itoa(g.count), "reasons": strings.Join(parts, "; "), "reason": g.reason,
		"first_at": g.first.Format(time.RFC3339Nano), "last_at": g.last.Format(time.RFC3339Nano),
		samplesName: strings.Join(slices.Sorted(maps.Keys(g.samples)), ", "),
	}
	if g.dropped > 0 {
		d["failures_from_others"] = strconv.Itoa(g.dropped)
	}
	if len(g.secrets) > 0 {
		ids := make([]string, 0, len(g.secrets))
		for x := range g.secrets {
			ids = append(ids, string(x))
		}
		slices.Sort(ids)
		d["secret_ids"] = strings.Join(ids, ", ")
		if len(ids) == 1 {
			d["secret_id"] = ids[0]
		}
	}
	return d
}

// FlushFailures writes the aggregated failed client authentications: one
// audit event per client and minute, in transactions of at most
// failuresPerTx events. Failures with no organisation (unknown clients)
// have no audit log to go to: they go to log, one line per source address
// and minute, at warning level.
func (s *Service) FlushFailures(ctx context.Context, log *slog.Logger) error {
	p, overflow := s.failures.take()
	if overflow > 0 {
		log.WarnContext(ctx, "failed client authentications not aggregated: too many distinct clients and addresses at once",
			"count", overflow, "bound", maxFailureKeys)
	}
	keys := slices.SortedFunc(maps.Keys(p), func(a, b failureKey) int {
		return cmp.Or(cmp.Compare(a.minute, b.minute), cmp.Compare(a.org, b.org), cmp.Compare(a.client, b.client), cmp.Compare(a.source, b.source))
	})
	var orgful []failureKey
	for _, k := range keys {
		g := p[k]
		if k.org != "" {
			orgful = append(orgful, k)
			continue
		}
		args := []any{"source", k.source}
		for name, v := range g.detail("client_ids") {
			args = append(args, name, v)
		}
		log.WarnContext(ctx, "failed client authentications with no organization", args...)
		delete(p, k)
	}
	for batch := range slices.Chunk(orgful, failuresPerTx) {
		err := s.store.InTx(ctx, func(tx store.Tx) error {
			for _, k := range batch {
				g := p[k]
				actor := domain.ClientActor(k.org, k.client, g.from)
				if err := s.audit.Append(ctx, tx, audit.Entry{Actor: actor, Action: "client.authenticate", Target: string(k.client),
					Result: domain.ResultFailure, Detail: g.detail("addresses")}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			s.failures.putBack(p) // this batch and the ones after it
			return err
		}
		for _, k := range batch {
			delete(p, k)
		}
	}
	return nil
}

// RunFailureFlusher flushes the failed-authentication aggregate every
// interval until ctx ends, then once more.
func (s *Service) RunFailureFlusher(ctx context.Context, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			if err := s.FlushFailures(context.WithoutCancel(ctx), log); err != nil {
				log.Error("flush failed authentications", "err", err)
			}
			return
		case <-t.C:
			if err := s.FlushFailures(ctx, log); err != nil {
				log.Error("flush failed authentications", "err", err)
			}
		}
	}
}
