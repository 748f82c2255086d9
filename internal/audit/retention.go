package audit

import (
	"bytes"
	"context"
	"crypto/hmac"
	"log/slog"
	"math"
	"time"

	"keywarden/internal/domain"
)

// Archive applies retention: it removes the events older than before, at
// most batch of them (the oldest first), and none after event keep (the
// audit streams pass their slowest position, so nothing is removed before
// it was delivered). The removed range leaves an archive
// mark, so the kept chain still verifies from there. It reports how many
// events it removed.
func (l *Log) Archive(ctx context.Context, before time.Time, keep int64, batch int) (int64, error) {
	var from int64
	var prev []byte
	err := l.store.ReadAuditSnapshot(ctx, func(st domain.AuditChainState, _ func(int64, func(domain.AuditEvent) error) error) error {
		if st.Archive != nil {
			from, prev = st.Archive.Seq, st.Archive.Hash
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	events, err := l.store.ScanAudit(ctx, from, batch)
	if err != nil {
		return 0, err
	}
	// Only a range that verifies is archived: tampering must stay for
	// Verify to find.
	var last *domain.AuditEvent
	for i := range events {
		e := &events[i]
		if !e.At.Before(before) || e.Seq > keep {
			break
		}
		switch {
		case e.Seq != from+int64(i)+1:
			return 0, &Break{Seq: from + int64(i) + 1, Reason: "event is missing: not archived"}
		case !bytes.Equal(e.PrevHash, prev) || !hmac.Equal(l.hash(*e), e.Hash):
			return 0, &Break{Seq: e.Seq, Reason: "event does not verify: not archived"}
		}
		prev, last = e.Hash, e
	}
	if last == nil {
		return 0, nil
	}
	return l.store.ArchiveAudit(ctx, domain.AuditArchive{Seq: last.Seq, Hash: last.Hash, ArchivedAt: l.now().UTC().Truncate(time.Microsecond),
		MAC: l.mark(labelArchive, last.Seq, last.Hash)})
}

// archiveBatch bounds one retention transaction.
const archiveBatch = 5000

// RunRetention removes, every interval until ctx ends, the events older
// than retention, in transactions of at most archiveBatch events, never
// past the event keep returns (the slowest audit stream's position; nil:
// no bound). Safe on several nodes at once: ArchiveAudit only moves the mark
// forward, under the chain head's lock.
func (l *Log) RunRetention(ctx context.Context, interval, retention time.Duration, keep func(context.Context) (int64, error), log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, err := l.ApplyRetention(ctx, retention, keep)
		switch {
		case err != nil && ctx.Err() == nil:
			log.Error("audit retention failed", "err", err)
		case n > 0:
			log.Info("audit retention removed old events", "count", n)
		}
	}
}

// ApplyRetention removes every event older than retention (see
// RunRetention) and reports how many it removed.
func (l *Log) ApplyRetention(ctx context.Context, retention time.Duration, keep func(context.Context) (int64, error)) (int64, error) {
	var total int64
	for ctx.Err() == nil {
		bound := int64(math.MaxInt64)
		if keep != nil {
			var err error
			if bound, err = keep(ctx); err != nil {
				return total, err
			}
		}
		n, err := l.Archive(ctx, l.now().Add(-retention), bound, archiveBatch)
		total += n
		if err != nil || n == 0 {
			return total, err
		}
	}
	return total, ctx.Err()
}
