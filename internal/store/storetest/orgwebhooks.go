package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"keywarden/internal/domain"
	"keywarden/internal/store"
)

// Organisation webhook endpoints: their rows, their messages (which share
// the outbox with the clients' endpoints) and the organisation notices.

func newOrgEndpoint(org domain.OrgID, created time.Time) domain.OrgWebhookEndpoint {
	return domain.OrgWebhookEndpoint{
		ID: domain.NewID("owe_"), OrgID: org, URL: "https://hooks.example.com/keywarden", Description: "SOC",
		Events: []string{"credential.revoked", "webhook.*"}, SecretSealed: randomBytes(48), SecretCreatedAt: created,
		CreatedAt: created, UpdatedAt: created,
	}
}

func mustOrgEndpoint(t *testing.T, s store.Data, org domain.OrgID, created time.Time) domain.OrgWebhookEndpoint {
	t.Helper()
	e := newOrgEndpoint(org, created)
	if err := s.CreateOrgWebhookEndpoint(t.Context(), e); err != nil {
		t.Fatalf("CreateOrgWebhookEndpoint: %v", err)
	}
	return e
}

func sameOrgEndpoint(a, b domain.OrgWebhookEndpoint) bool {
	return a.ID == b.ID && a.OrgID == b.OrgID && a.URL == b.URL && a.Description == b.Description && slices.Equal(a.Events, b.Events) &&
		bytes.Equal(a.SecretSealed, b.SecretSealed) && a.SecretCreatedAt.Equal(b.SecretCreatedAt) && bytes.Equal(a.PreviousSealed, b.PreviousSealed) &&
		sameTime(a.PreviousUntil, b.PreviousUntil) && sameTime(a.FailingSince, b.FailingSince) && sameTime(a.ExhaustedAt, b.ExhaustedAt) &&
		sameTime(a.DisabledAt, b.DisabledAt) && a.DisabledReason == b.DisabledReason && a.CreatedAt.Equal(b.CreatedAt) && a.UpdatedAt.Equal(b.UpdatedAt)
}

func endpointMessage(e domain.OrgWebhookEndpoint, created time.Time) domain.WebhookMessage {
	due := created
	return domain.WebhookMessage{
		ID: domain.NewID("msg_"), OrgID: e.OrgID, EndpointID: e.ID, EventType: "credential.revoked",
		Payload:   []byte(`{"type":"credential.revoked","timestamp":"2031-03-04T05:06:07Z","data":{}}`),
		CreatedAt: created, Status: domain.WebhookPending, RetryFrom: created, NextAttemptAt: &due,
	}
}

