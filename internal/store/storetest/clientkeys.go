package storetest

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"keywarden/internal/domain"
	"keywarden/internal/store"
	"keywarden/internal/testkit"
)

func newClientKey(c domain.Client, kid string, created time.Time) domain.ClientKey {
	return domain.ClientKey{
		ID: domain.NewClientKeyID(), OrgID: c.OrgID, ClientID: c.ID, KID: kid, Algorithm: "ES256",
		PublicJWK: `{"kty":"EC","crv":"P-256","x":"x","y":"y","kid":"` + kid + `"}`, Thumbprint: "tp-" + kid,
		Description: "deploy key", CreatedAt: created, CreatedBy: string(domain.NewUserID()),
		ExpiresAt: ptr(created.Add(90 * 24 * time.Hour)),
	}
}

func sameClientKey(a, b domain.ClientKey) bool {
	return a.ID == b.ID && a.OrgID == b.OrgID && a.ClientID == b.ClientID && a.KID == b.KID && a.Algorithm == b.Algorithm &&
		a.PublicJWK == b.PublicJWK && a.Thumbprint == b.Thumbprint && a.Description == b.Description &&
		a.CreatedAt.Equal(b.CreatedAt) && a.CreatedBy == b.CreatedBy && sameTime(a.ExpiresAt, b.ExpiresAt) &&
		sameTime(a.RevokedAt, b.RevokedAt) && sameTime(a.LastUsedAt, b.LastUsedAt) && a.LastUsedFrom == b.LastUsedFrom &&
		a.JWKSURI == b.JWKSURI
}

func mustClientKey(t *testing.T, s store.Data, k domain.ClientKey) domain.ClientKey {
	t.Helper()
	if err := s.CreateClientKey(t.Context(), k); err != nil {
		t.Fatalf("CreateClientKey: %v", err)
	}
	return k
}

