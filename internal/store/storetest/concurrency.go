package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"keywarden/internal/domain"
	"keywarden/internal/store"
)

// appendConcurrently runs perNode goroutines on each of nodes; each runs n
// transactions that read the audit head, append the next event and, when
// client is not nil, create a secret of client. InTx must serialise or
// retry on its own: any error fails t.
func appendConcurrently(t *testing.T, nodes []store.Store, perNode, n int, org domain.OrgID, client *domain.Client) {
	t.Helper()
	ctx := t.Context()
	var wg sync.WaitGroup
	start := make(chan struct{})
	for ni, node := range nodes {
		for g := range perNode {
			wg.Go(func() {
				<-start
				for i := range n {
					err := node.InTx(ctx, func(tx store.Tx) error {
						seq, prev, err := tx.AuditHead(ctx)
						if err != nil {
							return fmt.Errorf("AuditHead: %w", err)
						}
						e := newEvent(org, time.Now(), "secret.create", fmt.Sprintf("node%d-g%d", ni, g), fmt.Sprint(i))
						e.Seq, e.PrevHash = seq+1, prev
						e.Hash = chainHash(e)
						if err := tx.AppendAudit(ctx, e); err != nil {
							return fmt.Errorf("AppendAudit(seq %d): %w", e.Seq, err)
						}
						if client == nil {
							return nil
						}
						x := generatedSecret(*client, time.Now())
						if err := tx.CreateSecret(ctx, x); err != nil {
							return fmt.Errorf("CreateSecret: %w", err)
						}
						return nil
					})
					if err != nil {
						t.Errorf("node %d goroutine %d transaction %d: %v", ni, g, i, err)
						return
					}
				}
			})
		}
	}
	close(start)
	wg.Wait()
}

func testConcurrentWriters(t *testing.T, s store.Store) {
	const goroutines, perGoroutine = 8, 25
	o := mustOrg(t, s, "Acme")
	c := mustClient(t, s, o.ID)
	appendConcurrently(t, []store.Store{s}, goroutines, perGoroutine, o.ID, &c)

	checkChain(t, s, goroutines*perGoroutine)
	secrets, err := s.ListSecrets(t.Context(), o.ID, c.ID)
	if err != nil {
		t.Fatalf("ListSecrets: %v", err)
	}
	if len(secrets) != goroutines*perGoroutine {
		t.Errorf("ListSecrets returned %d secrets, want %d", len(secrets), goroutines*perGoroutine)
	}
}

// testConcurrentRevokeUpdate races two revocations and an edit of the same
// secret: whatever the order, the secret ends revoked at one of the two
// times, and an edit that lost the race changed nothing.
func testConcurrentRevokeUpdate(t *testing.T, s store.Store) {
	ctx := t.Context()
	o := mustOrg(t, s, "Acme")
	c := mustClient(t, s, o.ID)
	for i := range 20 {
		x := mustSecret(t, s, generatedSecret(c, at(i)))
		first, second := at(100+i), at(200+i)
		edit := x
		edit.Description, edit.ExpiresAt = "edited", ptr(at(1000))

		var wg sync.WaitGroup
		var revokeErrs [2]error
		var updateErr error
		start := make(chan struct{})
		// The first revocation keeps tokens, the second kills them.
		keep := func(when time.Time) bool { return when.Equal(first) }
		for j, when := range []time.Time{first, second} {
			wg.Go(func() { <-start; revokeErrs[j] = revoke(ctx, s, o.ID, x.ID, when, keep(when)) })
		}
		wg.Go(func() { <-start; updateErr = putSecret(ctx, s, edit) })
		close(start)
		wg.Wait()

		for j, err := range revokeErrs {
			if err != nil {
				t.Errorf("secret %d: RevokeSecret %d: %v", i, j, err)
			}
		}
		if updateErr != nil && !errors.Is(updateErr, domain.ErrConflict) {
			t.Errorf("secret %d: UpdateSecret: %v, want nil or ErrConflict (revoked first)", i, updateErr)
		}
		got, err := s.GetSecret(ctx, o.ID, x.ID)
		if err != nil {
			t.Fatalf("GetSecret: %v", err)
		}
		if got.RevokedAt == nil || !(got.RevokedAt.Equal(first) || got.RevokedAt.Equal(second)) {
			t.Errorf("secret %d: RevokedAt = %v, want %v or %v", i, got.RevokedAt, first, second)
		}
		want := x
		if updateErr == nil {
			want = edit
		}
		want.RevokedAt = got.RevokedAt
		if got.RevokedAt != nil {
			want.KeepTokens = keep(*got.RevokedAt) // the winner sets both
		}
		if !sameSecret(got, want) {
			t.Errorf("secret %d = %+v, want %+v (UpdateSecret returned %v)", i, got, want, updateErr)
		}
	}
}
