package storetest

import (
	"cmp"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"keywarden/internal/domain"
	"keywarden/internal/store"
)

// First run: setup tokens and the installation claim; the metrics'
// aggregate figures.

func newSetupToken(created time.Time) domain.SetupToken {
	return domain.SetupToken{Verifier: randomBytes(32), CreatedAt: created, ExpiresAt: created.Add(time.Hour)}
}

func testSetupTokens(t *testing.T, s store.Store) {
	ctx := t.Context()
	tok := newSetupToken(at(0))
	if err := s.CreateSetupToken(ctx, tok); err != nil {
		t.Fatalf("CreateSetupToken: %v", err)
	}
	if err := s.CreateSetupToken(ctx, tok); !errors.Is(err, domain.ErrConflict) {
		t.Errorf("CreateSetupToken twice: err = %v, want ErrConflict", err)
	}
	if got, err := s.GetSetupToken(ctx, tok.Verifier); err != nil || !got.ExpiresAt.Equal(tok.ExpiresAt) || !got.CreatedAt.Equal(tok.CreatedAt) || got.UsedAt != nil {
		t.Errorf("GetSetupToken = %+v, %v; want %+v", got, err, tok)
	}
	if _, err := s.GetSetupToken(ctx, randomBytes(32)); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("GetSetupToken of an unknown token: err = %v, want ErrNotFound", err)
	}
	expired := newSetupToken(at(0))
	if err := s.CreateSetupToken(ctx, expired); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.ConsumeSetupToken(ctx, randomBytes(32), at(1)); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("ConsumeSetupToken of an unknown token: err = %v, want ErrNotFound", err)
	}
	if got, won, err := s.ConsumeSetupToken(ctx, expired.Verifier, at(60)); err != nil || won || got.UsedAt != nil || !got.ExpiresAt.Equal(expired.ExpiresAt) {
		t.Errorf("ConsumeSetupToken at its expiry = %+v, %v, %v; want it unused and not consumed", got, won, err)
	}
	got, won, err := s.ConsumeSetupToken(ctx, tok.Verifier, at(59))
	if err != nil || !won || got.UsedAt != nil || !got.CreatedAt.Equal(tok.CreatedAt) {
		t.Fatalf("ConsumeSetupToken = %+v, %v, %v; want it consumed, as it was before", got, won, err)
	}
	got, won, err = s.ConsumeSetupToken(ctx, tok.Verifier, at(59))
	if err != nil || won || got.UsedAt == nil || !got.UsedAt.Equal(at(59)) {
		t.Errorf("ConsumeSetupToken again = %+v, %v, %v; want it used at %v and not consumed", got, won, err, at(59))
	}
	// Inside a rolled-back transaction, the use does not stay.
	other := newSetupToken(at(0))
	if err := s.CreateSetupToken(ctx, other); err != nil {
		t.Fatal(err)
	}
	rollback := errors.New("roll back")
	err = s.InTx(ctx, func(tx store.Tx) error {
		if _, won, err := tx.ConsumeSetupToken(ctx, other.Verifier, at(1)); err != nil || !won {
			t.Errorf("ConsumeSetupToken in a transaction = %v, %v", won, err)
		}
		return rollback
	})
	if !errors.Is(err, rollback) {
		t.Fatalf("InTx = %v", err)
	}
	if _, won, err := s.ConsumeSetupToken(ctx, other.Verifier, at(2)); err != nil || !won {
		t.Errorf("ConsumeSetupToken after a rolled-back use = %v, %v; want consumed", won, err)
	}
	if n, err := s.DeleteSetupTokensBefore(ctx, at(61)); err != nil || n != 3 {
		t.Errorf("DeleteSetupTokensBefore = %d, %v; want 3", n, err)
	}
	if _, _, err := s.ConsumeSetupToken(ctx, tok.Verifier, at(1)); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("ConsumeSetupToken after deletion: err = %v, want ErrNotFound", err)
	}
}

func testClaimInstallation(t *testing.T, s store.Store) {
	ctx := t.Context()
	if ok, err := s.Installed(ctx); err != nil || ok {
		t.Fatalf("Installed on a new store = %v, %v; want false", ok, err)
	}
	o := newOrg("Acme")
	rollback := errors.New("roll back")
	err := s.InTx(ctx, func(tx store.Tx) error {
		if won, err := tx.ClaimInstallation(ctx, o.ID, at(0)); err != nil || !won {
			t.Errorf("ClaimInstallation = %v, %v; want true", won, err)
		}
		return rollback
	})
	if !errors.Is(err, rollback) {
		t.Fatal(err)
	}
	if ok, err := s.Installed(ctx); err != nil || ok {
		t.Errorf("Installed after a rolled-back claim = %v, %v; want false", ok, err)
	}
	err = s.InTx(ctx, func(tx store.Tx) error {
		won, err := tx.ClaimInstallation(ctx, o.ID, at(1))
		if err != nil || !won {
			t.Errorf("ClaimInstallation = %v, %v; want true", won, err)
		}
		return tx.CreateOrg(ctx, o)
	})
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := s.Installed(ctx); err != nil || !ok {
		t.Errorf("Installed after the claim = %v, %v; want true", ok, err)
	}
	if won, err := s.ClaimInstallation(ctx, domain.NewOrgID(), at(2)); err != nil || won {
		t.Errorf("second ClaimInstallation = %v, %v; want false", won, err)
	}
}

