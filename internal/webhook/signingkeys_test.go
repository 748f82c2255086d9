package webhook_test

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"testing"
	"time"

	"keywarden/internal/domain"
	"keywarden/internal/webhook"
	"keywarden/pkg/webhooksig"
)

// TestV1aSignaturesAcrossAKeyRotation: with a signing key, every attempt
// carries a v1a signature a receiver verifies with the public key alone;
// during a rotation both keys sign; a retired key signs no more. The
// private key is stored sealed, never in the clear.
func TestV1aSignaturesAcrossAKeyRotation(t *testing.T) {
	e := newEnv(t)
	r := newReceiver(t)
	c := e.client(t, r.URL)
	secret := e.secret(t, c.ID).Value.Reveal()
	e.dispatch(t)
	if first := r.deliveries(); len(first) != 1 {
		t.Fatalf("%d deliveries, want 1", len(first))
	} else if _, err := webhooksig.VerifyPublicKeys([]ed25519.PublicKey{make([]byte, 32)}, first[0].Header, first[0].Body, e.clock.Now(), time.Hour); !errors.Is(err, webhooksig.ErrNoMatch) {
		t.Errorf("without a signing key: VerifyPublicKeys err = %v, want ErrNoMatch (no v1a)", err)
	}

	k1, err := e.hooks.CreateSigningKey(t.Context(), e.admin, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	stored, _ := e.store.ListWebhookSigningKeys(t.Context(), e.admin.OrgID, c.ID)
	if len(stored) != 1 || bytes.Contains(stored[0].Sealed, stored[0].PublicKey) || len(stored[0].Sealed) <= ed25519.SeedSize {
		t.Fatalf("stored key = %+v; want it sealed", stored)
	}
	verifiesWith := func(d delivery, keys ...ed25519.PublicKey) bool {
		_, err := webhooksig.VerifyPublicKeys(keys, d.Header, d.Body, e.clock.Now(), time.Hour)
		return err == nil
	}
	e.clock.Add(time.Minute)
	e.secret(t, c.ID)
	e.dispatch(t)
	d := r.deliveries()[1]
	if !verifiesWith(d, k1.PublicKey) || !verifies(t, d, e.clock.Now(), secret) {
		t.Errorf("with a signing key: v1a under it and v1 under the secret must both verify")
	}

	k2, err := e.hooks.CreateSigningKey(t.Context(), e.admin, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Add(time.Minute)
	e.secret(t, c.ID)
	e.dispatch(t)
	d = r.deliveries()[2]
	if !verifiesWith(d, k1.PublicKey) || !verifiesWith(d, k2.PublicKey) {
		t.Errorf("during the rotation both keys must verify")
	}
	if _, err := e.hooks.RetireSigningKey(t.Context(), e.admin, c.ID, k1.ID); err != nil {
		t.Fatal(err)
	}
	if keys, err := e.hooks.PublicSigningKeys(t.Context(), c.ID); err != nil || len(keys) != 1 || keys[0].ID != k2.ID {
		t.Errorf("published keys after retiring the first = %+v, %v; want only the second", keys, err)
	}
	e.clock.Add(time.Minute)
	e.secret(t, c.ID)
	e.dispatch(t)
	d = r.deliveries()[3]
	if verifiesWith(d, k1.PublicKey) || !verifiesWith(d, k2.PublicKey) {
		t.Errorf("after retiring the first key only the second may verify")
	}
	if _, err := e.hooks.RetireSigningKey(t.Context(), e.admin, c.ID, "whk_doesnotexist0000000000"); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("retire an unknown key: err = %v, want ErrNotFound", err)
	}
	if _, err := e.hooks.PublicSigningKeys(t.Context(), "kwc_doesnotexist0000000000"); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("keys of an unknown client: err = %v, want ErrNotFound", err)
	}
	for range webhook.MaxActiveSigningKeys - 1 {
		if _, err := e.hooks.CreateSigningKey(t.Context(), e.admin, c.ID); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.hooks.CreateSigningKey(t.Context(), e.admin, c.ID); !errors.Is(err, domain.ErrConflict) {
		t.Errorf("one key too many: err = %v, want ErrConflict", err)
	}
}
