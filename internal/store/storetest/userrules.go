package storetest

import (
	"testing"
	"time"

	"keywarden/internal/domain"
	"keywarden/internal/store"
)

// testLegacyPasswordEnded: a user's LegacyPasswordEndedAt round-trips
// through CreateUser and UpdateUser, and Health reports a user's newest
// active personal secret when a rotation's grace keeps two.
func testLegacyPasswordEnded(t *testing.T, s store.Store) {
	ctx := t.Context()
	o := mustOrg(t, s, "Acme")
	ended := newUser(o.ID, "ended@example.com")
	ended.LegacyPasswordEndedAt = ptr(at(3))
	open := newUser(o.ID, "open@example.com")
	for _, u := range []domain.User{ended, open} {
		if err := s.CreateUser(ctx, u); err != nil {
			t.Fatalf("CreateUser: %v", err)
		}
	}
	for _, tc := range []struct {
		u    domain.User
		want *time.Time
	}{{ended, ended.LegacyPasswordEndedAt}, {open, nil}} {
		got, err := s.GetUser(ctx, o.ID, tc.u.ID)
		if err != nil || !sameTime(got.LegacyPasswordEndedAt, tc.want) {
			t.Errorf("%s: LegacyPasswordEndedAt = %v, %v; want %v", tc.u.Email, got.LegacyPasswordEndedAt, err, tc.want)
		}
	}
	if _, err := s.UpdateUser(ctx, o.ID, open.ID, func(u *domain.User) error { u.LegacyPasswordEndedAt = ptr(at(7)); return nil }); err != nil {
		t.Fatalf("UpdateUser: %v", err)
	}
	if got, err := s.GetUser(ctx, o.ID, open.ID); err != nil || !sameTime(got.LegacyPasswordEndedAt, ptr(at(7))) {
		t.Errorf("after UpdateUser: LegacyPasswordEndedAt = %v, %v", got.LegacyPasswordEndedAt, err)
	}

	c := newClient(o.ID, at(0))
	c.OwnerUserID = open.ID
	if err := s.CreateClient(ctx, c); err != nil {
		t.Fatalf("CreateClient: %v", err)
	}
	older := generatedSecret(c, at(1))
	newer := generatedSecret(c, at(2))
	for _, x := range []domain.Secret{newer, older} {
		mustSecret(t, s, x)
	}
	h, err := s.Health(ctx, o.ID, domain.HealthQuery{Now: at(10), Horizon: at(10), UnusedSince: at(10), FailuresSince: at(10), Limit: 5})
	if err != nil {
		t.Fatalf("Health: %v", err)
	}
	if p, ok := h.Personal[open.ID]; !ok || p.SecretID != newer.ID {
		t.Errorf("Health.Personal = %+v, want the newest active secret %s", h.Personal[open.ID], newer.ID)
	}
}
