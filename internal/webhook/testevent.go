package webhook

import (
	"context"

	"keywarden/internal/audit"
	"keywarden/internal/domain"
	"keywarden/internal/store"
)

// TypeTest is the event an operator sends to check an endpoint ("Send test
// event" in the console). It is not one of Types(): no change causes it,
// and an endpoint receives it whatever events it selects.
const TypeTest = "webhook.test"

// testData is webhook.test's data: which client it is for, who sent it.
type testData struct {
	ClientID   domain.ClientID `json:"client_id"`
	ClientName string          `json:"client_name"`
	SentBy     string          `json:"sent_by"`
	Message    string          `json:"message"`
}

// SendTest queues a webhook.test event for the client's endpoint: an
// outbox row like any event's, so the dispatcher signs, sends, retries and
// logs it like every delivery. It is refused (a ConflictError) while the
// client has no webhook URL or its endpoint is disabled.
func (s *Service) SendTest(ctx context.Context, by domain.Actor, clientID domain.ClientID) (domain.WebhookMessage, error) {
	var m domain.WebhookMessage
	err := s.o.Store.InTx(ctx, func(tx store.Tx) error {
		c, err := getClient(ctx, tx, by.OrgID, clientID)
		if err != nil {
			return err
		}
		if err := s.canSend(ctx, tx, c, "POST …/webhook/enable"); err != nil {
			return err
		}
		now := s.clock()
		body, err := Payload(Event{Type: TypeTest, OrgID: c.OrgID, ClientID: c.ID, At: now, Data: testData{
			ClientID: c.ID, ClientName: c.Name, SentBy: by.ID,
			Message: "A test event sent from Keywarden to check this endpoint; it describes no change.",
		}})
		if err != nil {
			return err
		}
		due := now
		m = domain.WebhookMessage{
			ID: domain.NewID(PrefixMessage), OrgID: c.OrgID, ClientID: c.ID, EventType: TypeTest, Payload: body,
			CreatedAt: now, Status: domain.WebhookPending, RetryFrom: now, NextAttemptAt: &due,
		}
		if err := tx.CreateWebhookMessage(ctx, m); err != nil {
			return err
		}
		return s.o.Audit.Append(ctx, tx, audit.Entry{Actor: by, Action: "webhook.test", Target: m.ID,
			Detail: map[string]string{"client_id": string(c.ID)}})
	})
	return m, err
}
