package token_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"keywarden/internal/audit"
	"keywarden/internal/domain"
	"keywarden/internal/keyring"
	"keywarden/internal/store"
	"keywarden/internal/store/sqlite"
	"keywarden/internal/testkit"
	"keywarden/internal/token"
)

// twoNodes returns e and a second env on another store of e's database,
// as a second Keywarden node would have (same clock and keyring).
func twoNodes(t *testing.T) (*env, *env) {
	t.Helper()
	dir := t.TempDir()
	clk := testkit.NewClock(time.Now().UTC())
	kr, _ := keyring.New(make([]byte, 32))
	var out [2]*env
	for i := range out {
		st, err := sqlite.Open(t.Context(), dir)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		out[i] = &env{store: st, ring: kr, audit: audit.New(st, kr.Derive(keyring.PurposeAudit), clk.Now), clock: clk}
	}
	return out[0], out[1]
}

// listenChanges runs Listen on s's change channel until the test ends,
// calling apply for each notice, and returns what it heard so far.
func listenChanges(t *testing.T, s store.Store, apply func(payload string)) func() []string {
	t.Helper()
	var mu sync.Mutex
	var heard []string
	ctx, cancel := context.WithCancel(context.Background())
	started, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		s.Listen(ctx, store.ChangesChannel, func(payload string) {
			apply(payload)
			mu.Lock()
			first := heard == nil
			heard = append(heard, payload)
			mu.Unlock()
			if first {
				close(started)
			}
		}, nil)
	}()
	t.Cleanup(func() { cancel(); <-done })
	<-started
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(heard)
	}
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 2s", what)
		}
	}
}