// testClientKeys: create, get, list oldest first, kid unique per client
// (another client may reuse it), organisation scoping, edit, revoke once,
// revoke all, the keys in LoadClientAuth, and deletion with the client.
func testClientKeys(t *testing.T, s store.Store) {
	ctx := t.Context()
	o, o2 := mustOrg(t, s, "Acme"), mustOrg(t, s, "Other")
	c, other := mustClient(t, s, o.ID), mustClient(t, s, o.ID)
	second := mustClientKey(t, s, newClientKey(c, "k2", at(2)))
	first := newClientKey(c, "k1", at(1))
	first.ExpiresAt, first.Description = nil, ""
	mustClientKey(t, s, first)
	mustClientKey(t, s, newClientKey(other, "k1", at(0))) // kid unique per client only
	uri := newClientKey(other, "jwks_uri:x", at(1))
	uri.JWKSURI, uri.PublicJWK, uri.Algorithm, uri.Thumbprint = "https://keys.example.com/jwks.json", "", "", ""
	mustClientKey(t, s, uri)
	if got, err := s.GetClientKey(ctx, o.ID, uri.ID); err != nil || !sameClientKey(got, uri) {
		t.Errorf("a jwks_uri key = %+v, %v; want %+v", got, err, uri)
	}

	for _, tc := range []struct {
		name    string
		op      func() error
		wantErr error
	}{
		{"same kid twice for one client", func() error { return s.CreateClientKey(ctx, newClientKey(c, "k1", at(3))) }, domain.ErrConflict},
		{"same ID twice", func() error { k := newClientKey(c, "k9", at(3)); k.ID = first.ID; return s.CreateClientKey(ctx, k) }, domain.ErrConflict},
		{"get unknown", func() error { _, err := s.GetClientKey(ctx, o.ID, domain.NewClientKeyID()); return err }, domain.ErrNotFound},
		{"get from another organisation", func() error { _, err := s.GetClientKey(ctx, o2.ID, first.ID); return err }, domain.ErrNotFound},
		{"revoke from another organisation", func() error { _, err := s.RevokeClientKey(ctx, o2.ID, first.ID, at(5)); return err }, domain.ErrNotFound},
		{"update from another organisation", func() error {
			_, err := s.UpdateClientKey(ctx, o2.ID, first.ID, func(k *domain.ClientKey) error { k.Description = "x"; return nil })
			return err
		}, domain.ErrNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.op(); !errors.Is(err, tc.wantErr) {
				t.Errorf("err = %v, want %v", err, tc.wantErr)
			}
		})
	}
	got, err := s.GetClientKey(ctx, o.ID, first.ID)
	if err != nil || !sameClientKey(got, first) {
		t.Errorf("GetClientKey = %+v, %v; want %+v", got, err, first)
	}
	list, err := s.ListClientKeys(ctx, o.ID, c.ID)
	if err != nil || len(list) != 2 || !sameClientKey(list[0], first) || !sameClientKey(list[1], second) {
		t.Fatalf("ListClientKeys = %+v, %v; want [k1 k2] oldest first", list, err)
	}

	exp := at(60 * 24)
	k, err := s.UpdateClientKey(ctx, o.ID, first.ID, func(k *domain.ClientKey) error {
		k.Description, k.ExpiresAt = "edited", &exp
		return nil
	})
	if err != nil || k.Description != "edited" || !sameTime(k.ExpiresAt, &exp) {
		t.Fatalf("UpdateClientKey = %+v, %v", k, err)
	}
	if got, _ := s.GetClientKey(ctx, o.ID, first.ID); got.Description != "edited" || !sameTime(got.ExpiresAt, &exp) {
		t.Errorf("after UpdateClientKey: %+v", got)
	}
	if _, err := s.UpdateClientKey(ctx, o.ID, first.ID, func(*domain.ClientKey) error { return store.ErrNoChange }); err != nil {
		t.Errorf("UpdateClientKey with ErrNoChange: %v", err)
	}

	if ok, err := s.RevokeClientKey(ctx, o.ID, first.ID, at(10)); !ok || err != nil {
		t.Fatalf("RevokeClientKey = %v, %v; want true", ok, err)
	}
	if ok, err := s.RevokeClientKey(ctx, o.ID, first.ID, at(11)); ok || err != nil {
		t.Errorf("second RevokeClientKey = %v, %v; want false, nil", ok, err)
	}
	if got, _ := s.GetClientKey(ctx, o.ID, first.ID); !sameTime(got.RevokedAt, ptr(at(10))) {
		t.Errorf("revoked at = %v, want the first revocation's %v", got.RevokedAt, at(10))
	}
	if _, err := s.UpdateClientKey(ctx, o.ID, first.ID, func(k *domain.ClientKey) error { k.Description = "x"; return nil }); !errors.Is(err, domain.ErrConflict) {
		t.Errorf("UpdateClientKey of a revoked key: %v, want ErrConflict", err)
	}

	d, err := s.LoadClientAuth(ctx, c.ID)
	if err != nil || len(d.Keys) != 2 || d.Keys[0].ID != first.ID || d.Keys[1].ID != second.ID || d.Keys[0].RevokedAt == nil {
		t.Fatalf("LoadClientAuth keys = %+v, %v", d.Keys, err)
	}
	if d, err := s.LoadClientAuth(ctx, other.ID); err != nil || len(d.Keys) != 2 || d.Keys[1].JWKSURI == "" {
		t.Errorf("LoadClientAuth(other) keys = %+v, %v", d.Keys, err)
	}

	if n, err := s.RevokeClientKeys(ctx, o.ID, c.ID, at(20)); n != 1 || err != nil {
		t.Errorf("RevokeClientKeys = %d, %v; want 1 (the other was revoked)", n, err)
	}
	if err := s.DeleteClient(ctx, o.ID, c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetClientKey(ctx, o.ID, second.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("key of a deleted client: %v, want ErrNotFound", err)
	}
}