func testOrgWebhookEndpoints(t *testing.T, s store.Store) {
	ctx := t.Context()
	o, other := mustOrg(t, s, "Acme"), mustOrg(t, s, "Globex")
	e := mustOrgEndpoint(t, s, o.ID, at(0))
	e2 := mustOrgEndpoint(t, s, o.ID, at(1))
	e2.Events = nil
	if _, err := s.UpdateOrgWebhookEndpoint(ctx, o.ID, e2.ID, func(x *domain.OrgWebhookEndpoint) error { x.Events = nil; return nil }); err != nil {
		t.Fatalf("UpdateOrgWebhookEndpoint: %v", err)
	}
	if err := s.CreateOrgWebhookEndpoint(ctx, e); !errors.Is(err, domain.ErrConflict) {
		t.Errorf("CreateOrgWebhookEndpoint twice = %v, want ErrConflict", err)
	}
	got, err := s.GetOrgWebhookEndpoint(ctx, o.ID, e.ID)
	if err != nil || !sameOrgEndpoint(got, e) {
		t.Fatalf("GetOrgWebhookEndpoint = %+v, %v; want %+v", got, err, e)
	}
	if _, err := s.GetOrgWebhookEndpoint(ctx, other.ID, e.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("GetOrgWebhookEndpoint from another organisation = %v, want ErrNotFound", err)
	}
	if _, err := s.UpdateOrgWebhookEndpoint(ctx, other.ID, e.ID, func(*domain.OrgWebhookEndpoint) error { return nil }); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("UpdateOrgWebhookEndpoint from another organisation = %v, want ErrNotFound", err)
	}
	if err := s.DeleteOrgWebhookEndpoint(ctx, other.ID, e.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("DeleteOrgWebhookEndpoint from another organisation = %v, want ErrNotFound", err)
	}
	list, err := s.ListOrgWebhookEndpoints(ctx, o.ID)
	if err != nil || len(list) != 2 || !sameOrgEndpoint(list[0], e) || !sameOrgEndpoint(list[1], e2) {
		t.Fatalf("ListOrgWebhookEndpoints = %+v, %v; want [e, e2] oldest first", list, err)
	}
	if list, err := s.ListOrgWebhookEndpoints(ctx, other.ID); err != nil || len(list) != 0 {
		t.Errorf("ListOrgWebhookEndpoints(other) = %d, %v; want none", len(list), err)
	}

	// Every field an update may change round-trips, the nullable ones too.
	want := e
	want.URL, want.Description, want.Events = "https://soc.example.com/in", "", []string{"*"}
	want.PreviousSealed, want.PreviousUntil, want.SecretSealed, want.SecretCreatedAt = e.SecretSealed, ptr(at(60)), randomBytes(48), at(5)
	want.FailingSince, want.ExhaustedAt, want.DisabledAt, want.DisabledReason, want.UpdatedAt = ptr(at(6)), ptr(at(7)), ptr(at(8)), "failing", at(8)
	if got, err := s.UpdateOrgWebhookEndpoint(ctx, o.ID, e.ID, func(x *domain.OrgWebhookEndpoint) error { *x = want; return nil }); err != nil || !sameOrgEndpoint(got, want) {
		t.Fatalf("UpdateOrgWebhookEndpoint = %+v, %v; want %+v", got, err, want)
	}
	if got, _ := s.GetOrgWebhookEndpoint(ctx, o.ID, e.ID); !sameOrgEndpoint(got, want) {
		t.Errorf("after update GetOrgWebhookEndpoint = %+v; want %+v", got, want)
	}
	// ErrNoChange writes nothing; another error rolls back.
	boom := errors.New("boom")
	if _, err := s.UpdateOrgWebhookEndpoint(ctx, o.ID, e.ID, func(x *domain.OrgWebhookEndpoint) error { x.URL = "https://x.example"; return boom }); !errors.Is(err, boom) {
		t.Errorf("UpdateOrgWebhookEndpoint with an error = %v, want it", err)
	}
	if got, _ := s.GetOrgWebhookEndpoint(ctx, o.ID, e.ID); got.URL != want.URL {
		t.Errorf("a failed update changed the URL to %q", got.URL)
	}
	back := want
	back.PreviousSealed, back.PreviousUntil, back.FailingSince, back.ExhaustedAt, back.DisabledAt, back.DisabledReason = nil, nil, nil, nil, nil, ""
	if got, err := s.UpdateOrgWebhookEndpoint(ctx, o.ID, e.ID, func(x *domain.OrgWebhookEndpoint) error { *x = back; return nil }); err != nil || !sameOrgEndpoint(got, back) {
		t.Fatalf("UpdateOrgWebhookEndpoint clearing = %+v, %v; want %+v", got, err, back)
	}

	// Organisations with an enabled endpoint.
	e3 := mustOrgEndpoint(t, s, other.ID, at(2))
	if _, err := s.UpdateOrgWebhookEndpoint(ctx, other.ID, e3.ID, func(x *domain.OrgWebhookEndpoint) error { x.DisabledAt = ptr(at(3)); return nil }); err != nil {
		t.Fatal(err)
	}
	orgs, err := s.ListOrgWebhookOrgs(ctx, "", 100)
	if err != nil || !slices.Contains(orgs, o.ID) || slices.Contains(orgs, other.ID) {
		t.Errorf("ListOrgWebhookOrgs = %v, %v; want %s and not %s (its only endpoint is disabled)", orgs, err, o.ID, other.ID)
	}
	if after, err := s.ListOrgWebhookOrgs(ctx, o.ID, 100); err != nil || slices.Contains(after, o.ID) {
		t.Errorf("ListOrgWebhookOrgs after %s = %v, %v; want it left out", o.ID, after, err)
	}

	// Messages for an endpoint have no client; a client's list does not
	// show them, nor the endpoint's list a client's.
	c := mustClient(t, s, o.ID)
	cm := mustMessage(t, s, newMessage(c, at(10)))
	var made []domain.WebhookMessage
	for i := range 3 {
		made = append(made, mustMessage(t, s, endpointMessage(e, at(11+i))))
	}
	m, err := s.GetWebhookMessage(ctx, o.ID, made[0].ID)
	if err != nil || m.EndpointID != e.ID || m.ClientID != "" || !sameMessage(m, made[0]) {
		t.Fatalf("GetWebhookMessage = %+v, %v; want the endpoint's message without a client", m, err)
	}
	page, next, err := s.ListEndpointWebhookMessages(ctx, o.ID, e.ID, domain.WebhookFilter{Page: domain.Page{Limit: 2}})
	if err != nil || !slices.Equal(messageIDs(page), []string{made[2].ID, made[1].ID}) || next == "" {
		t.Fatalf("ListEndpointWebhookMessages = %v, %q, %v; want the newest two and a cursor", messageIDs(page), next, err)
	}
	page, next, err = s.ListEndpointWebhookMessages(ctx, o.ID, e.ID, domain.WebhookFilter{Page: domain.Page{Limit: 2, After: next}})
	if err != nil || !slices.Equal(messageIDs(page), []string{made[0].ID}) || next != "" {
		t.Errorf("second page = %v, %q, %v; want the oldest and no cursor", messageIDs(page), next, err)
	}
	if page, _, err := s.ListWebhookMessages(ctx, o.ID, c.ID, domain.WebhookFilter{}); err != nil || !slices.Equal(messageIDs(page), []string{cm.ID}) {
		t.Errorf("the client's messages = %v, %v; want only its own", messageIDs(page), err)
	}
	if page, _, err := s.ListEndpointWebhookMessages(ctx, other.ID, e.ID, domain.WebhookFilter{}); err != nil || len(page) != 0 {
		t.Errorf("the endpoint's messages from another organisation = %v, %v; want none", messageIDs(page), err)
	}
	// A message with neither target, or both, is refused.
	bad := endpointMessage(e, at(20))
	bad.ClientID = c.ID
	if err := s.CreateWebhookMessage(ctx, bad); err == nil {
		t.Errorf("CreateWebhookMessage for a client and an endpoint at once succeeded")
	}

	// Claims, finish, replay and counts work the same for them.
	claimed, err := s.ClaimWebhookMessages(ctx, at(100), at(101), "clm_x", 10)
	if err != nil || len(claimed) != 4 {
		t.Fatalf("ClaimWebhookMessages = %d, %v; want 4 (the client's and the endpoint's)", len(claimed), err)
	}
	for _, m := range claimed {
		m.Status, m.NextAttemptAt, m.Attempts = domain.WebhookFailed, nil, 1
		if err := s.FinishWebhookMessage(ctx, m, "clm_x"); err != nil {
			t.Fatalf("FinishWebhookMessage: %v", err)
		}
		if err := s.AddWebhookAttempt(ctx, domain.WebhookAttempt{ID: domain.NewID("att_"), MessageID: m.ID, OrgID: m.OrgID, ClientID: m.ClientID,
			At: at(100), URL: "https://hooks.example.com/keywarden", Error: "HTTP 500"}); err != nil {
			t.Fatalf("AddWebhookAttempt: %v", err)
		}
	}
	if n, err := s.CountFailedEndpointWebhookMessages(ctx, o.ID, e.ID, at(12), 100); err != nil || n != 2 {
		t.Errorf("CountFailedEndpointWebhookMessages since the second = %d, %v; want 2", n, err)
	}
	if n, err := s.ReplayEndpointWebhookMessages(ctx, o.ID, e.ID, at(0), false, at(200), time.Second, 100); err != nil || n != 3 {
		t.Errorf("ReplayEndpointWebhookMessages = %d, %v; want 3", n, err)
	}
	if n, err := s.CountFailedWebhookMessages(ctx, o.ID, c.ID, at(0), 100); err != nil || n != 1 {
		t.Errorf("the client's failed messages after replaying the endpoint's = %d, %v; want 1 (untouched)", n, err)
	}

	// Deleting the endpoint deletes its messages and their attempts.
	if err := s.DeleteOrgWebhookEndpoint(ctx, o.ID, e.ID); err != nil {
		t.Fatalf("DeleteOrgWebhookEndpoint: %v", err)
	}
	if _, err := s.GetOrgWebhookEndpoint(ctx, o.ID, e.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("GetOrgWebhookEndpoint after delete = %v, want ErrNotFound", err)
	}
	if _, err := s.GetWebhookMessage(ctx, o.ID, made[0].ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("the deleted endpoint's message = %v, want ErrNotFound", err)
	}
	if _, err := s.GetWebhookMessage(ctx, o.ID, cm.ID); err != nil {
		t.Errorf("the client's message after deleting the endpoint: %v", err)
	}
	if err := s.DeleteOrgWebhookEndpoint(ctx, o.ID, e.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("DeleteOrgWebhookEndpoint twice = %v, want ErrNotFound", err)
	}
}

