package credential_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"keywarden/internal/account"
	"keywarden/internal/audit"
	"keywarden/internal/credential"
	"keywarden/internal/domain"
	"keywarden/internal/keyring"
	"keywarden/internal/store"
	"keywarden/internal/store/sqlite"
	"keywarden/internal/testkit"
)

// nodes is two credential services on two stores of one database, as two
// Keywarden nodes would have, with node B applying the change notices of
// both. Their clock stands still, so no cache entry ever grows stale: what
// node B learns, it learns from a notice.
type nodes struct {
	a, b    *credential.Service
	storeA  store.Store
	accts   *account.Service
	admin   domain.Actor
	mu      sync.Mutex
	notices []string // what node B heard
}

func newNodes(t *testing.T) *nodes {
	t.Helper()
	dir := t.TempDir()
	kr, err := keyring.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	clk := testkit.NewClock(time.Now().UTC())
	open := func() (store.Store, *audit.Log) {
		st, err := sqlite.Open(t.Context(), dir)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st, audit.New(st, kr.Derive(keyring.PurposeAudit), clk.Now)
	}
	stA, logA := open()
	stB, logB := open()
	n := &nodes{storeA: stA,
		a: credential.New(credential.Options{Store: stA, Audit: logA, Keyring: kr, Now: clk.Now}),
		b: credential.New(credential.Options{Store: stB, Audit: logB, Keyring: kr, Now: clk.Now})}
	n.accts = account.New(account.Options{Store: stA, Audit: logA, Keyring: kr, Now: clk.Now, OnPolicyChange: n.a.OrgChanged})
	boot, err := n.accts.Init(t.Context(), "Acme", "admin@acme.test")
	if err != nil {
		t.Fatal(err)
	}
	n.admin = domain.UserActor(boot.Org.ID, boot.User.ID, domain.RoleSuperAdmin, "")

	ctx, cancel := context.WithCancel(context.Background())
	started, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		first := true
		stB.Listen(ctx, store.ChangesChannel, func(payload string) {
			n.b.ApplyChange(payload)
			n.mu.Lock()
			n.notices = append(n.notices, payload)
			n.mu.Unlock()
			if first {
				first = false
				close(started)
			}
		}, nil)
	}()
	t.Cleanup(func() { cancel(); <-done })
	<-started
	return n
}

// count returns how often node B heard notice.
func (n *nodes) count(notice string) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	k := 0
	for _, x := range n.notices {
		if x == notice {
			k++
		}
	}
	return k
}

// eventually polls cond for up to 2 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 2s", what)
		}
	}
}

// TestChangesReachOtherNodes changes clients and secrets on node A and
// checks that node B, whose cache had them, sees each change at once.
func TestChangesReachOtherNodes(t *testing.T) {
	ctx := t.Context()
	n := newNodes(t)
	c, err := n.a.CreateClient(ctx, n.admin, credential.ClientInput{Name: "billing", Scopes: []string{"a"}})
	if err != nil {
		t.Fatal(err)
	}
	first, err := n.a.CreateSecret(ctx, n.admin, c.ID, credential.SecretInput{Description: "first"})
	if err != nil {
		t.Fatal(err)
	}
	authB := func(value string) error {
		_, err := n.b.Authenticate(ctx, c.ID, value, "192.0.2.1")
		return err
	}
	if err := authB(first.Value.Reveal()); err != nil { // node B caches the client
		t.Fatalf("node B Authenticate: %v", err)
	}

	second, err := n.a.CreateSecret(ctx, n.admin, c.ID, credential.SecretInput{Description: "second"})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "node B accepts a secret node A added", func() bool { return authB(second.Value.Reveal()) == nil })

	if _, err := n.a.RevokeSecret(ctx, n.admin, c.ID, first.Secret.ID, false); err != nil {
		t.Fatal(err)
	}
	eventually(t, "node B refuses a secret node A revoked", func() bool {
		return errors.Is(authB(first.Value.Reveal()), credential.ErrBadCredentials)
	})
	eventually(t, "node B finds the revoked secret's tokens inactive", func() bool {
		active, _, err := n.b.TokenActive(ctx, n.admin.OrgID, c.ID, first.Secret.ID, "", time.Now().Unix())
		return err == nil && !active
	})

	disabled := true
	if _, err := n.a.UpdateClient(ctx, n.admin, c.ID, credential.ClientPatch{Disabled: &disabled}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "node B refuses a client node A disabled", func() bool {
		return errors.Is(authB(second.Value.Reveal()), credential.ErrBadCredentials)
	})

	// A change that fails after announcing itself is not heard: editing a
	// revoked secret is refused once the client's notice is sent.
	before := n.count("client:" + string(c.ID))
	description := "edited"
	if _, err := n.a.UpdateSecret(ctx, n.admin, c.ID, first.Secret.ID, credential.SecretPatch{Description: &description}); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("UpdateSecret of a revoked secret: %v, want a conflict", err)
	}
	if err := n.storeA.Notify(ctx, store.ChangesChannel, "end"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "node B hears the end marker", func() bool { return n.count("end") == 1 })
	if after := n.count("client:" + string(c.ID)); after != before {
		t.Errorf("node B heard %d notices of a change that rolled back", after-before)
	}
}

// TestPolicyChangeReachesOtherNodes checks that a policy change, which
// account reports after its transaction, is announced too.
func TestPolicyChangeReachesOtherNodes(t *testing.T) {
	ctx := t.Context()
	n := newNodes(t)
	never := true
	if _, _, err := n.accts.UpdatePolicy(ctx, n.admin, account.PolicyPatch{AllowNeverExpire: &never}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "node B hears of the policy change", func() bool { return n.count("org:"+string(n.admin.OrgID)) == 1 })
}