// testInstalledByOrganisation: a store that holds an organisation created
// without a claim (an installation from before the claim existed, which
// its migration marks) is set up, and cannot be claimed.
func testInstalledByOrganisation(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustOrg(t, s, "Acme")
	if ok, err := s.Installed(ctx); err != nil || !ok {
		t.Errorf("Installed with an organisation = %v, %v; want true", ok, err)
	}
	if won, err := s.ClaimInstallation(ctx, domain.NewOrgID(), at(0)); err != nil || won {
		t.Errorf("ClaimInstallation with an organisation = %v, %v; want false", won, err)
	}
}

// errLost rolls back a setup that lost its race.
var errLost = errors.New("lost the race")

// raceSetup runs perNode setups on each node at once, setup i with the
// token tokens(i), as account.Setup does them: consume the token, claim the
// installation, create the organisation. It returns how many committed.
func raceSetup(t *testing.T, nodes []store.Store, perNode int, tokens func(i int) []byte) int {
	t.Helper()
	ctx := t.Context()
	var wins atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for ni, node := range nodes {
		for g := range perNode {
			i := ni*perNode + g
			wg.Go(func() {
				<-start
				err := node.InTx(ctx, func(tx store.Tx) error {
					if _, won, err := tx.ConsumeSetupToken(ctx, tokens(i), at(1)); err != nil || !won {
						return cmp.Or(err, errLost)
					}
					o := newOrg("Acme")
					if won, err := tx.ClaimInstallation(ctx, o.ID, at(1)); err != nil || !won {
						return cmp.Or(err, errLost)
					}
					return tx.CreateOrg(ctx, o)
				})
				switch {
				case err == nil:
					wins.Add(1)
				case !errors.Is(err, errLost):
					t.Errorf("setup %d: %v", i, err)
				}
			})
		}
	}
	close(start)
	wg.Wait()
	return int(wins.Load())
}

func mustSetupTokens(t *testing.T, s store.Store, n int) [][]byte {
	t.Helper()
	var out [][]byte
	for range n {
		tok := newSetupToken(at(0))
		if err := s.CreateSetupToken(t.Context(), tok); err != nil {
			t.Fatal(err)
		}
		out = append(out, tok.Verifier)
	}
	return out
}

// testConcurrentSetupOnce races setups with one shared link and with a
// link each: either way one organisation is created.
func testConcurrentSetupOnce(t *testing.T, s store.Store) {
	testSetupRace(t, []store.Store{s}, 8)
}

func testNodesSetupOnce(t *testing.T, n1, n2 store.Store) {
	testSetupRace(t, []store.Store{n1, n2}, 4)
}

func testSetupRace(t *testing.T, nodes []store.Store, perNode int) {
	t.Run("one link", func(t *testing.T) {
		shared := mustSetupTokens(t, nodes[0], 1)[0]
		if n := raceSetup(t, nodes, perNode, func(int) []byte { return shared }); n != 1 {
			t.Errorf("%d setups with one link created an organisation, want 1", n)
		}
	})
	t.Run("a link each", func(t *testing.T) {
		// The first subtest set the installation up: no more organisations.
		if ok, err := nodes[0].Installed(t.Context()); err != nil || !ok {
			t.Fatalf("Installed after the first race = %v, %v; want true", ok, err)
		}
		tokens := mustSetupTokens(t, nodes[0], len(nodes)*perNode)
		if n := raceSetup(t, nodes, perNode, func(i int) []byte { return tokens[i] }); n != 0 {
			t.Errorf("%d setups of a set-up installation created an organisation, want 0", n)
		}
	})
}

// testConcurrentClaimOnce races claims with a link each on a new store.
func testConcurrentClaimOnce(t *testing.T, s store.Store) {
	tokens := mustSetupTokens(t, s, 8)
	if n := raceSetup(t, []store.Store{s}, 8, func(i int) []byte { return tokens[i] }); n != 1 {
		t.Errorf("%d setups with a link each created an organisation, want 1", n)
	}
}

func testNodesInstallClaimOnce(t *testing.T, n1, n2 store.Store) {
	tokens := mustSetupTokens(t, n1, 8)
	if n := raceSetup(t, []store.Store{n1, n2}, 4, func(i int) []byte { return tokens[i] }); n != 1 {
		t.Errorf("%d setups on two nodes with a link each created an organisation, want 1", n)
	}
}