// testConcurrentOrgEndpointUpdates races updates of different fields and
// rotations of one endpoint: every change lands (a lost update would drop
// one).
func testConcurrentOrgEndpointUpdates(t *testing.T, s store.Store) {
	ctx := t.Context()
	o := mustOrg(t, s, "Acme")
	e := mustOrgEndpoint(t, s, o.ID, at(0))
	e.Events = nil
	if _, err := s.UpdateOrgWebhookEndpoint(ctx, o.ID, e.ID, func(x *domain.OrgWebhookEndpoint) error { x.Events = nil; return nil }); err != nil {
		t.Fatal(err)
	}
	const n = 12
	var wg sync.WaitGroup
	errs := make([]error, 2*n)
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() { // appends an event selector
			<-start
			_, errs[i] = s.UpdateOrgWebhookEndpoint(ctx, o.ID, e.ID, func(x *domain.OrgWebhookEndpoint) error {
				x.Events = append(x.Events, fmt.Sprintf("e%02d", i))
				return nil
			})
		})
		wg.Go(func() { // rotates: the current secret becomes the previous one
			<-start
			_, errs[n+i] = s.UpdateOrgWebhookEndpoint(ctx, o.ID, e.ID, func(x *domain.OrgWebhookEndpoint) error {
				x.PreviousSealed = x.SecretSealed
				x.SecretSealed = append(append([]byte{}, x.SecretSealed...), byte(i))
				return nil
			})
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("update %d: %v", i, err)
		}
	}
	got, err := s.GetOrgWebhookEndpoint(ctx, o.ID, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Events) != n {
		t.Errorf("%d selectors after %d concurrent appends, want %d: %q", len(got.Events), n, n, got.Events)
	}
	if len(got.SecretSealed) != len(e.SecretSealed)+n || !bytes.Equal(got.PreviousSealed, got.SecretSealed[:len(got.SecretSealed)-1]) {
		t.Errorf("after %d concurrent rotations the secret grew by %d bytes, want %d, and the previous one is the one before it",
			n, len(got.SecretSealed)-len(e.SecretSealed), n)
	}
}

