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

// Enqueue writes one outbox row per event for the client's webhook
// endpoint, when the event has a client, that client has an endpoint that
// selects the event's type and the event is not OrgOnly; and one per
// endpoint of the event's organisation whose selection wants it (but
// NotTo). tx must be the transaction of the change the events describe:
// the rows commit, or roll back, with it. An organisation's endpoints are
// read once per call, disabled ones too: their messages fail at delivery
// and a re-enable can replay them, as a client's.
func (o *Outbox) Enqueue(ctx context.Context, tx store.Tx, events ...Event) error {
	if o == nil || len(events) == 0 {
		return nil
	}
	now := o.now().UTC().Truncate(time.Microsecond)
	clients := map[domain.ClientID]*domain.Client{}
	orgs := map[domain.OrgID][]domain.OrgWebhookEndpoint{}
	for _, e := range events {
		var body []byte
		write := func(clientID domain.ClientID, endpointID string) error {
			if body == nil {
				var err error
				if body, err = Payload(e); err != nil {
					return err
				}
			}
			due := now
			m := domain.WebhookMessage{
				ID: domain.NewID(PrefixMessage), OrgID: e.OrgID, ClientID: clientID, EndpointID: endpointID, EventType: e.Type, Payload: body,
				CreatedAt: now, Status: domain.WebhookPending, RetryFrom: now, NextAttemptAt: &due,
			}
			if err := tx.CreateWebhookMessage(ctx, m); err != nil {
				return fmt.Errorf("webhook %s: enqueue: %w", e.Type, err)
			}
			return nil
		}
		if e.ClientID != "" && !e.OrgOnly {
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
			if c != nil && c.WebhookURL != "" && Wants(c.WebhookEvents, e.Type) {
				if err := write(e.ClientID, ""); err != nil {
					return err
				}
			}
		}
		eps, ok := orgs[e.OrgID]
		if !ok {
			var err error
			if eps, err = tx.ListOrgWebhookEndpoints(ctx, e.OrgID); err != nil {
				return fmt.Errorf("webhook %s: organisation endpoints: %w", e.Type, err)
			}
			orgs[e.OrgID] = eps
		}
		for _, ep := range eps {
			if ep.ID == e.NotTo || !Wants(ep.Events, e.Type) {
				continue
			}
			if err := write("", ep.ID); err != nil {
				return err
			}
		}
	}
	return nil
}
