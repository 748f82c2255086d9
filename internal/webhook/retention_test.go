package webhook_test

import (
	"errors"
	"testing"
	"time"

	"keywarden/internal/domain"
	"keywarden/internal/webhook"
)

// TestRetentionKeepsTheMetadata: after PayloadRetention a finished
// delivery keeps its record but loses its payload and the receiver's
// excerpts; after LogRetention it is gone; a pending one is untouched.
func TestRetentionKeepsTheMetadata(t *testing.T) {
	e := newEnv(t, func(o *webhook.Options) {
		o.PayloadRetention = 30 * 24 * time.Hour
		o.LogRetention = 90 * 24 * time.Hour
	})
	r := newReceiver(t)
	c := e.client(t, r.URL)
	e.secret(t, c.ID)
	e.dispatch(t)
	m := e.message(t, c.ID, webhook.TypeSecretCreated)

	e.clock.Add(29 * 24 * time.Hour)
	if p, n, err := e.hooks.Retain(t.Context()); err != nil || p != 0 || n != 0 {
		t.Fatalf("Retain at 29 days = %d, %d, %v; want nothing", p, n, err)
	}
	e.clock.Add(2 * 24 * time.Hour)
	if p, n, err := e.hooks.Retain(t.Context()); err != nil || p < 1 || n != 0 {
		t.Fatalf("Retain at 31 days = %d, %d, %v; want payloads deleted, no message", p, n, err)
	}
	d, err := e.hooks.GetDelivery(t.Context(), e.admin, c.ID, m.ID)
	if err != nil || len(d.Message.Payload) != 0 || d.Message.PayloadDeletedAt == nil || d.Message.Status != domain.WebhookDelivered ||
		len(d.Attempts) != 1 || d.Attempts[0].ResponseExcerpt != "" || d.Attempts[0].StatusCode != 204 {
		t.Errorf("delivery after 31 days = %+v, %v; want its metadata and attempt without payload or excerpt", d, err)
	}
	if _, err := e.hooks.Redeliver(t.Context(), e.admin, c.ID, m.ID); !errors.Is(err, domain.ErrConflict) {
		t.Errorf("Redeliver without a payload: err = %v, want ErrConflict", err)
	}
	e.clock.Add(60 * 24 * time.Hour)
	if _, n, err := e.hooks.Retain(t.Context()); err != nil || n < 1 {
		t.Fatalf("Retain at 91 days = %d, %v; want the messages deleted", n, err)
	}
	if _, err := e.hooks.GetDelivery(t.Context(), e.admin, c.ID, m.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("delivery after 91 days: err = %v, want ErrNotFound", err)
	}
}

// TestDeletePayloadNow: an operator deletes a pending delivery's payload
// at once; it fails, is never sent, and the deletion is audited once.
func TestDeletePayloadNow(t *testing.T) {
	e := newEnv(t)
	r := newReceiver(t)
	c := e.client(t, r.URL)
	e.secret(t, c.ID)
	m := e.message(t, c.ID, webhook.TypeSecretCreated)
	for range 2 {
		d, err := e.hooks.DeletePayload(t.Context(), e.admin, c.ID, m.ID)
		if err != nil || len(d.Message.Payload) != 0 || d.Message.Status != domain.WebhookFailed {
			t.Fatalf("DeletePayload = %+v, %v; want failed without payload", d.Message, err)
		}
	}
	if n := e.dispatch(t); n != 0 || len(r.deliveries()) != 0 {
		t.Errorf("a delivery without payload was sent (%d claimed)", n)
	}
	if _, err := e.hooks.DeletePayload(t.Context(), e.admin, c.ID, "msg_doesnotexist0000000000"); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("DeletePayload of an unknown delivery: err = %v, want ErrNotFound", err)
	}
	events, _, _ := e.audit.List(t.Context(), e.admin.OrgID, domain.AuditFilter{Action: "webhook.payload_delete"})
	if len(events) != 1 || events[0].Target != m.ID {
		t.Errorf("webhook.payload_delete audit = %+v; want one", events)
	}
}
