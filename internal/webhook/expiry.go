package webhook

import (
	"context"
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

const expiryPage = 200

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
func (s *Service) RunExpiry(ctx context.Context) (int, error) {
	now := s.clock()
	sent := 0
	after := ""
	for {
		list, err := s.o.Store.ListExpiringSecrets(ctx, now.Add(-ExpiryLookback), now.Add(14*24*time.Hour), after, expiryPage)
		if err != nil {
			return sent, fmt.Errorf("list expiring secrets: %w", err)
		}
		for _, x := range list {
			ok, err := s.notify(ctx, x, now)
			if err != nil {
				return sent, fmt.Errorf("expiry notice for %s: %w", x.ID, err)
			}
			if ok {
				sent++
			}
		}
		if len(list) < expiryPage {
			return sent, nil
		}
		last := list[len(list)-1]
		after = domain.Cursor{At: *last.ExpiresAt, ID: string(last.ID)}.Encode()
	}
}

// notify records the notices due for x and sends the most urgent one, if
// this call was the one to record it.
func (s *Service) notify(ctx context.Context, x domain.Secret, now time.Time) (bool, error) {
	if x.ExpiresAt == nil {
		return false, nil
	}
	due := dueNotices(*x.ExpiresAt, now)
	if len(due) == 0 {
		return false, nil
	}
	sent := false
	err := s.o.Store.InTx(ctx, func(tx store.Tx) error {
		sent = false
		cur, err := tx.GetSecret(ctx, x.OrgID, x.ID)
		if err != nil || cur.RevokedAt != nil || cur.ExpiresAt == nil || !cur.ExpiresAt.Equal(*x.ExpiresAt) {
			return nil // revoked, edited or deleted since the list was read
		}
		for i, notice := range due {
			recorded, err := tx.RecordWebhookNotice(ctx, domain.WebhookNotice{SecretID: x.ID, OrgID: x.OrgID, Notice: notice,
				ExpiresAt: *x.ExpiresAt, RecordedAt: now})
			if err != nil {
				return err
			}
			if !recorded || i < len(due)-1 {
				continue
			}
			sent = true
			if notice == noticeExpired {
				if err := s.o.Audit.Append(ctx, tx, audit.Entry{Actor: domain.System(x.OrgID, "expiry-scheduler"), Action: "secret.expire",
					Target: string(x.ID), Detail: map[string]string{"client_id": string(x.ClientID), "expires_at": x.ExpiresAt.UTC().Format(time.RFC3339)}}); err != nil {
					return err
				}
				return s.outbox.Enqueue(ctx, tx, SecretExpired(cur, *x.ExpiresAt))
			}
			return s.outbox.Enqueue(ctx, tx, SecretExpiring(cur, noticeDays(notice), now))
		}
		return nil
	})
	return sent, err
}

func noticeDays(notice string) int {
	for _, n := range expiryNotices {
		if n.name == notice {
			return n.days
		}
	}
	return 0
}
