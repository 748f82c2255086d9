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

func newAPIToken(org domain.OrgID, user domain.UserID, name string, created int) domain.APIToken {
	return domain.APIToken{ID: domain.NewAPITokenID(), OrgID: org, UserID: user, Name: name,
		Verifier: randomBytes(32), Hint: "Qx9a", CreatedAt: at(created), ExpiresAt: ptr(at(created + 600))}
}

// testAPITokenLifecycle: get, list (newest first, per user, per
// organisation), update under the row's lock, and a revoked token that
// never changes again.
func testAPITokenLifecycle(t *testing.T, s store.Store) {
	ctx := t.Context()
	acme, globex := mustOrg(t, s, "Acme"), mustOrg(t, s, "Globex")
	ada, bob := mustUser(t, s, acme.ID, "ada@example.com"), mustUser(t, s, acme.ID, "bob@example.com")
	older, newer := newAPIToken(acme.ID, ada.ID, "ci", 1), newAPIToken(acme.ID, ada.ID, "terraform", 2)
	other := newAPIToken(acme.ID, bob.ID, "bob's", 3)
	for _, tok := range []domain.APIToken{older, newer, other} {
		if err := s.CreateAPIToken(ctx, tok); err != nil {
			t.Fatalf("CreateAPIToken: %v", err)
		}
	}
	if got, err := s.GetAPIToken(ctx, acme.ID, older.ID); err != nil || !sameToken(got, older) {
		t.Errorf("GetAPIToken = %+v, %v; want %+v", got, err, older)
	}
	if _, err := s.GetAPIToken(ctx, globex.ID, older.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("GetAPIToken from another organisation: err = %v, want ErrNotFound", err)
	}
	list, err := s.ListAPITokens(ctx, acme.ID, ada.ID)
	if err != nil || len(list) != 2 || list[0].ID != newer.ID || list[1].ID != older.ID {
		t.Errorf("ListAPITokens(ada) = %+v, %v; want terraform, then ci", list, err)
	}
	if list, err := s.ListAPITokens(ctx, globex.ID, ada.ID); err != nil || len(list) != 0 {
		t.Errorf("ListAPITokens from another organisation = %+v, %v; want none", list, err)
	}

	// An update stores name, expiry, revoked-at and replaced-by, and
	// leaves the rest as stored.
	got, err := s.UpdateAPIToken(ctx, acme.ID, older.ID, func(x *domain.APIToken) error {
		x.Name, x.ExpiresAt, x.ReplacedBy = "ci (old)", ptr(at(30)), newer.ID
		x.Hint, x.Verifier = "nope", nil // not stored
		return nil
	})
	want := older
	want.Name, want.ExpiresAt, want.ReplacedBy = "ci (old)", ptr(at(30)), newer.ID
	if err != nil || got.Name != want.Name || !sameTime(got.ExpiresAt, want.ExpiresAt) || got.ReplacedBy != want.ReplacedBy {
		t.Errorf("UpdateAPIToken = %+v, %v; want %+v", got, err, want)
	}
	if stored, _ := s.GetAPIToken(ctx, acme.ID, older.ID); !sameToken(stored, want) {
		t.Errorf("stored after update = %+v, want %+v", stored, want)
	}
	if _, err := s.UpdateAPIToken(ctx, acme.ID, older.ID, func(*domain.APIToken) error { return store.ErrNoChange }); err != nil {
		t.Errorf("UpdateAPIToken with no change: %v", err)
	}
	if _, err := s.UpdateAPIToken(ctx, globex.ID, older.ID, func(*domain.APIToken) error { return nil }); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("UpdateAPIToken from another organisation: err = %v, want ErrNotFound", err)
	}
	if _, err := s.UpdateAPIToken(ctx, acme.ID, older.ID, func(x *domain.APIToken) error { x.RevokedAt = ptr(at(40)); return nil }); err != nil {
		t.Fatalf("revoke: %v", err)
	}
	if _, err := s.UpdateAPIToken(ctx, acme.ID, older.ID, func(x *domain.APIToken) error { x.RevokedAt = nil; return nil }); !errors.Is(err, domain.ErrConflict) {
		t.Errorf("UpdateAPIToken of a revoked token: err = %v, want ErrConflict", err)
	}
	if stored, _ := s.GetAPIToken(ctx, acme.ID, older.ID); !sameTime(stored.RevokedAt, ptr(at(40))) {
		t.Errorf("revoked at = %v, want %v", stored.RevokedAt, at(40))
	}
	// The user's deletion takes the tokens with it.
	if err := s.DeleteUser(ctx, acme.ID, bob.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetAPIToken(ctx, acme.ID, other.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("a deleted user's token: err = %v, want ErrNotFound", err)
	}
}

