package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"keywarden/internal/domain"
	"keywarden/internal/store"
)

// Paged lists: every page follows from its cursor, in order, rows with the
// same time split between pages included, and only the client's (or the
// user's) rows of the caller's organisation.

// pageAll reads every page of size 2 and returns the IDs in order, failing
// if a cursor repeats.
func pageAll(t *testing.T, read func(p domain.Page) ([]string, string, error)) []string {
	t.Helper()
	var all []string
	seen := map[string]bool{}
	after := ""
	for range 100 {
		ids, next, err := read(domain.Page{After: after, Limit: 2})
		if err != nil {
			t.Fatalf("page after %q: %v", after, err)
		}
		if len(ids) > 2 {
			t.Fatalf("page of limit 2 has %d items", len(ids))
		}
		all = append(all, ids...)
		if next == "" {
			return all
		}
		if seen[next] {
			t.Fatalf("cursor %q repeats", next)
		}
		seen[next] = true
		after = next
	}
	t.Fatal("more than 100 pages")
	return nil
}

func testPaging(t *testing.T, s store.Store) {
	ctx := t.Context()
	acme, globex := mustOrg(t, s, "Acme"), mustOrg(t, s, "Globex")
	c, other := mustClient(t, s, acme.ID), mustClient(t, s, acme.ID)
	u := mustUser(t, s, acme.ID, "ada@acme.test")
	// Times with ties (minutes 1, 2, 2, 2, 3), so that pages split them.
	mins := []int{1, 2, 2, 2, 3}
	var secrets, rotations, refresh, sessions []string
	for i, m := range mins {
		x := generatedSecret(c, at(m))
		if i == 1 {
			x.RevokedAt = ptr(at(4))
		}
		if i == 2 {
			x.ExpiresAt = ptr(at(1))
		}
		mustSecret(t, s, x)
		secrets = append(secrets, string(x.ID))
		mustSecret(t, s, generatedSecret(other, at(m)))
		r := domain.Rotation{ID: domain.NewRotationID(), OrgID: acme.ID, ClientID: c.ID, NewSecretID: x.ID, OldSecretIDs: []domain.SecretID{},
			StartedAt: at(m), StartedBy: "usr_ada", QuietSeconds: 60}
		if err := s.CreateRotation(ctx, r); err != nil {
			t.Fatal(err)
		}
		rotations = append(rotations, string(r.ID))
		rt := newRefresh(c, "", at(m))
		mustRefresh(t, s, rt)
		refresh = append(refresh, string(rt.ID))
		se := domain.Session{ID: domain.NewSessionID(), OrgID: acme.ID, UserID: u.ID, Verifier: randomBytes(32), CreatedAt: at(m), ExpiresAt: at(60 * 24)}
		if err := s.CreateSession(ctx, se); err != nil {
			t.Fatal(err)
		}
		sessions = append(sessions, string(se.ID))
	}
	ended := domain.Session{ID: domain.NewSessionID(), OrgID: acme.ID, UserID: u.ID, Verifier: randomBytes(32), CreatedAt: at(2), ExpiresAt: at(60 * 24)}
	if err := s.CreateSession(ctx, ended); err != nil {
		t.Fatal(err)
	}
	if err := s.EndSession(ctx, acme.ID, ended.ID, at(3)); err != nil {
		t.Fatal(err)
	}
	// Oldest first: (time, ID) ascending; newest first: descending.
	byTimeID := func(ids []string, times []int, desc bool) []string {
		idx := make([]int, len(ids))
		for i := range idx {
			idx[i] = i
		}
		slices.SortFunc(idx, func(a, b int) int {
			if times[a] != times[b] {
				return times[a] - times[b]
			}
			if ids[a] < ids[b] {
				return -1
			}
			return 1
		})
		out := make([]string, len(idx))
		for i, j := range idx {
			out[i] = ids[j]
		}
		if desc {
			slices.Reverse(out)
		}
		return out
	}
	ids := func(n int, id func(i int) string) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = id(i)
		}
		return out
	}
	tests := []struct {
		name string
		want []string
		read func(p domain.Page) ([]string, string, error)
	}{
		{"secrets oldest first", byTimeID(secrets, mins, false), func(p domain.Page) ([]string, string, error) {
			l, next, err := s.PageSecrets(ctx, acme.ID, c.ID, p)
			return ids(len(l), func(i int) string { return string(l[i].ID) }), next, err
		}},
		{"rotations newest first", byTimeID(rotations, mins, true), func(p domain.Page) ([]string, string, error) {
			l, next, err := s.ListRotations(ctx, acme.ID, c.ID, p)
			return ids(len(l), func(i int) string { return string(l[i].ID) }), next, err
		}},
		{"refresh tokens newest first", byTimeID(refresh, mins, true), func(p domain.Page) ([]string, string, error) {
			l, next, err := s.ListRefreshTokens(ctx, acme.ID, c.ID, p)
			return ids(len(l), func(i int) string { return string(l[i].ID) }), next, err
		}},
		{"open sessions newest first", byTimeID(sessions, mins, true), func(p domain.Page) ([]string, string, error) {
			l, next, err := s.PageSessions(ctx, acme.ID, u.ID, at(10), p)
			return ids(len(l), func(i int) string { return string(l[i].ID) }), next, err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := pageAll(t, tc.read); !slices.Equal(got, tc.want) {
				t.Errorf("pages = %v, want %v", got, tc.want)
			}
			if _, _, err := tc.read(domain.Page{After: "not-a-cursor"}); err == nil {
				t.Error("a malformed cursor: no error")
			}
		})
	}
	t.Run("other organisation sees nothing", func(t *testing.T) {
		if l, _, err := s.PageSecrets(ctx, globex.ID, c.ID, domain.Page{}); err != nil || len(l) != 0 {
			t.Errorf("PageSecrets = %d, %v; want none", len(l), err)
		}
		if l, _, err := s.ListRotations(ctx, globex.ID, c.ID, domain.Page{}); err != nil || len(l) != 0 {
			t.Errorf("ListRotations = %d, %v; want none", len(l), err)
		}
		if l, _, err := s.ListRefreshTokens(ctx, globex.ID, c.ID, domain.Page{}); err != nil || len(l) != 0 {
			t.Errorf("ListRefreshTokens = %d, %v; want none", len(l), err)
		}
		if l, _, err := s.PageSessions(ctx, globex.ID, u.ID, at(10), domain.Page{}); err != nil || len(l) != 0 {
			t.Errorf("PageSessions = %d, %v; want none", len(l), err)
		}
		if l, err := s.SecretsByID(ctx, globex.ID, []domain.SecretID{domain.SecretID(secrets[0])}); err != nil || len(l) != 0 {
			t.Errorf("SecretsByID = %d, %v; want none", len(l), err)
		}
	})
	t.Run("active secrets", func(t *testing.T) {
		// Secret 1 is revoked, secret 2 expired at minute 1.
		l, err := s.ListActiveSecrets(ctx, acme.ID, c.ID, at(5))
		want := []string{secrets[0], secrets[3], secrets[4]}
		got := ids(len(l), func(i int) string { return string(l[i].ID) })
		slices.Sort(got)
		slices.Sort(want)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("ListActiveSecrets = %v, %v; want %v", got, err, want)
		}
	})
	t.Run("secrets by ID", func(t *testing.T) {
		l, err := s.SecretsByID(ctx, acme.ID, []domain.SecretID{domain.SecretID(secrets[4]), domain.SecretID(secrets[0]), "sec_missing"})
		got := ids(len(l), func(i int) string { return string(l[i].ID) })
		if want := []string{secrets[0], secrets[4]}; err != nil || !slices.Equal(got, want) {
			t.Errorf("SecretsByID = %v, %v; want %v (oldest first, the missing one left out)", got, err, want)
		}
		if l, err := s.SecretsByID(ctx, acme.ID, nil); err != nil || len(l) != 0 {
			t.Errorf("SecretsByID(none) = %v, %v", l, err)
		}
	})
}

