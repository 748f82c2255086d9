package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// lbNode is a server behind the test's load balancer.
type lbNode struct {
	srv      *server
	inflight sync.WaitGroup
	ok       atomic.Int64
}

// balancer spreads requests over live nodes, as a load balancer in front
// of several Keywarden nodes would; drain takes a node out of rotation and
// waits for its requests in flight, so that it can be stopped without
// failing a request.
type balancer struct {
	mu   sync.Mutex
	live []*lbNode
	next int
}

func (b *balancer) pick() *lbNode {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := b.live[b.next%len(b.live)]
	b.next++
	n.inflight.Add(1)
	return n
}

func (b *balancer) add(n *lbNode) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.live = append(b.live, n)
}

func (b *balancer) drain(n *lbNode) {
	b.mu.Lock()
	b.live = slices.DeleteFunc(b.live, func(x *lbNode) bool { return x == n })
	b.mu.Unlock()
	n.inflight.Wait()
}

// tokenLoad is a bounded, paced client_credentials load through a
// balancer. Every request must succeed; failures are kept to report.
type tokenLoad struct {
	ok       atomic.Int64
	mu       sync.Mutex
	failures []string
}

func (l *tokenLoad) fail(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.failures) < 20 {
		l.failures = append(l.failures, fmt.Sprintf(format, args...))
	}
}

func (l *tokenLoad) failed() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.failures)
}

// run sends token requests (and, every fifth, an introspection of the
// token issued before the change, which must stay active) from workers
// until stop closes or the time limit passes.
func (l *tokenLoad) run(b *balancer, clientID, secret, oldToken string, stop <-chan struct{}) *sync.WaitGroup {
	hc := &http.Client{Timeout: 10 * time.Second}
	limit := time.Now().Add(5 * time.Minute)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			tick := time.NewTicker(10 * time.Millisecond) // at most ~400 requests/s in all
			defer tick.Stop()
			for i := 0; time.Now().Before(limit); i++ {
				select {
				case <-stop:
					return
				case <-tick.C:
				}
				n := b.pick()
				path, form := "/oauth2/token", url.Values{"grant_type": {"client_credentials"}}
				if (i+w)%5 == 0 {
					path, form = "/oauth2/introspect", url.Values{"token": {oldToken}}
				}
				req, _ := http.NewRequest("POST", n.srv.URL+path, strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("Authorization", oauthBasic(clientID, secret))
				resp, err := hc.Do(req)
				n.inflight.Done()
				if err != nil {
					l.fail("%s %s: %v", n.srv.URL, path, err)
					continue
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				var active struct {
					Active bool `json:"active"`
				}
				switch {
				case resp.StatusCode != http.StatusOK:
					l.fail("%s %s = %d: %s", n.srv.URL, path, resp.StatusCode, body)
				case path == "/oauth2/introspect" && (json.Unmarshal(body, &active) != nil || !active.Active):
					l.fail("%s: the token issued before the rekey is not active: %s", n.srv.URL, body)
				default:
					l.ok.Add(1)
					n.ok.Add(1)
				}
			}
		})
	}
	return &wg
}