// testTouchAPITokens: batched last use, where a later time never loses to
// an earlier one.
func testTouchAPITokens(t *testing.T, s store.Store) {
	ctx := t.Context()
	o := mustOrg(t, s, "Acme")
	u := mustUser(t, s, o.ID, "ada@example.com")
	x, y := newAPIToken(o.ID, u.ID, "x", 1), newAPIToken(o.ID, u.ID, "y", 1)
	for _, tok := range []domain.APIToken{x, y} {
		if err := s.CreateAPIToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	use := func(id domain.APITokenID, n int, from string) domain.APITokenUse {
		return domain.APITokenUse{TokenID: id, At: at(n), From: from}
	}
	steps := []struct {
		name         string
		uses         []domain.APITokenUse
		wantX, wantY *domain.APITokenUse
	}{
		{"first use", []domain.APITokenUse{use(x.ID, 10, "192.0.2.1")}, ptr(use(x.ID, 10, "192.0.2.1")), nil},
		{"an earlier use never overwrites", []domain.APITokenUse{use(x.ID, 5, "192.0.2.2")}, ptr(use(x.ID, 10, "192.0.2.1")), nil},
		{"a batch out of order keeps the latest", []domain.APITokenUse{use(x.ID, 40, "192.0.2.5"), use(y.ID, 15, "2001:db8::1"), use(x.ID, 30, "192.0.2.4")},
			ptr(use(x.ID, 40, "192.0.2.5")), ptr(use(y.ID, 15, "2001:db8::1"))},
		{"an unknown token is ignored", []domain.APITokenUse{use(domain.NewAPITokenID(), 50, "192.0.2.9")}, ptr(use(x.ID, 40, "192.0.2.5")), ptr(use(y.ID, 15, "2001:db8::1"))},
		{"an empty batch", nil, ptr(use(x.ID, 40, "192.0.2.5")), ptr(use(y.ID, 15, "2001:db8::1"))},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			if err := s.TouchAPITokens(ctx, step.uses); err != nil {
				t.Fatalf("TouchAPITokens: %v", err)
			}
			for _, c := range []struct {
				id   domain.APITokenID
				want *domain.APITokenUse
			}{{x.ID, step.wantX}, {y.ID, step.wantY}} {
				got, err := s.GetAPIToken(ctx, o.ID, c.id)
				switch {
				case err != nil:
					t.Fatal(err)
				case c.want == nil && got.LastUsedAt != nil:
					t.Errorf("%s last used %v, want never", c.id, got.LastUsedAt)
				case c.want != nil && (!sameTime(got.LastUsedAt, &c.want.At) || got.LastUsedFrom != c.want.From):
					t.Errorf("%s last used %v from %q, want %v from %q", c.id, got.LastUsedAt, got.LastUsedFrom, c.want.At, c.want.From)
				}
			}
		})
	}
}

// testConcurrentAPITokenRotateOnce has racers replace one token at once,
// the way the account service rotates (update under the lock, refuse a
// token already replaced): exactly one wins, every round.
func testConcurrentAPITokenRotateOnce(t *testing.T, s store.Store) {
	ctx := t.Context()
	o := mustOrg(t, s, "Acme")
	u := mustUser(t, s, o.ID, "ada@example.com")
	for round := range rounds {
		tok := newAPIToken(o.ID, u.ID, "ci", round)
		if err := s.CreateAPIToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
		var won atomic.Int32
		testkit.Race(racers, func(i int) {
			next := newAPIToken(o.ID, u.ID, "ci", round)
			err := s.InTx(ctx, func(tx store.Tx) error {
				if _, err := tx.UpdateAPIToken(ctx, o.ID, tok.ID, func(x *domain.APIToken) error {
					if x.ReplacedBy != "" {
						return domain.Conflict("already rotated")
					}
					x.ReplacedBy, x.RevokedAt = next.ID, ptr(at(round+1))
					return nil
				}); err != nil {
					return err
				}
				return tx.CreateAPIToken(ctx, next)
			})
			switch {
			case err == nil:
				won.Add(1)
			case !errors.Is(err, domain.ErrConflict):
				t.Errorf("rotate: %v", err)
			}
		})
		if n := won.Load(); n != 1 {
			t.Errorf("round %d: %d of %d racing rotations of one token succeeded, want 1", round, n, racers)
		}
		if list, _ := s.ListAPITokens(ctx, o.ID, u.ID); len(list) != 2*(round+1) {
			t.Errorf("round %d: the user has %d tokens, want %d (one replacement per round)", round, len(list), 2*(round+1))
		}
	}
}

// testDeleteEndedAPITokens: tokens revoked or expired before the cut-off
// go, the others (unexpired, without expiry, ended later) stay.
func testDeleteEndedAPITokens(t *testing.T, s store.Store) {
	ctx := t.Context()
	o := mustOrg(t, s, "Acme")
	u := mustUser(t, s, o.ID, "ada@example.com")
	mk := func(name string, expires, revoked *time.Time) domain.APIToken {
		tok := newAPIToken(o.ID, u.ID, name, 1)
		tok.ExpiresAt, tok.RevokedAt = expires, revoked
		if err := s.CreateAPIToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
		return tok
	}
	gone := []domain.APIToken{mk("expired long ago", ptr(at(10)), nil), mk("revoked long ago", ptr(at(900)), ptr(at(20)))}
	kept := []domain.APIToken{mk("active", ptr(at(900)), nil), mk("never expires", nil, nil),
		mk("expired at the cut-off", ptr(at(100)), nil), mk("revoked later", ptr(at(900)), ptr(at(150)))}
	n, err := s.DeleteAPITokensEndedBefore(ctx, at(100))
	if err != nil || n != len(gone) {
		t.Fatalf("DeleteAPITokensEndedBefore = %d, %v; want %d", n, err, len(gone))
	}
	for _, tok := range gone {
		if _, err := s.GetAPIToken(ctx, o.ID, tok.ID); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("%s: err = %v, want ErrNotFound", tok.Name, err)
		}
	}
	for _, tok := range kept {
		if _, err := s.GetAPIToken(ctx, o.ID, tok.ID); err != nil {
			t.Errorf("%s was deleted: %v", tok.Name, err)
		}
	}
}