func testListUnnoticedSecrets(t *testing.T, s store.Store) {
	ctx := t.Context()
	acme := mustOrg(t, s, "Acme")
	c := mustClient(t, s, acme.ID)
	var want []string
	for i := range 5 {
		x := generatedSecret(c, at(0))
		x.ExpiresAt = ptr(at(10 + i/2)) // ties
		mustSecret(t, s, x)
		want = append(want, string(x.ID))
	}
	noticed := generatedSecret(c, at(0))
	noticed.ExpiresAt = ptr(at(11))
	mustSecret(t, s, noticed)
	if _, err := s.RecordWebhookNotice(ctx, domain.WebhookNotice{SecretID: noticed.ID, OrgID: acme.ID, Notice: "expiring-1d", ExpiresAt: at(11), RecordedAt: at(1)}); err != nil {
		t.Fatal(err)
	}
	otherNotice := generatedSecret(c, at(0))
	otherNotice.ExpiresAt = ptr(at(12))
	mustSecret(t, s, otherNotice)
	if _, err := s.RecordWebhookNotice(ctx, domain.WebhookNotice{SecretID: otherNotice.ID, OrgID: acme.ID, Notice: "expiring-7d", ExpiresAt: at(12), RecordedAt: at(1)}); err != nil {
		t.Fatal(err)
	}
	revoked := generatedSecret(c, at(0))
	revoked.ExpiresAt, revoked.RevokedAt = ptr(at(11)), ptr(at(1))
	mustSecret(t, s, revoked)
	outside := generatedSecret(c, at(0))
	outside.ExpiresAt = ptr(at(20))
	mustSecret(t, s, outside)
	// want: the five, plus otherNotice (it lacks the 1d notice), in
	// (expiry, ID) order.
	type key struct {
		at time.Time
		id string
	}
	all := map[string]time.Time{string(otherNotice.ID): at(12)}
	for i, id := range want {
		all[id] = at(10 + i/2)
	}
	var keys []key
	for id, t := range all {
		keys = append(keys, key{t, id})
	}
	slices.SortFunc(keys, func(a, b key) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		if a.id < b.id {
			return -1
		}
		return 1
	})
	var wantOrder []string
	for _, k := range keys {
		wantOrder = append(wantOrder, k.id)
	}
	got := pageAll(t, func(p domain.Page) ([]string, string, error) {
		l, err := s.ListUnnoticedSecrets(ctx, "expiring-1d", at(9), at(15), p.After, 2)
		next := ""
		if len(l) == 2 {
			next = domain.Cursor{At: *l[1].ExpiresAt, ID: string(l[1].ID)}.Encode()
		}
		return ids2(l), next, err
	})
	if !slices.Equal(got, wantOrder) {
		t.Errorf("ListUnnoticedSecrets pages = %v, want %v", got, wantOrder)
	}
	if l, err := s.ListUnnoticedSecrets(ctx, "expiring-1d", at(10), at(10), "", 10); err != nil || len(l) != 0 {
		t.Errorf("ListUnnoticedSecrets over (10, 10] = %v, %v; want none (the lower bound is open)", ids2(l), err)
	}
}

