package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"

	"keywarden/internal/domain"
	"keywarden/internal/store"
	"keywarden/internal/testkit"
)

// The write contract: every read–change–write is one UpdateX call (the
// row locked while fn runs), a conditional update, or a transaction that
// holds a Tx lock. These tests race many goroutines, started together, on
// one row; each must fail on a store that reads, changes and writes back
// without the lock.

const (
	racers = 8 // goroutines per round
	rounds = 5
)

// testUpdateLosesNothing has every goroutine add its own element to a list
// field of one row through UpdateX, on each of nodes in turn: a lost update
// drops an element. The list stands for "different fields of one row":
// each change must persist, whatever the interleaving.
func testUpdateLosesNothing(t *testing.T, nodes ...store.Store) {
	ctx := t.Context()
	s := nodes[0]
	o := mustOrg(t, s, "Acme")
	u := mustUser(t, s, o.ID, "ada@example.com")
	c := mustClient(t, s, o.ID)
	c.Scopes = nil
	if err := putClient(ctx, s, c); err != nil {
		t.Fatal(err)
	}
	x := generatedSecret(c, at(1))
	x.AllowedCIDRs = nil
	mustSecret(t, s, x)
	ttl0 := o.Policy.AccessTokenTTLSeconds
	url := "https://hooks.example.com/kw"

	node := func(i int) store.Store { return nodes[i%len(nodes)] }
	items := func(i int) string { return fmt.Sprintf("item%03d", i) }
	testkit.Race(racers*rounds, func(i int) {
		n := node(i)
		if _, err := n.UpdateClient(ctx, o.ID, c.ID, func(c *domain.Client) error {
			c.Scopes = append(slices.Clone(c.Scopes), items(i))
			return nil
		}); err != nil {
			t.Errorf("UpdateClient: %v", err)
		}
		if _, err := n.UpdateUser(ctx, o.ID, u.ID, func(u *domain.User) error {
			u.RecoveryCodes = append(slices.Clone(u.RecoveryCodes), items(i))
			return nil
		}); err != nil {
			t.Errorf("UpdateUser: %v", err)
		}
		if _, err := n.UpdateSecret(ctx, o.ID, x.ID, func(x *domain.Secret) error {
			x.AllowedCIDRs = append(slices.Clone(x.AllowedCIDRs), items(i))
			return nil
		}); err != nil {
			t.Errorf("UpdateSecret: %v", err)
		}
		if _, err := n.UpdatePolicy(ctx, o.ID, func(p *domain.Policy) error {
			p.AccessTokenTTLSeconds++
			return nil
		}); err != nil {
			t.Errorf("UpdatePolicy: %v", err)
		}
		if _, err := n.UpdateWebhookEndpoint(ctx, o.ID, c.ID, url, at(2), func(e *domain.WebhookEndpoint) error {
			e.DisabledReason += "x"
			return nil
		}); err != nil {
			t.Errorf("UpdateWebhookEndpoint: %v", err)
		}
	})

	want := make([]string, racers*rounds)
	for i := range want {
		want[i] = items(i)
	}
	sorted := func(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }
	if got, err := s.GetClient(ctx, o.ID, c.ID); err != nil || !slices.Equal(sorted(got.Scopes), want) {
		t.Errorf("client scopes = %d of %d, %v: updates were lost", len(got.Scopes), len(want), err)
	}
	if got, err := s.GetUser(ctx, o.ID, u.ID); err != nil || !slices.Equal(sorted(got.RecoveryCodes), want) {
		t.Errorf("user recovery codes = %d of %d, %v: updates were lost", len(got.RecoveryCodes), len(want), err)
	}
	if got, err := s.GetSecret(ctx, o.ID, x.ID); err != nil || !slices.Equal(sorted(got.AllowedCIDRs), want) {
		t.Errorf("secret CIDRs = %d of %d, %v: updates were lost", len(got.AllowedCIDRs), len(want), err)
	}
	if got, err := s.GetOrg(ctx, o.ID); err != nil || got.Policy.AccessTokenTTLSeconds != ttl0+len(want) {
		t.Errorf("policy TTL = %d, %v; want %d: updates were lost", got.Policy.AccessTokenTTLSeconds, err, ttl0+len(want))
	}
	if got, err := s.GetWebhookEndpoint(ctx, o.ID, c.ID); err != nil || len(got.DisabledReason) != len(want) || got.URL != url {
		t.Errorf("endpoint = %+v, %v; want %d updates on %s", got, err, len(want), url)
	}
}

