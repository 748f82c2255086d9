package storetest

import (
	"testing"
	"time"

	"keywarden/internal/domain"
	"keywarden/internal/store"
)

// testHealth checks the overview's figures: expiring and unused secrets
// (never personal credentials), clients without an active secret, open
// rotations, personal credentials by user and failed authentications.
func testHealth(t *testing.T, s store.Store) {
	ctx := t.Context()
	o := mustOrg(t, s, "Acme")
	now := at(100000)
	mk := func(name string) domain.Client {
		c := newClient(o.ID, at(1))
		c.Name = name
		if err := s.CreateClient(ctx, c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	sec := func(c domain.Client, exp time.Time) domain.Secret {
		x := generatedSecret(c, at(1))
		x.ExpiresAt = &exp
		return mustSecret(t, s, x)
	}
	soon, later, none, keyed := mk("soon"), mk("later"), mk("none"), mk("keyed")
	mustClientKey(t, s, newClientKey(keyed, "k1", at(1))) // a key is a credential too
	s1 := sec(soon, now.Add(12*time.Hour))
	sec(later, now.Add(10*24*time.Hour))
	gone := sec(none, now.Add(100*24*time.Hour))
	if err := revoke(ctx, s, o.ID, gone.ID, at(2), false); err != nil {
		t.Fatal(err)
	}
	if err := s.TouchLastUsed(ctx, []domain.SecretUse{{SecretID: s1.ID, At: now.Add(-time.Hour), From: "192.0.2.1"}}); err != nil {
		t.Fatal(err)
	}
	u := mustUser(t, s, o.ID, "ann@example.com")
	personal := newClient(o.ID, at(1))
	personal.OwnerUserID = u.ID
	if err := s.CreateClient(ctx, personal); err != nil {
		t.Fatal(err)
	}
	ps := sec(personal, now.Add(12*time.Hour))
	r := domain.Rotation{ID: domain.NewRotationID(), OrgID: o.ID, ClientID: later.ID, NewSecretID: s1.ID, OldSecretIDs: []domain.SecretID{},
		StartedAt: at(3), StartedBy: "usr_x", QuietSeconds: 60}
	if err := s.CreateRotation(ctx, r); err != nil {
		t.Fatal(err)
	}
	for _, when := range []time.Time{now.Add(-time.Hour), now.Add(-2 * time.Hour), now.Add(-3 * 24 * time.Hour)} {
		e := newEvent(o.ID, when, "client.authenticate", "kwc_x", "kwc_x")
		e.Result = domain.ResultFailure
		mustAppend(t, s, e)
	}
	h, err := s.Health(ctx, o.ID, domain.HealthQuery{Now: now, Horizon: now.Add(14 * 24 * time.Hour), UnusedSince: now.Add(-30 * 24 * time.Hour),
		FailuresSince: now.Add(-24 * time.Hour), Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Expiring) != 2 || h.Expiring[0].SecretID != s1.ID || h.Expiring[0].ClientName != "soon" {
		t.Errorf("expiring = %+v, want soon's then later's (not the personal credential's)", h.Expiring)
	}
	if h.ExpiringWithin[1] != 1 || h.ExpiringWithin[7] != 1 || h.ExpiringWithin[14] != 2 {
		t.Errorf("expiring within = %v, want 1, 1, 2", h.ExpiringWithin)
	}
	if h.UnusedCount != 1 || len(h.Unused) != 1 || h.Unused[0].ClientName != "later" {
		t.Errorf("unused = %d %+v, want later's secret (soon's was used; revoked ones do not count)", h.UnusedCount, h.Unused)
	}
	if h.NoActiveSecretCount != 1 || len(h.NoActiveSecret) != 1 || h.NoActiveSecret[0].ClientID != none.ID {
		t.Errorf("without a secret = %d %+v, want none", h.NoActiveSecretCount, h.NoActiveSecret)
	}
	if len(h.OpenRotations) != 1 || h.OpenRotations[0].ID != r.ID {
		t.Errorf("open rotations = %+v", h.OpenRotations)
	}
	if p, ok := h.Personal[u.ID]; !ok || p.SecretID != ps.ID {
		t.Errorf("personal = %+v, want ann's", h.Personal)
	}
	if h.Failures != 2 || h.FailuresWeekBefore != 1 {
		t.Errorf("failures = %d, week before %d; want 2 and 1", h.Failures, h.FailuresWeekBefore)
	}
}
