package account_test

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"keywarden/internal/account"
	"keywarden/internal/domain"
	"keywarden/internal/store"
	"keywarden/internal/store/enginetest"
	"keywarden/internal/testkit"
)

// TestBootstrapTokenExpires: the token init prints is named as the
// bootstrap token and expires after the default policy's 90 days for
// super admins, like any token created through the API.
func TestBootstrapTokenExpires(t *testing.T) {
	e := newEnv(t)
	tok := e.boot.Token
	if tok.Name != domain.BootstrapTokenName {
		t.Errorf("bootstrap token name = %q, want %q", tok.Name, domain.BootstrapTokenName)
	}
	want := e.clock.Now().Add(90 * 24 * time.Hour).Truncate(time.Second)
	if tok.ExpiresAt == nil || !tok.ExpiresAt.Equal(want) {
		t.Fatalf("bootstrap token expires %v, want %v", tok.ExpiresAt, want)
	}
	if _, err := e.svc.AuthenticateAPIToken(t.Context(), e.boot.APIToken.Reveal(), ""); err != nil {
		t.Fatalf("bootstrap token refused: %v", err)
	}
	e.clock.Set(want)
	if _, err := e.svc.AuthenticateAPIToken(t.Context(), e.boot.APIToken.Reveal(), ""); !errors.Is(err, account.ErrBadCredentials) {
		t.Fatalf("bootstrap token after its expiry: err = %v, want ErrBadCredentials", err)
	}
}

