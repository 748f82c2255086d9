package storetest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"keywarden/internal/domain"
	"keywarden/internal/store"
)

func testSecretCreateGetList(t *testing.T, s store.Store) {
	ctx := t.Context()
	o := mustOrg(t, s, "Acme")
	c, other := mustClient(t, s, o.ID), mustClient(t, s, o.ID)
	// Created out of order: the list is oldest first, not insertion order.
	third := mustSecret(t, s, generatedSecret(c, at(3)))
	first := mustSecret(t, s, suppliedSecret(c, at(1)))
	second := generatedSecret(c, at(2))
	second.ExpiresAt, second.Description = nil, ""
	mustSecret(t, s, second)
	mustSecret(t, s, generatedSecret(other, at(0)))

	for _, tc := range []struct {
		name string
		want domain.Secret
	}{
		{"supplied", first},
		{"generated, never expires, no description", second},
		{"generated", third},
	} {
		t.Run("get "+tc.name, func(t *testing.T) {
			got, err := s.GetSecret(ctx, o.ID, tc.want.ID)
			if err != nil || !sameSecret(got, tc.want) {
				t.Errorf("GetSecret = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
	got, err := s.ListSecrets(ctx, o.ID, c.ID)
	if err != nil {
		t.Fatalf("ListSecrets: %v", err)
	}
	want := []domain.Secret{first, second, third}
	if !slices.Equal(secretIDs(got), secretIDs(want)) {
		t.Fatalf("ListSecrets = %v, want oldest first %v", secretIDs(got), secretIDs(want))
	}
	for i := range got {
		if !sameSecret(got[i], want[i]) {
			t.Errorf("listed secret %d = %+v, want %+v", i, got[i], want[i])
		}
	}

	tests := []struct {
		name    string
		op      func() error
		wantErr error
	}{
		{"create the same ID twice", func() error { return s.CreateSecret(ctx, first) }, domain.ErrConflict},
		{"get unknown", func() error { _, err := s.GetSecret(ctx, o.ID, domain.NewSecretID()); return err }, domain.ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.op(); !errors.Is(err, tc.wantErr) {
				t.Errorf("err = %v, want %v", err, tc.wantErr)
			}
		})
	}
	if got, err := s.ListSecrets(ctx, o.ID, domain.NewClientID()); err != nil || len(got) != 0 {
		t.Errorf("ListSecrets of an unknown client = %v, %v; want none", secretIDs(got), err)
	}
}

func testSecretByVerifier(t *testing.T, s store.Store) {
	ctx := t.Context()
	o := mustOrg(t, s, "Acme")
	c := mustClient(t, s, o.ID)
	gen := mustSecret(t, s, generatedSecret(c, at(1)))
	// Supplied secrets have no verifier; the unique index must ignore NULLs.
	var supplied []domain.Secret
	for i := range 3 {
		x := suppliedSecret(c, at(2+i))
		if err := s.CreateSecret(ctx, x); err != nil {
			t.Fatalf("CreateSecret(supplied %d, nil verifier): %v", i, err)
		}
		supplied = append(supplied, x)
	}
	for _, want := range supplied {
		if got, err := s.GetSecret(ctx, o.ID, want.ID); err != nil || !sameSecret(got, want) {
			t.Errorf("GetSecret(supplied) = %+v, %v; want %+v", got, err, want)
		}
	}

	tests := []struct {
		name     string
		verifier []byte
		want     *domain.Secret
		wantErr  error
	}{
		{"generated secret", gen.Verifier, &gen, nil},
		{"unknown verifier", randomBytes(32), nil, domain.ErrNotFound},
		{"nil verifier finds no supplied secret", nil, nil, domain.ErrNotFound},
		{"empty verifier finds no supplied secret", []byte{}, nil, domain.ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.SecretByVerifier(ctx, tc.verifier)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("SecretByVerifier err = %v, want %v", err, tc.wantErr)
			}
			if tc.want != nil && !sameSecret(got, *tc.want) {
				t.Errorf("SecretByVerifier = %+v, want %+v", got, *tc.want)
			}
		})
	}

	t.Run("duplicate verifier", func(t *testing.T) {
		dup := generatedSecret(c, at(9))
		dup.Verifier = gen.Verifier
		if err := s.CreateSecret(ctx, dup); !errors.Is(err, domain.ErrConflict) {
			t.Fatalf("CreateSecret with a taken verifier: err = %v, want ErrConflict", err)
		}
		if _, err := s.GetSecret(ctx, o.ID, dup.ID); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("the refused secret: err = %v, want ErrNotFound", err)
		}
		if got, err := s.SecretByVerifier(ctx, gen.Verifier); err != nil || got.ID != gen.ID {
			t.Errorf("SecretByVerifier after the refused duplicate = %s, %v; want %s", got.ID, err, gen.ID)
		}
	})
}

func testUpdateSecret(t *testing.T, s store.Store) {
	ctx := t.Context()
	o := mustOrg(t, s, "Acme")
	c := mustClient(t, s, o.ID)
	x := mustSecret(t, s, generatedSecret(c, at(1)))

	tests := []struct {
		name        string
		description string
		expires     *time.Time
		cidrs       []string
	}{
		{"description, expiry and networks", "rotated by ops", ptr(at(500)), []string{"192.0.2.0/24"}},
		{"never expires, any network", "kept forever", nil, nil},
		{"expiry and networks again", "", ptr(at(42)), []string{"198.51.100.0/24", "2001:db8:1::/48", "203.0.113.7/32"}},
	}
	want := x
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := want
			u.Description, u.ExpiresAt, u.AllowedCIDRs = tc.description, tc.expires, tc.cidrs
			want = u
			// Fields UpdateSecret does not own must not change.
			u.Hint, u.CreatedBy, u.CreatedAt, u.Hash, u.LastUsedFrom = "ZZZZ", "someone", at(77), "nope", "198.51.100.1"
			u.KeepTokens, u.RevokedAt, u.LastUsedAt, u.Verifier = true, ptr(at(78)), ptr(at(79)), randomBytes(32)
			if err := putSecret(ctx, s, u); err != nil {
				t.Fatalf("UpdateSecret: %v", err)
			}
			if got, err := s.GetSecret(ctx, o.ID, x.ID); err != nil || !sameSecret(got, want) {
				t.Errorf("GetSecret after UpdateSecret = %+v, %v; want %+v", got, err, want)
			}
		})
	}

	t.Run("unknown secret", func(t *testing.T) {
		u := x
		u.ID = domain.NewSecretID()
		if err := putSecret(ctx, s, u); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("UpdateSecret(unknown) err = %v, want ErrNotFound", err)
		}
	})
	t.Run("revoked secret", func(t *testing.T) {
		if err := revoke(ctx, s, o.ID, x.ID, at(600), false); err != nil {
			t.Fatalf("RevokeSecret: %v", err)
		}
		before, err := s.GetSecret(ctx, o.ID, x.ID)
		if err != nil {
			t.Fatal(err)
		}
		u := before
		u.Description, u.ExpiresAt, u.AllowedCIDRs = "after revocation", ptr(at(900)), []string{"0.0.0.0/0"}
		if err := putSecret(ctx, s, u); !errors.Is(err, domain.ErrConflict) {
			t.Errorf("UpdateSecret(revoked) err = %v, want ErrConflict", err)
		}
		if got, err := s.GetSecret(ctx, o.ID, x.ID); err != nil || !sameSecret(got, before) {
			t.Errorf("revoked secret after UpdateSecret = %+v, %v; want %+v unchanged", got, err, before)
		}
	})
}

