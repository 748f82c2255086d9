package storetest

import (
	"bytes"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"keywarden/internal/domain"
	"keywarden/internal/store"
)

// Webhook outbox, delivery log, endpoint health and expiry notices.

func newMessage(c domain.Client, created time.Time) domain.WebhookMessage {
	due := created
	return domain.WebhookMessage{
		ID: domain.NewID("msg_"), OrgID: c.OrgID, ClientID: c.ID, EventType: "secret.created",
		Payload:   []byte(`{"type":"secret.created","timestamp":"2031-03-04T05:06:07Z","data":{"hint":"x7Qa","ü":"✓"}}`),
		CreatedAt: created, Status: domain.WebhookPending, RetryFrom: created, NextAttemptAt: &due,
	}
}

func mustMessage(t *testing.T, s store.Store, m domain.WebhookMessage) domain.WebhookMessage {
	t.Helper()
	if err := s.CreateWebhookMessage(t.Context(), m); err != nil {
		t.Fatalf("CreateWebhookMessage: %v", err)
	}
	return m
}

func sameMessage(a, b domain.WebhookMessage) bool {
	return a.ID == b.ID && a.OrgID == b.OrgID && a.ClientID == b.ClientID && a.EventType == b.EventType &&
		bytes.Equal(a.Payload, b.Payload) && a.CreatedAt.Equal(b.CreatedAt) && a.Status == b.Status &&
		a.Attempts == b.Attempts && a.RetryCount == b.RetryCount && a.RetryFrom.Equal(b.RetryFrom) &&
		sameTime(a.NextAttemptAt, b.NextAttemptAt) && sameTime(a.LastAttemptAt, b.LastAttemptAt) &&
		a.LastStatusCode == b.LastStatusCode && a.LastError == b.LastError && sameTime(a.DeliveredAt, b.DeliveredAt)
}

func messageIDs(ms []domain.WebhookMessage) []string {
	ids := make([]string, len(ms))
	for i, m := range ms {
		ids[i] = m.ID
	}
	return ids
}

func testClientWebhookEvents(t *testing.T, s store.Store) {
	ctx := t.Context()
	o := mustOrg(t, s, "Acme")
	c := newClient(o.ID, base)
	c.WebhookEvents = []string{"secret.*", "client.disabled"}
	if err := s.CreateClient(ctx, c); err != nil {
		t.Fatalf("CreateClient: %v", err)
	}
	got, err := s.GetClient(ctx, o.ID, c.ID)
	if err != nil || !slices.Equal(got.WebhookEvents, c.WebhookEvents) {
		t.Fatalf("GetClient WebhookEvents = %q, %v; want %q", got.WebhookEvents, err, c.WebhookEvents)
	}
	got.WebhookEvents = nil
	if err := putClient(ctx, s, got); err != nil {
		t.Fatalf("UpdateClient: %v", err)
	}
	if got, err := s.GetClient(ctx, o.ID, c.ID); err != nil || len(got.WebhookEvents) != 0 {
		t.Errorf("WebhookEvents after clearing = %q, %v; want none (every event)", got.WebhookEvents, err)
	}
}

