package webhook

import (
	"context"
	"errors"
	"fmt"
	"time"

	"keywarden/internal/audit"
	"keywarden/internal/domain"
	"keywarden/internal/store"
)

// Expiry notices, least urgent first.
var expiryNotices = []struct {
	name string
	days int
}{
	{"expiring-14d", int(domain.ExpiryNoticeLead / (24 * time.Hour))},
	{"expiring-7d", 7},
	{"expiring-1d", 1},
}

const noticeExpired = "expired"

// ExpiryLookback is how far back the scheduler looks for secrets that
// expired without their notice (a server that was down): older expiries
// are left alone, so that turning webhooks on does not announce years of
// history.
const ExpiryLookback = 7 * 24 * time.Hour

// dueNotices returns the notices that are due for a secret expiring at
// expires, at now, least urgent first: the last one is the one to send, the
// earlier ones are moot (recorded without an event).
func dueNotices(expires, now time.Time) []string {
	var due []string
	left := expires.Sub(now)
	for _, n := range expiryNotices {
		if left <= time.Duration(n.days)*24*time.Hour {
			due = append(due, n.name)
		}
	}
	if left <= 0 {
		due = append(due, noticeExpired)
	}
	return due
}

// RunExpiry sends the expiry notices that are due: secret.expiring 14, 7
// and 1 days before a secret expires, and secret.expired (with an audit
// event, "secret.expire") once it has. It is safe to run on every node at
// once, as often as one likes: each notice is gated by a unique row, so it
// is sent once. It returns how many notices it sent.
//
// The work is bounded by what is due, not by how many secrets expire
// soon: each secret carries when its next notice is due (the store sets
// the first when the secret is created or its expiry changes, and clears
// it when the secret is revoked); a pass reads, by index range, only the
// secrets whose next notice is due now, records their notices and moves
// each on to its next notice, a batch (expiryBatch) per transaction.
// Between notices the range is empty: an idle pass is one index probe.
func (s *Service) RunExpiry(ctx context.Context) (int, error) {
	now := s.clock()
	sent := 0
	after := ""
	for {
		list, next, err := s.o.Store.ListSecretsDueNotice(ctx, now, after, expiryBatch)
		if err != nil {
			return sent, fmt.Errorf("list secrets due for an expiry notice: %w", err)
		}
		if len(list) > 0 {
			n, err := s.notifyBatch(ctx, list, now)
			sent += n
			if err != nil {
				return sent, err
			}
		}
		if next == "" {
			return sent, nil
		}
		after = next
	}
}

// expiryBatch is how many secrets' notices one transaction records.
const expiryBatch = 100

// nextNoticeAt is when the first notice after now of a secret expiring at
// expires is due, nil when none is left (the "expired" one is due).
func nextNoticeAt(expires, now time.Time) *time.Time {
	for _, n := range expiryNotices {
		if t := expires.Add(-time.Duration(n.days) * 24 * time.Hour); t.After(now) {
			return &t
		}
	}
	if expires.After(now) {
		return &expires
	}
	return nil
}

// notifyBatch records the notices due for list in one transaction and
// returns how many it sent.
func (s *Service) notifyBatch(ctx context.Context, list []domain.Secret, now time.Time) (int, error) {
	sent := 0
	err := s.o.Store.InTx(ctx, func(tx store.Tx) error {
		sent = 0
		for _, x := range list {
			ok, err := s.notify(ctx, tx, x, now)
			if err != nil {
				return fmt.Errorf("expiry notice for %s: %w", x.ID, err)
			}
			if ok {
				sent++
			}
		}
		return nil
	})
	return sent, err
}

// notify records, in tx, the notices due for x, sends the most urgent
// one, if this call was the one to record it, and schedules x's next
// notice. A secret that expired before the lookback gets none.
func (s *Service) notify(ctx context.Context, tx store.Tx, x domain.Secret, now time.Time) (bool, error) {
	if x.ExpiresAt == nil {
		return false, nil
	}
	next := nextNoticeAt(*x.ExpiresAt, now)
	due := dueNotices(*x.ExpiresAt, now)
	if x.ExpiresAt.Before(now.Add(-ExpiryLookback)) {
		due = nil
	}
	// Conditional on the expiry the list read: an edit since rescheduled
	// the secret from its new expiry, a revocation unscheduled it.
	if ok, err := tx.ScheduleSecretNotice(ctx, x.OrgID, x.ID, *x.ExpiresAt, next); err != nil || !ok || len(due) == 0 {
		return false, err
	}
	cur, err := tx.GetSecret(ctx, x.OrgID, x.ID)
	if errors.Is(err, domain.ErrNotFound) || (err == nil && (cur.RevokedAt != nil || cur.ExpiresAt == nil || !cur.ExpiresAt.Equal(*x.ExpiresAt))) {
		return false, nil // revoked, edited or deleted since the list was read
	}
	if err != nil {
		return false, err
	}
	for i, notice := range due {
		recorded, err := tx.RecordWebhookNotice(ctx, domain.WebhookNotice{SecretID: x.ID, OrgID: x.OrgID, Notice: notice,
			ExpiresAt: *x.ExpiresAt, RecordedAt: now})
		if err != nil {
			return false, err
		}
		if !recorded || i < len(due)-1 {
			continue
		}
		if notice == noticeExpired {
			if err := s.o.Audit.Append(ctx, tx, audit.Entry{Actor: domain.System(x.OrgID, "expiry-scheduler"), Action: "secret.expire",
				Target: string(x.ID), Detail: map[string]string{"client_id": string(x.ClientID), "expires_at": x.ExpiresAt.UTC().Format(time.RFC3339)}}); err != nil {
				return false, err
			}
			return true, s.outbox.Enqueue(ctx, tx, SecretExpired(cur, *x.ExpiresAt))
		}
		return true, s.outbox.Enqueue(ctx, tx, SecretExpiring(cur, noticeDays(notice), now))
	}
	return false, nil
}

func noticeDays(notice string) int {
	for _, n := range expiryNotices {
		if n.name == notice {
			return n.days
		}
	}
	return 0
}
