package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// readyBalancer is a small HTTP load readyBalancer that honours readiness the way
// HAProxy's or a cloud readyBalancer's health checks do: it polls each
// backend's /readyz every interval and sends requests round robin to the
// backends whose last check answered 200, never retrying a failed request
// (so each failure shows).
type readyBalancer struct {
	srv      *httptest.Server
	backends []*lbBackend
	next     atomic.Uint64
}

type lbBackend struct {
	url    *url.URL
	proxy  *httputil.ReverseProxy
	up     atomic.Bool
	served atomic.Int64
}

// lbFall is how many checks in a row must fail before a backend is taken
// out (HAProxy's "fall"; its default is 3): one slow answer on a busy
// machine does not take a healthy node out. One good check puts it back.
const lbFall = 3

func newReadyBalancer(t *testing.T, interval time.Duration, backends ...string) *readyBalancer {
	t.Helper()
	b := &readyBalancer{}
	transport := &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: time.Minute}
	for _, raw := range backends {
		u, err := url.Parse(raw)
		noErr(t, err)
		be := &lbBackend{url: u, proxy: httputil.NewSingleHostReverseProxy(u)}
		be.proxy.Transport = transport
		b.backends = append(b.backends, be)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var checks sync.WaitGroup
	check := &http.Client{Timeout: 2 * time.Second}
	for _, be := range b.backends {
		checks.Add(1)
		go func() {
			defer checks.Done()
			failed := 0
			for {
				r, err := check.Get(be.url.String() + "/readyz")
				ok := err == nil && r.StatusCode == http.StatusOK
				if err == nil {
					io.Copy(io.Discard, r.Body)
					r.Body.Close()
				}
				switch {
				case ok:
					failed = 0
					be.up.Store(true)
				case failed+1 >= lbFall && be.up.Load():
					t.Logf("balancer: %s taken out after %d failed checks (last: %v)", be.url.Host, lbFall, checkResult(r, err))
					be.up.Store(false)
					fallthrough
				default:
					failed++
				}
				select {
				case <-ctx.Done():
					return
				case <-time.After(interval):
				}
			}
		}()
	}
	b.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		first := b.next.Add(1)
		for i := range uint64(len(b.backends)) {
			be := b.backends[(first+i)%uint64(len(b.backends))]
			if be.up.Load() {
				be.served.Add(1)
				be.proxy.ServeHTTP(w, r) // a transport error is its 502
				return
			}
		}
		http.Error(w, "no backend is ready", http.StatusServiceUnavailable)
	}))
	t.Cleanup(func() { b.srv.Close(); cancel(); checks.Wait(); transport.CloseIdleConnections() })
	oauthEventually(t, 10*time.Second, "every backend ready at the readyBalancer", func() bool {
		for _, be := range b.backends {
			if !be.up.Load() {
				return false
			}
		}
		return true
	})
	return b
}

// drainLoad runs workers requests at once through the readyBalancer until stop,
// and returns how many succeeded and every failure.
func drainLoad(workers int, stop <-chan struct{}, do func() error) func() (int64, []string) {
	var ok atomic.Int64
	var mu sync.Mutex
	var failures []string
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := do(); err != nil {
					mu.Lock()
					failures = append(failures, err.Error())
					mu.Unlock()
				} else {
					ok.Add(1)
				}
			}
		}()
	}
	return func() (int64, []string) { wg.Wait(); return ok.Load(), failures }
}

// TestDrainBehindBalancer stops one of two nodes with SIGTERM while load
// runs through a readyBalancer that honours /readyz: not one request fails.
// The node turns unready at once, keeps serving through --drain-delay
// (ten health-check intervals here) while the readyBalancer moves the load to
// the other node, and only then stops accepting.
func TestDrainBehindBalancer(t *testing.T) {
	engines := []struct {
		name  string
		nodes func(t *testing.T, extra ...string) (a, b *server, do func(base string) error)
	}{
		{"SQLite", func(t *testing.T, extra ...string) (*server, *server, func(string) error) {
			// Two installations (SQLite serves one process): the load
			// is what any of them answers alike, the JWKS.
			a, b := newSQLite(t), newSQLite(t)
			a.init(t, "Acme", "admin@acme.test")
			b.init(t, "Acme", "admin@acme.test")
			return a.start(t, extra...), b.start(t, extra...), func(base string) error {
				return expect(http.Get(base + "/.well-known/jwks.json"))
			}
		}},
		{"PostgreSQL", func(t *testing.T, extra ...string) (*server, *server, func(string) error) {
			in := newPostgres(t)
			e := oauthStart(t, in, extra...)
			srvB := in.start(t, extra...)
			c, s := e.client(t, "billing", "invoices:read")
			form := url.Values{"grant_type": {"client_credentials"}}.Encode()
			return e.srv, srvB, func(base string) error {
				req, _ := http.NewRequest("POST", base+"/oauth2/token", strings.NewReader(form))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.SetBasicAuth(c.ClientID, s.Value)
				return expect(http.DefaultClient.Do(req))
			}
		}},
	}
	for _, eng := range engines {
		t.Run(eng.name, func(t *testing.T) {
			const check = 50 * time.Millisecond
			// Far longer than lbFall checks take, even on a busy machine.
			a, b, do := eng.nodes(t, "--drain-delay", "3s")
			lb := newReadyBalancer(t, check, a.URL, b.URL)
			stop := make(chan struct{})
			wait := drainLoad(8, stop, func() error { return do(lb.srv.URL) })
			beA, beB := lb.backends[0], lb.backends[1]
			oauthEventually(t, 10*time.Second, "both nodes serve load", func() bool { return beA.served.Load() > 20 && beB.served.Load() > 20 })

			a.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case err := <-a.done:
				a.done <- err
				if err != nil {
					t.Errorf("node A after SIGTERM: %v", err)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("node A did not stop within 30 s of SIGTERM")
			}
			afterStop := beB.served.Load()
			oauthEventually(t, 10*time.Second, "node B serves on after node A stopped", func() bool { return beB.served.Load() > afterStop+50 })
			close(stop)
			ok, failures := wait()
			t.Logf("%d requests succeeded (node A %d, node B %d), %d failed", ok, beA.served.Load(), beB.served.Load(), len(failures))
			if len(failures) > 0 {
				t.Errorf("%d requests failed during the stop, want none; first: %s", len(failures), failures[0])
			}
			if !strings.Contains(a.logs.String(), "draining") {
				t.Errorf("node A's log does not show the drain:\n%s", a.logs.String())
			}
		})
	}
}

func checkResult(r *http.Response, err error) string {
	if err != nil {
		return err.Error()
	}
	return r.Status
}

// expect turns a response other than 200 into an error.
func expect(r *http.Response, err error) error {
	if err != nil {
		return err
	}
	defer r.Body.Close()
	body, _ := io.ReadAll(r.Body)
	if r.StatusCode != http.StatusOK {
		return fmt.Errorf("%d %s", r.StatusCode, body)
	}
	return nil
}