// waitFor waits until cond holds, failing t after a minute.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestRekeyTwoNodesUnderLoadPostgres replaces the master key of two nodes
// on one PostgreSQL database while token requests keep coming: rekey, then
// each node restarted with the new key in turn, then the rotation
// finished. Not one request fails; afterwards the old key opens nothing,
// and every secret, token, API token and the audit chain still verify.
func TestRekeyTwoNodesUnderLoadPostgres(t *testing.T) {
	t.Parallel()
	oldKey, newKey := newMasterKey(), newMasterKey()
	pg := newPostgres(t)
	in := withKey(pg, oldKey)
	e := oauthStart(t, in)
	c, sec := e.client(t, "load", "invoices:read")
	oldToken := e.token(t, c.ClientID, sec.Value).AccessToken

	lb := &balancer{}
	nodeA, nodeB := &lbNode{srv: e.srv}, &lbNode{srv: in.start(t)}
	lb.add(nodeA)
	lb.add(nodeB)
	load := &tokenLoad{}
	stop := make(chan struct{})
	wg := load.run(lb, c.ClientID, sec.Value, oldToken, stop)
	stopped := false
	stopLoad := func() {
		if !stopped {
			stopped = true
			close(stop)
			wg.Wait()
		}
	}
	defer stopLoad()
	waitFor(t, "load on both nodes", func() bool { return nodeA.ok.Load() >= 20 && nodeB.ok.Load() >= 20 })

	// 1. Wrap the data key under the new key too. The nodes notice nothing.
	rekey := withKey(in, oldKey, "KEYWARDEN_NEW_MASTER_KEY="+newKey)
	out, errOut, code := rekey.run(t, "", append([]string{"rekey"}, in.storeArgs()...)...)
	if code != 0 || !strings.Contains(out, "(2 keys open it)") {
		t.Fatalf("rekey exited %d: %s %s", code, out, errOut)
	}
	atRekey := load.ok.Load()
	waitFor(t, "requests after the rekey", func() bool { return load.ok.Load() >= atRekey+40 })

	// 2. Restart the nodes with the new key, one at a time.
	next := withKey(in, newKey)
	var restarted []*lbNode
	for _, old := range []*lbNode{nodeA, nodeB} {
		lb.drain(old)
		old.srv.stop(t)
		n := &lbNode{srv: next.start(t)}
		lb.add(n)
		restarted = append(restarted, n)
		waitFor(t, "requests served by the restarted node", func() bool { return n.ok.Load() >= 20 })
	}

	// 3. Only the new key opens the store from now on.
	out, errOut, code = next.run(t, "", append([]string{"rekey", "--finish"}, in.storeArgs()...)...)
	if code != 0 || !strings.Contains(out, "removed 1") {
		t.Fatalf("rekey --finish exited %d: %s %s", code, out, errOut)
	}
	atFinish := load.ok.Load()
	waitFor(t, "requests after the finish", func() bool { return load.ok.Load() >= atFinish+40 })
	stopLoad()
	if f := load.failed(); len(f) > 0 {
		t.Fatalf("%d requests succeeded, but some failed:\n%s", load.ok.Load(), strings.Join(f, "\n"))
	}
	t.Logf("%d token and introspection requests, none failed, across the rekey, two restarts and the finish", load.ok.Load())

	// The old key is refused everywhere, as a wrong key.
	old := withKey(in, oldKey)
	if out, errOut, code := old.run(t, "", append([]string{"audit", "verify"}, in.storeArgs()...)...); code == 0 || !strings.Contains(errOut, "wrong master key") || strings.Contains(out, "BROKEN") {
		t.Errorf("audit verify with the old key exited %d: %s %s", code, out, errOut)
	}
	if out, errOut, code := old.run(t, "", append([]string{"serve", "--listen", "127.0.0.1:0"}, in.storeArgs()...)...); code == 0 || !strings.Contains(errOut, "wrong master key") {
		t.Errorf("serve with the old key exited %d: %s %s", code, out, errOut)
	}
	// Everything verifies under the new one: the audit chain (with the
	// rekey's own events), the admin's API token, the old secret and the
	// access token issued before (its signing key was sealed before).
	out, errOut, code = next.run(t, "", append([]string{"audit", "verify"}, in.storeArgs()...)...)
	if code != 0 || !strings.HasPrefix(out, "audit chain OK") {
		t.Errorf("audit verify with the new key exited %d: %s %s", code, out, errOut)
	}
	r := &oauthEnv{in: next, srv: restarted[1].srv, admin: e.admin, org: e.org}
	r.srv.must(t, http.StatusOK, e.admin, "GET", "/v1/clients/"+c.ClientID, nil, nil)
	r.token(t, c.ClientID, sec.Value)
	r.wantActive(t, c.ClientID, sec.Value, oldToken, true)
	out, _, code = next.run(t, "", append([]string{"rekey", "--status"}, in.storeArgs()...)...)
	if code != 0 || strings.Count(out, "\n") != 3 || !strings.Contains(out, " yes ") {
		t.Errorf("rekey --status exited %d:\n%s", code, out)
	}
}