// testUpdateContract checks what UpdateX does besides writing: fn sees the
// stored row, ErrNoChange writes nothing, an error from fn changes nothing
// and reaches the caller, an unknown row is ErrNotFound without calling fn,
// and inside a transaction UpdateX commits and rolls back with it.
func testUpdateContract(t *testing.T, s store.Store) {
	ctx := t.Context()
	o := mustOrg(t, s, "Acme")
	c := mustClient(t, s, o.ID)
	boom := errors.New("storetest: fn failed")

	got, err := s.UpdateClient(ctx, o.ID, c.ID, func(p *domain.Client) error {
		if !sameClient(*p, c) {
			t.Errorf("fn got %+v, want the stored %+v", *p, c)
		}
		p.Name = "renamed"
		return nil
	})
	if err != nil || got.Name != "renamed" {
		t.Fatalf("UpdateClient = %+v, %v", got, err)
	}
	c.Name = "renamed"

	for _, tc := range []struct {
		name    string
		fn      func(p *domain.Client) error
		wantErr error
	}{
		{"no change", func(p *domain.Client) error { return store.ErrNoChange }, nil},
		{"fn fails", func(p *domain.Client) error { p.Name = "half done"; return boom }, boom},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.UpdateClient(ctx, o.ID, c.ID, tc.fn)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("UpdateClient err = %v, want %v", err, tc.wantErr)
			}
			if err == nil && !sameClient(got, c) {
				t.Errorf("UpdateClient returned %+v, want the row as stored %+v", got, c)
			}
			if stored, err := s.GetClient(ctx, o.ID, c.ID); err != nil || !sameClient(stored, c) {
				t.Errorf("stored = %+v, %v; want unchanged %+v", stored, err, c)
			}
		})
	}

	called := false
	mark := func(*domain.Client) error { called = true; return nil }
	if _, err := s.UpdateClient(ctx, o.ID, domain.NewClientID(), mark); !errors.Is(err, domain.ErrNotFound) || called {
		t.Errorf("UpdateClient(unknown) = %v, fn called %v; want ErrNotFound without calling fn", err, called)
	}
	other := mustOrg(t, s, "Globex")
	if _, err := s.UpdateClient(ctx, other.ID, c.ID, mark); !errors.Is(err, domain.ErrNotFound) || called {
		t.Errorf("UpdateClient(another organisation's) = %v, fn called %v; want ErrNotFound", err, called)
	}

	err = s.InTx(ctx, func(tx store.Tx) error {
		if _, err := tx.UpdateClient(ctx, o.ID, c.ID, func(p *domain.Client) error { p.Name = "rolled back"; return nil }); err != nil {
			return err
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatalf("InTx = %v", err)
	}
	if stored, _ := s.GetClient(ctx, o.ID, c.ID); stored.Name != c.Name {
		t.Errorf("after a rolled-back UpdateClient the name is %q, want %q", stored.Name, c.Name)
	}
}

// testConsumeOnce races logins presenting the same TOTP step and the same
// recovery code: each is accepted exactly once.
func testConsumeOnce(t *testing.T, s store.Store) {
	ctx := t.Context()
	o := mustOrg(t, s, "Acme")
	u := newUser(o.ID, "ada@example.com")
	u.MFAEnabled, u.TOTPLastStep, u.RecoveryCodes = true, 100, []string{"code-a", "code-b", "code-c"}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	for round := range rounds {
		step := int64(101 + round)
		var won atomic.Int32
		testkit.Race(racers, func(int) {
			ok, err := s.ConsumeTOTPStep(ctx, o.ID, u.ID, step)
			if err != nil {
				t.Errorf("ConsumeTOTPStep: %v", err)
			}
			if ok {
				won.Add(1)
			}
		})
		if n := won.Load(); n != 1 {
			t.Errorf("step %d was accepted %d times by %d racing logins, want once", step, n, racers)
		}
	}
	last := int64(100 + rounds)
	for _, tc := range []struct {
		step int64
		want bool
	}{{last, false}, {last - 1, false}, {last + 2, true}, {last + 1, false}} {
		if ok, err := s.ConsumeTOTPStep(ctx, o.ID, u.ID, tc.step); err != nil || ok != tc.want {
			t.Errorf("ConsumeTOTPStep(%d) = %v, %v; want %v", tc.step, ok, err, tc.want)
		}
	}
	if ok, err := s.ConsumeTOTPStep(ctx, o.ID, domain.NewUserID(), 1e9); err != nil || ok {
		t.Errorf("ConsumeTOTPStep(unknown user) = %v, %v; want false", ok, err)
	}

	for _, code := range []string{"code-b", "code-a"} {
		var won atomic.Int32
		testkit.Race(racers, func(int) {
			_, ok, err := s.ConsumeRecoveryCode(ctx, o.ID, u.ID, code)
			if err != nil {
				t.Errorf("ConsumeRecoveryCode: %v", err)
			}
			if ok {
				won.Add(1)
			}
		})
		if n := won.Load(); n != 1 {
			t.Errorf("recovery code %s was accepted %d times by %d racing logins, want once", code, n, racers)
		}
	}
	if rest, ok, err := s.ConsumeRecoveryCode(ctx, o.ID, u.ID, "code-c"); err != nil || !ok || rest != 0 {
		t.Errorf("ConsumeRecoveryCode(last) = %d, %v, %v; want 0 remaining, ok", rest, ok, err)
	}
	if _, ok, err := s.ConsumeRecoveryCode(ctx, o.ID, u.ID, ""); err != nil || ok {
		t.Errorf("ConsumeRecoveryCode(\"\") = %v, %v; want false", ok, err)
	}
	if got, err := s.GetUser(ctx, o.ID, u.ID); err != nil || len(got.RecoveryCodes) != 0 || got.TOTPLastStep != last+2 {
		t.Errorf("user after consuming = codes %v, step %d, %v", got.RecoveryCodes, got.TOTPLastStep, err)
	}
}

// testRevokeSecretOnce races revocations of one secret: exactly one
// reports that it revoked it.
func testRevokeSecretOnce(t *testing.T, s store.Store) {
	ctx := t.Context()
	o := mustOrg(t, s, "Acme")
	c := mustClient(t, s, o.ID)
	for round := range rounds {
		x := mustSecret(t, s, generatedSecret(c, at(round)))
		var won atomic.Int32
		testkit.Race(racers, func(i int) {
			ok, err := s.RevokeSecret(ctx, o.ID, x.ID, at(100+i), i%2 == 0)
			if err != nil {
				t.Errorf("RevokeSecret: %v", err)
			}
			if ok {
				won.Add(1)
			}
		})
		if n := won.Load(); n != 1 {
			t.Errorf("%d of %d racing revocations report that they revoked the secret, want 1", n, racers)
		}
	}
}

// testLockSuperAdmins has super admins demote each other at once, the way
// the account service does (lock, count, change): the organisation keeps
// one, every round.
func testLockSuperAdmins(t *testing.T, s store.Store) {
	ctx := t.Context()
	o := mustOrg(t, s, "Acme")
	admins := make([]domain.User, 3)
	for i := range admins {
		admins[i] = newUser(o.ID, fmt.Sprintf("root%d@example.com", i))
		if err := s.CreateUser(ctx, admins[i]); err != nil {
			t.Fatal(err)
		}
	}
	errLast := errors.New("storetest: last super admin")
	for round := range rounds {
		for _, a := range admins {
			if _, err := s.UpdateUser(ctx, o.ID, a.ID, func(u *domain.User) error { u.Role, u.DisabledAt = domain.RoleSuperAdmin, nil; return nil }); err != nil {
				t.Fatal(err)
			}
		}
		testkit.Race(racers, func(i int) {
			target := admins[i%len(admins)]
			err := s.InTx(ctx, func(tx store.Tx) error {
				n, err := tx.LockSuperAdmins(ctx, o.ID)
				if err != nil {
					return err
				}
				_, err = tx.UpdateUser(ctx, o.ID, target.ID, func(u *domain.User) error {
					if u.Role != domain.RoleSuperAdmin || u.DisabledAt != nil {
						return store.ErrNoChange
					}
					if n <= 1 {
						return errLast
					}
					if i%2 == 0 {
						u.Role = domain.RoleAdmin
					} else {
						u.DisabledAt = ptr(at(round))
					}
					return nil
				})
				return err
			})
			if err != nil && !errors.Is(err, errLast) {
				t.Errorf("demote: %v", err)
			}
		})
		n := 0
		for _, a := range admins {
			got, err := s.GetUser(ctx, o.ID, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Role == domain.RoleSuperAdmin && got.DisabledAt == nil {
				n++
			}
		}
		if n != 1 {
			t.Errorf("round %d: %d active super admins after racing demotions, want exactly 1", round, n)
		}
	}
	if _, err := lockSuperAdmins(ctx, s, domain.NewOrgID()); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("LockSuperAdmins(unknown organisation) = %v, want ErrNotFound", err)
	}
}

func lockSuperAdmins(ctx context.Context, s store.Store, org domain.OrgID) (int, error) {
	var n int
	err := s.InTx(ctx, func(tx store.Tx) error {
		var err error
		n, err = tx.LockSuperAdmins(ctx, org)
		return err
	})
	return n, err
}

// testLockLimits races creates against per-parent limits the way the
// credential service enforces them (lock the parent, count, create): a
// client ends with exactly the limit of active secrets, a user with one.
func testLockLimits(t *testing.T, s store.Store) {
	ctx := t.Context()
	o := mustOrg(t, s, "Acme")
	c := mustClient(t, s, o.ID)
	const limit = 3
	errFull := errors.New("storetest: limit reached")
	countActive := func(tx store.Tx, client domain.ClientID) (int, error) {
		list, err := tx.ListSecrets(ctx, o.ID, client)
		n := 0
		for _, x := range list {
			if x.RevokedAt == nil {
				n++
			}
		}
		return n, err
	}
	testkit.Race(racers*2, func(i int) {
		err := s.InTx(ctx, func(tx store.Tx) error {
			if _, err := tx.LockClient(ctx, o.ID, c.ID); err != nil {
				return err
			}
			n, err := countActive(tx, c.ID)
			if err != nil {
				return err
			}
			if n >= limit {
				return errFull
			}
			return tx.CreateSecret(ctx, generatedSecret(c, at(i)))
		})
		if err != nil && !errors.Is(err, errFull) {
			t.Errorf("create: %v", err)
		}
	})
	if list, err := s.ListSecrets(ctx, o.ID, c.ID); err != nil || len(list) != limit {
		t.Errorf("%d secrets after %d racing creates, %v; want the limit, %d", len(list), racers*2, err, limit)
	}

	u := mustUser(t, s, o.ID, "ada@example.com")
	personal := newClient(o.ID, base)
	personal.ID, personal.OwnerUserID = domain.NewPersonalClientID(), u.ID
	if err := s.CreateClient(ctx, personal); err != nil {
		t.Fatal(err)
	}
	testkit.Race(racers, func(i int) {
		err := s.InTx(ctx, func(tx store.Tx) error {
			if _, err := tx.LockUser(ctx, o.ID, u.ID); err != nil {
				return err
			}
			n, err := countActive(tx, personal.ID)
			if err != nil {
				return err
			}
			if n >= 1 {
				return errFull
			}
			return tx.CreateSecret(ctx, generatedSecret(personal, at(i)))
		})
		if err != nil && !errors.Is(err, errFull) {
			t.Errorf("create personal: %v", err)
		}
	})
	if list, err := s.ListSecrets(ctx, o.ID, personal.ID); err != nil || len(list) != 1 {
		t.Errorf("%d personal secrets after %d racing creates, %v; want 1", len(list), racers, err)
	}
	err := s.InTx(ctx, func(tx store.Tx) error {
		if _, err := tx.LockClient(ctx, o.ID, domain.NewClientID()); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("LockClient(unknown) = %v, want ErrNotFound", err)
		}
		if _, err := tx.LockUser(ctx, o.ID, domain.NewUserID()); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("LockUser(unknown) = %v, want ErrNotFound", err)
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Errorf("InTx = %v", err)
	}
}
