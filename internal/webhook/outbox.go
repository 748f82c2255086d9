package webhook

import (
	"context"
	"errors"
	"fmt"
	"time"

	"keywarden/internal/domain"
	"keywarden/internal/store"
)

// Outbox writes events into the caller's transaction. A nil *Outbox
// enqueues nothing, for tools and tests that run without webhooks.
type Outbox struct {
	now func() time.Time
}

// NewOutbox returns an Outbox; now is time.Now when nil.
func NewOutbox(now func() time.Time) *Outbox {
	if now == nil {
		now = time.Now
	}
	return &Outbox{now: now}
}

// Enqueue writes one outbox row per event whose client has a webhook
// endpoint that selects the event's type. tx must be the transaction of the
// change the events describe: the rows commit, or roll back, with it.
func (o *Outbox) Enqueue(ctx context.Context, tx store.Tx, events ...Event) error {
	if o == nil || len(events) == 0 {
		return nil
	}
	now := o.now().UTC().Truncate(time.Microsecond)
	clients := map[domain.ClientID]*domain.Client{}
	for _, e := range events {
		c, ok := clients[e.ClientID]
		if !ok {
			got, err := tx.GetClient(ctx, e.OrgID, e.ClientID)
			switch {
			case errors.Is(err, domain.ErrNotFound):
			case err != nil:
				return fmt.Errorf("webhook %s: client %s: %w", e.Type, e.ClientID, err)
			default:
				c = &got
			}
			clients[e.ClientID] = c
		}
		if c == nil || c.WebhookURL == "" || !Wants(c.WebhookEvents, e.Type) {
			continue
		}
		body, err := Payload(e)
		if err != nil {
			return err
		}
		due := now
		m := domain.WebhookMessage{
			ID: domain.NewID(PrefixMessage), OrgID: e.OrgID, ClientID: e.ClientID, EventType: e.Type, Payload: body,
			CreatedAt: now, Status: domain.WebhookPending, RetryFrom: now, NextAttemptAt: &due,
		}
		if err := tx.CreateWebhookMessage(ctx, m); err != nil {
			return fmt.Errorf("webhook %s: enqueue: %w", e.Type, err)
		}
	}
	return nil
}