func testRevokeIsFinal(t *testing.T, s store.Store) {
	ctx := t.Context()
	o := mustOrg(t, s, "Acme")
	c := mustClient(t, s, o.ID)
	x := mustSecret(t, s, generatedSecret(c, at(1)))
	first, second := at(10), at(20)

	steps := []struct {
		name    string
		op      func() error
		wantErr error
	}{
		{"revoke keeping tokens", func() error { return revoke(ctx, s, o.ID, x.ID, first, true) }, nil},
		{"revoke again is a no-op", func() error { return revoke(ctx, s, o.ID, x.ID, second, true) }, nil},
		{"revoke again killing tokens is a no-op", func() error { return revoke(ctx, s, o.ID, x.ID, second, false) }, nil},
		{"revoke earlier is a no-op", func() error { return revoke(ctx, s, o.ID, x.ID, at(5), false) }, nil},
		{"update after revoke", func() error {
			u := x
			u.Description = "revived?"
			u.RevokedAt = nil
			return putSecret(ctx, s, u)
		}, domain.ErrConflict},
		{"touch after revoke", func() error {
			return s.TouchLastUsed(ctx, []domain.SecretUse{{SecretID: x.ID, At: at(30), From: "192.0.2.7"}})
		}, nil},
		{"revoke unknown", func() error { return revoke(ctx, s, o.ID, domain.NewSecretID(), first, false) }, domain.ErrNotFound},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			if err := step.op(); !errors.Is(err, step.wantErr) {
				t.Fatalf("err = %v, want %v", err, step.wantErr)
			}
			got, err := s.GetSecret(ctx, o.ID, x.ID)
			if err != nil {
				t.Fatalf("GetSecret: %v", err)
			}
			if got.RevokedAt == nil || !got.RevokedAt.Equal(first) || !got.KeepTokens {
				t.Errorf("RevokedAt = %v, KeepTokens = %v; want the first revocation: %v, true", got.RevokedAt, got.KeepTokens, first)
			}
			if got.State(at(1)) != domain.SecretRevoked || got.Description != x.Description {
				t.Errorf("secret = %+v, want revoked and otherwise unchanged", got)
			}
		})
	}
}