func testWebhookOrgNoticesOnce(t *testing.T, s store.Store) {
	ctx := t.Context()
	o, other := mustOrg(t, s, "Acme"), mustOrg(t, s, "Globex")
	n := domain.WebhookOrgNotice{OrgID: o.ID, Notice: "expiring-summary", Period: at(0), RecordedAt: at(1)}
	var wg sync.WaitGroup
	won := make([]bool, 6)
	errs := make([]error, 6)
	for i := range won {
		wg.Go(func() { won[i], errs[i] = s.RecordWebhookOrgNotice(ctx, n) })
	}
	wg.Wait()
	wins := 0
	for i := range won {
		if errs[i] != nil {
			t.Fatalf("RecordWebhookOrgNotice: %v", errs[i])
		}
		if won[i] {
			wins++
		}
	}
	if wins != 1 {
		t.Errorf("%d of 6 concurrent RecordWebhookOrgNotice calls won, want 1", wins)
	}
	for _, x := range []domain.WebhookOrgNotice{
		{OrgID: o.ID, Notice: "expiring-summary", Period: at(60), RecordedAt: at(61)},
		{OrgID: other.ID, Notice: "expiring-summary", Period: at(0), RecordedAt: at(1)},
	} {
		if ok, err := s.RecordWebhookOrgNotice(ctx, x); err != nil || !ok {
			t.Errorf("RecordWebhookOrgNotice(%+v) = %v, %v; want a win (another period or organisation)", x, ok, err)
		}
	}
	// Inside a transaction that rolls back, the gate rolls back too.
	rollback := errors.New("rollback")
	x := domain.WebhookOrgNotice{OrgID: o.ID, Notice: "expiring-summary", Period: at(120), RecordedAt: at(121)}
	_ = s.InTx(ctx, func(tx store.Tx) error {
		if ok, err := tx.RecordWebhookOrgNotice(ctx, x); err != nil || !ok {
			t.Errorf("RecordWebhookOrgNotice in a transaction = %v, %v", ok, err)
		}
		return rollback
	})
	if ok, err := s.RecordWebhookOrgNotice(ctx, x); err != nil || !ok {
		t.Errorf("RecordWebhookOrgNotice after a rollback = %v, %v; want a win", ok, err)
	}

	// The organisation's expiring secrets, in (from, to].
	c := mustClient(t, s, o.ID)
	c2 := mustClient(t, s, other.ID)
	var want []domain.SecretID
	for i := range 4 {
		x := generatedSecret(c, at(0))
		x.ExpiresAt = ptr(at(10 + i))
		mustSecret(t, s, x)
		if i > 0 && i < 3 {
			want = append(want, x.ID)
		}
	}
	y := generatedSecret(c2, at(0))
	y.ExpiresAt = ptr(at(11))
	mustSecret(t, s, y)
	got, err := s.ListOrgExpiringSecrets(ctx, o.ID, at(10), at(12), 100)
	if err != nil || !slices.Equal(secretIDs(got), want) {
		t.Errorf("ListOrgExpiringSecrets = %v, %v; want %v", secretIDs(got), err, want)
	}
}