func testWebhookMessages(t *testing.T, s store.Store) {
	ctx := t.Context()
	o, other := mustOrg(t, s, "Acme"), mustOrg(t, s, "Globex")
	c := mustClient(t, s, o.ID)
	c2 := mustClient(t, s, o.ID)
	var made []domain.WebhookMessage
	for i := range 5 {
		made = append(made, mustMessage(t, s, newMessage(c, at(i))))
	}
	mustMessage(t, s, newMessage(c2, at(2)))

	got, err := s.GetWebhookMessage(ctx, o.ID, made[0].ID)
	if err != nil || !sameMessage(got, made[0]) {
		t.Errorf("GetWebhookMessage = %+v, %v; want %+v", got, err, made[0])
	}
	if _, err := s.GetWebhookMessage(ctx, other.ID, made[0].ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("GetWebhookMessage from another organisation: err = %v, want ErrNotFound", err)
	}
	if err := s.CreateWebhookMessage(ctx, made[0]); !errors.Is(err, domain.ErrConflict) {
		t.Errorf("CreateWebhookMessage twice: err = %v, want ErrConflict", err)
	}

	// Newest first, two at a time, the other client's left out.
	var seen []string
	page := domain.Page{Limit: 2}
	for range 5 {
		list, next, err := s.ListWebhookMessages(ctx, o.ID, c.ID, domain.WebhookFilter{Page: page})
		if err != nil {
			t.Fatalf("ListWebhookMessages: %v", err)
		}
		seen = append(seen, messageIDs(list)...)
		if next == "" {
			break
		}
		page.After = next
	}
	want := messageIDs(made)
	slices.Reverse(want)
	if !slices.Equal(seen, want) {
		t.Errorf("ListWebhookMessages pages = %v, want %v (newest first)", seen, want)
	}
	if list, _, err := s.ListWebhookMessages(ctx, other.ID, c.ID, domain.WebhookFilter{}); err != nil || len(list) != 0 {
		t.Errorf("ListWebhookMessages from another organisation = %v, %v; want none", messageIDs(list), err)
	}
	if _, _, err := s.ListWebhookMessages(ctx, o.ID, c.ID, domain.WebhookFilter{Page: domain.Page{After: "!!"}}); !errors.As(err, new(*domain.ValidationError)) {
		t.Errorf("ListWebhookMessages with a malformed cursor: err = %v, want a validation error", err)
	}

	// The status filter.
	claimed, err := s.ClaimWebhookMessages(ctx, at(100), at(101), "claim-1", 1)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("ClaimWebhookMessages = %v, %v", messageIDs(claimed), err)
	}
	m := claimed[0]
	m.Status, m.DeliveredAt, m.NextAttemptAt = domain.WebhookDelivered, ptr(at(100)), nil
	if err := s.FinishWebhookMessage(ctx, m, "claim-1"); err != nil {
		t.Fatalf("FinishWebhookMessage: %v", err)
	}
	for status, n := range map[domain.WebhookStatus]int{domain.WebhookDelivered: 1, domain.WebhookPending: 4} {
		var all []domain.WebhookMessage
		for _, cl := range []domain.Client{c, c2} {
			list, _, err := s.ListWebhookMessages(ctx, o.ID, cl.ID, domain.WebhookFilter{Status: status})
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, list...)
		}
		if status == domain.WebhookPending {
			n = 5 // c's four and c2's one
		}
		if len(all) != n {
			t.Errorf("%s messages = %d, want %d", status, len(all), n)
		}
	}

	// Deleting the client deletes its messages.
	if err := s.DeleteClient(ctx, o.ID, c.ID); err != nil {
		t.Fatalf("DeleteClient: %v", err)
	}
	if _, err := s.GetWebhookMessage(ctx, o.ID, made[1].ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("GetWebhookMessage after DeleteClient: err = %v, want ErrNotFound", err)
	}
}