func testRevokeClientSecrets(t *testing.T, s store.Store) {
	ctx := t.Context()
	o := mustOrg(t, s, "Acme")
	c, other := mustClient(t, s, o.ID), mustClient(t, s, o.ID)
	old := generatedSecret(c, at(1))
	old.RevokedAt, old.KeepTokens = ptr(at(2)), true // revoked gracefully before
	mustSecret(t, s, old)
	a := generatedSecret(c, at(3))
	a.KeepTokens = true // revoke-all must still kill its tokens
	mustSecret(t, s, a)
	b := mustSecret(t, s, suppliedSecret(c, at(4)))
	untouched := []domain.Secret{
		mustSecret(t, s, generatedSecret(other, at(5))),
		mustSecret(t, s, suppliedSecret(other, at(6))),
	}
	now := at(100)

	tests := []struct {
		name   string
		client domain.ClientID
		at     time.Time
		want   int
	}{
		{"revokes only the unrevoked", c.ID, now, 2},
		{"again revokes nothing", c.ID, now.Add(time.Hour), 0},
		{"unknown client", domain.NewClientID(), now, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := s.RevokeClientSecrets(ctx, o.ID, tc.client, tc.at)
			if err != nil || n != tc.want {
				t.Errorf("RevokeClientSecrets = %d, %v; want %d, nil", n, err, tc.want)
			}
		})
	}

	wantRevoked := map[domain.SecretID]time.Time{old.ID: *old.RevokedAt, a.ID: now, b.ID: now}
	got, err := s.ListSecrets(ctx, o.ID, c.ID)
	if err != nil || len(got) != 3 {
		t.Fatalf("ListSecrets = %v, %v; want 3", secretIDs(got), err)
	}
	for _, x := range got {
		if want := wantRevoked[x.ID]; x.RevokedAt == nil || !x.RevokedAt.Equal(want) {
			t.Errorf("secret %s RevokedAt = %v, want %v", x.ID, x.RevokedAt, want)
		}
		if wantKeep := x.ID == old.ID; x.KeepTokens != wantKeep {
			t.Errorf("secret %s KeepTokens = %v, want %v", x.ID, x.KeepTokens, wantKeep)
		}
	}
	for _, want := range untouched {
		if got, err := s.GetSecret(ctx, o.ID, want.ID); err != nil || !sameSecret(got, want) {
			t.Errorf("another client's secret = %+v, %v; want %+v unchanged", got, err, want)
		}
	}
}

func testTouchLastUsed(t *testing.T, s store.Store) {
	ctx := t.Context()
	o := mustOrg(t, s, "Acme")
	c := mustClient(t, s, o.ID)
	x := mustSecret(t, s, generatedSecret(c, at(1)))
	y := mustSecret(t, s, suppliedSecret(c, at(1)))
	type use struct {
		at   time.Time
		from string
	}
	steps := []struct {
		name  string
		uses  []domain.SecretUse
		wantX *use
		wantY *use
	}{
		{"first use", []domain.SecretUse{secretUse(x.ID, at(10), "192.0.2.1")}, &use{at(10), "192.0.2.1"}, nil},
		{"an earlier use never overwrites", []domain.SecretUse{secretUse(x.ID, at(5), "192.0.2.2")}, &use{at(10), "192.0.2.1"}, nil},
		{"a later use wins", []domain.SecretUse{secretUse(x.ID, at(20), "192.0.2.3")}, &use{at(20), "192.0.2.3"}, nil},
		{"a batch out of order keeps the latest", []domain.SecretUse{
			secretUse(x.ID, at(40), "192.0.2.5"), secretUse(y.ID, at(15), "2001:db8::1"), secretUse(x.ID, at(30), "192.0.2.4"),
		}, &use{at(40), "192.0.2.5"}, &use{at(15), "2001:db8::1"}},
		{"one microsecond later wins", []domain.SecretUse{secretUse(y.ID, at(15).Add(time.Microsecond), "2001:db8::2")},
			&use{at(40), "192.0.2.5"}, &use{at(15).Add(time.Microsecond), "2001:db8::2"}},
		{"an empty batch", nil, &use{at(40), "192.0.2.5"}, &use{at(15).Add(time.Microsecond), "2001:db8::2"}},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			if err := s.TouchLastUsed(ctx, step.uses); err != nil {
				t.Fatalf("TouchLastUsed: %v", err)
			}
			for _, check := range []struct {
				id   domain.SecretID
				want *use
			}{{x.ID, step.wantX}, {y.ID, step.wantY}} {
				got, err := s.GetSecret(ctx, o.ID, check.id)
				if err != nil {
					t.Fatalf("GetSecret: %v", err)
				}
				switch {
				case check.want == nil && (got.LastUsedAt != nil || got.LastUsedFrom != ""):
					t.Errorf("secret %s last used %v from %q, want never", check.id, got.LastUsedAt, got.LastUsedFrom)
				case check.want != nil && (got.LastUsedAt == nil || !got.LastUsedAt.Equal(check.want.at) || got.LastUsedFrom != check.want.from):
					t.Errorf("secret %s last used %v from %q, want %v from %q", check.id, got.LastUsedAt, got.LastUsedFrom, check.want.at, check.want.from)
				}
			}
		})
	}
}

func secretUse(id domain.SecretID, when time.Time, from string) domain.SecretUse {
	return domain.SecretUse{SecretID: id, At: when, From: from}
}
