package e2e

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"keywarden/pkg/apiv1"
	"keywarden/pkg/webhooksig"
)

func TestWebhookRotationSQLite(t *testing.T)   { testWebhookRotation(t, newSQLite(t)) }
func TestWebhookRotationPostgres(t *testing.T) { testWebhookRotation(t, newPostgres(t)) }

// testWebhookRotation follows seed 003 with a real receiver: every delivery
// verifies with pkg/webhooksig and with the official Standard Webhooks
// library; during a rotation either secret verifies; once the old secret is
// revoked only the new one does, and X-Keywarden-Hmac-Sha256 moves to the
// new oldest unrevoked secret; after a breach revoke-all the events wait
// for the new secret and are signed with it alone.
func testWebhookRotation(t *testing.T, in *instance) {
	boot := in.init(t, "Acme", "admin@acme.test")
	srv := in.start(t, whFlags...)
	tok := boot.APIToken
	r := newWHReceiver(t, nil)
	c := whClient(t, srv, tok, r.URL)
	base := "/v1/clients/" + c.ClientID

	// One secret.
	s1 := whSecret(t, srv, tok, c.ClientID, apiv1.CreateSecret{Description: "production"})
	d1 := r.waitFor(t, 1, "secret.created of the first secret", ofType("secret.created", s1.ID))[0]
	if !whVerifies(t, d1, s1.Value) || !hmacUnder(d1, s1.Value) {
		t.Fatalf("the first delivery does not verify with the client's only secret")
	}
	if bytes.Contains(d1.Body, []byte(s1.Value)) || d1.Data["hint"] != s1.Hint || d1.Data["description"] != "production" {
		t.Errorf("secret.created data = %v; want ids, description and hint, never the value", d1.Data)
	}
	if ts := d1.Header.Get(webhooksig.HeaderTimestamp); ts == "" || d1.Header.Get(webhooksig.HeaderID) == "" {
		t.Errorf("missing Standard Webhooks headers: %v", d1.Header)
	}
	if code := whVerifyCLI(t, in, d1, d1.Body, s1.Value); code != 0 {
		t.Errorf("keywarden webhook verify of a genuine delivery exited %d", code)
	}
	tampered := bytes.Replace(d1.Body, []byte(s1.ID), []byte("sec_forged0000000000000000"), 1)
	if code := whVerifyCLI(t, in, d1, tampered, s1.Value); code != 1 {
		t.Errorf("keywarden webhook verify of a tampered body exited %d, want 1", code)
	}

	// Rotation: both secrets verify; the HMAC header stays on the old one.
	var rot apiv1.RotateResult
	srv.must(t, http.StatusCreated, tok, "POST", base+"/secrets/rotate", apiv1.Rotate{Description: "Q3"}, &rot)
	s2 := rot.CreatedSecret
	d2 := r.waitFor(t, 1, "secret.created of the rotation", ofType("secret.created", s2.ID))[0]
	if n := len(strings.Fields(d2.Header.Get(webhooksig.HeaderSignature))); n != 2 {
		t.Errorf("webhook-signature during the rotation has %d signatures, want 2", n)
	}
	if !whVerifies(t, d2, s1.Value) || !whVerifies(t, d2, s2.Value) {
		t.Errorf("during the rotation a receiver that knows either secret must verify")
	}
	if !hmacUnder(d2, s1.Value) || hmacUnder(d2, s2.Value) {
		t.Errorf("during the rotation %s must be under the oldest unrevoked secret", webhooksig.HeaderHMAC)
	}
	if code := whVerifyCLI(t, in, d2, d2.Body, s2.Value); code != 0 {
		t.Errorf("keywarden webhook verify with the new secret only exited %d", code)
	}

	// Complete the rotation: the old secret is revoked.
	srv.must(t, http.StatusOK, tok, "POST", base+"/rotations/"+rot.Rotation.ID+"/complete", apiv1.CompleteRotation{Force: true}, nil)
	d3 := r.waitFor(t, 1, "secret.revoked of the old secret", ofType("secret.revoked", s1.ID))[0]
	if whVerifies(t, d3, s1.Value) || !whVerifies(t, d3, s2.Value) {
		t.Errorf("after the old secret is revoked only the new one may verify")
	}
	if hmacUnder(d3, s1.Value) || !hmacUnder(d3, s2.Value) {
		t.Errorf("%s must switch to the new oldest unrevoked secret", webhooksig.HeaderHMAC)
	}
	if d3.Data["reason"] != "rotation_completed" {
		t.Errorf("secret.revoked reason = %v", d3.Data["reason"])
	}
	if code := whVerifyCLI(t, in, d3, d3.Body, s1.Value); code != 1 {
		t.Errorf("keywarden webhook verify with the revoked secret exited %d, want 1", code)
	}
	// Tampered and replayed deliveries fail.
	if _, err := webhooksig.Verify([]string{s2.Value}, d3.Header, tampered, d3.At, 0); !errors.Is(err, webhooksig.ErrNoMatch) {
		t.Errorf("a tampered body: err = %v, want ErrNoMatch", err)
	}
	if _, err := webhooksig.Verify([]string{s2.Value}, d3.Header, d3.Body, d3.At.Add(10*time.Minute), 0); !errors.Is(err, webhooksig.ErrTooOld) {
		t.Errorf("a delivery replayed ten minutes later: err = %v, want ErrTooOld", err)
	}

	// Breach: revoke everything. Nothing is left to sign with, so the
	// events wait for the new secret and carry only its signature.
	srv.must(t, http.StatusOK, tok, "POST", base+"/revoke-all", nil, nil)
	time.Sleep(700 * time.Millisecond)
	if got := r.matching(ofType("secret.revoked", s2.ID)); len(got) != 0 {
		t.Fatalf("secret.revoked after revoke-all was sent with no secret to sign it")
	}
	s3 := whSecret(t, srv, tok, c.ClientID, apiv1.CreateSecret{Description: "after the breach"})
	for _, d := range []whDelivery{
		r.waitFor(t, 1, "secret.revoked of revoke-all", ofType("secret.revoked", s2.ID))[0],
		r.waitFor(t, 1, "secret.created after the breach", ofType("secret.created", s3.ID))[0],
	} {
		if whVerifies(t, d, s1.Value, s2.Value) || !whVerifies(t, d, s3.Value) || !hmacUnder(d, s3.Value) {
			t.Errorf("%s after revoke-all must verify with the new secret only", d.Type)
		}
	}

	// Every delivery verified under a secret the client had, and the log
	// agrees: all delivered, each once.
	for _, d := range r.all() {
		if !whVerifies(t, d, s1.Value, s2.Value, s3.Value) {
			t.Errorf("delivery %s (%s) verifies with none of the client's secrets", d.ID, d.Type)
		}
	}
	log := whSettledLog(t, srv, tok, c.ClientID)
	if len(log) != len(r.all()) {
		t.Errorf("the delivery log has %d entries, the receiver got %d", len(log), len(r.all()))
	}
	for _, d := range log {
		if d.Status != "delivered" || d.Attempts != 1 {
			t.Errorf("delivery %s (%s): %s after %d attempts: %s", d.ID, d.EventType, d.Status, d.Attempts, fmtJSON(d))
		}
	}
	out, errOut, code := in.run(t, "", "webhooks", "deliveries", c.ClientID, "--server", srv.URL, "--token", tok)
	if code != 0 || !strings.Contains(out, "delivered") || !strings.Contains(out, log[0].ID) {
		t.Errorf("keywarden webhooks deliveries: exit %d\n%s%s", code, out, errOut)
	}
}