// TestDenyListChangesReachOtherNodes revokes tokens on node A: node B,
// which never reloads, denies them at once, but never one whose revocation
// rolled back.
func TestDenyListChangesReachOtherNodes(t *testing.T) {
	ctx := t.Context()
	a, b := twoNodes(t)
	denyA, err := token.NewDenyList(ctx, a.store, a.audit, a.clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	denyB, err := token.NewDenyList(ctx, b.store, b.audit, b.clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	heard := listenChanges(t, b.store, func(p string) {
		if err := denyB.ApplyChange(ctx, p); err != nil {
			t.Errorf("ApplyChange(%q): %v", p, err)
		}
	})

	c := a.claims()
	if err := denyA.Revoke(ctx, domain.System("org_1", "test"), c); err != nil {
		t.Fatal(err)
	}
	eventually(t, "node B denies a token node A revoked", func() bool { return denyB.Contains(c.JTI) })

	rolledBack := a.claims()
	errBoom := errors.New("boom")
	err = a.store.InTx(ctx, func(tx store.Tx) error {
		r := domain.RevokedToken{JTI: rolledBack.JTI, OrgID: "org_1", ClientID: "kwc_x", ExpiresAt: time.Unix(rolledBack.Expiry, 0), RevokedAt: a.clock.Now()}
		if err := denyA.Add(ctx, tx, r); err != nil {
			return err
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("InTx = %v", err)
	}
	if err := a.store.Notify(ctx, store.ChangesChannel, "end"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "node B hears the end marker", func() bool { return slices.Contains(heard(), "end") })
	if denyB.Contains(rolledBack.JTI) {
		t.Errorf("node B denies a token whose revocation rolled back")
	}
}

func TestDenyListApplyChange(t *testing.T) {
	ctx := t.Context()
	e := newEnv(t)
	d, err := token.NewDenyList(ctx, e.store, e.audit, e.clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	future := strconv.FormatInt(e.clock.Now().Add(time.Hour).Unix(), 10)
	past := strconv.FormatInt(e.clock.Now().Add(-time.Second).Unix(), 10)
	for _, tc := range []struct {
		notice, jti string
		want        bool
	}{
		{"deny:j1:" + future, "j1", true},
		{"deny:j:2:" + future, "j:2", true},
		{"deny:j3:" + past, "j3", false},
		{"deny:j4", "j4", false},
		{"deny:j5:soon", "j5", false},
		{"deny::" + future, "", false},
		{"keys", "keys", false},
		{"client:j6", "j6", false},
	} {
		if err := d.ApplyChange(ctx, tc.notice); err != nil {
			t.Errorf("ApplyChange(%q): %v", tc.notice, err)
		}
		if got := d.Contains(tc.jti); got != tc.want {
			t.Errorf("after %q: Contains(%q) = %v, want %v", tc.notice, tc.jti, got, tc.want)
		}
	}
	// "" reloads: an entry another node stored, whose notice was missed.
	r := domain.RevokedToken{JTI: "missed", OrgID: "org_1", ClientID: "kwc_x", ExpiresAt: e.clock.Now().Add(time.Hour), RevokedAt: e.clock.Now()}
	if err := e.store.AddRevokedToken(ctx, r); err != nil {
		t.Fatal(err)
	}
	if err := d.ApplyChange(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if !d.Contains("missed") {
		t.Errorf("after a reload: Contains(missed) = false, want true")
	}
}

// TestKeyChangesReachOtherNodes rotates and retires keys on node A: node
// B, which never reloads on its own, publishes and signs with the same keys
// at once.
func TestKeyChangesReachOtherNodes(t *testing.T) {
	ctx := t.Context()
	a, b := twoNodes(t)
	keysA, keysB := a.keys(t, "ES256"), b.keys(t, "ES256")
	listenChanges(t, b.store, func(p string) {
		if err := keysB.ApplyChange(ctx, p); err != nil {
			t.Errorf("ApplyChange(%q): %v", p, err)
		}
	})

	a.clock.Add(time.Second) // the new key starts in a later second than the first
	next, err := keysA.Rotate(ctx, domain.System("", "test"), 0)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "node B publishes the key node A created", func() bool { return slices.Contains(jwksKIDs(t, keysB), next.ID) })
	if cur, _ := keysB.Current(b.clock.Now()); cur.ID != next.ID {
		t.Errorf("node B signs with %s, want the rotated key %s", cur.ID, next.ID)
	}

	a.clock.Add(token.RetireAfter + time.Second)
	if n, err := keysA.RetireExpired(ctx); err != nil || n != 1 {
		t.Fatalf("RetireExpired = %d, %v; want 1", n, err)
	}
	eventually(t, "node B unpublishes the key node A retired", func() bool {
		kids := jwksKIDs(t, keysB)
		return len(kids) == 1 && kids[0] == next.ID
	})
}

// TestDenyListSyncCatchesUpWithoutNotices checks the catch-up of a node
// that heard no notice (its listener was down): Sync adds what other nodes
// revoked since it last synced, including an entry stamped a little before
// that sync (its transaction committed later), and nothing already expired.
func TestDenyListSyncCatchesUpWithoutNotices(t *testing.T) {
	ctx := t.Context()
	a, b := twoNodes(t)
	denyA, err := token.NewDenyList(ctx, a.store, a.audit, a.clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	denyB, err := token.NewDenyList(ctx, b.store, b.audit, b.clock.Now) // no listener: hears nothing
	if err != nil {
		t.Fatal(err)
	}
	a.clock.Add(10 * time.Second)
	later := a.claims()
	if err := denyA.Revoke(ctx, domain.System("org_1", "test"), later); err != nil {
		t.Fatal(err)
	}
	// Stamped 30 s before B's last sync (the load), committed after it.
	late := a.claims()
	r := domain.RevokedToken{JTI: late.JTI, OrgID: "org_1", ClientID: "kwc_x", ExpiresAt: time.Unix(late.Expiry, 0), RevokedAt: a.clock.Now().Add(-40 * time.Second)}
	if err := a.store.InTx(ctx, func(tx store.Tx) error { return denyA.Add(ctx, tx, r) }); err != nil {
		t.Fatal(err)
	}
	if denyB.Contains(later.JTI) || denyB.Contains(late.JTI) {
		t.Fatal("node B denies tokens before it synced: the test proves nothing")
	}
	if err := denyB.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	for name, jti := range map[string]string{"revoked after the last sync": later.JTI, "stamped just before it": late.JTI} {
		if !denyB.Contains(jti) {
			t.Errorf("after Sync node B does not deny the token %s", name)
		}
	}
}