// testTouchKeysLastUsed: the latest use wins, whatever the batch order
// and whatever was stored before.
func testTouchKeysLastUsed(t *testing.T, s store.Store) {
	ctx := t.Context()
	o := mustOrg(t, s, "Acme")
	c := mustClient(t, s, o.ID)
	a, b := mustClientKey(t, s, newClientKey(c, "a", at(0))), mustClientKey(t, s, newClientKey(c, "b", at(0)))
	if err := s.TouchKeysLastUsed(ctx, []domain.ClientKeyUse{
		{KeyID: a.ID, At: at(5), From: "10.0.0.5"}, {KeyID: a.ID, At: at(3), From: "10.0.0.3"}, {KeyID: b.ID, At: at(2), From: "10.0.0.2"},
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.TouchKeysLastUsed(ctx, []domain.ClientKeyUse{{KeyID: a.ID, At: at(4), From: "10.0.0.4"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.TouchKeysLastUsed(ctx, nil); err != nil {
		t.Errorf("empty batch: %v", err)
	}
	for _, tc := range []struct {
		id   domain.ClientKeyID
		at   time.Time
		from string
	}{{a.ID, at(5), "10.0.0.5"}, {b.ID, at(2), "10.0.0.2"}} {
		k, err := s.GetClientKey(ctx, o.ID, tc.id)
		if err != nil || !sameTime(k.LastUsedAt, &tc.at) || k.LastUsedFrom != tc.from {
			t.Errorf("key %s last used %v from %q (%v); want %v from %q", tc.id, k.LastUsedAt, k.LastUsedFrom, err, tc.at, tc.from)
		}
	}
}

// testAssertionIDs: a jti is consumed once per client until it expires,
// another client may use the same jti, an expired entry is taken over,
// and the purge deletes only the expired entries.
func testAssertionIDs(t *testing.T, s store.Store) {
	ctx := t.Context()
	c1, c2 := domain.NewClientID(), domain.NewClientID()
	steps := []struct {
		name   string
		client domain.ClientID
		jti    string
		exp    time.Time
		now    time.Time
		want   bool
	}{
		{"first use", c1, "j1", at(5), at(0), true},
		{"replay", c1, "j1", at(5), at(1), false},
		{"replay with another exp", c1, "j1", at(9), at(1), false},
		{"replay at the last instant before exp", c1, "j1", at(5), at(5).Add(-time.Microsecond), false},
		{"same jti, other client", c2, "j1", at(5), at(1), true},
		{"other jti", c1, "j2", at(3), at(1), true},
		{"reuse after the entry expired", c1, "j1", at(20), at(5), true},
		{"replay of the reuse", c1, "j1", at(20), at(6), false},
	}
	for _, st := range steps {
		ok, err := s.ConsumeAssertionID(ctx, st.client, st.jti, st.exp, st.now)
		if err != nil || ok != st.want {
			t.Errorf("%s: ConsumeAssertionID = %v, %v; want %v", st.name, ok, err, st.want)
		}
	}
	// Left: (c1,j1,at 20), (c2,j1,at 5), (c1,j2,at 3).
	if n, err := s.DeleteAssertionIDsBefore(ctx, at(5)); n != 1 || err != nil {
		t.Errorf("DeleteAssertionIDsBefore(at 5) = %d, %v; want 1", n, err)
	}
	if ok, _ := s.ConsumeAssertionID(ctx, c2, "j1", at(30), at(4)); ok {
		t.Error("an unexpired entry was purged")
	}
	if ok, _ := s.ConsumeAssertionID(ctx, c1, "j2", at(30), at(2)); !ok {
		t.Error("the purged entry (c1, j2) is still there")
	}
}

// raceAssertionID consumes one (client, jti) from many goroutines spread
// over nodes: exactly one wins.
func raceAssertionID(t *testing.T, nodes []store.Store) {
	ctx := t.Context()
	client := domain.NewClientID()
	for round := range rounds {
		jti := "race-" + string(rune('a'+round))
		var wins atomic.Int32
		testkit.Race(racers, func(i int) {
			ok, err := nodes[i%len(nodes)].ConsumeAssertionID(ctx, client, jti, at(10), at(0))
			if err != nil {
				t.Errorf("ConsumeAssertionID: %v", err)
			}
			if ok {
				wins.Add(1)
			}
		})
		if n := wins.Load(); n != 1 {
			t.Fatalf("round %d: %d goroutines consumed one jti, want exactly 1", round, n)
		}
	}
}

func testAssertionIDOnce(t *testing.T, s store.Store) { raceAssertionID(t, []store.Store{s}) }

func testNodesAssertionIDOnce(t *testing.T, n1, n2 store.Store) {
	raceAssertionID(t, []store.Store{n1, n2})
}
