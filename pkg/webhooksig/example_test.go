package webhooksig_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"keywarden/pkg/webhooksig"
)

// A receiver verifies the raw body against every secret it knows before it
// parses anything. During a rotation it lists the old and the new secret;
// once the old one is revoked it drops it.
func Example_receiver() {
	secrets := []string{
		"kws_0ldSecretValueFromBeforeTheRotation9xQ2", // remove once revoked
		"kws_NewSecretValueCreatedByTheRotationZz7Kp",
	}
	seen := map[string]bool{} // webhook-ids already handled: delivery is at least once

	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		res, err := webhooksig.Verify(secrets, r.Header, body, time.Now(), webhooksig.DefaultTolerance)
		switch {
		case errors.Is(err, webhooksig.ErrTooOld), errors.Is(err, webhooksig.ErrTooNew):
			http.Error(w, "stale delivery", http.StatusBadRequest)
			return
		case err != nil:
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		if seen[res.ID] {
			w.WriteHeader(http.StatusNoContent) // a retry of something already handled
			return
		}
		seen[res.ID] = true
		// Now parse body as JSON and act on its "type" …
		w.WriteHeader(http.StatusNoContent)
	})

	// What Keywarden sends: signed with the client's active secrets, oldest first.
	body := []byte(`{"type":"secret.created","timestamp":"2031-03-04T05:06:07Z","data":{"client_id":"kwc_x"}}`)
	send := func(body []byte, h http.Header) int {
		r := httptest.NewRequest("POST", "/hooks/keywarden", bytes.NewReader(body))
		for k, v := range h {
			r.Header[k] = v
		}
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, r)
		return w.Code
	}
	h := webhooksig.Sign("msg_2bW3ZkPq8s1Xv0aLmN4cRt", time.Now(), body, secrets)
	fmt.Println("genuine:", send(body, h))
	fmt.Println("retry:", send(body, h))
	fmt.Println("tampered:", send([]byte(strings.Replace(string(body), "kwc_x", "kwc_y", 1)), h))
	fmt.Println("replayed an hour later:", send(body, webhooksig.Sign("msg_other", time.Now().Add(-time.Hour), body, secrets)))
	// Output:
	// genuine: 204
	// retry: 204
	// tampered: 401
	// replayed an hour later: 400
}

// The Standard Webhooks libraries take the secret as whsec_ + base64 of its
// bytes.
func ExampleStandardWebhooksSecret() {
	fmt.Println(webhooksig.StandardWebhooksSecret("kws_example"))
	// Output: whsec_a3dzX2V4YW1wbGU=
}

func ExampleVerify() {
	secret := "kws_NewSecretValueCreatedByTheRotationZz7Kp"
	body := []byte(`{"type":"secret.revoked"}`)
	now := time.Now()
	h := webhooksig.Sign("msg_2bW3ZkPq8s1Xv0aLmN4cRt", now, body, []string{secret})

	res, err := webhooksig.Verify([]string{secret}, h, body, now, 0)
	fmt.Println(res.Style, res.ID, res.HMAC, err)
	// Output: standard-webhooks msg_2bW3ZkPq8s1Xv0aLmN4cRt true <nil>
}

// A receiver that can only check X-Keywarden-Hmac-Sha256 (one written for
// Shopify-style webhooks) calls VerifyHMACOnly explicitly. The header says
// nothing about when the body was sent, so the receiver itself must refuse
// a body it has already seen: a captured delivery would verify forever.
func ExampleVerifyHMACOnly() {
	secrets := []string{"kws_0ldSecretValueFromBeforeTheRotation9xQ2"}
	body := []byte(`{"type":"secret.revoked","timestamp":"2031-03-04T05:06:07Z","data":{"secret_id":"sec_y"}}`)
	h := webhooksig.Sign("msg_2bW3ZkPq8s1Xv0aLmN4cRt", time.Now(), body, secrets)
	shopifyStyle := http.Header{webhooksig.HeaderHMAC: h.Values(webhooksig.HeaderHMAC)}

	seen := map[string]bool{} // in real code: a store of body hashes
	receive := func(h http.Header, body []byte) string {
		if _, err := webhooksig.Verify(secrets, h, body, time.Now(), 0); err == nil {
			return "verified with replay protection"
		}
		if _, err := webhooksig.VerifyHMACOnly(secrets, h, body); err != nil {
			return "refused: " + err.Error()
		}
		if seen[string(body)] {
			return "refused: a replay"
		}
		seen[string(body)] = true
		return "verified by the body HMAC alone"
	}
	fmt.Println(receive(h, body))
	fmt.Println(receive(shopifyStyle, body))
	fmt.Println(receive(shopifyStyle, body))
	// Output:
	// verified with replay protection
	// verified by the body HMAC alone
	// refused: a replay
}
