package webhook_test

import (
	"encoding/json"
	"errors"
	"testing"

	"keywarden/internal/domain"
	"keywarden/internal/webhook"
)

// TestSendTest: a test event goes through the outbox like any event — to
// an endpoint that selects other events only, signed with the client's
// secrets, logged as a delivery, audited — and is refused while there is
// no endpoint to send to.
func TestSendTest(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	rcv := newReceiver(t)
	c := e.client(t, rcv.URL, webhook.TypeSecretRevoked)
	s := e.secret(t, c.ID)

	m, err := e.hooks.SendTest(ctx, e.admin, c.ID)
	if err != nil {
		t.Fatalf("SendTest: %v", err)
	}
	if m.EventType != webhook.TypeTest || m.Status != domain.WebhookPending || m.ClientID != c.ID {
		t.Fatalf("queued message = %+v", m)
	}
	if got := e.message(t, c.ID, webhook.TypeTest); got.ID != m.ID {
		t.Fatalf("the delivery log has %s, want %s", got.ID, m.ID)
	}
	e.dispatch(t)
	got := rcv.ofType(webhook.TypeTest)
	if len(got) != 1 {
		t.Fatalf("the receiver got %d test events, want 1 (all: %d)", len(got), len(rcv.deliveries()))
	}
	if !verifies(t, got[0], e.clock.Now(), s.Value.Reveal()) {
		t.Error("the test event does not verify with the client's secret")
	}
	if got[0].Header.Get("webhook-id") != m.ID {
		t.Errorf("webhook-id = %q, want %s", got[0].Header.Get("webhook-id"), m.ID)
	}
	var body struct {
		Type string `json:"type"`
		Data struct {
			ClientID string `json:"client_id"`
			SentBy   string `json:"sent_by"`
		} `json:"data"`
	}
	if err := json.Unmarshal(got[0].Body, &body); err != nil || body.Type != webhook.TypeTest || body.Data.ClientID != string(c.ID) ||
		body.Data.SentBy != e.admin.ID {
		t.Errorf("payload = %s (%v)", got[0].Body, err)
	}
	if sent := e.message(t, c.ID, webhook.TypeTest); sent.Status != domain.WebhookDelivered {
		t.Errorf("after dispatch the delivery is %s, want delivered", sent.Status)
	}
	events, _, err := e.audit.List(ctx, e.admin.OrgID, domain.AuditFilter{Action: "webhook.test"})
	if err != nil || len(events) != 1 || events[0].Target != m.ID {
		t.Errorf("audit webhook.test = %+v, %v; want one, for %s", events, err, m.ID)
	}

	// No endpoint: refused, nothing queued.
	none := e.client(t, "")
	var conflict *domain.ConflictError
	if _, err := e.hooks.SendTest(ctx, e.admin, none.ID); !errors.As(err, &conflict) {
		t.Errorf("SendTest without a webhook URL = %v, want a conflict", err)
	}
	if n := len(e.messages(t, none.ID)); n != 0 {
		t.Errorf("%d messages queued for a client without a webhook URL", n)
	}
	// Another organisation's client, or one that does not exist: not found.
	if _, err := e.hooks.SendTest(ctx, e.admin, "kwc_nosuchclient"); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("SendTest for an unknown client = %v, want not found", err)
	}
}
