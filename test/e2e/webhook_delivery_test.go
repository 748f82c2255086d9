package e2e

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"keywarden/pkg/apiv1"
)

// TestWebhookRetryAfterServerError: a receiver that answers 500 and then
// 200 gets the retry, with the same webhook-id; the log shows both.
func TestWebhookRetryAfterServerError(t *testing.T) {
	in := newSQLite(t)
	boot := in.init(t, "Acme", "admin@acme.test")
	srv := in.start(t, whFlags...)
	tok := boot.APIToken
	r := newWHReceiver(t, func(n int, d whDelivery) int {
		if n == 0 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	c := whClient(t, srv, tok, r.URL)
	s := whSecret(t, srv, tok, c.ClientID, apiv1.CreateSecret{})
	got := r.waitFor(t, 2, "the first attempt and its retry", ofType("secret.created", s.ID))
	if got[0].ID != got[1].ID {
		t.Errorf("the retry has webhook-id %s, the first attempt %s; want the same", got[1].ID, got[0].ID)
	}
	for _, d := range got {
		if !whVerifies(t, d, s.Value) {
			t.Errorf("attempt does not verify")
		}
	}
	var detail apiv1.WebhookDeliveryDetail
	deadline := time.Now().Add(10 * time.Second)
	for detail.Status != "delivered" && time.Now().Before(deadline) {
		srv.must(t, http.StatusOK, tok, "GET", "/v1/clients/"+c.ClientID+"/webhook/deliveries/"+got[0].ID, nil, &detail)
		time.Sleep(50 * time.Millisecond)
	}
	if detail.Status != "delivered" || detail.Attempts != 2 || len(detail.AttemptLog) != 2 ||
		detail.AttemptLog[0].StatusCode != 500 || detail.AttemptLog[1].StatusCode != 200 {
		t.Errorf("delivery log = %s", fmtJSON(detail))
	}
	out, errOut, code := in.run(t, "", "webhooks", "delivery", c.ClientID, got[0].ID, "--server", srv.URL, "--token", tok)
	if code != 0 || !strings.Contains(out, "500") || !strings.Contains(out, "200") {
		t.Errorf("keywarden webhooks delivery: exit %d\n%s%s", code, out, errOut)
	}
	// Manual redelivery sends it once more, same webhook-id.
	out, errOut, code = in.run(t, "", "webhooks", "redeliver", c.ClientID, got[0].ID, "--server", srv.URL, "--token", tok)
	if code != 0 {
		t.Fatalf("keywarden webhooks redeliver: exit %d\n%s%s", code, out, errOut)
	}
	r.waitFor(t, 3, "the redelivery", ofType("secret.created", s.ID))
}

func TestWebhookKillBeforeDeliverySQLite(t *testing.T) {
	testWebhookKillBeforeDelivery(t, newSQLite(t))
}
func TestWebhookKillBeforeDeliveryPostgres(t *testing.T) {
	testWebhookKillBeforeDelivery(t, newPostgres(t))
}

// testWebhookKillBeforeDelivery: the change commits on a node that does
// not deliver, which is then killed; a restarted server delivers the event.

func testWebhookKillBeforeDelivery(t *testing.T, in *instance) {
	boot := in.init(t, "Acme", "admin@acme.test")
	tok := boot.APIToken
	r := newWHReceiver(t, nil)
	first := in.start(t, append(whFlags, "--webhook-dispatch=false")...)
	c := whClient(t, first, tok, r.URL)
	s := whSecret(t, first, tok, c.ClientID, apiv1.CreateSecret{})
	time.Sleep(500 * time.Millisecond)
	if n := len(r.all()); n != 0 {
		t.Fatalf("a node with --webhook-dispatch=false delivered %d webhooks", n)
	}
	first.kill(t)

	second := in.start(t, whFlags...)
	d := r.waitFor(t, 1, "secret.created after the restart", ofType("secret.created", s.ID))[0]
	if !whVerifies(t, d, s.Value) {
		t.Errorf("the delivery after the restart does not verify")
	}
	if log := whSettledLog(t, second, tok, c.ClientID); len(log) != 1 || log[0].ID != d.ID || log[0].Status != "delivered" {
		t.Errorf("delivery log after the restart = %s", fmtJSON(log))
	}
}

// TestWebhookKillMidDelivery: the server is killed while the receiver holds
// the request; the restarted server sends it again, same webhook-id, once
// the dead node's lease has run out.
func TestWebhookKillMidDelivery(t *testing.T) {
	in := newSQLite(t)
	boot := in.init(t, "Acme", "admin@acme.test")
	tok := boot.APIToken
	arrived := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	r := newWHReceiver(t, func(n int, d whDelivery) int {
		if n == 0 {
			once.Do(func() { close(arrived) })
			<-release // answer only after the server is dead
		}
		return http.StatusNoContent
	})
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
	})
	flags := append(whFlags, "--webhook-timeout", "1s")
	first := in.start(t, flags...)
	c := whClient(t, first, tok, r.URL)
	s := whSecret(t, first, tok, c.ClientID, apiv1.CreateSecret{})
	select {
	case <-arrived:
	case <-time.After(20 * time.Second):
		t.Fatal("the first delivery never arrived")
	}
	first.kill(t)
	close(release)

	second := in.start(t, flags...)
	got := r.waitFor(t, 2, "the delivery again after the kill", ofType("secret.created", s.ID))
	if got[0].ID != got[1].ID || !whVerifies(t, got[1], s.Value) {
		t.Errorf("redelivery after the kill: ids %s and %s; want the same, verified", got[0].ID, got[1].ID)
	}
	if log := whSettledLog(t, second, tok, c.ClientID); len(log) != 1 || log[0].Status != "delivered" {
		t.Errorf("delivery log after the kill = %s", fmtJSON(log))
	}
}

