package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"keywarden/internal/domain"
	"keywarden/internal/store"
)

// testLoadClientAuth checks the token path's one-query load: the client,
// its organisation's policy and its secrets oldest first (sealed values
// left out), a client without secrets, and an unknown ID.
func testLoadClientAuth(t *testing.T, s store.Store) {
	ctx := t.Context()
	o := mustOrg(t, s, "Acme")
	p := o.Policy
	p.AccessTokenTTLSeconds = 1234
	if err := putPolicy(ctx, s, o.ID, p); err != nil {
		t.Fatalf("UpdatePolicy: %v", err)
	}
	c, bare := mustClient(t, s, o.ID), mustClient(t, s, o.ID)
	second := mustSecret(t, s, generatedSecret(c, at(2)))
	first := mustSecret(t, s, suppliedSecret(c, at(1)))
	revoked := generatedSecret(c, at(3))
	revoked.RevokedAt, revoked.KeepTokens, revoked.LastUsedAt, revoked.LastUsedFrom = ptr(at(4)), true, ptr(at(5)), "192.0.2.7"
	mustSecret(t, s, revoked)
	other := mustOrg(t, s, "Other")
	mustSecret(t, s, generatedSecret(mustClient(t, s, other.ID), at(0)))

	d, err := s.LoadClientAuth(ctx, c.ID)
	if err != nil {
		t.Fatalf("LoadClientAuth: %v", err)
	}
	if !sameClient(d.Client, c) {
		t.Errorf("client = %+v, want %+v", d.Client, c)
	}
	if d.Policy.AccessTokenTTLSeconds != 1234 {
		t.Errorf("policy token TTL = %d, want 1234", d.Policy.AccessTokenTTLSeconds)
	}
	want := []domain.Secret{first, second, revoked}
	if got := secretIDs(d.Secrets); !slices.Equal(got, secretIDs(want)) {
		t.Fatalf("secrets = %v, want %v", got, secretIDs(want))
	}
	for i, x := range d.Secrets {
		if x.Sealed != nil {
			t.Errorf("secret %s: sealed value loaded", x.ID)
		}
		w := want[i]
		w.Sealed = nil
		if !sameSecret(x, w) {
			t.Errorf("secret %d = %+v, want %+v", i, x, w)
		}
	}

	d, err = s.LoadClientAuth(ctx, bare.ID)
	if err != nil || !sameClient(d.Client, bare) || len(d.Secrets) != 0 {
		t.Errorf("LoadClientAuth(no secrets) = %+v, %v; want the client and no secrets", d, err)
	}
	if _, err := s.LoadClientAuth(ctx, domain.NewClientID()); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("LoadClientAuth(unknown) error = %v, want ErrNotFound", err)
	}
}

// testImportClients imports more clients than one statement takes, reads
// them back, and checks that a batch with an ID that exists is refused as
// a whole.
func testImportClients(t *testing.T, s store.Store) {
	ctx := t.Context()
	o := mustOrg(t, s, "Acme")
	const n = 1203
	batch := make([]store.ImportedClient, n)
	for i := range batch {
		c := newClient(o.ID, at(i))
		batch[i] = store.ImportedClient{Client: c, Secrets: []domain.Secret{generatedSecret(c, at(i))}}
		if i%3 == 0 {
			batch[i].Secrets = append(batch[i].Secrets, suppliedSecret(c, at(i+1)))
		}
	}
	if err := s.ImportClients(ctx, batch); err != nil {
		t.Fatalf("ImportClients: %v", err)
	}
	for _, i := range []int{0, 1, 499, 500, 1000, n - 1} {
		d, err := s.LoadClientAuth(ctx, batch[i].Client.ID)
		if err != nil {
			t.Fatalf("LoadClientAuth(%d): %v", i, err)
		}
		if !sameClient(d.Client, batch[i].Client) || !slices.Equal(secretIDs(d.Secrets), secretIDs(batch[i].Secrets)) {
			t.Errorf("client %d = %+v with %v, want %+v with %v", i, d.Client, secretIDs(d.Secrets), batch[i].Client, secretIDs(batch[i].Secrets))
		}
		x, err := s.GetSecret(ctx, o.ID, batch[i].Secrets[0].ID)
		if err != nil || !sameSecret(x, batch[i].Secrets[0]) {
			t.Errorf("GetSecret(%d) = %+v, %v; want %+v", i, x, err, batch[i].Secrets[0])
		}
	}

	fresh := newClient(o.ID, at(0))
	again := []store.ImportedClient{{Client: fresh}, {Client: batch[7].Client}}
	if err := s.ImportClients(ctx, again); !errors.Is(err, domain.ErrConflict) {
		t.Errorf("ImportClients(existing ID) error = %v, want ErrConflict", err)
	}
	if _, err := s.GetClient(ctx, o.ID, fresh.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("a refused batch stored a client: GetClient error = %v", err)
	}
	if err := s.ImportClients(ctx, nil); err != nil {
		t.Errorf("ImportClients(nil): %v", err)
	}
}

// testNodesTouchOrdered races two nodes writing last-used batches over the
// same secrets in opposite orders: neither fails (the rows are locked in
// ID order) and the latest use of each secret wins.
func testNodesTouchOrdered(t *testing.T, node1, node2 store.Store) {
	ctx := t.Context()
	o := mustOrg(t, node1, "Acme")
	c := mustClient(t, node1, o.ID)
	const secrets = 60
	ids := make([]domain.SecretID, secrets)
	for i := range ids {
		ids[i] = mustSecret(t, node1, generatedSecret(c, at(i))).ID
	}
	const rounds = 20
	var wg sync.WaitGroup
	errs := make(chan error, 2*rounds)
	for n, node := range []store.Store{node1, node2} {
		wg.Go(func() {
			for r := range rounds {
				uses := make([]domain.SecretUse, secrets)
				for i := range ids {
					j := i
					if n == 1 {
						j = secrets - 1 - i
					}
					uses[i] = domain.SecretUse{SecretID: ids[j], At: at(1000 + r*2 + n).Add(time.Duration(j) * time.Microsecond),
						From: fmt.Sprintf("192.0.2.%d", n+1)}
				}
				if err := node.TouchLastUsed(ctx, uses); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("TouchLastUsed: %v", err)
	}
	for j, id := range ids {
		x, err := node1.GetSecret(ctx, o.ID, id)
		if err != nil {
			t.Fatalf("GetSecret: %v", err)
		}
		want := at(1000 + (rounds-1)*2 + 1).Add(time.Duration(j) * time.Microsecond)
		if x.LastUsedAt == nil || !x.LastUsedAt.Equal(want) || x.LastUsedFrom != "192.0.2.2" {
			t.Errorf("secret %d last used %v from %q, want %v from 192.0.2.2", j, x.LastUsedAt, x.LastUsedFrom, want)
		}
	}
}
