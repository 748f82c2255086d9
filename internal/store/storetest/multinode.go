package storetest

import (
	"errors"
	"testing"

	"keywarden/internal/domain"
	"keywarden/internal/store"
)

// multiNode lists the subtests of RunMultiNode. Each gets two fresh handles
// on one fresh database.
var multiNode = []struct {
	name string
	test func(t *testing.T, node1, node2 store.Store)
}{
	{"ClientCreatedOnOneNodeIsSeenOnTheOther", testNodesSeeClients},
	{"RevokeOnOneNodeIsSeenOnTheOther", testNodesSeeRevoke},
	{"LastUseFromEitherNodeKeepsTheLatest", testNodesTouch},
	{"LastUseBatchesInOppositeOrdersNeverDeadlock", testNodesTouchOrdered},
	{"ConcurrentAuditAppendsFormOneChain", testNodesAppend},
	{"RefreshTokenUsedOnceAcrossNodes", testNodesRefreshUse},
	{"AssertionIDConsumedOnceAcrossNodes", testNodesAssertionIDOnce},
	{"WebhookMessageClaimedOnce", testNodesClaimOnce},
	{"ExpiryNoticeRecordedOnce", testNodesNoticeOnce},
	{"SetupCreatesOneOrganisationAcrossNodes", testNodesSetupOnce},
	{"InstallationClaimedOnceAcrossNodes", testNodesInstallClaimOnce},
	{"NotificationCommittedOnOneNodeReachesTheOther", testNotifyDelivers},
	{"NotificationWaitsForCommitAcrossNodes", testNotifyWaitsForCommit},
	{"UpdatesFromBothNodesLoseNothing", func(t *testing.T, n1, n2 store.Store) { testUpdateLosesNothing(t, n1, n2) }},
}

// RunMultiNode checks what only matters when several Keywarden nodes share a
// database. open returns two handles (two connection pools, as two processes
// would have) on one new, empty, migrated database; RunMultiNode closes both.
// (SQLite's notifications reach only the stores of one process, so there the
// two handles stand for two nodes in one process; see sqlite.Open.)
func RunMultiNode(t *testing.T, open func(t *testing.T) (store.Store, store.Store)) {
	for _, tc := range multiNode {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			n1, n2 := open(t)
			t.Cleanup(func() {
				if err := errors.Join(n1.Close(), n2.Close()); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			tc.test(t, n1, n2)
		})
	}
}

func testNodesSeeClients(t *testing.T, n1, n2 store.Store) {
	ctx := t.Context()
	o := mustOrg(t, n1, "Acme")
	c := mustClient(t, n1, o.ID)
	if got, err := n2.GetClient(ctx, o.ID, c.ID); err != nil || !sameClient(got, c) {
		t.Errorf("node 2 GetClient = %+v, %v; want %+v", got, err, c)
	}
	if got, err := n2.LookupClient(ctx, c.ID); err != nil || !sameClient(got, c) {
		t.Errorf("node 2 LookupClient = %+v, %v; want %+v", got, err, c)
	}
	if err := n2.DeleteClient(ctx, o.ID, c.ID); err != nil {
		t.Fatalf("node 2 DeleteClient: %v", err)
	}
	if _, err := n1.GetClient(ctx, o.ID, c.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("node 1 GetClient after node 2 deleted it: err = %v, want ErrNotFound", err)
	}
}

func testNodesSeeRevoke(t *testing.T, n1, n2 store.Store) {
	ctx := t.Context()
	o := mustOrg(t, n1, "Acme")
	c := mustClient(t, n1, o.ID)
	x := mustSecret(t, n1, generatedSecret(c, at(1)))
	if err := revoke(ctx, n2, o.ID, x.ID, at(5), true); err != nil {
		t.Fatalf("node 2 RevokeSecret: %v", err)
	}
	got, err := n1.SecretByVerifier(ctx, x.Verifier)
	if err != nil {
		t.Fatalf("node 1 SecretByVerifier: %v", err)
	}
	if got.RevokedAt == nil || !got.RevokedAt.Equal(at(5)) || !got.KeepTokens {
		t.Errorf("node 1 sees RevokedAt = %v, KeepTokens = %v; want %v, true", got.RevokedAt, got.KeepTokens, at(5))
	}
	if err := revoke(ctx, n1, o.ID, x.ID, at(9), false); err != nil {
		t.Errorf("node 1 RevokeSecret again: %v", err)
	}
	if err := putSecret(ctx, n1, x); !errors.Is(err, domain.ErrConflict) {
		t.Errorf("node 1 UpdateSecret of a secret node 2 revoked: err = %v, want ErrConflict", err)
	}
	if got, err := n2.GetSecret(ctx, o.ID, x.ID); err != nil || got.RevokedAt == nil || !got.RevokedAt.Equal(at(5)) || !got.KeepTokens {
		t.Errorf("node 2 GetSecret = %+v, %v; want revoked at %v keeping tokens", got, err, at(5))
	}
}

func testNodesTouch(t *testing.T, n1, n2 store.Store) {
	ctx := t.Context()
	o := mustOrg(t, n1, "Acme")
	c := mustClient(t, n1, o.ID)
	x := mustSecret(t, n1, generatedSecret(c, at(1)))
	// Node 2 flushes a later use first; node 1's older batch arrives late.
	if err := n2.TouchLastUsed(ctx, []domain.SecretUse{secretUse(x.ID, at(20), "192.0.2.2")}); err != nil {
		t.Fatalf("node 2 TouchLastUsed: %v", err)
	}
	if err := n1.TouchLastUsed(ctx, []domain.SecretUse{secretUse(x.ID, at(10), "192.0.2.1")}); err != nil {
		t.Fatalf("node 1 TouchLastUsed: %v", err)
	}
	for i, node := range []store.Store{n1, n2} {
		got, err := node.GetSecret(ctx, o.ID, x.ID)
		if err != nil || got.LastUsedAt == nil || !got.LastUsedAt.Equal(at(20)) || got.LastUsedFrom != "192.0.2.2" {
			t.Errorf("node %d GetSecret = last used %v from %q, %v; want %v from 192.0.2.2", i+1, got.LastUsedAt, got.LastUsedFrom, err, at(20))
		}
	}
}

func testNodesAppend(t *testing.T, n1, n2 store.Store) {
	const perNode, perGoroutine = 4, 15
	o := mustOrg(t, n1, "Acme")
	c := mustClient(t, n1, o.ID)
	appendConcurrently(t, []store.Store{n1, n2}, perNode, perGoroutine, o.ID, &c)
	for _, node := range []store.Store{n1, n2} {
		checkChain(t, node, 2*perNode*perGoroutine)
	}
}

func testNodesRefreshUse(t *testing.T, n1, n2 store.Store) {
	o := mustOrg(t, n1, "Acme")
	c := mustClient(t, n1, o.ID)
	for i := range 10 {
		r := mustRefresh(t, n1, newRefresh(c, "", at(i)))
		raceRefreshUse(t, []store.Store{n1, n2}, 2, r)
	}
}
