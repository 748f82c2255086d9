package storetest

import (
	"bytes"
	"database/sql"
	"errors"
	"sync"
	"testing"
	"time"

	"keywarden/internal/domain"
	"keywarden/internal/store"
)

func newWrapping(n int) store.DataKeyWrapping {
	return store.DataKeyWrapping{KeyCheck: randomBytes(32), Wrapped: randomBytes(61), CreatedAt: at(n)}
}

func sameWrapping(a, b store.DataKeyWrapping) bool {
	return bytes.Equal(a.KeyCheck, b.KeyCheck) && bytes.Equal(a.Wrapped, b.Wrapped) && a.CreatedAt.Equal(b.CreatedAt) && a.OpenedAt.Equal(b.OpenedAt)
}

func mustDataKey(t *testing.T, s store.Store) store.DataKey {
	t.Helper()
	k, err := s.DataKey(t.Context())
	if err != nil {
		t.Fatalf("DataKey: %v", err)
	}
	return k
}

// wantWrappings fails t unless the store's wrappings are want, in order.
func wantWrappings(t *testing.T, s store.Store, want ...store.DataKeyWrapping) {
	t.Helper()
	got := mustDataKey(t, s).Wrappings
	if len(got) != len(want) {
		t.Fatalf("%d wrappings, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if !sameWrapping(got[i], want[i]) {
			t.Errorf("wrapping %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func testDataKeys(t *testing.T, s store.Store) {
	ctx := t.Context()
	t.Run("a new store has none", func(t *testing.T) {
		if _, err := s.DataKey(ctx); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("DataKey = %v, want ErrNotFound", err)
		}
		if err := s.AddDataKeyWrapping(ctx, newWrapping(0)); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("AddDataKeyWrapping = %v, want ErrNotFound", err)
		}
		if _, err := s.RemoveDataKeyWrappings(ctx, randomBytes(32)); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("RemoveDataKeyWrappings = %v, want ErrNotFound", err)
		}
		if err := s.CreateDataKey(ctx, store.DataKeyFromMasterKey, newWrapping(0)); !errors.Is(err, domain.ErrConflict) {
			t.Errorf("CreateDataKey(master-key) on a store that is not pending = %v, want ErrConflict", err)
		}
		if err := s.CreateDataKey(ctx, store.DataKeyGenerated, store.DataKeyWrapping{CreatedAt: at(0)}); err == nil {
			t.Error("CreateDataKey accepted an empty wrapping")
		}
		if _, err := s.DataKey(ctx); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("after refused calls DataKey = %v, want ErrNotFound", err)
		}
	})

	// Several nodes start at once on a new store: exactly one creation
	// wins, and the others see its wrapping.
	first := raceCreate(t, s)
	second, third := newWrapping(20), newWrapping(30)
	t.Run("create once", func(t *testing.T) {
		k := mustDataKey(t, s)
		if k.Origin != store.DataKeyGenerated || !k.CreatedAt.Equal(first.CreatedAt) {
			t.Errorf("DataKey = %s at %v, want generated at %v", k.Origin, k.CreatedAt, first.CreatedAt)
		}
		wantWrappings(t, s, first)
		for _, origin := range []store.DataKeyOrigin{store.DataKeyGenerated, store.DataKeyFromMasterKey} {
			if err := s.CreateDataKey(ctx, origin, second); !errors.Is(err, domain.ErrConflict) {
				t.Errorf("CreateDataKey(%s) again = %v, want ErrConflict", origin, err)
			}
		}
		wantWrappings(t, s, first)
	})

	t.Run("add wrappings", func(t *testing.T) {
		// Added out of order: they list by creation time.
		third.OpenedAt, second.OpenedAt = third.CreatedAt, second.CreatedAt
		for _, w := range []store.DataKeyWrapping{third, second} {
			if err := s.AddDataKeyWrapping(ctx, w); err != nil {
				t.Fatalf("AddDataKeyWrapping: %v", err)
			}
		}
		dup := newWrapping(4)
		dup.KeyCheck = second.KeyCheck
		if err := s.AddDataKeyWrapping(ctx, dup); !errors.Is(err, domain.ErrConflict) {
			t.Errorf("AddDataKeyWrapping with a taken key check = %v, want ErrConflict", err)
		}
		wantWrappings(t, s, first, second, third)
	})

	t.Run("touch keeps the latest", func(t *testing.T) {
		later, earlier := at(40), at(25)
		for _, when := range []time.Time{later, earlier} {
			if err := s.TouchDataKeyWrapping(ctx, second.KeyCheck, when); err != nil {
				t.Fatalf("TouchDataKeyWrapping: %v", err)
			}
		}
		if err := s.TouchDataKeyWrapping(ctx, randomBytes(32), later); err != nil {
			t.Errorf("TouchDataKeyWrapping of a missing wrapping = %v, want nil", err)
		}
		second.OpenedAt = later
		wantWrappings(t, s, first, second, third)
	})

	t.Run("remove all but one", func(t *testing.T) {
		if n, err := s.RemoveDataKeyWrappings(ctx, randomBytes(32)); !errors.Is(err, domain.ErrNotFound) || n != 0 {
			t.Errorf("RemoveDataKeyWrappings keeping an unknown key = %d, %v; want 0, ErrNotFound", n, err)
		}
		wantWrappings(t, s, first, second, third)
		if n, err := s.RemoveDataKeyWrappings(ctx, second.KeyCheck); err != nil || n != 2 {
			t.Fatalf("RemoveDataKeyWrappings = %d, %v; want 2, nil", n, err)
		}
		wantWrappings(t, s, second)
		if n, err := s.RemoveDataKeyWrappings(ctx, second.KeyCheck); err != nil || n != 0 {
			t.Errorf("RemoveDataKeyWrappings again = %d, %v; want 0, nil", n, err)
		}
		if k := mustDataKey(t, s); k.Origin != store.DataKeyGenerated || !k.CreatedAt.Equal(first.CreatedAt) {
			t.Errorf("the record changed with its wrappings: %+v", k)
		}
	})

	t.Run("racing removals leave one wrapping", func(t *testing.T) { raceRemove(t, s) })
}