func testOpsStats(t *testing.T, s store.Store) {
	ctx := t.Context()
	now := at(0)
	windows := []time.Duration{24 * time.Hour, 7 * 24 * time.Hour, 14 * 24 * time.Hour}
	got, err := s.OpsStats(ctx, now, windows)
	if err != nil {
		t.Fatalf("OpsStats on a new store: %v", err)
	}
	if got.OutboxPending != 0 || !got.OutboxOldest.IsZero() || got.EndpointsDisabled != 0 || !slices.Equal(got.SecretsExpiring, []int{0, 0, 0}) {
		t.Errorf("OpsStats on a new store = %+v, want zeros", got)
	}

	o := mustOrg(t, s, "Acme")
	c := mustClient(t, s, o.ID)
	other := mustClient(t, s, mustOrg(t, s, "Globex").ID)
	// Secrets: expiring in 1 h, 2 d, 7 d exactly, 10 d, 20 d; one expired,
	// one revoked within a day, one that never expires.
	for _, d := range []time.Duration{time.Hour, 48 * time.Hour, 7 * 24 * time.Hour, 10 * 24 * time.Hour, 20 * 24 * time.Hour, -time.Hour} {
		x := generatedSecret(c, base.Add(-time.Hour))
		x.ExpiresAt = ptr(now.Add(d))
		mustSecret(t, s, x)
	}
	x := generatedSecret(other, base.Add(-time.Hour))
	x.ExpiresAt = ptr(now.Add(2 * time.Hour))
	mustSecret(t, s, x)
	if _, err := s.RevokeSecret(ctx, other.OrgID, x.ID, now, false); err != nil {
		t.Fatal(err)
	}
	never := generatedSecret(other, base)
	never.ExpiresAt = nil
	mustSecret(t, s, never)

	// Outbox: two pending (the older waiting since at(-30)), one delivered.
	m1 := newMessage(c, at(-30))
	mustMessage(t, s, m1)
	mustMessage(t, s, newMessage(other, at(-5)))
	done := newMessage(c, at(-60))
	done.Status, done.DeliveredAt, done.NextAttemptAt = domain.WebhookDelivered, ptr(at(-59)), nil
	mustMessage(t, s, done)

	// Endpoints: c's disabled; other's disabled for a URL it no longer has.
	for _, cl := range []domain.Client{c, other} {
		if err := putEndpoint(ctx, s, domain.WebhookEndpoint{OrgID: cl.OrgID, ClientID: cl.ID, URL: cl.WebhookURL, UpdatedAt: at(-10)}); err != nil {
			t.Fatal(err)
		}
		if won, err := s.DisableWebhookEndpoint(ctx, cl.OrgID, cl.ID, cl.WebhookURL, at(-9), "failing"); err != nil || !won {
			t.Fatalf("DisableWebhookEndpoint = %v, %v", won, err)
		}
	}
	if _, err := s.UpdateClient(ctx, other.OrgID, other.ID, func(cl *domain.Client) error {
		cl.WebhookURL = "https://new.example.com/kw"
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	// Organisation endpoints: one disabled, one enabled.
	oe := mustOrgEndpoint(t, s, o.ID, at(-10))
	mustOrgEndpoint(t, s, o.ID, at(-10))
	if _, err := s.UpdateOrgWebhookEndpoint(ctx, o.ID, oe.ID, func(e *domain.OrgWebhookEndpoint) error { e.DisabledAt = ptr(at(-9)); return nil }); err != nil {
		t.Fatal(err)
	}

	got, err = s.OpsStats(ctx, now, windows)
	if err != nil {
		t.Fatalf("OpsStats: %v", err)
	}
	want := domain.OpsStats{OutboxPending: 2, OutboxOldest: at(-30), EndpointsDisabled: 2, SecretsExpiring: []int{1, 3, 4}}
	if got.OutboxPending != want.OutboxPending || !got.OutboxOldest.Equal(want.OutboxOldest) ||
		got.EndpointsDisabled != want.EndpointsDisabled || !slices.Equal(got.SecretsExpiring, want.SecretsExpiring) {
		t.Errorf("OpsStats = %+v, want %+v", got, want)
	}
	if got, err := s.OpsStats(ctx, now, nil); err != nil || got.SecretsExpiring != nil {
		t.Errorf("OpsStats without windows = %+v, %v", got, err)
	}
	// A redelivery restarts the wait.
	if err := s.RedeliverWebhookMessage(ctx, done.OrgID, done.ID, at(-1)); err != nil {
		t.Fatal(err)
	}
	if got, err := s.OpsStats(ctx, now, windows); err != nil || got.OutboxPending != 3 || !got.OutboxOldest.Equal(at(-30)) {
		t.Errorf("OpsStats after a redelivery = %+v, %v; want 3 pending, oldest %v", got, err, at(-30))
	}
}