// TestAPITokenLifecycle creates, lists, uses, rotates (with and without
// overlap) and revokes tokens, on every engine.
func TestAPITokenLifecycle(t *testing.T) {
	enginetest.Run(t, func(t *testing.T, open func(*testing.T) store.Store) {
		e := newEnvOn(t, open(t))
		ctx := t.Context()
		by, _ := e.member(t, "dev@acme.test", domain.RoleDeveloper)
		auth := func(value string) (domain.Actor, error) { return e.svc.AuthenticateAPIToken(ctx, value, "192.0.2.7") }

		// Create: within policy (90 days for developers), named, shown once.
		for _, c := range []struct {
			name string
			in   account.APITokenInput
			want string // the field of the 422
		}{
			{"no name", account.APITokenInput{Name: " "}, "name"},
			{"name too long", account.APITokenInput{Name: strings.Repeat("n", 101)}, "name"},
			{"control character", account.APITokenInput{Name: "ci\x00"}, "name"},
			{"invalid UTF-8", account.APITokenInput{Name: "ci\xff"}, "name"},
			{"beyond policy", account.APITokenInput{Name: "ci", ExpiresAt: ptr(e.clock.Now().Add(91 * 24 * time.Hour))}, "expires_at"},
			{"in the past", account.APITokenInput{Name: "ci", ExpiresAt: ptr(e.clock.Now().Add(-time.Second))}, "expires_at"},
		} {
			t.Run(c.name, func(t *testing.T) {
				_, err := e.svc.CreateAPIToken(ctx, by, c.in)
				var v *domain.ValidationError
				if !errors.As(err, &v) || len(v.Fields()) != 1 || v.Fields()[0].Field != c.want {
					t.Errorf("CreateAPIToken(%+v) = %v, want a problem with %s", c.in, err, c.want)
				}
			})
		}
		n, err := e.svc.CreateAPIToken(ctx, by, account.APITokenInput{Name: "ci"})
		if err != nil {
			t.Fatal(err)
		}
		if want := e.clock.Now().Add(90 * 24 * time.Hour).Truncate(time.Second); n.Token.ExpiresAt == nil || !n.Token.ExpiresAt.Equal(want) {
			t.Errorf("default expiry %v, want the policy's maximum %v", n.Token.ExpiresAt, want)
		}
		if !strings.HasPrefix(n.Value.Reveal(), "kwt_") || strings.Contains(n.Value.String(), n.Value.Reveal()) {
			t.Errorf("value %q: want kwt_ that never prints", n.Value.String())
		}
		a, err := auth(n.Value.Reveal())
		if err != nil || a.UserID() != by.UserID() || a.APITokenID != n.Token.ID || a.Role != domain.RoleDeveloper {
			t.Fatalf("AuthenticateAPIToken = %+v, %v", a, err)
		}

		// Last used: batched, written by the flush only.
		if got, _ := e.svc.GetAPIToken(ctx, by, n.Token.ID); got.LastUsedAt != nil {
			t.Errorf("last used %v before any flush", got.LastUsedAt)
		}
		usedAt := e.clock.Now()
		e.clock.Add(time.Minute)
		if _, err := auth(n.Value.Reveal()); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.FlushAPITokenUse(ctx); err != nil {
			t.Fatal(err)
		}
		got, _ := e.svc.GetAPIToken(ctx, by, n.Token.ID)
		if want := usedAt.Add(time.Minute); got.LastUsedAt == nil || !got.LastUsedAt.Equal(want) || got.LastUsedFrom != "192.0.2.7" {
			t.Errorf("last used %v from %q, want %v from 192.0.2.7", got.LastUsedAt, got.LastUsedFrom, want)
		}

		// Other users see none of it.
		other, _ := e.member(t, "other@acme.test", domain.RoleAdmin)
		if _, err := e.svc.GetAPIToken(ctx, other, n.Token.ID); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("another user's GetAPIToken: err = %v, want ErrNotFound", err)
		}
		if _, err := e.svc.RevokeAPIToken(ctx, other, n.Token.ID); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("another user's RevokeAPIToken: err = %v, want ErrNotFound", err)
		}
		if _, err := e.svc.RotateAPIToken(ctx, other, n.Token.ID, account.RotateInput{}); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("another user's RotateAPIToken: err = %v, want ErrNotFound", err)
		}

		// Rotate "current" with an overlap: both work until the overlap ends.
		r, err := e.svc.RotateAPIToken(ctx, a, account.CurrentAPIToken, account.RotateInput{Overlap: 5 * time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		if r.Token.Name != "ci" || r.Token.ID == n.Token.ID {
			t.Errorf("replacement %+v: want a new token named ci", r.Token)
		}
		if _, err := auth(n.Value.Reveal()); err != nil {
			t.Errorf("old token within the overlap: %v", err)
		}
		if _, err := e.svc.RotateAPIToken(ctx, by, n.Token.ID, account.RotateInput{}); !errors.Is(err, domain.ErrConflict) {
			t.Errorf("second rotation: err = %v, want ErrConflict", err)
		}
		old, _ := e.svc.GetAPIToken(ctx, by, n.Token.ID)
		if old.ReplacedBy != r.Token.ID {
			t.Errorf("old token replaced by %q, want %q", old.ReplacedBy, r.Token.ID)
		}
		e.clock.Add(5 * time.Minute)
		if _, err := auth(n.Value.Reveal()); !errors.Is(err, account.ErrBadCredentials) {
			t.Errorf("old token after the overlap: err = %v, want ErrBadCredentials", err)
		}
		if _, err := auth(r.Value.Reveal()); err != nil {
			t.Errorf("replacement refused: %v", err)
		}

		// Rotate with no overlap: the old one stops at once.
		r2, err := e.svc.RotateAPIToken(ctx, by, r.Token.ID, account.RotateInput{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := auth(r.Value.Reveal()); !errors.Is(err, account.ErrBadCredentials) {
			t.Errorf("token rotated without overlap: err = %v, want ErrBadCredentials", err)
		}
		if _, err := e.svc.RotateAPIToken(ctx, by, r2.Token.ID, account.RotateInput{Overlap: 25 * time.Hour}); err == nil {
			t.Error("an overlap of 25 hours was accepted")
		}

		// Revoke: at once, and a second revocation changes nothing.
		if _, err := e.svc.RevokeAPIToken(ctx, by, r2.Token.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := auth(r2.Value.Reveal()); !errors.Is(err, account.ErrBadCredentials) {
			t.Errorf("revoked token: err = %v, want ErrBadCredentials", err)
		}
		head, _, _ := e.store.AuditHead(ctx)
		if _, err := e.svc.RevokeAPIToken(ctx, by, r2.Token.ID); err != nil {
			t.Errorf("second revocation: %v", err)
		}
		if after, _, _ := e.store.AuditHead(ctx); after != head {
			t.Errorf("a second revocation wrote %d audit events, want none", after-head)
		}
		list, err := e.svc.ListAPITokens(ctx, by)
		if err != nil || len(list) != 3 || list[0].ID != r2.Token.ID || list[2].ID != n.Token.ID {
			t.Errorf("ListAPITokens = %+v, %v; want the three tokens, newest first", list, err)
		}
		events, _, err := e.store.ListAudit(ctx, by.OrgID, domain.AuditFilter{Action: "api_token.", Page: domain.Page{Limit: 50}})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]int{}
		for _, ev := range events {
			seen[ev.Action]++
			for k, v := range ev.Detail {
				for _, value := range []string{n.Value.Reveal(), r.Value.Reveal(), r2.Value.Reveal()} {
					if strings.Contains(v, value) {
						t.Errorf("audit event %s detail %s holds a token value", ev.Action, k)
					}
				}
			}
		}
		if seen["api_token.create"] != 1 || seen["api_token.rotate"] != 2 || seen["api_token.revoke"] != 1 {
			t.Errorf("audited %v; want one create, two rotations, one revocation", seen)
		}
	})
}

// TestAPITokenLimitAndRotationRace: racing creates never pass
// MaxActiveAPITokens, and racing rotations of one token produce one
// replacement, on every engine.
func TestAPITokenLimitAndRotationRace(t *testing.T) {
	enginetest.Run(t, func(t *testing.T, open func(*testing.T) store.Store) {
		e := newEnvOn(t, open(t))
		ctx := t.Context()
		by, _ := e.member(t, "dev@acme.test", domain.RoleDeveloper)
		for range account.MaxActiveAPITokens - 2 {
			if _, err := e.svc.CreateAPIToken(ctx, by, account.APITokenInput{Name: "filler"}); err != nil {
				t.Fatal(err)
			}
		}
		var created atomic.Int32
		testkit.Race(racers, func(int) {
			_, err := e.svc.CreateAPIToken(ctx, by, account.APITokenInput{Name: "race"})
			switch {
			case err == nil:
				created.Add(1)
			case !errors.Is(err, domain.ErrConflict):
				t.Errorf("CreateAPIToken: %v", err)
			}
		})
		if n := created.Load(); n != 2 {
			t.Errorf("%d racing creates succeeded with room for 2", n)
		}

		list, _ := e.svc.ListAPITokens(ctx, by)
		target := list[0].ID
		var rotated atomic.Int32
		testkit.Race(racers, func(int) {
			_, err := e.svc.RotateAPIToken(ctx, by, target, account.RotateInput{})
			switch {
			case err == nil:
				rotated.Add(1)
			case !errors.Is(err, domain.ErrConflict):
				t.Errorf("RotateAPIToken: %v", err)
			}
		})
		if n := rotated.Load(); n != 1 {
			t.Errorf("%d of %d racing rotations of one token succeeded, want 1", n, racers)
		}
	})
}

func ptr[T any](v T) *T { return &v }

// TestOrganisationNameIsText: an organisation's name goes through the one
// free-text validator, as every name does: no control characters, valid
// UTF-8, at most 200 characters.
func TestOrganisationNameIsText(t *testing.T) {
	e := newEnv(t)
	for _, name := range []string{" ", "Acme\x1b[2J", "Ac\x00me", "Acme\xff", strings.Repeat("a", 201)} {
		_, err := e.svc.Init(t.Context(), name, "root@example.test")
		var v *domain.ValidationError
		if !errors.As(err, &v) || len(v.Fields()) != 1 || v.Fields()[0].Field != "org" {
			t.Errorf("Init(%q) = %v, want a problem with org", name, err)
		}
	}
	if _, err := e.svc.Init(t.Context(), "Globex — Zürich", "root@example.test"); err != nil {
		t.Errorf("Init with a name in Unicode: %v", err)
	}
}

// TestUserAPITokens: an admin lists a user's tokens and revokes one (the
// audit event names the user); a token of someone else, or of another
// organisation, is not found.
func TestUserAPITokens(t *testing.T) {
	enginetest.Run(t, func(t *testing.T, open func(*testing.T) store.Store) {
		e := newEnvOn(t, open(t))
		ctx := t.Context()
		dev, _ := e.member(t, "dev@acme.test", domain.RoleDeveloper)
		n, err := e.svc.CreateAPIToken(ctx, dev, account.APITokenInput{Name: "laptop"})
		if err != nil {
			t.Fatal(err)
		}
		list, err := e.svc.ListUserAPITokens(ctx, e.admin, dev.UserID())
		if err != nil || len(list) != 1 || list[0].ID != n.Token.ID {
			t.Fatalf("ListUserAPITokens = %+v, %v", list, err)
		}
		if _, err := e.svc.RevokeUserAPIToken(ctx, e.admin, dev.UserID(), e.boot.Token.ID); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("revoking the admin's own token as the developer's: err = %v, want ErrNotFound", err)
		}
		globex, err := e.svc.Init(ctx, "Globex", "root@globex.test")
		if err != nil {
			t.Fatal(err)
		}
		foreign := domain.UserActor(globex.Org.ID, globex.User.ID, domain.RoleSuperAdmin, "")
		if _, err := e.svc.ListUserAPITokens(ctx, foreign, dev.UserID()); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("another organisation's ListUserAPITokens: err = %v, want ErrNotFound", err)
		}
		if _, err := e.svc.RevokeUserAPIToken(ctx, foreign, dev.UserID(), n.Token.ID); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("another organisation's RevokeUserAPIToken: err = %v, want ErrNotFound", err)
		}
		if _, err := e.svc.RevokeUserAPIToken(ctx, e.admin, dev.UserID(), n.Token.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.AuthenticateAPIToken(ctx, n.Value.Reveal(), ""); !errors.Is(err, account.ErrBadCredentials) {
			t.Errorf("a token an admin revoked: err = %v, want ErrBadCredentials", err)
		}
		events, _, err := e.store.ListAudit(ctx, dev.OrgID, domain.AuditFilter{Action: "api_token.revoke"})
		if err != nil || len(events) != 1 || events[0].ActorID != string(e.admin.UserID()) || events[0].Detail["user_id"] != string(dev.UserID()) {
			t.Errorf("audit = %+v, %v; want one revocation by the admin naming the developer", events, err)
		}
	})
}

// TestDeleteEndedAPITokens: revoked and expired tokens stay listed for
// EndedAPITokenRetention, then the job deletes them.
func TestDeleteEndedAPITokens(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	n, err := e.svc.CreateAPIToken(ctx, e.admin, account.APITokenInput{Name: "ci"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.RevokeAPIToken(ctx, e.admin, n.Token.ID); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(account.EndedAPITokenRetention - time.Second)
	if got, err := e.svc.DeleteEndedAPITokens(ctx); got != 0 || err != nil {
		t.Fatalf("within the retention: deleted %d, %v", got, err)
	}
	e.clock.Add(2 * time.Second)
	if got, err := e.svc.DeleteEndedAPITokens(ctx); got != 1 || err != nil {
		t.Fatalf("after the retention: deleted %d, %v; want the revoked token", got, err)
	}
	if _, err := e.svc.GetAPIToken(ctx, e.admin, n.Token.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("the deleted token: err = %v, want ErrNotFound", err)
	}
	if _, err := e.svc.GetAPIToken(ctx, e.admin, e.boot.Token.ID); err != nil {
		t.Errorf("the bootstrap token (not ended) was deleted: %v", err)
	}
}
