package e2e

import (
	"net/http"
	"testing"
	"time"

	"keywarden/pkg/apiv1"
)

func TestWebhookExpirySQLite(t *testing.T) { testWebhookExpiry(t, newSQLite(t), 1) }

// TestWebhookExpiryTwoNodesPostgres runs two servers on one database: each
// notice is still sent, and delivered, exactly once.
func TestWebhookExpiryTwoNodesPostgres(t *testing.T) { testWebhookExpiry(t, newPostgres(t), 2) }

// testWebhookExpiry: secrets that expire in a few seconds get their
// one-day notice (secret.expiring, days_before 1) at once and secret.expired
// when they expire, each once.
func testWebhookExpiry(t *testing.T, in *instance, nodes int) {
	boot := in.init(t, "Acme", "admin@acme.test")
	tok := boot.APIToken
	r := newWHReceiver(t, nil)
	var srvs []*server
	for range nodes {
		srvs = append(srvs, in.start(t, whFlags...))
	}
	c := whClient(t, srvs[0], tok, r.URL)
	// A long-lived secret signs the events of the short-lived ones: the
	// last of those to expire would otherwise leave nothing to sign with.
	keeper := whSecret(t, srvs[0], tok, c.ClientID, apiv1.CreateSecret{Description: "keeper"})
	var secrets []apiv1.CreatedSecret
	for i := range 3 {
		exp := time.Now().Add(time.Duration(2+i) * time.Second).UTC()
		secrets = append(secrets, whSecret(t, srvs[i%nodes], tok, c.ClientID, apiv1.CreateSecret{ExpiresAt: &exp}))
	}
	for _, s := range secrets {
		d := r.waitFor(t, 1, "secret.expired", ofType("secret.expired", s.ID))[0]
		if d.Data["expires_at"] == nil {
			t.Errorf("secret.expired without expires_at: %v", d.Data)
		}
	}
	time.Sleep(time.Second) // time for a duplicate to show up, if any
	for _, s := range secrets {
		expiring := r.matching(ofType("secret.expiring", s.ID))
		if len(expiring) != 1 || expiring[0].Data["days_before"] != float64(1) {
			t.Errorf("secret %s: %d secret.expiring deliveries (%v), want one with days_before 1", s.ID, len(expiring), expiring)
		}
		if n := len(r.matching(ofType("secret.expired", s.ID))); n != 1 {
			t.Errorf("secret %s: %d secret.expired deliveries, want 1", s.ID, n)
		}
	}
	known := []string{keeper.Value}
	for _, s := range secrets {
		known = append(known, s.Value)
	}
	for _, d := range r.all() {
		if !whVerifies(t, d, known...) {
			t.Errorf("delivery %s (%s) does not verify with the client's secrets", d.ID, d.Type)
		}
	}
	var audit apiv1.AuditList
	srvs[0].must(t, http.StatusOK, tok, "GET", "/v1/audit?action=secret.expire", nil, &audit)
	if len(audit.Items) != len(secrets) {
		t.Errorf("%d secret.expire audit events, want %d", len(audit.Items), len(secrets))
	}
}
