package webhooksig_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"keywarden/pkg/webhooksig"
)

func newKey(t *testing.T) (ed25519.PublicKey, ed25519.PrivateKey) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return pub, priv
}

// TestV1aRoundTrip: a delivery signed with v1 (a secret) and v1a (two keys,
// a rotation) verifies with either public key and no secret, and the v1
// signature still verifies with the official library, which ignores v1a.
func TestV1aRoundTrip(t *testing.T) {
	oldPub, oldPriv := newKey(t)
	newPub, newPriv := newKey(t)
	otherPub, _ := newKey(t)
	body := []byte(`{"type":"secret.created"}`)
	at := time.Unix(1796360767, 0)
	h := webhooksig.Sign("msg_1", at, body, []string{"kws_secret"})
	webhooksig.AddV1a(h, body, []ed25519.PrivateKey{oldPriv, newPriv})
	if f := strings.Fields(h.Get(webhooksig.HeaderSignature)); len(f) != 3 || !strings.HasPrefix(f[0], "v1,") || !strings.HasPrefix(f[2], "v1a,") {
		t.Fatalf("webhook-signature = %q; want one v1 and two v1a", h.Get(webhooksig.HeaderSignature))
	}
	for i, pub := range []ed25519.PublicKey{oldPub, newPub} {
		res, err := webhooksig.VerifyPublicKeys([]ed25519.PublicKey{otherPub, pub}, h, body, at, 0)
		if err != nil || res.Style != webhooksig.StyleEd25519 || res.Secret != 1 || res.ID != "msg_1" || !res.Timestamp.Equal(at) {
			t.Errorf("key %d: VerifyPublicKeys = %+v, %v", i, res, err)
		}
	}
	if _, err := webhooksig.VerifyPublicKeys([]ed25519.PublicKey{otherPub}, h, body, at, 0); !errors.Is(err, webhooksig.ErrNoMatch) {
		t.Errorf("another key: err = %v, want ErrNoMatch", err)
	}
	if _, err := webhooksig.VerifyPublicKeys([]ed25519.PublicKey{oldPub}, h, []byte(`{"type":"secret.revoked"}`), at, 0); !errors.Is(err, webhooksig.ErrNoMatch) {
		t.Errorf("changed body: err = %v, want ErrNoMatch", err)
	}
	if _, err := webhooksig.VerifyPublicKeys([]ed25519.PublicKey{oldPub}, h, body, at.Add(time.Hour), 0); !errors.Is(err, webhooksig.ErrTooOld) {
		t.Errorf("an hour later: err = %v, want ErrTooOld", err)
	}
	if _, err := webhooksig.VerifyPublicKeys(nil, h, body, at, 0); !errors.Is(err, webhooksig.ErrNoSecrets) {
		t.Errorf("no keys: err = %v, want ErrNoSecrets", err)
	}
	if _, err := webhooksig.VerifyPublicKeys([]ed25519.PublicKey{oldPub}, http.Header{}, body, at, 0); !errors.Is(err, webhooksig.ErrMissingHeaders) {
		t.Errorf("no headers: err = %v, want ErrMissingHeaders", err)
	}
	// The v1 signature is untouched by the v1a ones, for both verifiers.
	if _, err := webhooksig.Verify([]string{"kws_secret"}, h, body, at, 0); err != nil {
		t.Errorf("Verify (v1) with v1a present: %v", err)
	}
	wh, err := standardwebhooks.NewWebhookRaw([]byte("kws_secret"))
	if err != nil {
		t.Fatal(err)
	}
	if err := wh.VerifyIgnoringTimestamp(body, h); err != nil {
		t.Errorf("the official library (v1) with v1a present: %v", err)
	}
	// A v1a-only delivery: v1 verification finds nothing to check.
	only := webhooksig.Sign("msg_2", at, body, nil)
	webhooksig.AddV1a(only, body, []ed25519.PrivateKey{newPriv})
	if _, err := webhooksig.VerifyPublicKeys([]ed25519.PublicKey{newPub}, only, body, at, 0); err != nil {
		t.Errorf("v1a-only delivery: %v", err)
	}
	if _, err := webhooksig.Verify([]string{"kws_secret"}, only, body, at, 0); !errors.Is(err, webhooksig.ErrNoMatch) {
		t.Errorf("Verify of a v1a-only delivery: err = %v, want ErrNoMatch", err)
	}
}

func TestPublicKeyForm(t *testing.T) {
	pub, _ := newKey(t)
	s := webhooksig.FormatPublicKey(pub)
	if !strings.HasPrefix(s, "whpk_") {
		t.Fatalf("FormatPublicKey = %q", s)
	}
	for _, in := range []string{s, strings.TrimPrefix(s, "whpk_"), " " + s + "\n"} {
		if got, err := webhooksig.ParsePublicKey(in); err != nil || !got.Equal(pub) {
			t.Errorf("ParsePublicKey(%q) = %v, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "whpk_", "whpk_AAAA", "whsec_" + strings.TrimPrefix(s, "whpk_") + "x", "whpk_!!"} {
		if _, err := webhooksig.ParsePublicKey(bad); !errors.Is(err, webhooksig.ErrBadPublicKey) {
			t.Errorf("ParsePublicKey(%q): err = %v, want ErrBadPublicKey", bad, err)
		}
	}
}
