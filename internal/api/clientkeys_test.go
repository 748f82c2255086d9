package api_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"keywarden/pkg/apiv1"
)

func keysPath(client string) string    { return clientPath(client) + "/keys" }
func keyPath(client, id string) string { return keysPath(client) + "/" + id }

// testJWK returns a new P-256 key's public JWK with kid, and the JWK
// with its private part.
func testJWK(t *testing.T, kid string) (public, private json.RawMessage) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := jose.JSONWebKey{Key: &k.PublicKey, KeyID: kid}.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	priv, err := jose.JSONWebKey{Key: k, KeyID: kid}.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return pub, priv
}

// clientKeySession registers, lists, reads, edits and revokes keys of
// client, and checks the refusals (validated against the OpenAPI document
// by the harness).
func clientKeySession(t *testing.T, e *env, client string) {
	pub, priv := testJWK(t, "ci-1")
	res := e.do(t, "POST", keysPath(client), apiv1.CreateClientKey{JWK: pub, Description: "CI"})
	want(t, res, http.StatusCreated)
	k := decode[apiv1.ClientKey](t, res)
	if res.Header.Get("Location") != keyPath(client, k.ID) || k.KID != "ci-1" || k.Alg != "ES256" || k.Status != "active" || k.ExpiresAt == nil {
		t.Errorf("created key %+v (Location %q)", k, res.Header.Get("Location"))
	}
	if strings.Contains(string(k.JWK), `"d"`) {
		t.Errorf("the key's JWK holds private material: %s", k.JWK)
	}
	p := wantProblem(t, e.do(t, "POST", keysPath(client), apiv1.CreateClientKey{JWK: priv}), http.StatusUnprocessableEntity)
	if len(p.Errors) == 0 || p.Errors[0].Field != "jwk" || strings.Contains(p.Detail+p.Errors[0].Message, string(priv)) {
		t.Errorf("private JWK: %+v", p)
	}
	wantProblem(t, e.do(t, "POST", keysPath(client), apiv1.CreateClientKey{JWK: json.RawMessage(`{"kty":"oct","k":"c2VjcmV0"}`)}), http.StatusUnprocessableEntity)
	wantProblem(t, e.do(t, "POST", keysPath(client), apiv1.CreateClientKey{JWK: pub}), http.StatusConflict)
	wantProblem(t, e.do(t, "POST", keysPath(client), raw(`{"jwk":{},"extra":1}`)), http.StatusBadRequest)
	wantProblem(t, e.do(t, "POST", keysPath("kwc_0000000000000000000000"), apiv1.CreateClientKey{JWK: pub}), http.StatusNotFound)

	// A JWK Set URL instead of a key: checked by the webhook SSRF rules.
	res = e.do(t, "POST", keysPath(client), apiv1.CreateClientKey{JWKSURI: "https://keys.example.com/jwks.json"})
	want(t, res, http.StatusCreated)
	if u := decode[apiv1.ClientKey](t, res); u.JWKSURI != "https://keys.example.com/jwks.json" || u.JWK != nil || !strings.HasPrefix(u.KID, "jwks_uri:") {
		t.Errorf("jwks_uri key %+v", u)
	}
	wantProblem(t, e.do(t, "POST", keysPath(client), apiv1.CreateClientKey{JWKSURI: "http://127.0.0.1/jwks.json"}), http.StatusUnprocessableEntity)
	wantProblem(t, e.do(t, "POST", keysPath(client), apiv1.CreateClientKey{JWKSURI: "https://keys.example.com/jwks.json", JWK: pub}), http.StatusUnprocessableEntity)

	res = e.do(t, "GET", keysPath(client), nil)
	want(t, res, http.StatusOK)
	if list := decode[apiv1.ClientKeyList](t, res); len(list.Items) != 2 || list.Items[0].ID != k.ID {
		t.Errorf("list = %+v", list)
	}
	want(t, e.do(t, "GET", keyPath(client, k.ID), nil), http.StatusOK)
	wantProblem(t, e.do(t, "GET", keyPath(client, "ckey_nope"), nil), http.StatusNotFound)
	res = e.do(t, "PATCH", keyPath(client, k.ID), map[string]string{"description": "CI (old)"})
	want(t, res, http.StatusOK)
	if got := decode[apiv1.ClientKey](t, res); got.Description != "CI (old)" {
		t.Errorf("patched key %+v", got)
	}
	res = e.do(t, "DELETE", keyPath(client, k.ID), nil)
	want(t, res, http.StatusOK)
	if got := decode[apiv1.ClientKey](t, res); got.Status != "revoked" || got.RevokedAt == nil {
		t.Errorf("revoked key %+v", got)
	}
	want(t, e.do(t, "DELETE", keyPath(client, k.ID), nil), http.StatusOK) // harmless again
	wantProblem(t, e.do(t, "PATCH", keyPath(client, k.ID), map[string]string{"description": "x"}), http.StatusConflict)
	for _, action := range []string{"key.create", "key.update", "key.revoke"} {
		res := e.do(t, "GET", "/v1/audit?action="+action+"&target="+k.ID, nil)
		want(t, res, http.StatusOK)
		if list := decode[apiv1.AuditList](t, res); len(list.Items) != 1 {
			t.Errorf("%d %s events for the key, want 1", len(list.Items), action)
		}
	}
}