// testWebhookEnqueueIsTransactional: a message written in a transaction
// that fails is gone with it.
func testWebhookEnqueueIsTransactional(t *testing.T, s store.Store) {
	ctx := t.Context()
	o := mustOrg(t, s, "Acme")
	c := mustClient(t, s, o.ID)
	m := newMessage(c, at(1))
	boom := errors.New("boom")
	err := s.InTx(ctx, func(tx store.Tx) error {
		if err := tx.CreateWebhookMessage(ctx, m); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx = %v, want %v", err, boom)
	}
	if _, err := s.GetWebhookMessage(ctx, o.ID, m.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("message of a rolled-back transaction: err = %v, want ErrNotFound", err)
	}
	if got, err := s.ClaimWebhookMessages(ctx, at(100), at(101), "c", 10); err != nil || len(got) != 0 {
		t.Errorf("ClaimWebhookMessages after a rollback = %v, %v; want none", messageIDs(got), err)
	}
}

func testWebhookClaim(t *testing.T, s store.Store) {
	ctx := t.Context()
	o := mustOrg(t, s, "Acme")
	c := mustClient(t, s, o.ID)
	early := mustMessage(t, s, newMessage(c, at(1)))
	late := mustMessage(t, s, newMessage(c, at(10)))

	if got, err := s.ClaimWebhookMessages(ctx, at(0), at(1), "none", 10); err != nil || len(got) != 0 {
		t.Errorf("claim before anything is due = %v, %v; want none", messageIDs(got), err)
	}
	got, err := s.ClaimWebhookMessages(ctx, at(5), at(6), "first", 10)
	if err != nil || !slices.Equal(messageIDs(got), []string{early.ID}) {
		t.Fatalf("claim at minute 5 = %v, %v; want only the early message", messageIDs(got), err)
	}
	if !sameTime(got[0].NextAttemptAt, ptr(at(6))) || !bytes.Equal(got[0].Payload, early.Payload) {
		t.Errorf("claimed message = %+v; want it leased until minute 6 with its payload", got[0])
	}
	// Leased: nobody else gets it until the lease ends.
	if got, err := s.ClaimWebhookMessages(ctx, at(5), at(6), "second", 10); err != nil || len(got) != 0 {
		t.Errorf("second claim during the lease = %v, %v; want none", messageIDs(got), err)
	}
	// The lease ran out (the first claimer died): it is due again, for a
	// new claim; the old claim can no longer finish it.
	got, err = s.ClaimWebhookMessages(ctx, at(6), at(8), "third", 10)
	if err != nil || !slices.Equal(messageIDs(got), []string{early.ID}) {
		t.Fatalf("claim after the lease = %v, %v; want the early message", messageIDs(got), err)
	}
	m := got[0]
	m.Attempts, m.RetryCount, m.LastAttemptAt, m.LastStatusCode, m.LastError = 1, 1, ptr(at(6)), 500, "HTTP 500"
	m.NextAttemptAt = ptr(at(20))
	if err := s.FinishWebhookMessage(ctx, m, "first"); !errors.Is(err, domain.ErrConflict) {
		t.Errorf("FinishWebhookMessage with a lost claim: err = %v, want ErrConflict", err)
	}
	if err := s.FinishWebhookMessage(ctx, m, "third"); err != nil {
		t.Fatalf("FinishWebhookMessage: %v", err)
	}
	if err := s.FinishWebhookMessage(ctx, m, "third"); !errors.Is(err, domain.ErrConflict) {
		t.Errorf("FinishWebhookMessage twice: err = %v, want ErrConflict (the claim is released)", err)
	}
	if stored, err := s.GetWebhookMessage(ctx, o.ID, early.ID); err != nil || !sameMessage(stored, m) {
		t.Errorf("after FinishWebhookMessage = %+v, %v; want %+v", stored, err, m)
	}
	// Ordered by due time, and limited.
	got, err = s.ClaimWebhookMessages(ctx, at(30), at(31), "fourth", 1)
	if err != nil || !slices.Equal(messageIDs(got), []string{late.ID}) {
		t.Errorf("claim of one at minute 30 = %v, %v; want the late message (due at 10, before the retry at 20)", messageIDs(got), err)
	}
	// A delivered message is never claimed; a redelivery makes it due.
	d := got[0]
	d.Status, d.Attempts, d.DeliveredAt, d.NextAttemptAt = domain.WebhookDelivered, 1, ptr(at(30)), nil
	if err := s.FinishWebhookMessage(ctx, d, "fourth"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.ClaimWebhookMessages(ctx, at(1000), at(1001), "x", 10); slices.Contains(messageIDs(got), late.ID) {
		t.Errorf("a delivered message was claimed")
	}
	if err := s.RedeliverWebhookMessage(ctx, o.ID, late.ID, at(2000)); err != nil {
		t.Fatalf("RedeliverWebhookMessage: %v", err)
	}
	r, err := s.GetWebhookMessage(ctx, o.ID, late.ID)
	if err != nil || r.Status != domain.WebhookPending || !sameTime(r.NextAttemptAt, ptr(at(2000))) || !r.RetryFrom.Equal(at(2000)) ||
		r.RetryCount != 0 || r.Attempts != 1 || r.DeliveredAt == nil {
		t.Errorf("after RedeliverWebhookMessage = %+v, %v; want pending, due and retried from minute 2000, attempts kept", r, err)
	}
	if err := s.RedeliverWebhookMessage(ctx, "org_other", late.ID, at(2000)); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("RedeliverWebhookMessage from another organisation: err = %v, want ErrNotFound", err)
	}
}

func testWebhookAttempts(t *testing.T, s store.Store) {
	ctx := t.Context()
	o := mustOrg(t, s, "Acme")
	c := mustClient(t, s, o.ID)
	m := mustMessage(t, s, newMessage(c, at(1)))
	want := []domain.WebhookAttempt{
		{ID: domain.NewID("att_"), MessageID: m.ID, OrgID: o.ID, ClientID: c.ID, At: at(2), URL: c.WebhookURL, StatusCode: 0,
			Latency: 10 * time.Second, Error: "no answer within 10s"},
		{ID: domain.NewID("att_"), MessageID: m.ID, OrgID: o.ID, ClientID: c.ID, At: at(3), URL: c.WebhookURL, StatusCode: 500,
			Latency: 1500 * time.Microsecond, Error: "HTTP 500", ResponseExcerpt: "upstream ✗ down"},
	}
	for _, a := range []domain.WebhookAttempt{want[1], want[0]} {
		if err := s.AddWebhookAttempt(ctx, a); err != nil {
			t.Fatalf("AddWebhookAttempt: %v", err)
		}
	}
	got, err := s.ListWebhookAttempts(ctx, o.ID, m.ID)
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("ListWebhookAttempts = %+v, %v; want %+v (oldest first)", got, err, want)
	}
	if got, err := s.ListWebhookAttempts(ctx, "org_other", m.ID); err != nil || len(got) != 0 {
		t.Errorf("ListWebhookAttempts from another organisation = %+v, %v; want none", got, err)
	}

	// Pruning removes old finished messages with their attempts, never a
	// pending one.
	done := mustMessage(t, s, newMessage(c, at(1)))
	claimed, err := s.ClaimWebhookMessages(ctx, at(5), at(6), "p", 10)
	if err != nil || len(claimed) != 2 {
		t.Fatalf("ClaimWebhookMessages = %v, %v", messageIDs(claimed), err)
	}
	for _, x := range claimed {
		if x.ID == done.ID {
			x.Status, x.NextAttemptAt = domain.WebhookFailed, nil
		} else {
			x.NextAttemptAt = ptr(at(7))
		}
		if err := s.FinishWebhookMessage(ctx, x, "p"); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.DeleteWebhookMessagesBefore(ctx, at(2)); err != nil || n != 1 {
		t.Errorf("DeleteWebhookMessagesBefore = %d, %v; want 1 (the failed one)", n, err)
	}
	if _, err := s.GetWebhookMessage(ctx, o.ID, m.ID); err != nil {
		t.Errorf("the pending message was pruned: %v", err)
	}
	if got, err := s.ListWebhookAttempts(ctx, o.ID, m.ID); err != nil || len(got) != 2 {
		t.Errorf("attempts of the pending message after pruning = %d, %v; want 2", len(got), err)
	}
}

func testWebhookEndpoints(t *testing.T, s store.Store) {
	ctx := t.Context()
	o := mustOrg(t, s, "Acme")
	c := mustClient(t, s, o.ID)
	if _, err := s.GetWebhookEndpoint(ctx, o.ID, c.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("GetWebhookEndpoint before any record: err = %v, want ErrNotFound", err)
	}
	e := domain.WebhookEndpoint{OrgID: o.ID, ClientID: c.ID, URL: c.WebhookURL, FailingSince: ptr(at(1)), ExhaustedAt: ptr(at(2)), UpdatedAt: at(1)}
	if err := putEndpoint(ctx, s, e); err != nil {
		t.Fatalf("UpdateWebhookEndpoint: %v", err)
	}
	same := func(a, b domain.WebhookEndpoint) bool {
		return a.OrgID == b.OrgID && a.ClientID == b.ClientID && a.URL == b.URL && sameTime(a.FailingSince, b.FailingSince) &&
			sameTime(a.ExhaustedAt, b.ExhaustedAt) && sameTime(a.DisabledAt, b.DisabledAt) && a.DisabledReason == b.DisabledReason && a.UpdatedAt.Equal(b.UpdatedAt)
	}
	if got, err := s.GetWebhookEndpoint(ctx, o.ID, c.ID); err != nil || !same(got, e) {
		t.Errorf("GetWebhookEndpoint = %+v, %v; want %+v", got, err, e)
	}
	if _, err := s.GetWebhookEndpoint(ctx, "org_other", c.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("GetWebhookEndpoint from another organisation: err = %v, want ErrNotFound", err)
	}
	if won, err := s.DisableWebhookEndpoint(ctx, o.ID, c.ID, "https://elsewhere.example/", at(2), "x"); err != nil || won {
		t.Errorf("DisableWebhookEndpoint for another URL = %v, %v; want false", won, err)
	}
	if won, err := s.DisableWebhookEndpoint(ctx, o.ID, c.ID, c.WebhookURL, at(3), "failing for a day"); err != nil || !won {
		t.Errorf("DisableWebhookEndpoint = %v, %v; want true", won, err)
	}
	if won, err := s.DisableWebhookEndpoint(ctx, o.ID, c.ID, c.WebhookURL, at(4), "again"); err != nil || won {
		t.Errorf("DisableWebhookEndpoint of a disabled endpoint = %v, %v; want false", won, err)
	}
	e.DisabledAt, e.DisabledReason, e.UpdatedAt = ptr(at(3)), "failing for a day", at(3)
	if got, err := s.GetWebhookEndpoint(ctx, o.ID, c.ID); err != nil || !same(got, e) {
		t.Errorf("after DisableWebhookEndpoint = %+v, %v; want %+v", got, err, e)
	}
	// Replacing the record (enable).
	e = domain.WebhookEndpoint{OrgID: o.ID, ClientID: c.ID, URL: c.WebhookURL, UpdatedAt: at(5)}
	if err := putEndpoint(ctx, s, e); err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetWebhookEndpoint(ctx, o.ID, c.ID); err != nil || !same(got, e) {
		t.Errorf("after UpdateWebhookEndpoint = %+v, %v; want %+v", got, err, e)
	}
}

func testWebhookNotices(t *testing.T, s store.Store) {
	ctx := t.Context()
	o := mustOrg(t, s, "Acme")
	c := mustClient(t, s, o.ID)
	x := mustSecret(t, s, generatedSecret(c, at(0)))
	n := domain.WebhookNotice{SecretID: x.ID, OrgID: o.ID, Notice: "expiring-7d", ExpiresAt: *x.ExpiresAt, RecordedAt: at(1)}
	if ok, err := s.RecordWebhookNotice(ctx, n); err != nil || !ok {
		t.Fatalf("RecordWebhookNotice = %v, %v; want true", ok, err)
	}
	if ok, err := s.RecordWebhookNotice(ctx, n); err != nil || ok {
		t.Errorf("RecordWebhookNotice twice = %v, %v; want false", ok, err)
	}
	// Inside a transaction a repeat is not an error either, and the
	// transaction goes on (PostgreSQL aborts one on a failed statement).
	err := s.InTx(ctx, func(tx store.Tx) error {
		if ok, err := tx.RecordWebhookNotice(ctx, n); err != nil || ok {
			t.Errorf("RecordWebhookNotice twice in a transaction = %v, %v; want false", ok, err)
		}
		n2 := n
		n2.Notice = "expiring-1d"
		ok, err := tx.RecordWebhookNotice(ctx, n2)
		if err != nil || !ok {
			t.Errorf("RecordWebhookNotice after a repeat, same transaction = %v, %v; want true", ok, err)
		}
		return err
	})
	if err != nil {
		t.Fatalf("InTx: %v", err)
	}
	n.ExpiresAt = n.ExpiresAt.Add(24 * time.Hour) // the secret's expiry was edited: notices arm again
	if ok, err := s.RecordWebhookNotice(ctx, n); err != nil || !ok {
		t.Errorf("RecordWebhookNotice for a new expiry = %v, %v; want true", ok, err)
	}
}

func testListExpiringSecrets(t *testing.T, s store.Store) {
	ctx := t.Context()
	o, o2 := mustOrg(t, s, "Acme"), mustOrg(t, s, "Globex")
	c, c2 := mustClient(t, s, o.ID), mustClient(t, s, o2.ID)
	mk := func(c domain.Client, expires *time.Time) domain.Secret {
		x := generatedSecret(c, at(0))
		x.ExpiresAt = expires
		return mustSecret(t, s, x)
	}
	before := mk(c, ptr(at(5)))    // before the window
	a := mk(c, ptr(at(10)))        // in it
	b := mk(c2, ptr(at(20)))       // in it, another organisation
	b2 := mk(c, ptr(at(20)))       // same expiry as b
	revoked := mk(c, ptr(at(15)))  // revoked
	notified := mk(c, ptr(at(12))) // already has its expired notice
	stale := mk(c, ptr(at(12)))    // has an expired notice for an older expiry
	mk(c, ptr(at(100)))            // after the window
	mk(c, nil)                     // never expires
	_ = before
	if err := revoke(ctx, s, o.ID, revoked.ID, at(1), false); err != nil {
		t.Fatal(err)
	}
	for _, n := range []domain.WebhookNotice{
		{SecretID: notified.ID, OrgID: o.ID, Notice: "expired", ExpiresAt: at(12), RecordedAt: at(13)},
		{SecretID: stale.ID, OrgID: o.ID, Notice: "expired", ExpiresAt: at(11), RecordedAt: at(13)},
		{SecretID: a.ID, OrgID: o.ID, Notice: "expiring-1d", ExpiresAt: at(10), RecordedAt: at(13)},
	} {
		if _, err := s.RecordWebhookNotice(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	want := []domain.SecretID{a.ID, stale.ID}
	pair := []domain.SecretID{b.ID, b2.ID}
	slices.Sort(pair)
	want = append(want, pair...)

	all, err := s.ListExpiringSecrets(ctx, at(8), at(50), "", 100)
	if err != nil {
		t.Fatalf("ListExpiringSecrets: %v", err)
	}
	if !slices.Equal(secretIDs(all), want) {
		t.Errorf("ListExpiringSecrets = %v, want %v", secretIDs(all), want)
	}
	if len(all) > 0 && !sameSecret(all[0], a) {
		t.Errorf("ListExpiringSecrets returned %+v, want %+v", all[0], a)
	}
	// Paged one at a time with the cursor of the last one's expiry and ID.
	var paged []domain.SecretID
	after := ""
	for range 10 {
		page, err := s.ListExpiringSecrets(ctx, at(8), at(50), after, 1)
		if err != nil {
			t.Fatalf("ListExpiringSecrets page: %v", err)
		}
		if len(page) == 0 {
			break
		}
		paged = append(paged, page[0].ID)
		after = domain.Cursor{At: *page[0].ExpiresAt, ID: string(page[0].ID)}.Encode()
	}
	if !slices.Equal(paged, want) {
		t.Errorf("ListExpiringSecrets one at a time = %v, want %v", paged, want)
	}
	if _, err := s.ListExpiringSecrets(ctx, at(8), at(50), "!!", 1); err == nil {
		t.Errorf("ListExpiringSecrets with a malformed cursor: no error")
	}
}

// Multi-node.

// testNodesClaimOnce: two nodes claim in a loop; every message is claimed
// by exactly one of them.
func testNodesClaimOnce(t *testing.T, n1, n2 store.Store) {
	ctx := t.Context()
	o := mustOrg(t, n1, "Acme")
	c := mustClient(t, n1, o.ID)
	const total = 60
	for i := range total {
		mustMessage(t, n1, newMessage(c, at(i%7)))
	}
	var mu sync.Mutex
	seen := map[string]int{}
	var claims atomic.Int64
	var wg sync.WaitGroup
	for ni, node := range []store.Store{n1, n2, n1, n2} {
		wg.Go(func() {
			for range 100 {
				got, err := node.ClaimWebhookMessages(ctx, at(10), at(1000), "node-"+string(rune('a'+ni)), 3)
				if err != nil {
					t.Errorf("node %d ClaimWebhookMessages: %v", ni, err)
					return
				}
				if len(got) == 0 {
					return
				}
				claims.Add(int64(len(got)))
				mu.Lock()
				for _, m := range got {
					seen[m.ID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != total || claims.Load() != total {
		t.Errorf("%d claims of %d distinct messages, want %d of %d", claims.Load(), len(seen), total, total)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("message %s was claimed %d times", id, n)
		}
	}
}

// testNodesNoticeOnce: two nodes record the same notice at once; one of
// them records it.
func testNodesNoticeOnce(t *testing.T, n1, n2 store.Store) {
	ctx := t.Context()
	o := mustOrg(t, n1, "Acme")
	c := mustClient(t, n1, o.ID)
	for i := range 10 {
		x := mustSecret(t, n1, generatedSecret(c, at(i)))
		n := domain.WebhookNotice{SecretID: x.ID, OrgID: o.ID, Notice: "expired", ExpiresAt: *x.ExpiresAt, RecordedAt: at(i)}
		var won atomic.Int64
		var wg sync.WaitGroup
		for _, node := range []store.Store{n1, n2, n1, n2} {
			wg.Go(func() {
				err := node.InTx(ctx, func(tx store.Tx) error {
					ok, err := tx.RecordWebhookNotice(ctx, n)
					if ok {
						won.Add(1)
					}
					return err
				})
				if err != nil {
					t.Errorf("RecordWebhookNotice: %v", err)
				}
			})
		}
		wg.Wait()
		if won.Load() != 1 {
			t.Errorf("secret %d: %d nodes recorded the notice, want 1", i, won.Load())
		}
	}
}

// testWebhookReplay: a replay makes failed (or all finished) messages
// since a time pending again, oldest first and spaced out, within the
// limit; pending ones are left alone, so a second replay finds nothing;
// another client's and organisation's messages are untouched.
func testWebhookReplay(t *testing.T, s store.Store) {
	ctx := t.Context()
	o := mustOrg(t, s, "Acme")
	c := mustClient(t, s, o.ID)
	other := mustClient(t, s, o.ID)
	state := func(m domain.WebhookMessage, st domain.WebhookStatus) domain.WebhookMessage {
		m.Status, m.NextAttemptAt, m.RetryCount, m.LastError = st, nil, 7, "HTTP 503"
		return mustMessage(t, s, m)
	}
	old := state(newMessage(c, at(1)), domain.WebhookFailed)
	f1 := state(newMessage(c, at(10)), domain.WebhookFailed)
	d := state(newMessage(c, at(11)), domain.WebhookDelivered)
	f2 := state(newMessage(c, at(12)), domain.WebhookFailed)
	f3 := state(newMessage(c, at(13)), domain.WebhookFailed)
	p := mustMessage(t, s, newMessage(c, at(14)))
	elsewhere := state(newMessage(other, at(12)), domain.WebhookFailed)

	if n, err := s.CountFailedWebhookMessages(ctx, o.ID, c.ID, at(10), 100); err != nil || n != 3 {
		t.Errorf("CountFailedWebhookMessages since minute 10 = %d, %v; want 3", n, err)
	}
	if n, err := s.CountFailedWebhookMessages(ctx, o.ID, c.ID, at(0), 2); err != nil || n != 2 {
		t.Errorf("CountFailedWebhookMessages up to 2 = %d, %v; want 2", n, err)
	}
	if n, err := s.ReplayWebhookMessages(ctx, "org_other", c.ID, at(0), true, at(20), time.Second, 100); err != nil || n != 0 {
		t.Errorf("replay from another organisation = %d, %v; want 0", n, err)
	}
	n, err := s.ReplayWebhookMessages(ctx, o.ID, c.ID, at(10), false, at(20), time.Second, 2)
	if err != nil || n != 2 {
		t.Fatalf("replay of failed since minute 10, limit 2 = %d, %v; want 2", n, err)
	}
	for i, m := range []domain.WebhookMessage{f1, f2} {
		got, _ := s.GetWebhookMessage(ctx, o.ID, m.ID)
		due := at(20).Add(time.Duration(i) * time.Second)
		if got.Status != domain.WebhookPending || !sameTime(got.NextAttemptAt, &due) || !got.RetryFrom.Equal(due) || got.RetryCount != 0 || got.LastError != "" {
			t.Errorf("replayed message %d = %+v; want pending, due at %v with a fresh retry window", i, got, due)
		}
	}
	for _, m := range []domain.WebhookMessage{old, d, f3, elsewhere} {
		if got, _ := s.GetWebhookMessage(ctx, m.OrgID, m.ID); got.Status != m.Status {
			t.Errorf("message %s outside the replay became %s, want %s", m.ID, got.Status, m.Status)
		}
	}
	// Again: f1 and f2 are pending now; only f3 is left.
	if n, err := s.ReplayWebhookMessages(ctx, o.ID, c.ID, at(10), false, at(21), time.Second, 10); err != nil || n != 1 {
		t.Errorf("second replay = %d, %v; want 1 (f3)", n, err)
	}
	if n, err := s.ReplayWebhookMessages(ctx, o.ID, c.ID, at(10), false, at(22), time.Second, 10); err != nil || n != 0 {
		t.Errorf("third replay = %d, %v; want 0", n, err)
	}
	// All: the delivered one too, never the pending one.
	if n, err := s.ReplayWebhookMessages(ctx, o.ID, c.ID, at(0), true, at(23), time.Second, 10); err != nil || n != 2 {
		t.Errorf("replay of all since minute 0 = %d, %v; want 2 (old, delivered)", n, err)
	}
	if got, _ := s.GetWebhookMessage(ctx, o.ID, p.ID); !sameTime(got.NextAttemptAt, p.NextAttemptAt) {
		t.Errorf("the pending message was moved: %+v", got)
	}
}

// testWebhookPayloadRetention: retention deletes the payloads of finished
// messages created before t (in batches) and the excerpts of attempts
// made before t, keeping everything else; deleting one message's payload
// fails it when pending; a message without payload cannot be redelivered
// or replayed.
func testWebhookPayloadRetention(t *testing.T, s store.Store) {
	ctx := t.Context()
	o := mustOrg(t, s, "Acme")
	c := mustClient(t, s, o.ID)
	finished := func(created int) domain.WebhookMessage {
		m := newMessage(c, at(created))
		m.Status, m.NextAttemptAt, m.Attempts = domain.WebhookDelivered, nil, 1
		m = mustMessage(t, s, m)
		if err := s.AddWebhookAttempt(ctx, domain.WebhookAttempt{ID: domain.NewID("att_"), MessageID: m.ID, OrgID: o.ID, ClientID: c.ID,
			At: at(created), URL: c.WebhookURL, StatusCode: 200, ResponseExcerpt: "ok"}); err != nil {
			t.Fatal(err)
		}
		return m
	}
	old1, old2, old3, fresh := finished(1), finished(2), finished(3), finished(50)
	pending := mustMessage(t, s, newMessage(c, at(4)))

	n, err := s.DeleteWebhookPayloadsBefore(ctx, at(10), at(60), 2)
	if err != nil || n != 2 {
		t.Fatalf("DeleteWebhookPayloadsBefore, batch of 2 = %d, %v; want 2", n, err)
	}
	if n, err := s.DeleteWebhookPayloadsBefore(ctx, at(10), at(60), 2); err != nil || n != 1 {
		t.Fatalf("second batch = %d, %v; want 1", n, err)
	}
	for _, m := range []domain.WebhookMessage{old1, old2, old3} {
		got, err := s.GetWebhookMessage(ctx, o.ID, m.ID)
		if err != nil || len(got.Payload) != 0 || !sameTime(got.PayloadDeletedAt, ptr(at(60))) || got.Status != domain.WebhookDelivered || got.Attempts != 1 {
			t.Errorf("old message after retention = %+v, %v; want its metadata without a payload", got, err)
		}
		atts, _ := s.ListWebhookAttempts(ctx, o.ID, m.ID)
		if len(atts) != 1 || atts[0].ResponseExcerpt != "" || atts[0].StatusCode != 200 {
			t.Errorf("old attempt after retention = %+v; want it kept without its excerpt", atts)
		}
	}
	for _, m := range []domain.WebhookMessage{fresh, pending} {
		if got, _ := s.GetWebhookMessage(ctx, o.ID, m.ID); !bytes.Equal(got.Payload, m.Payload) || got.PayloadDeletedAt != nil {
			t.Errorf("message %s lost its payload: %+v", m.ID, got)
		}
	}
	if atts, _ := s.ListWebhookAttempts(ctx, o.ID, fresh.ID); len(atts) != 1 || atts[0].ResponseExcerpt != "ok" {
		t.Errorf("fresh attempt = %+v, want its excerpt", atts)
	}
	if err := s.RedeliverWebhookMessage(ctx, o.ID, old1.ID, at(61)); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("RedeliverWebhookMessage without a payload: err = %v, want ErrNotFound", err)
	}
	if n, err := s.ReplayWebhookMessages(ctx, o.ID, c.ID, at(0), true, at(61), time.Second, 10); err != nil || n != 1 {
		t.Errorf("replay of all = %d, %v; want 1 (only the fresh one has a payload)", n, err)
	}

	if err := s.DeleteWebhookPayload(ctx, o.ID, pending.ID, at(62)); err != nil {
		t.Fatal(err)
	}
	got, _ := s.GetWebhookMessage(ctx, o.ID, pending.ID)
	if got.Status != domain.WebhookFailed || got.NextAttemptAt != nil || len(got.Payload) != 0 || !sameTime(got.PayloadDeletedAt, ptr(at(62))) ||
		got.LastError != "the payload was deleted" {
		t.Errorf("pending message after DeleteWebhookPayload = %+v; want failed, without payload", got)
	}
	if got, err := s.ClaimWebhookMessages(ctx, at(100), at(101), "c", 10); err != nil || slices.Contains(messageIDs(got), pending.ID) {
		t.Errorf("claim after the payload was deleted = %v, %v", messageIDs(got), err)
	}
	if err := s.DeleteWebhookPayload(ctx, "org_other", fresh.ID, at(62)); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("DeleteWebhookPayload from another organisation: err = %v, want ErrNotFound", err)
	}
}

func testWebhookSigningKeys(t *testing.T, s store.Store) {
	ctx := t.Context()
	o := mustOrg(t, s, "Acme")
	c := mustClient(t, s, o.ID)
	if got, err := s.ListWebhookSigningKeys(ctx, o.ID, c.ID); err != nil || len(got) != 0 {
		t.Fatalf("ListWebhookSigningKeys before any = %v, %v", got, err)
	}
	k1 := domain.WebhookSigningKey{ID: domain.NewID("whk_"), OrgID: o.ID, ClientID: c.ID, PublicKey: bytes.Repeat([]byte{1}, 32), Sealed: []byte("sealed-1"), CreatedAt: at(1)}
	k2 := domain.WebhookSigningKey{ID: domain.NewID("whk_"), OrgID: o.ID, ClientID: c.ID, PublicKey: bytes.Repeat([]byte{2}, 32), Sealed: []byte("sealed-2"), CreatedAt: at(2)}
	for _, k := range []domain.WebhookSigningKey{k2, k1} {
		if err := s.CreateWebhookSigningKey(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CreateWebhookSigningKey(ctx, k1); !errors.Is(err, domain.ErrConflict) {
		t.Errorf("CreateWebhookSigningKey twice: err = %v, want ErrConflict", err)
	}
	got, err := s.ListWebhookSigningKeys(ctx, o.ID, c.ID)
	if err != nil || len(got) != 2 || got[0].ID != k1.ID || !bytes.Equal(got[0].PublicKey, k1.PublicKey) || !bytes.Equal(got[1].Sealed, k2.Sealed) ||
		!got[1].CreatedAt.Equal(at(2)) || got[0].RetiredAt != nil {
		t.Fatalf("ListWebhookSigningKeys = %+v, %v; want both, oldest first", got, err)
	}
	if won, err := s.RetireWebhookSigningKey(ctx, o.ID, c.ID, k1.ID, at(3)); err != nil || !won {
		t.Errorf("RetireWebhookSigningKey = %v, %v; want true", won, err)
	}
	if won, err := s.RetireWebhookSigningKey(ctx, o.ID, c.ID, k1.ID, at(4)); err != nil || won {
		t.Errorf("RetireWebhookSigningKey again = %v, %v; want false", won, err)
	}
	if _, err := s.RetireWebhookSigningKey(ctx, "org_other", c.ID, k2.ID, at(4)); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("RetireWebhookSigningKey from another organisation: err = %v, want ErrNotFound", err)
	}
	if got, _ := s.ListWebhookSigningKeys(ctx, o.ID, c.ID); !sameTime(got[0].RetiredAt, ptr(at(3))) || got[1].RetiredAt != nil {
		t.Errorf("after retiring the first = %+v", got)
	}
	if got, _ := s.ListWebhookSigningKeys(ctx, "org_other", c.ID); len(got) != 0 {
		t.Errorf("another organisation sees %d keys", len(got))
	}
}
