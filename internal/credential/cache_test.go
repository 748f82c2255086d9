package credential_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"keywarden/internal/credential"
	"keywarden/internal/domain"
	"keywarden/internal/store"
	"keywarden/internal/store/enginetest"
)

// countingStore counts the token path's loads and can hold them until
// released.
type countingStore struct {
	store.Store
	loads   atomic.Int64
	started chan struct{} // receives once per load when set
	release chan struct{} // a load waits for it when set
}

func (s *countingStore) LoadClientAuth(ctx context.Context, id domain.ClientID) (store.ClientAuthData, error) {
	s.loads.Add(1)
	if s.started != nil {
		s.started <- struct{}{}
	}
	if s.release != nil {
		select {
		case <-s.release:
		case <-ctx.Done():
			return store.ClientAuthData{}, ctx.Err()
		}
	}
	return s.Store.LoadClientAuth(ctx, id)
}

// TestSharedLoadOutlivesTheFirstCaller: the first caller of a shared cache
// load hangs up while the load waits on the store; the caller that joined
// it still gets the client, and the load happened once.
func TestSharedLoadOutlivesTheFirstCaller(t *testing.T) {
	enginetest.Run(t, func(t *testing.T, open func(*testing.T) store.Store) {
		cs := &countingStore{Store: open(t)}
		e := newEnvOn(t, cs)
		c := e.client(t)
		n := e.secret(t, c.ID, credential.SecretInput{})
		e.svc.ApplyChange("") // forget what creating the client loaded
		cs.loads.Store(0)
		cs.started, cs.release = make(chan struct{}, 2), make(chan struct{})

		first, hangUp := context.WithCancel(t.Context())
		firstErr := make(chan error, 1)
		go func() {
			_, err := e.svc.Authenticate(first, c.ID, n.Value.Reveal(), "192.0.2.1")
			firstErr <- err
		}()
		<-cs.started // the first caller's load is in the store
		secondDone := make(chan error, 1)
		go func() {
			_, err := e.svc.Authenticate(t.Context(), c.ID, n.Value.Reveal(), "192.0.2.2")
			secondDone <- err
		}()
		// The second caller joins the load right after counting its miss.
		// (Were it to come after the hang-up, the held load would still be
		// the one it joins.)
		for e.svc.CacheStats().Misses < 2 {
			runtime.Gosched()
		}
		hangUp()
		if err := <-firstErr; !errors.Is(err, context.Canceled) {
			t.Errorf("first caller: %v, want context.Canceled", err)
		}
		close(cs.release)
		if err := <-secondDone; err != nil {
			t.Errorf("second caller: %v, want success (the shared load must not be cancelled)", err)
		}
		if got := cs.loads.Load(); got != 1 {
			t.Errorf("%d loads, want 1 shared load", got)
		}
		cs.started = nil
		if _, err := e.svc.Authenticate(t.Context(), c.ID, n.Value.Reveal(), "192.0.2.3"); err != nil || cs.loads.Load() != 1 {
			t.Errorf("after the load: %v, %d loads; want the cached entry", err, cs.loads.Load())
		}
	})
}

// TestCacheStaysWithinItsBudget uses many more clients than the budget
// holds: the cache stays within it, evicts, and keeps a client used
// between every other one (CLOCK spares used entries); entries have no
// lifetime, so time alone reloads nothing.
func TestCacheStaysWithinItsBudget(t *testing.T) {
	enginetest.Run(t, func(t *testing.T, open func(*testing.T) store.Store) {
		cs := &countingStore{Store: open(t)}
		const budget = 24 << 10 // about 16 clients with a secret each
		e := newEnvOn(t, cs, func(o *credential.Options) { o.CacheBytes = budget })
		type cred struct {
			id     domain.ClientID
			secret string
		}
		creds := make([]cred, 60)
		for i := range creds {
			c := e.client(t)
			creds[i] = cred{c.ID, e.secret(t, c.ID, credential.SecretInput{}).Value.Reveal()}
		}
		hot := creds[0]
		use := func(c cred) {
			t.Helper()
			if _, err := e.svc.Authenticate(t.Context(), c.id, c.secret, "192.0.2.1"); err != nil {
				t.Fatalf("Authenticate: %v", err)
			}
		}
		use(hot)
		hotLoads := cs.loads.Load()
		for _, c := range creds[1:] {
			use(c)
			before := cs.loads.Load()
			use(hot)
			if cs.loads.Load() != before {
				t.Fatalf("the client used between every other one was evicted")
			}
		}
		st := e.svc.CacheStats()
		if st.Bytes > st.Budget || st.Budget != budget {
			t.Errorf("cache holds %d bytes, budget %d (want at most %d)", st.Bytes, st.Budget, budget)
		}
		if st.Evictions == 0 || st.Entries >= len(creds) {
			t.Errorf("%d entries, %d evictions: want evictions and fewer entries than %d clients", st.Entries, st.Evictions, len(creds))
		}
		if got := cs.loads.Load() - hotLoads; got != int64(len(creds)-1) {
			t.Errorf("%d loads for %d cold clients, want one each (one store round trip a miss)", got, len(creds)-1)
		}
		e.clock.Add(time.Hour) // the old cache lifetime was 5 s
		before := cs.loads.Load()
		use(hot)
		if cs.loads.Load() != before {
			t.Errorf("time alone reloaded a cached client")
		}
	})
}

// TestUnknownClientsAreRemembered: an unknown client ID costs one store
// read, not one per attempt, the remembered IDs are bounded, and the
// notice of an import forgets them.
func TestUnknownClientsAreRemembered(t *testing.T) {
	enginetest.Run(t, func(t *testing.T, open func(*testing.T) store.Store) {
		cs := &countingStore{Store: open(t)}
		e := newEnvOn(t, cs, func(o *credential.Options) { o.CacheBytes = 8 << 10 })
		unknown := domain.NewClientID()
		try := func(id domain.ClientID, i int) {
			t.Helper()
			_, err := e.svc.Authenticate(t.Context(), id, "kws_whatever", fmt.Sprintf("192.0.2.%d", i%250+1))
			if !errors.Is(err, credential.ErrBadCredentials) {
				t.Fatalf("Authenticate(unknown) = %v, want ErrBadCredentials", err)
			}
		}
		for i := range 3 {
			try(unknown, i)
		}
		if got := cs.loads.Load(); got != 1 {
			t.Errorf("%d loads for three attempts with one unknown ID, want 1", got)
		}
		for i := range 200 {
			try(domain.NewClientID(), i)
		}
		if st := e.svc.CacheStats(); st.Negative > 64 || st.Negative == 0 {
			t.Errorf("%d unknown IDs remembered, want between 1 and 64 (the bound of this budget)", st.Negative)
		}
		e.svc.ApplyChange("clients-imported")
		before := cs.loads.Load()
		try(unknown, 0)
		if cs.loads.Load() != before+1 {
			t.Errorf("the notice of an import did not forget the unknown IDs")
		}
	})
}