// raceCreate has several nodes create the data key of a new store at once:
// exactly one wins, and every other sees ErrConflict. It returns the
// winner's wrapping.
func raceCreate(t *testing.T, s store.Store) store.DataKeyWrapping {
	t.Helper()
	ctx := t.Context()
	const racers = 6
	var wg sync.WaitGroup
	errs := make([]error, racers)
	ws := make([]store.DataKeyWrapping, racers)
	start := make(chan struct{})
	for i := range racers {
		ws[i] = newWrapping(1)
		wg.Go(func() {
			<-start
			errs[i] = s.CreateDataKey(ctx, store.DataKeyGenerated, ws[i])
		})
	}
	close(start)
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Fatalf("CreateDataKey succeeded twice (racers %d and %d)", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, domain.ErrConflict):
			t.Errorf("racer %d: CreateDataKey = %v, want nil or ErrConflict", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no CreateDataKey succeeded")
	}
	ws[winner].OpenedAt = ws[winner].CreatedAt
	wantWrappings(t, s, ws[winner])
	return ws[winner]
}

// raceRemove has two nodes each keep their own wrapping and remove the
// others at once, in rounds: one always stays.
func raceRemove(t *testing.T, s store.Store) {
	ctx := t.Context()
	var wg sync.WaitGroup
	for round := range 5 {
		a, b := newWrapping(10+2*round), newWrapping(11+2*round)
		for _, w := range []store.DataKeyWrapping{a, b} {
			if err := s.AddDataKeyWrapping(ctx, w); err != nil {
				t.Fatalf("AddDataKeyWrapping: %v", err)
			}
		}
		var removed [2]int
		var rerr [2]error
		start := make(chan struct{})
		for i, keep := range [][]byte{a.KeyCheck, b.KeyCheck} {
			wg.Go(func() {
				<-start
				removed[i], rerr[i] = s.RemoveDataKeyWrappings(ctx, keep)
			})
		}
		close(start)
		wg.Wait()
		k := mustDataKey(t, s)
		if len(k.Wrappings) != 1 {
			t.Fatalf("round %d: %d wrappings after two racing removals, want 1", round, len(k.Wrappings))
		}
		kept := k.Wrappings[0].KeyCheck
		loser := 0
		if bytes.Equal(kept, a.KeyCheck) {
			loser = 1
		} else if !bytes.Equal(kept, b.KeyCheck) {
			t.Fatalf("round %d: the wrapping left is neither racer's", round)
		}
		if !errors.Is(rerr[loser], domain.ErrNotFound) || rerr[1-loser] != nil {
			t.Errorf("round %d: RemoveDataKeyWrappings = %v / %v; want nil for the one kept, ErrNotFound for the other", round, rerr[0], rerr[1])
		}
		if removed[1-loser] != 2 && removed[1-loser] != 1 {
			t.Errorf("round %d: the winner removed %d wrappings", round, removed[1-loser])
		}
	}
}

