package e2e

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"keywarden/pkg/apiv1"
	"keywarden/pkg/webhooksig"
)

// whFlags make a server deliver webhooks to the test's receiver on
// 127.0.0.1 and retry and look for work every few hundred milliseconds.
var whFlags = []string{"--webhook-allow-private", "127.0.0.1/32", "--webhook-poll-interval", "100ms", "--webhook-retry-schedule", "200ms,200ms,200ms,200ms,200ms,200ms,200ms",
	"--job-interval", "100ms"}

// whDelivery is one request the receiver got.
type whDelivery struct {
	At     time.Time
	Header http.Header
	Body   []byte
	ID     string // webhook-id
	Type   string
	Data   map[string]any
}

// whReceiver is a webhook endpoint: an httptest server that records every
// delivery. status, when set, chooses the answer to the n-th request
// (0-based); the default is 204.
type whReceiver struct {
	*httptest.Server
	mu     sync.Mutex
	got    []whDelivery
	status func(n int, d whDelivery) int
	notify chan struct{}
}

func newWHReceiver(t *testing.T, status func(n int, d whDelivery) int) *whReceiver {
	t.Helper()
	r := &whReceiver{status: status, notify: make(chan struct{}, 1)}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		d := whDelivery{At: time.Now(), Header: req.Header.Clone(), Body: body, ID: req.Header.Get(webhooksig.HeaderID)}
		var p struct {
			Type string         `json:"type"`
			Data map[string]any `json:"data"`
		}
		if err := json.Unmarshal(body, &p); err != nil {
			t.Errorf("a delivery's body is not JSON: %v: %q", err, body)
		}
		d.Type, d.Data = p.Type, p.Data
		r.mu.Lock()
		n := len(r.got)
		r.got = append(r.got, d)
		r.mu.Unlock()
		select {
		case r.notify <- struct{}{}:
		default:
		}
		code := http.StatusNoContent
		if r.status != nil {
			code = r.status(n, d)
		}
		w.WriteHeader(code)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *whReceiver) all() []whDelivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]whDelivery(nil), r.got...)
}

// matching returns the deliveries that match.
func (r *whReceiver) matching(match func(whDelivery) bool) []whDelivery {
	var out []whDelivery
	for _, d := range r.all() {
		if match(d) {
			out = append(out, d)
		}
	}
	return out
}

// waitFor waits until n deliveries match and returns them.
func (r *whReceiver) waitFor(t *testing.T, n int, what string, match func(whDelivery) bool) []whDelivery {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		if got := r.matching(match); len(got) >= n {
			return got
		}
		select {
		case <-r.notify:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			t.Fatalf("waited 20s for %d× %s; the receiver got %d deliveries: %s", n, what, len(r.all()), whTypes(r.all()))
		}
	}
}

func whTypes(ds []whDelivery) string {
	var s []string
	for _, d := range ds {
		s = append(s, d.Type)
	}
	return strings.Join(s, " ")
}

// ofType matches deliveries of an event type about one secret ("" for
// any).
func ofType(typ, secretID string) func(whDelivery) bool {
	return func(d whDelivery) bool {
		return d.Type == typ && (secretID == "" || d.Data["secret_id"] == secretID)
	}
}

// whVerifies reports whether d verifies under exactly the given secrets,
// checked by pkg/webhooksig and by the official Standard Webhooks library
// (which must agree), at the time it arrived.
func whVerifies(t *testing.T, d whDelivery, secrets ...string) bool {
	t.Helper()
	_, err := webhooksig.Verify(secrets, d.Header, d.Body, d.At, 0)
	if err != nil && !errors.Is(err, webhooksig.ErrNoMatch) {
		t.Errorf("webhooksig.Verify(%s): %v", d.ID, err)
	}
	official := false
	for _, s := range secrets {
		wh, err := standardwebhooks.NewWebhook(webhooksig.StandardWebhooksSecret(s))
		if err != nil {
			t.Fatal(err)
		}
		official = official || wh.Verify(d.Body, d.Header) == nil
	}
	if (err == nil) != official {
		t.Errorf("delivery %s: webhooksig says verified=%v, the official library %v", d.ID, err == nil, official)
	}
	return err == nil
}

// hmacUnder reports whether X-Keywarden-Hmac-Sha256 is under secret.
func hmacUnder(d whDelivery, secret string) bool {
	_, err := webhooksig.VerifyHMAC([]string{secret}, d.Header.Get(webhooksig.HeaderHMAC), d.Body)
	return err == nil
}

// whVerifyCLI runs keywarden webhook verify on a delivery and returns its
// exit code.
func whVerifyCLI(t *testing.T, in *instance, d whDelivery, body []byte, secrets ...string) int {
	t.Helper()
	file := filepath.Join(t.TempDir(), "secrets")
	if err := os.WriteFile(file, []byte("# the client's secrets\n"+strings.Join(secrets, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"webhook", "verify", "--secret-file", file}
	for _, h := range []string{webhooksig.HeaderID, webhooksig.HeaderTimestamp, webhooksig.HeaderSignature, webhooksig.HeaderHMAC} {
		args = append(args, "--header", h+": "+d.Header.Get(h))
	}
	out, errOut, code := in.run(t, string(body), args...)
	for _, s := range secrets {
		if strings.Contains(out+errOut, s) {
			t.Errorf("keywarden webhook verify printed a secret")
		}
	}
	return code
}

// kill stops the server with SIGKILL: no shutdown, no flush.
func (s *server) kill(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	err := <-s.done
	s.done <- err
}

// whClient creates a client whose webhook goes to url.
func whClient(t *testing.T, srv *server, tok, url string) apiv1.Client {
	t.Helper()
	var c apiv1.Client
	srv.must(t, http.StatusCreated, tok, "POST", "/v1/clients", apiv1.CreateClient{Name: "billing", WebhookURL: url}, &c)
	return c
}

func whSecret(t *testing.T, srv *server, tok, clientID string, body apiv1.CreateSecret) apiv1.CreatedSecret {
	t.Helper()
	var s apiv1.CreatedSecret
	if body.Description == "" {
		body.Description = "d"
	}
	srv.must(t, http.StatusCreated, tok, "POST", "/v1/clients/"+clientID+"/secrets", body, &s)
	return s
}

func whDeliveries(t *testing.T, srv *server, tok, clientID string) []apiv1.WebhookDelivery {
	t.Helper()
	var list apiv1.WebhookDeliveryList
	srv.must(t, http.StatusOK, tok, "GET", "/v1/clients/"+clientID+"/webhook/deliveries?limit=200", nil, &list)
	return list.Items
}

// whSettledLog polls a client's delivery log until no delivery is pending
// (the receiver sees a request before the server records its outcome) and
// returns it.
func whSettledLog(t *testing.T, srv *server, tok, clientID string) []apiv1.WebhookDelivery {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		log := whDeliveries(t, srv, tok, clientID)
		pending := false
		for _, d := range log {
			pending = pending || d.Status == "pending"
		}
		if !pending {
			return log
		}
		if time.Now().After(deadline) {
			t.Fatalf("deliveries still pending after 20s: %s", fmtJSON(log))
		}
		time.Sleep(50 * time.Millisecond)
	}
}