func ids2(l []domain.Secret) []string {
	out := make([]string, len(l))
	for i, x := range l {
		out[i] = string(x.ID)
	}
	return out
}

// PagedReads seeds s with a client that has many secrets, rotations,
// refresh tokens, sessions, webhook deliveries and revocations among
// other clients' (enough rows that an engine would rather use an index
// than read a table), and returns the paged reads by name, first page and
// a later one, for the engines' query-plan tests: each must be an index
// range read of about a page, never a scan of the table or a sort.
func PagedReads(t *testing.T, s store.Store) map[string]func(ctx context.Context, d store.Data) error {
	t.Helper()
	ctx := t.Context()
	acme := mustOrg(t, s, "Acme")
	const clients, rows = 20, 60
	var c domain.Client
	var u domain.User
	var cursor struct{ secret, rotation, refresh, session, message, unnoticed, due, endpoint string }
	// Organisation endpoints, each with a delivery per client row.
	var eps []domain.OrgWebhookEndpoint
	for k := range 3 {
		eps = append(eps, mustOrgEndpoint(t, s, acme.ID, at(k)))
	}
	ep := eps[0]
	err := s.InTx(ctx, func(tx store.Tx) error {
		for k := range clients {
			cl := newClient(acme.ID, at(k))
			if err := tx.CreateClient(ctx, cl); err != nil {
				return err
			}
			us := newUser(acme.ID, "u"+string(cl.ID)+"@acme.test")
			if err := tx.CreateUser(ctx, us); err != nil {
				return err
			}
			if k == 0 {
				c, u = cl, us
			}
			for i := range rows {
				// As in use: most secrets revoked (a client has a few
				// active ones), each with the notices of its expiry.
				x := generatedSecret(cl, at(i))
				x.ExpiresAt = ptr(at(1000 + i))
				if i < rows-5 {
					x.RevokedAt = ptr(at(i + 1))
				}
				if err := tx.CreateSecret(ctx, x); err != nil {
					return err
				}
				for _, notice := range []string{"expiring-14d", "expiring-7d"} {
					if _, err := tx.RecordWebhookNotice(ctx, domain.WebhookNotice{SecretID: x.ID, OrgID: acme.ID, Notice: notice,
						ExpiresAt: *x.ExpiresAt, RecordedAt: at(i)}); err != nil {
						return err
					}
				}
				if err := tx.CreateRotation(ctx, domain.Rotation{ID: domain.NewRotationID(), OrgID: acme.ID, ClientID: cl.ID, NewSecretID: x.ID,
					OldSecretIDs: []domain.SecretID{}, StartedAt: at(i), StartedBy: "usr_ada"}); err != nil {
					return err
				}
				if err := tx.CreateRefreshToken(ctx, newRefresh(cl, "", at(i))); err != nil {
					return err
				}
				if err := tx.CreateSession(ctx, domain.Session{ID: domain.NewSessionID(), OrgID: acme.ID, UserID: us.ID, Verifier: randomBytes(32),
					CreatedAt: at(i), ExpiresAt: at(100000)}); err != nil {
					return err
				}
				m := newMessage(cl, at(i))
				if i%2 == 0 {
					m.Status = domain.WebhookDelivered
				}
				if err := tx.CreateWebhookMessage(ctx, m); err != nil {
					return err
				}
				om := endpointMessage(eps[(k+i)%len(eps)], at(i))
				if i%2 == 0 {
					om.Status = domain.WebhookDelivered
				}
				if err := tx.CreateWebhookMessage(ctx, om); err != nil {
					return err
				}
				if err := tx.AddRevokedToken(ctx, domain.RevokedToken{JTI: domain.NewID("jti_"), OrgID: acme.ID, ClientID: cl.ID,
					ExpiresAt: at(100000), RevokedAt: at(i)}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
	page := domain.Page{Limit: 10}
	first := func(p *string, next string, err error) error {
		*p = next
		return err
	}
	var e1 error
	{
		_, n, err := s.PageSecrets(ctx, acme.ID, c.ID, page)
		e1 = first(&cursor.secret, n, err)
		_, n, err = s.ListRotations(ctx, acme.ID, c.ID, page)
		e1 = firstErr(e1, first(&cursor.rotation, n, err))
		_, n, err = s.ListRefreshTokens(ctx, acme.ID, c.ID, page)
		e1 = firstErr(e1, first(&cursor.refresh, n, err))
		_, n, err = s.PageSessions(ctx, acme.ID, u.ID, at(0), page)
		e1 = firstErr(e1, first(&cursor.session, n, err))
		_, n, err = s.ListWebhookMessages(ctx, acme.ID, c.ID, domain.WebhookFilter{Page: page})
		e1 = firstErr(e1, first(&cursor.message, n, err))
		_, n, err = s.ListEndpointWebhookMessages(ctx, acme.ID, ep.ID, domain.WebhookFilter{Page: page})
		e1 = firstErr(e1, first(&cursor.endpoint, n, err))
		l, err := s.ListUnnoticedSecrets(ctx, "expiring-1d", at(999), at(2000), "", 10)
		if err == nil && len(l) == 10 {
			cursor.unnoticed = domain.Cursor{At: *l[9].ExpiresAt, ID: string(l[9].ID)}.Encode()
		}
		e1 = firstErr(e1, err)
		_, n, err = s.ListSecretsDueNotice(ctx, at(1000+rows), "", 10)
		e1 = firstErr(e1, first(&cursor.due, n, err))
	}
	if e1 != nil || cursor.due == "" || cursor.secret == "" || cursor.rotation == "" || cursor.refresh == "" || cursor.session == "" || cursor.message == "" || cursor.unnoticed == "" || cursor.endpoint == "" {
		t.Fatalf("first pages: %v (cursors %+v)", e1, cursor)
	}
	later := func(after string) domain.Page { return domain.Page{After: after, Limit: 10} }
	return map[string]func(ctx context.Context, d store.Data) error{
		"secrets": func(ctx context.Context, d store.Data) error {
			_, _, err := d.PageSecrets(ctx, acme.ID, c.ID, page)
			return err
		},
		"secrets/later": func(ctx context.Context, d store.Data) error {
			_, _, err := d.PageSecrets(ctx, acme.ID, c.ID, later(cursor.secret))
			return err
		},
		"active secrets": func(ctx context.Context, d store.Data) error {
			_, err := d.ListActiveSecrets(ctx, acme.ID, c.ID, at(0))
			return err
		},
		"rotations": func(ctx context.Context, d store.Data) error {
			_, _, err := d.ListRotations(ctx, acme.ID, c.ID, page)
			return err
		},
		"rotations/later": func(ctx context.Context, d store.Data) error {
			_, _, err := d.ListRotations(ctx, acme.ID, c.ID, later(cursor.rotation))
			return err
		},
		"refresh tokens": func(ctx context.Context, d store.Data) error {
			_, _, err := d.ListRefreshTokens(ctx, acme.ID, c.ID, page)
			return err
		},
		"refresh tokens/later": func(ctx context.Context, d store.Data) error {
			_, _, err := d.ListRefreshTokens(ctx, acme.ID, c.ID, later(cursor.refresh))
			return err
		},
		"sessions": func(ctx context.Context, d store.Data) error {
			_, _, err := d.PageSessions(ctx, acme.ID, u.ID, at(0), page)
			return err
		},
		"sessions/later": func(ctx context.Context, d store.Data) error {
			_, _, err := d.PageSessions(ctx, acme.ID, u.ID, at(0), later(cursor.session))
			return err
		},
		"webhook deliveries": func(ctx context.Context, d store.Data) error {
			_, _, err := d.ListWebhookMessages(ctx, acme.ID, c.ID, domain.WebhookFilter{Page: page})
			return err
		},
		"webhook deliveries/later": func(ctx context.Context, d store.Data) error {
			_, _, err := d.ListWebhookMessages(ctx, acme.ID, c.ID, domain.WebhookFilter{Page: later(cursor.message)})
			return err
		},
		"organisation endpoint deliveries": func(ctx context.Context, d store.Data) error {
			_, _, err := d.ListEndpointWebhookMessages(ctx, acme.ID, ep.ID, domain.WebhookFilter{Page: page})
			return err
		},
		"organisation endpoint deliveries/later": func(ctx context.Context, d store.Data) error {
			_, _, err := d.ListEndpointWebhookMessages(ctx, acme.ID, ep.ID, domain.WebhookFilter{Page: later(cursor.endpoint)})
			return err
		},
		"organisation endpoint deliveries by status": func(ctx context.Context, d store.Data) error {
			_, _, err := d.ListEndpointWebhookMessages(ctx, acme.ID, ep.ID, domain.WebhookFilter{Status: domain.WebhookDelivered, Page: page})
			return err
		},
		"webhook deliveries by status": func(ctx context.Context, d store.Data) error {
			_, _, err := d.ListWebhookMessages(ctx, acme.ID, c.ID, domain.WebhookFilter{Status: domain.WebhookDelivered, Page: page})
			return err
		},
		"expiry notices due": func(ctx context.Context, d store.Data) error {
			_, err := d.ListUnnoticedSecrets(ctx, "expiring-1d", at(999), at(2000), "", 10)
			return err
		},
		"expiry notices due/later": func(ctx context.Context, d store.Data) error {
			_, err := d.ListUnnoticedSecrets(ctx, "expiring-1d", at(999), at(2000), cursor.unnoticed, 10)
			return err
		},
		"expiry notices scheduled": func(ctx context.Context, d store.Data) error {
			_, _, err := d.ListSecretsDueNotice(ctx, at(1000+rows), "", 10)
			return err
		},
		"expiry notices scheduled/later": func(ctx context.Context, d store.Data) error {
			_, _, err := d.ListSecretsDueNotice(ctx, at(1000+rows), cursor.due, 10)
			return err
		},
		"revocations since": func(ctx context.Context, d store.Data) error {
			_, err := d.ListRevokedTokensSince(ctx, at(rows-2), at(0))
			return err
		},
	}
}

func firstErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// testListSecretsDueNotice: the store schedules a secret's first expiry
// notice when it is created or its expiry changes, unschedules it when it
// is revoked, and ScheduleSecretNotice moves it on, conditionally.
func testListSecretsDueNotice(t *testing.T, s store.Store) {
	ctx := t.Context()
	acme := mustOrg(t, s, "Acme")
	c := mustClient(t, s, acme.ID)
	lead := int(domain.ExpiryNoticeLead / time.Minute)
	secret := func(firstNotice int, revoked bool) domain.Secret {
		x := generatedSecret(c, at(0))
		x.ExpiresAt = ptr(at(lead + firstNotice))
		if revoked {
			x.RevokedAt = ptr(at(1))
		}
		mustSecret(t, s, x)
		return x
	}
	a, b, e := secret(10, false), secret(5, false), secret(10, false)
	secret(1, true)
	never := generatedSecret(c, at(0))
	mustSecret(t, s, never)
	due := func(now int) []string {
		t.Helper()
		return pageAll(t, func(p domain.Page) ([]string, string, error) {
			l, next, err := s.ListSecretsDueNotice(ctx, at(now), p.After, 1)
			return ids2(l), next, err
		})
	}
	ae := []string{string(a.ID), string(e.ID)}
	slices.Sort(ae)
	if got := due(4); len(got) != 0 {
		t.Errorf("due at 4 = %v, want none", got)
	}
	if got, want := due(10), append([]string{string(b.ID)}, ae...); !slices.Equal(got, want) {
		t.Errorf("due at 10 = %v, want %v (by time, then ID; revoked and never-expiring ones not scheduled)", got, want)
	}
	if ok, err := s.ScheduleSecretNotice(ctx, acme.ID, a.ID, at(lead+11), ptr(at(100))); err != nil || ok {
		t.Errorf("ScheduleSecretNotice for another expiry = %v, %v; want false", ok, err)
	}
	if ok, err := s.ScheduleSecretNotice(ctx, acme.ID, a.ID, *a.ExpiresAt, ptr(at(100))); err != nil || !ok {
		t.Fatalf("ScheduleSecretNotice = %v, %v; want true", ok, err)
	}
	if got, want := due(99), []string{string(b.ID), string(e.ID)}; !slices.Equal(got, want) {
		t.Errorf("due at 99 = %v, want %v", got, want)
	}
	// An edit that keeps the expiry keeps the schedule; a new expiry
	// starts over from its first notice.
	if _, err := s.UpdateSecret(ctx, acme.ID, a.ID, func(x *domain.Secret) error { x.Description = "edited"; return nil }); err != nil {
		t.Fatal(err)
	}
	if got := due(99); slices.Contains(got, string(a.ID)) {
		t.Errorf("due at 99 after a description edit = %v, want it without %s", got, a.ID)
	}
	if !slices.Contains(due(100), string(a.ID)) {
		t.Errorf("due at 100 lacks %s", a.ID)
	}
	if _, err := s.UpdateSecret(ctx, acme.ID, a.ID, func(x *domain.Secret) error { x.ExpiresAt = ptr(at(lead + 50)); return nil }); err != nil {
		t.Fatal(err)
	}
	if got, want := due(50), []string{string(a.ID), string(b.ID), string(e.ID)}; !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))) {
		t.Errorf("due at 50 after a new expiry = %v, want %v", got, want)
	}
	if ok, err := s.RevokeSecret(ctx, acme.ID, e.ID, at(2), false); err != nil || !ok {
		t.Fatal(ok, err)
	}
	if ok, err := s.ScheduleSecretNotice(ctx, acme.ID, e.ID, *e.ExpiresAt, ptr(at(3))); err != nil || ok {
		t.Errorf("ScheduleSecretNotice for a revoked secret = %v, %v; want false", ok, err)
	}
	if got := due(100000); slices.Contains(got, string(e.ID)) {
		t.Errorf("a revoked secret is still scheduled: %v", got)
	}
	if _, err := s.RevokeClientSecrets(ctx, acme.ID, c.ID, at(3)); err != nil {
		t.Fatal(err)
	}
	if got := due(100000); len(got) != 0 {
		t.Errorf("due after revoking the client's secrets = %v, want none", got)
	}
}
