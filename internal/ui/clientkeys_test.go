package ui_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
)

var keyRowID = regexp.MustCompile(`id="key-(ckey_[A-Za-z0-9]+)"`)

// TestClientKeyForms: the Secrets tab lists the client's keys; Add key
// takes a pasted JWK (a private one is refused and not echoed back), and
// Revoke revokes it.
func TestClientKeyForms(t *testing.T) {
	c := newConsole(t)
	id := c.newClient("Signer")
	base := "/ui/clients/" + id + "/secrets"
	page := c.get(base, http.StatusOK)
	wantIn(t, "the Secrets tab", page, `id="keys"`, `id="no-keys"`, `href="`+base+`?add-key=1"`)

	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := jose.JSONWebKey{Key: &k.PublicKey, KeyID: "ci-runner"}.MarshalJSON()
	priv, _ := jose.JSONWebKey{Key: k, KeyID: "ci-runner"}.MarshalJSON()
	page = c.get(base+"?add-key=1", http.StatusOK)
	wantIn(t, "?add-key=1", page, `id="add-key" aria-labelledby="add-key-title" data-autoopen`)
	once := func(page string) string {
		form := page[strings.Index(page, `id="add-key"`):]
		m := regexp.MustCompile(`name="once" value="([^"]+)"`).FindStringSubmatch(form)
		if m == nil {
			t.Fatal("no one-time token in the Add key form")
		}
		return m[1]
	}

	code, _, body := c.submit(page, "/ui/clients/"+id+"/keys", url.Values{"jwk": {string(priv)}, "once": {once(page)}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "private key material") {
		t.Fatalf("a private JWK = %d", code)
	}
	wantNotIn(t, "the refusal", body, `"d":"`)
	code, _, body = c.submit(body, "/ui/clients/"+id+"/keys", url.Values{"jwk": {""}, "once": {once(body)}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "Paste the client") {
		t.Errorf("an empty JWK = %d", code)
	}

	code, at, body := c.submit(body, "/ui/clients/"+id+"/keys", url.Values{"jwk": {string(pub)}, "key_description": {"CI runner"}, "once": {once(body)}})
	if code != http.StatusOK || at != base {
		t.Fatalf("adding a key = %d at %s", code, at)
	}
	wantIn(t, "after adding", body, "is registered", "ci-runner", "ES256", "CI runner", "Active",
		"authenticates with its keys (below) and needs no secret") // not "cannot authenticate"
	wantNotIn(t, "after adding", body, "cannot authenticate until it has a secret")
	m := keyRowID.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no key row after adding one")
	}
	kid := m[1]

	page = c.get(base+"?revoke-key="+kid, http.StatusOK)
	wantIn(t, "?revoke-key=", page, `id="revoke-key-`+kid+`" aria-labelledby="revoke-key-`+kid+`-title" data-autoopen`)
	_, _, body = c.submit(page, "/ui/clients/"+id+"/keys/"+kid+"/revoke", nil)
	wantIn(t, "after revoking", body, "is revoked", "Revoked", "cannot authenticate until it has a secret")
	wantNotIn(t, "after revoking", body, `data-open="revoke-key-`+kid+`"`)
}
