package dpop_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"

	"keywarden/internal/dpop"
)

const endpoint = "https://auth.example.com/oauth2/token"

// proof signs claims with key under alg the way a client library does, with
// jwx (independent of the verifier's go-jose); header edits the protected
// header first.
func proof(t *testing.T, key crypto.Signer, alg jwa.SignatureAlgorithm, claims map[string]any, header func(jws.Headers)) string {
	t.Helper()
	pub, err := jwk.Import(key.Public())
	if err != nil {
		t.Fatal(err)
	}
	h := jws.NewHeaders()
	h.Set(jws.TypeKey, dpop.Type)
	h.Set(jws.JWKKey, pub)
	if header != nil {
		header(h)
	}
	payload, _ := json.Marshal(claims)
	out, err := jws.Sign(payload, jws.WithKey(alg, key, jws.WithProtectedHeaders(h)))
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func thumbprint(t *testing.T, key crypto.Signer) string {
	t.Helper()
	pub, _ := jwk.Import(key.Public())
	tp, err := pub.Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(tp)
}

func TestVerify(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	v := &dpop.Verifier{Now: func() time.Time { return now }}
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	good := func() map[string]any {
		return map[string]any{"jti": "proof-1", "htm": "POST", "htu": endpoint, "iat": now.Unix()}
	}
	with := func(k string, val any) map[string]any {
		c := good()
		if val == nil {
			delete(c, k)
		} else {
			c[k] = val
		}
		return c
	}
	token := "eyJhbGciOiJFUzI1NiJ9.e30.sig"
	ath := sha256.Sum256([]byte(token))

	for _, tc := range []struct {
		name string
		key  crypto.Signer
		alg  jwa.SignatureAlgorithm
	}{{"ES256", ec, jwa.ES256()}, {"EdDSA", ed, jwa.EdDSA()}, {"PS256", rsaKey, jwa.PS256()}, {"RS256", rsaKey, jwa.RS256()}} {
		t.Run("accepts "+tc.name, func(t *testing.T) {
			p, err := v.Verify(proof(t, tc.key, tc.alg, good(), nil), "POST", endpoint, "")
			if err != nil {
				t.Fatal(err)
			}
			if p.JKT != thumbprint(t, tc.key) || p.JTI != "proof-1" || !p.Expires.After(now.Add(dpop.MaxAge)) {
				t.Errorf("proof = %+v, want jkt %s", p, thumbprint(t, tc.key))
			}
		})
	}
	accepted := []struct {
		name   string
		claims map[string]any
		uri    string
	}{
		{"htu with a query and another case of host", with("htu", "https://AUTH.example.com:443/oauth2/token?x=1#f"), endpoint},
		{"iat a little ahead", with("iat", now.Add(20*time.Second).Unix()), endpoint},
		{"iat nearly too old", with("iat", now.Add(-dpop.MaxAge).Unix()), endpoint},
	}
	for _, tc := range accepted {
		t.Run("accepts "+tc.name, func(t *testing.T) {
			if _, err := v.Verify(proof(t, ec, jwa.ES256(), tc.claims, nil), "POST", tc.uri, ""); err != nil {
				t.Error(err)
			}
		})
	}
	t.Run("accepts ath of the token", func(t *testing.T) {
		p := proof(t, ec, jwa.ES256(), with("ath", base64.RawURLEncoding.EncodeToString(ath[:])), nil)
		if _, err := v.Verify(p, "POST", endpoint, token); err != nil {
			t.Error(err)
		}
	})

	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	otherJWK, _ := jwk.Import(other.Public())
	privJWK, _ := jwk.Import(ec)
	refused := []struct {
		name   string
		proof  func() string
		method string
		token  string
		reason string
	}{
		{"garbage", func() string { return "not.a.jws" }, "POST", "", "not a JWS"},
		{"empty", func() string { return "" }, "POST", "", "empty"},
		{"HS256", func() string {
			h := jws.NewHeaders()
			h.Set(jws.TypeKey, dpop.Type)
			payload, _ := json.Marshal(good())
			out, _ := jws.Sign(payload, jws.WithKey(jwa.HS256(), []byte("a shared secret of 32 bytes....."), jws.WithProtectedHeaders(h)))
			return string(out)
		}, "POST", "", "not a JWS signed with"},
		{"none", func() string {
			b := func(v any) string { j, _ := json.Marshal(v); return base64.RawURLEncoding.EncodeToString(j) }
			return b(map[string]any{"typ": dpop.Type, "alg": "none"}) + "." + b(good()) + "."
		}, "POST", "", "not a JWS"},
		{"wrong typ", func() string {
			return proof(t, ec, jwa.ES256(), good(), func(h jws.Headers) { h.Set(jws.TypeKey, "JWT") })
		}, "POST", "", "typ"},
		{"no jwk", func() string { return proof(t, ec, jwa.ES256(), good(), func(h jws.Headers) { h.Remove(jws.JWKKey) }) }, "POST", "", "jwk"},
		{"a private jwk", func() string {
			return proof(t, ec, jwa.ES256(), good(), func(h jws.Headers) { h.Set(jws.JWKKey, privJWK) })
		}, "POST", "", ""},
		{"signed by another key than its jwk", func() string {
			return proof(t, ec, jwa.ES256(), good(), func(h jws.Headers) { h.Set(jws.JWKKey, otherJWK) })
		}, "POST", "", "signature"},
		{"no jti", func() string { return proof(t, ec, jwa.ES256(), with("jti", nil), nil) }, "POST", "", "jti"},
		{"another method", func() string { return proof(t, ec, jwa.ES256(), with("htm", "GET"), nil) }, "POST", "", "htm"},
		{"another endpoint", func() string {
			return proof(t, ec, jwa.ES256(), with("htu", "https://auth.example.com/oauth2/revoke"), nil)
		}, "POST", "", "htu"},
		{"another host", func() string {
			return proof(t, ec, jwa.ES256(), with("htu", "https://evil.example.com/oauth2/token"), nil)
		}, "POST", "", "htu"},
		{"http instead of https", func() string {
			return proof(t, ec, jwa.ES256(), with("htu", "http://auth.example.com/oauth2/token"), nil)
		}, "POST", "", "htu"},
		{"a relative htu", func() string { return proof(t, ec, jwa.ES256(), with("htu", "/oauth2/token"), nil) }, "POST", "", "htu"},
		{"no iat", func() string { return proof(t, ec, jwa.ES256(), with("iat", nil), nil) }, "POST", "", "iat"},
		{"iat as a string", func() string { return proof(t, ec, jwa.ES256(), with("iat", "now"), nil) }, "POST", "", "claims"},
		{"made in the future", func() string { return proof(t, ec, jwa.ES256(), with("iat", now.Add(time.Minute).Unix()), nil) }, "POST", "", "future"},
		{"too old", func() string {
			return proof(t, ec, jwa.ES256(), with("iat", now.Add(-dpop.MaxAge-time.Minute).Unix()), nil)
		}, "POST", "", "too old"},
		{"no ath with a token", func() string { return proof(t, ec, jwa.ES256(), good(), nil) }, "POST", token, "ath"},
		{"ath of another token", func() string { return proof(t, ec, jwa.ES256(), with("ath", "AAAA"), nil) }, "POST", token, "ath"},
	}
	for _, tc := range refused {
		t.Run("refuses "+tc.name, func(t *testing.T) {
			_, err := v.Verify(tc.proof(), tc.method, endpoint, tc.token)
			var e *dpop.Error
			if !errors.As(err, &e) || e.Code != "invalid_dpop_proof" || !strings.Contains(e.Reason, tc.reason) {
				t.Errorf("Verify = %v, want invalid_dpop_proof mentioning %q", err, tc.reason)
			}
		})
	}
}

func TestNonces(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	node1 := &dpop.Verifier{NonceKey: []byte("the same derived key on every no"), RequireNonce: true, Now: func() time.Time { return now }}
	node2 := &dpop.Verifier{NonceKey: []byte("the same derived key on every no"), RequireNonce: true, Now: func() time.Time { return now }}
	stranger := &dpop.Verifier{NonceKey: []byte("another installation's key......"), Now: func() time.Time { return now }}
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	withNonce := func(n string) string {
		c := map[string]any{"jti": "p", "htm": "POST", "htu": endpoint, "iat": now.Unix()}
		if n != "" {
			c["nonce"] = n
		}
		return proof(t, ec, jwa.ES256(), c, nil)
	}
	nonce := node1.Nonce()
	if _, err := node2.Verify(withNonce(nonce), "POST", endpoint, ""); err != nil {
		t.Errorf("another node refuses the first node's nonce: %v", err)
	}
	for name, n := range map[string]string{"none": "", "garbage": "abc", "another installation's": stranger.Nonce()} {
		if _, err := node1.Verify(withNonce(n), "POST", endpoint, ""); err != dpop.ErrUseNonce {
			t.Errorf("a proof with %s nonce = %v, want use_dpop_nonce", name, err)
		}
	}
	later := now.Add(dpop.NonceLifetime + time.Second)
	node1.Now = func() time.Time { return later }
	c := map[string]any{"jti": "p", "htm": "POST", "htu": endpoint, "iat": later.Unix(), "nonce": nonce}
	if _, err := node1.Verify(proof(t, ec, jwa.ES256(), c, nil), "POST", endpoint, ""); err != dpop.ErrUseNonce {
		t.Errorf("an expired nonce = %v, want use_dpop_nonce", err)
	}
}

func FuzzVerify(f *testing.F) {
	f.Add("eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2In0.e30.AAAA")
	f.Add("a.b.c")
	v := &dpop.Verifier{NonceKey: []byte("k"), RequireNonce: true}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := v.Verify(s, "POST", endpoint, "")
		if err == nil && p.JKT == "" {
			t.Fatalf("accepted %q without a key", s)
		}
		if err != nil && !dpop.IsProofError(err) {
			t.Fatalf("Verify(%q) failed with %v, not a proof error", s, err)
		}
	})
}