// RunDataKeyUpgrade checks migration 00040 on an installation from before
// envelope encryption. newDatabase returns an opener of one new database
// that can be called again to reopen it (as a restart would); each store
// it returns must also have a DB() *sql.DB method. The migration is undone
// by hand (its down step), data is added, and the reopen migrates again.
func RunDataKeyUpgrade(t *testing.T, newDatabase func(t *testing.T) func() store.Store) {
	for _, tc := range []struct {
		name string
		add  func(t *testing.T, s store.Store)
		want store.DataKeyOrigin // "" for none
	}{
		{"empty", func(t *testing.T, s store.Store) {}, ""},
		{"an organisation", func(t *testing.T, s store.Store) { mustOrg(t, s, "Acme") }, store.DataKeyPending},
		{"an audit event", func(t *testing.T, s store.Store) {
			e := newEvent("", base, "key.create", "system", "k1")
			e.Seq, e.Hash = 1, chainHash(e)
			if err := s.AppendAudit(t.Context(), e); err != nil {
				t.Fatal(err)
			}
		}, store.DataKeyPending},
		{"a signing key", func(t *testing.T, s store.Store) {
			k := domain.SigningKey{ID: "key_1", Algorithm: "ES256", Sealed: []byte("sealed"), PublicJWK: "{}", CreatedAt: base, ActiveFrom: base}
			if err := s.CreateSigningKey(t.Context(), k); err != nil {
				t.Fatal(err)
			}
		}, store.DataKeyPending},
	} {
		t.Run(tc.name, func(t *testing.T) {
			open := newDatabase(t)
			s := open()
			db := s.(interface{ DB() *sql.DB }).DB()
			for _, q := range []string{`DROP TABLE data_key_wrappings`, `DROP TABLE data_key`, `DELETE FROM goose_db_version WHERE version_id = 40`} {
				if _, err := db.ExecContext(t.Context(), q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			tc.add(t, s)
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			s = open()
			defer s.Close()
			k, err := s.DataKey(t.Context())
			switch {
			case tc.want == "" && !errors.Is(err, domain.ErrNotFound):
				t.Errorf("DataKey = %+v, %v; want ErrNotFound (nothing was derived from the master key)", k, err)
			case tc.want != "" && (err != nil || k.Origin != tc.want || len(k.Wrappings) != 0):
				t.Errorf("DataKey = %+v, %v; want %s without wrappings", k, err, tc.want)
			}
			if tc.want == "" {
				return
			}
			w := newWrapping(1)
			if err := s.CreateDataKey(t.Context(), store.DataKeyGenerated, w); !errors.Is(err, domain.ErrConflict) {
				t.Errorf("CreateDataKey(generated) on a pending store = %v, want ErrConflict", err)
			}
			if err := s.AddDataKeyWrapping(t.Context(), w); !errors.Is(err, domain.ErrNotFound) {
				t.Errorf("AddDataKeyWrapping on a pending store = %v, want ErrNotFound", err)
			}
			if err := s.CreateDataKey(t.Context(), store.DataKeyFromMasterKey, w); err != nil {
				t.Fatalf("CreateDataKey(master-key) on a pending store: %v", err)
			}
			w.OpenedAt = w.CreatedAt
			if k := mustDataKey(t, s); k.Origin != store.DataKeyFromMasterKey || !k.CreatedAt.Equal(w.CreatedAt) {
				t.Errorf("DataKey = %+v, want master-key at %v", k, w.CreatedAt)
			}
			wantWrappings(t, s, w)
			if err := s.CreateDataKey(t.Context(), store.DataKeyFromMasterKey, newWrapping(2)); !errors.Is(err, domain.ErrConflict) {
				t.Errorf("CreateDataKey(master-key) twice = %v, want ErrConflict", err)
			}
		})
	}
}
