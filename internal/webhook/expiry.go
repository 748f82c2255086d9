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
	{"expiring-14d", 14},
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
// soon: for each notice it reads, by index range, only the secrets whose
// most urgent due notice is that one and is not recorded yet, and records
// them a batch (expiryBatch) per transaction. A pass over secrets already
// noticed writes nothing.
func (s *Service) RunExpiry(ctx context.Context) (int, error) {
	now := s.clock()
	sent := 0
	for _, b := range expiryBuckets(now) {
		after := ""
		for {
			list, err := s.o.Store.ListUnnoticedSecrets(ctx, b.notice, b.from, b.to, after, expiryBatch)
			if err != nil {
				return sent, fmt.Errorf("list secrets due for %s: %w", b.notice, err)
			}
			if len(list) == 0 {
				break
			}
			n, err := s.notifyBatch(ctx, list, now)
			sent += n
			if err != nil {
				return sent, err
			}
			if len(list) < expiryBatch {
				break
			}
			last := list[len(list)-1]
			after = domain.Cursor{At: *last.ExpiresAt, ID: string(last.ID)}.Encode()
		}
	}
	return sent, nil
}

// expiryBatch is how many secrets' notices one transaction records.
const expiryBatch = 100

// expiryBucket is the expiry range, at some moment, of the secrets whose
// most urgent due notice is notice.
type expiryBucket struct {
	notice   string
	from, to time.Time // (from, to]
}

// expiryBuckets are the ranges of dueNotices at now: expired within the
// lookback, then each notice's window up to the next one's.
func expiryBuckets(now time.Time) []expiryBucket {
	out := []expiryBucket{{noticeExpired, now.Add(-ExpiryLookback - time.Microsecond), now}}
	lower := now
	for i := len(expiryNotices) - 1; i >= 0; i-- {
		upper := now.Add(time.Duration(expiryNotices[i].days) * 24 * time.Hour)
		out = append(out, expiryBucket{expiryNotices[i].name, lower, upper})
		lower = upper
	}
	return out
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

// notify records, in tx, the notices due for x and sends the most urgent
// one, if this call was the one to record it.
func (s *Service) notify(ctx context.Context, tx store.Tx, x domain.Secret, now time.Time) (bool, error) {
	if x.ExpiresAt == nil {
		return false, nil
	}
	due := dueNotices(*x.ExpiresAt, now)
	if len(due) == 0 {
		return false, nil
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
