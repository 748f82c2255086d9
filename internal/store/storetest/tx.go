package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"keywarden/internal/domain"
	"keywarden/internal/store"
)

var errRollback = errors.New("storetest: roll back")

func testInTx(t *testing.T, s store.Store) {
	ctx := t.Context()
	o := mustOrg(t, s, "Acme")
	policy := domain.DefaultPolicy()
	policy.AllowNeverExpire = true

	// write makes one change of each kind in tx and returns the client it
	// created.
	write := func(t *testing.T, tx store.Tx) domain.Client {
		t.Helper()
		c := newClient(o.ID, at(1))
		if err := tx.CreateClient(ctx, c); err != nil {
			t.Fatalf("CreateClient in tx: %v", err)
		}
		mustSecret(t, tx, generatedSecret(c, at(2)))
		if err := putPolicy(ctx, tx, o.ID, policy); err != nil {
			t.Fatalf("UpdatePolicy in tx: %v", err)
		}
		if _, err := appendIn(ctx, tx, newEvent(o.ID, at(3), "client.create", "usr_x", c.ID)); err != nil {
			t.Fatalf("append in tx: %v", err)
		}
		return c
	}
	// visible reports whether each change write made is visible through s.
	visible := func(t *testing.T, c domain.Client) bool {
		t.Helper()
		_, cerr := s.GetClient(ctx, o.ID, c.ID)
		secrets, err := s.ListSecrets(ctx, o.ID, c.ID)
		if err != nil {
			t.Fatalf("ListSecrets: %v", err)
		}
		got, err := s.GetOrg(ctx, o.ID)
		if err != nil {
			t.Fatalf("GetOrg: %v", err)
		}
		events, _, err := s.ListAudit(ctx, o.ID, domain.AuditFilter{Target: string(c.ID)})
		if err != nil {
			t.Fatalf("ListAudit: %v", err)
		}
		switch {
		case cerr == nil && len(secrets) == 1 && got.Policy.AllowNeverExpire && len(events) == 1:
			return true
		case errors.Is(cerr, domain.ErrNotFound) && len(secrets) == 0 && !got.Policy.AllowNeverExpire && len(events) == 0:
			return false
		}
		t.Fatalf("part of the transaction is visible: client err %v, %d secrets, policy %+v, %d events",
			cerr, len(secrets), got.Policy, len(events))
		return false
	}
	reset := func(t *testing.T) {
		t.Helper()
		if err := putPolicy(ctx, s, o.ID, domain.DefaultPolicy()); err != nil {
			t.Fatal(err)
		}
	}

	tests := []struct {
		name        string
		fn          func(t *testing.T, tx store.Tx, c *domain.Client) error
		wantErr     error
		wantVisible bool
	}{
		{"commits on nil", func(t *testing.T, tx store.Tx, c *domain.Client) error {
			*c = write(t, tx)
			return nil
		}, nil, true},
		{"rolls back on error", func(t *testing.T, tx store.Tx, c *domain.Client) error {
			*c = write(t, tx)
			return errRollback
		}, errRollback, false},
		{"rolls back after a failed statement", func(t *testing.T, tx store.Tx, c *domain.Client) error {
			*c = write(t, tx)
			return tx.CreateClient(ctx, *c) // duplicate
		}, domain.ErrConflict, false},
		{"own writes are visible inside, not outside", func(t *testing.T, tx store.Tx, c *domain.Client) error {
			*c = write(t, tx)
			if _, err := tx.GetClient(ctx, o.ID, c.ID); err != nil {
				t.Errorf("GetClient inside the transaction: %v", err)
			}
			if _, err := s.GetClient(ctx, o.ID, c.ID); !errors.Is(err, domain.ErrNotFound) {
				t.Errorf("GetClient outside the transaction before commit: err = %v, want ErrNotFound", err)
			}
			return nil
		}, nil, true},
		{"the handle does only transactional work", func(t *testing.T, tx store.Tx, c *domain.Client) error {
			*c = write(t, tx)
			// Not even by a type assertion may code inside a transaction
			// open another one (joining this one silently, or not), listen,
			// ping or close the store.
			if _, ok := tx.(interface {
				InTx(context.Context, func(store.Tx) error) error
			}); ok {
				t.Error("the Tx has InTx")
			}
			if _, ok := tx.(interface{ Close() error }); ok {
				t.Error("the Tx has Close")
			}
			if _, ok := tx.(interface{ Ping(context.Context) error }); ok {
				t.Error("the Tx has Ping")
			}
			if _, ok := tx.(store.Listener); ok {
				t.Error("the Tx has Listen")
			}
			return errRollback
		}, errRollback, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			reset(t)
			head, _, err := s.AuditHead(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var c domain.Client
			err = s.InTx(ctx, func(tx store.Tx) error { return tc.fn(t, tx, &c) })
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("InTx err = %v, want %v", err, tc.wantErr)
			}
			if got := visible(t, c); got != tc.wantVisible {
				t.Errorf("changes visible after InTx = %v, want %v", got, tc.wantVisible)
			}
			wantHead := head
			if tc.wantVisible {
				wantHead++
			}
			if got, _, err := s.AuditHead(ctx); err != nil || got != wantHead {
				t.Errorf("AuditHead after InTx = %d, %v; want %d", got, err, wantHead)
			}
		})
	}
}

// testInTxPanic checks that a panic in fn rolls the transaction back before
// it reaches the caller (a server's recovery middleware, say), so that the
// connection and its locks are not held until the context ends.
func testInTxPanic(t *testing.T, s store.Store) {
	ctx := t.Context()
	o := mustOrg(t, s, "Acme")
	c := newClient(o.ID, at(1))
	policy := domain.DefaultPolicy()
	policy.AllowNeverExpire = true
	boom := errors.New("storetest: panic in fn")

	recovered := func() (r any) {
		defer func() { r = recover() }()
		s.InTx(ctx, func(tx store.Tx) error {
			if err := tx.CreateClient(ctx, c); err != nil {
				t.Errorf("CreateClient in tx: %v", err)
			}
			if err := putPolicy(ctx, tx, o.ID, policy); err != nil {
				t.Errorf("UpdatePolicy in tx: %v", err)
			}
			panic(boom)
		})
		return nil
	}()
	if recovered != boom {
		t.Errorf("InTx recovered %v, want the panic to reach the caller", recovered)
	}
	if _, err := s.GetClient(ctx, o.ID, c.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("GetClient after the panic: err = %v, want ErrNotFound", err)
	}
	// A write to the same row must not wait for the abandoned transaction.
	wctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := putPolicy(wctx, s, o.ID, domain.DefaultPolicy()); err != nil {
		t.Errorf("UpdatePolicy after the panic: %v (the panicking transaction still holds its locks)", err)
	}
	if err := s.CreateClient(wctx, c); err != nil {
		t.Errorf("CreateClient after the panic: %v", err)
	}
}