// TestWebhookPrivateAddressRefused: without --webhook-allow-private the API
// refuses http and private webhook URLs, and a private URL registered while
// the flag was on is refused at delivery time.
func TestWebhookPrivateAddressRefused(t *testing.T) {
	in := newSQLite(t)
	boot := in.init(t, "Acme", "admin@acme.test")
	tok := boot.APIToken
	r := newWHReceiver(t, nil)

	open := in.start(t, whFlags...)
	c := whClient(t, open, tok, r.URL)
	open.stop(t)

	strict := in.start(t, "--webhook-poll-interval", "100ms", "--webhook-retry-schedule", "200ms,200ms,200ms,200ms,200ms,200ms,200ms")
	for _, u := range []string{r.URL, strings.Replace(r.URL, "http:", "https:", 1), "https://localhost/hooks", "https://169.254.169.254/latest"} {
		code, body := strict.call(t, tok, "POST", "/v1/clients", apiv1.CreateClient{Name: "x", WebhookURL: u}, nil)
		if code != http.StatusUnprocessableEntity || !strings.Contains(string(body), "webhook_url") {
			t.Errorf("POST /v1/clients with webhook %s = %d %s; want 422 on webhook_url", u, code, body)
		}
	}
	whSecret(t, strict, tok, c.ClientID, apiv1.CreateSecret{})
	deadline := time.Now().Add(10 * time.Second)
	for {
		log := whDeliveries(t, strict, tok, c.ClientID)
		if len(log) == 1 && log[0].Attempts > 0 {
			if !strings.Contains(log[0].LastError, "refused") || log[0].LastStatusCode != 0 {
				t.Errorf("delivery to a private address without the flag = %s; want refused", fmtJSON(log[0]))
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no attempt in the log: %s", fmtJSON(log))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n := len(r.all()); n != 0 {
		t.Errorf("the private receiver got %d requests from a server without --webhook-allow-private", n)
	}
}
