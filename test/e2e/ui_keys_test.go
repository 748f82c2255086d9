package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
)

// TestUIClientKeys: on a client's Secrets tab, Add key takes a pasted
// public JWK (a private one is refused with the reason), the key is
// listed, and Revoke revokes it; every state passes axe.
func TestUIClientKeys(t *testing.T) {
	c := newConsole(t)
	cl := c.client(t, "Signer")
	b := newBrowser(t, c.srv, desktop)
	b.login(c.admin.Email, c.admin.Password)
	b.open("/ui/clients/" + cl.ClientID + "/secrets")
	b.contains("No keys.")
	b.shot("keys-empty")

	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	noErr(t, err)
	pub, err := jose.JSONWebKey{Key: &k.PublicKey, KeyID: "ci-runner"}.MarshalJSON()
	noErr(t, err)
	priv, err := jose.JSONWebKey{Key: k, KeyID: "ci-runner"}.MarshalJSON()
	noErr(t, err)

	b.click("#add-key-btn")
	b.waitVisible("#add-key #add-key-jwk")
	b.shot("add-key-dialog")
	b.fill("#add-key-jwk", string(priv))
	b.submit("#add-key button[type=submit]", "#add-key .field-error")
	b.contains("private key material")
	b.shot("add-key-private-refused")

	b.fill("#add-key-jwk", string(pub))
	b.fill("#add-key-description", "CI runner")
	b.submit("#add-key button[type=submit]", "#keys-table")
	b.contains("Key “ci-runner” is registered", "ES256", "CI runner")
	b.shot("keys-listed")

	b.click("#keys-table a.btn-danger-outline")
	b.waitVisible("dialog[id^='revoke-key-'] button[type=submit]")
	b.shot("revoke-key-dialog")
	b.submit("dialog[id^='revoke-key-'] button[type=submit]", "#keys-table")
	b.contains("Key “ci-runner” is revoked", "Revoked")
	b.shot("keys-revoked")
}
