package sqlite_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"keywarden/internal/domain"
	"keywarden/internal/store"
	"keywarden/internal/store/sqlite"
	"keywarden/internal/store/storetest"
)

func open(t *testing.T, dir string) store.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), dir)
	if err != nil {
		t.Fatalf("sqlite.Open(%s): %v", dir, err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t, t.TempDir()) })
}

// TestMultiNode opens two handles on one database file, as two processes
// sharing a data directory would.
func TestMultiNode(t *testing.T) {
	storetest.RunMultiNode(t, func(t *testing.T) (store.Store, store.Store) {
		dir := t.TempDir()
		return open(t, dir), open(t, dir)
	})
}

// TestReopenKeepsData checks that opening an existing data directory finds
// its migrations applied and leaves the data, and the audit head, alone.
func TestReopenKeepsData(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	created := time.Date(2031, 1, 2, 3, 4, 5, 6000, time.UTC)
	o := domain.Organization{ID: domain.NewOrgID(), Name: "Acme", Policy: domain.DefaultPolicy(), CreatedAt: created}
	c := domain.Client{ID: domain.NewClientID(), OrgID: o.ID, Name: "billing", Scopes: []string{"a"}, CreatedAt: created, UpdatedAt: created}
	x := domain.Secret{ID: domain.NewSecretID(), OrgID: o.ID, ClientID: c.ID, CreatedAt: created,
		Origin: domain.OriginGenerated, Verifier: []byte("verifier"), Sealed: []byte("sealed")}
	e := domain.AuditEvent{Seq: 1, ID: domain.NewID(domain.PrefixAudit), OrgID: o.ID, At: created, Action: "client.create", Hash: []byte("h1")}

	s := open(t, dir)
	if err := s.CreateOrg(ctx, o); err != nil {
		t.Fatalf("CreateOrg: %v", err)
	}
	if err := s.CreateClient(ctx, c); err != nil {
		t.Fatalf("CreateClient: %v", err)
	}
	if err := s.CreateSecret(ctx, x); err != nil {
		t.Fatalf("CreateSecret: %v", err)
	}
	if err := s.AppendAudit(ctx, e); err != nil {
		t.Fatalf("AppendAudit: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	if n, err := sqlite.Migrate(ctx, dir); err != nil || n != 0 {
		t.Errorf("Migrate on a migrated directory = %d, %v; want 0, nil", n, err)
	}

	for _, round := range []string{"first reopen", "second reopen"} {
		t.Run(round, func(t *testing.T) {
			s := open(t, dir)
			defer func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			}()
			if got, err := s.GetOrg(ctx, o.ID); err != nil || got.Name != o.Name {
				t.Errorf("GetOrg = %+v, %v; want %+v", got, err, o)
			}
			if got, err := s.GetClient(ctx, o.ID, c.ID); err != nil || !got.CreatedAt.Equal(created) {
				t.Errorf("GetClient = %+v, %v; want %+v", got, err, c)
			}
			if got, err := s.SecretByVerifier(ctx, x.Verifier); err != nil || got.ID != x.ID {
				t.Errorf("SecretByVerifier = %+v, %v; want %s", got, err, x.ID)
			}
			if seq, hash, err := s.AuditHead(ctx); err != nil || seq != 1 || !bytes.Equal(hash, e.Hash) {
				t.Errorf("AuditHead = %d, %q, %v; want 1, %q", seq, hash, err, e.Hash)
			}
			if err := s.CreateOrg(ctx, o); !errors.Is(err, domain.ErrConflict) {
				t.Errorf("CreateOrg of the existing organisation: err = %v, want ErrConflict", err)
			}
		})
	}
}

// TestNotificationsStayWithTheirFile checks that a notification reaches the
// stores on its database file only, and still does after another store on
// the file closed.
func TestNotificationsStayWithTheirFile(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	a, b, other := open(t, dir), open(t, dir+"/."), open(t, t.TempDir())
	defer a.Close()
	defer other.Close()

	heard := func(s store.Store) (<-chan string, func()) {
		c := make(chan string, 10)
		ctx, cancel := context.WithCancel(ctx)
		started := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			s.Listen(ctx, "changes", func(p string) {
				if p == "" {
					close(started)
					return
				}
				c <- p
			}, nil)
		}()
		<-started
		return c, func() { cancel(); <-done }
	}
	fromA, stopA := heard(a)
	defer stopA()
	fromOther, stopOther := heard(other)
	defer stopOther()

	if err := b.Notify(ctx, "changes", "one"); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	c := open(t, dir)
	defer c.Close()
	if err := c.Notify(ctx, "changes", "two"); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	for _, want := range []string{"one", "two"} {
		select {
		case got := <-fromA:
			if got != want {
				t.Errorf("store on the same file heard %q, want %q", got, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("store on the same file did not hear %q", want)
		}
	}
	if err := other.Notify(ctx, "changes", "other"); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	if got := <-fromOther; got != "other" {
		t.Errorf("store on another file heard %q first, want %q", got, "other")
	}
}
