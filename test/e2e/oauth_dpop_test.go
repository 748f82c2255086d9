package e2e

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"

	"keywarden/pkg/apiv1"
)

// dpopClient makes DPoP proofs the way a client library does, with jwx
// (independent of the server's go-jose).
type dpopClient struct {
	key crypto.Signer
	alg jwa.SignatureAlgorithm
	jkt string
}

func newDPoPClient(t *testing.T, ed bool) *dpopClient {
	t.Helper()
	c := &dpopClient{}
	if ed {
		_, k, _ := ed25519.GenerateKey(rand.Reader)
		c.key, c.alg = k, jwa.EdDSA()
	} else {
		k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		c.key, c.alg = k, jwa.ES256()
	}
	pub, err := jwk.Import(c.key.Public())
	noErr(t, err)
	tp, err := pub.Thumbprint(crypto.SHA256)
	noErr(t, err)
	c.jkt = base64.RawURLEncoding.EncodeToString(tp)
	return c
}

func (c *dpopClient) proof(t *testing.T, method, htu, nonce string) string {
	t.Helper()
	return c.sign(t, method, htu, nonce, "")
}

// proofFor is a proof presented with an access token: ath is its hash.
func (c *dpopClient) proofFor(t *testing.T, method, htu, tok string) string {
	t.Helper()
	return c.sign(t, method, htu, "", tok)
}

func (c *dpopClient) sign(t *testing.T, method, htu, nonce, tok string) string {
	t.Helper()
	pub, err := jwk.Import(c.key.Public())
	noErr(t, err)
	h := jws.NewHeaders()
	noErr(t, h.Set(jws.TypeKey, "dpop+jwt"))
	noErr(t, h.Set(jws.JWKKey, pub))
	claims := map[string]any{"jti": rand.Text(), "htm": method, "htu": htu, "iat": time.Now().Unix()}
	if nonce != "" {
		claims["nonce"] = nonce
	}
	if tok != "" {
		sum := sha256.Sum256([]byte(tok))
		claims["ath"] = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	payload, _ := json.Marshal(claims)
	out, err := jws.Sign(payload, jws.WithKey(c.alg, c.key, jws.WithProtectedHeaders(h)))
	noErr(t, err)
	return string(out)
}

// dpopToken posts a client_credentials request to base with proof (none
// when empty).
func dpopToken(t *testing.T, base, id, secret, proof string) oauthResponse {
	t.Helper()
	h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Authorization": {oauthBasic(id, secret)}}
	if proof != "" {
		h.Set("DPoP", proof)
	}
	return oauthDo(t, http.DefaultClient, "POST", base+"/oauth2/token", h, url.Values{"grant_type": {"client_credentials"}}.Encode())
}

// TestOAuthDPoP: a token request with a DPoP proof (RFC 9449) gets a DPoP
// token bound to the proof's key (cnf.jkt, verified with jwx against the
// JWKS), which introspection reports; a proof is used once, for this
// endpoint and method only; without a proof the token stays Bearer; the
// metadata lists the proof algorithms.
func TestOAuthDPoP(t *testing.T) {
	t.Parallel()
	e := oauthStart(t, newSQLite(t))
	m := oauthDiscover(t, e.srv.URL)
	c, sec := e.client(t, "billing", "invoices:read")
	htu := m.Issuer + "/oauth2/token"

	var meta map[string]any
	noErr(t, json.Unmarshal(oauthDo(t, http.DefaultClient, "GET", e.srv.URL+"/.well-known/oauth-authorization-server", nil, "").Body, &meta))
	if algs, _ := meta["dpop_signing_alg_values_supported"].([]any); len(algs) != 5 || algs[0] != "ES256" {
		t.Errorf("dpop_signing_alg_values_supported = %v", meta["dpop_signing_alg_values_supported"])
	}

	for _, ed := range []bool{false, true} {
		dc := newDPoPClient(t, ed)
		t.Run("bound to the proof key ("+dc.alg.String()+")", func(t *testing.T) {
			body := dpopToken(t, e.srv.URL, c.ClientID, sec.Value, dc.proof(t, "POST", htu, "")).wantTokenOfType(t, "DPoP")
			tok, _ := oauthVerify(t, m.JWKSURI, m.Issuer, body.AccessToken)
			var cnf map[string]any
			if err := tok.Get("cnf", &cnf); err != nil || cnf["jkt"] != dc.jkt {
				t.Errorf("cnf = %v (%v), want jkt %s", cnf, err, dc.jkt)
			}
			in := e.introspect(t, c.ClientID, sec.Value, body.AccessToken)
			raw := e.post(t, "/oauth2/introspect", c.ClientID, sec.Value, url.Values{"token": {body.AccessToken}})
			if !in.Active || in.TokenType != "DPoP" || !strings.Contains(string(raw.Body), `"cnf":{"jkt":"`+dc.jkt+`"}`) {
				t.Errorf("introspection = %s, want active DPoP with cnf.jkt", raw.Body)
			}
		})
	}
	dc := newDPoPClient(t, false)
	t.Run("a proof is used once", func(t *testing.T) {
		p := dc.proof(t, "POST", htu, "")
		dpopToken(t, e.srv.URL, c.ClientID, sec.Value, p).wantTokenOfType(t, "DPoP")
		dpopToken(t, e.srv.URL, c.ClientID, sec.Value, p).wantError(t, http.StatusBadRequest, "invalid_dpop_proof")
	})
	t.Run("the same proof raced: one token", func(t *testing.T) {
		p := dc.proof(t, "POST", htu, "")
		var mu sync.Mutex
		ok := 0
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				if dpopToken(t, e.srv.URL, c.ClientID, sec.Value, p).Status == http.StatusOK {
					mu.Lock()
					ok++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if ok != 1 {
			t.Errorf("%d of 8 concurrent uses of one proof got a token, want 1", ok)
		}
	})
	for name, p := range map[string]string{
		"another endpoint": dc.proof(t, "POST", m.Issuer+"/oauth2/introspect", ""),
		"another method":   dc.proof(t, "GET", htu, ""),
		"another server":   dc.proof(t, "POST", "https://elsewhere.example/oauth2/token", ""),
		"not a proof":      "eyJhbGciOiJub25lIn0.e30.",
	} {
		t.Run("refuses "+name, func(t *testing.T) {
			r := dpopToken(t, e.srv.URL, c.ClientID, sec.Value, p)
			r.wantError(t, http.StatusBadRequest, "invalid_dpop_proof")
		})
	}
	t.Run("two DPoP headers", func(t *testing.T) {
		h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Authorization": {oauthBasic(c.ClientID, sec.Value)},
			"Dpop": {dc.proof(t, "POST", htu, ""), dc.proof(t, "POST", htu, "")}}
		oauthDo(t, http.DefaultClient, "POST", e.srv.URL+"/oauth2/token", h, "grant_type=client_credentials").wantError(t, http.StatusBadRequest, "invalid_dpop_proof")
	})
	t.Run("without a proof, Bearer", func(t *testing.T) {
		body := dpopToken(t, e.srv.URL, c.ClientID, sec.Value, "").wantTokenOfType(t, "Bearer")
		tok, _ := oauthVerify(t, m.JWKSURI, m.Issuer, body.AccessToken)
		if tok.Has("cnf") {
			t.Error("a Bearer token has cnf")
		}
	})
	t.Run("a bad client with a good proof is invalid_client", func(t *testing.T) {
		dpopToken(t, e.srv.URL, c.ClientID, "wrong", dc.proof(t, "POST", htu, "")).wantError(t, http.StatusUnauthorized, "invalid_client")
	})
}

// TestDPoPBoundTokenOnTheAdminAPI: a personal credential's DPoP-bound
// token acts on /v1 only as Authorization: DPoP with a fresh proof by its
// key for that method and URL (ath of the token); as Bearer, without a
// proof, with another key's proof, a replayed one or one for another URL,
// it is 401. A Bearer token is refused under the DPoP scheme.
func TestDPoPBoundTokenOnTheAdminAPI(t *testing.T) {
	t.Parallel()
	e := oauthStart(t, newSQLite(t))
	m := oauthDiscover(t, e.srv.URL)
	cred, err := e.srv.api(e.admin).CreateMyCredential(t.Context(), apiv1.CreatePersonalCredential{})
	noErr(t, err)
	dc, other := newDPoPClient(t, false), newDPoPClient(t, true)
	bound := dpopToken(t, e.srv.URL, cred.ClientID, cred.Secret, dc.proof(t, "POST", m.Issuer+"/oauth2/token", "")).wantTokenOfType(t, "DPoP").AccessToken
	plain := dpopToken(t, e.srv.URL, cred.ClientID, cred.Secret, "").wantTokenOfType(t, "Bearer").AccessToken
	me := m.Issuer + "/v1/me"
	call := func(scheme, tok string, proofs ...string) int {
		t.Helper()
		h := http.Header{"Authorization": {scheme + " " + tok}}
		for _, p := range proofs {
			h.Add("DPoP", p)
		}
		return oauthDo(t, http.DefaultClient, "GET", e.srv.URL+"/v1/me", h, "").Status
	}
	ath := func(c *dpopClient, method, htu, tok string) string { return c.proofFor(t, method, htu, tok) }
	good := ath(dc, "GET", me, bound)
	if got := call("DPoP", bound, good); got != http.StatusOK {
		t.Fatalf("DPoP token with its proof = %d, want 200", got)
	}
	for name, got := range map[string]int{
		"as Bearer":               call("Bearer", bound),
		"without a proof":         call("DPoP", bound),
		"a replayed proof":        call("DPoP", bound, good),
		"another key's proof":     call("DPoP", bound, ath(other, "GET", me, bound)),
		"a proof for another URL": call("DPoP", bound, ath(dc, "GET", m.Issuer+"/v1/clients", bound)),
		"a proof without ath":     call("DPoP", bound, dc.proof(t, "GET", me, "")),
		"two proofs":              call("DPoP", bound, ath(dc, "GET", me, bound), ath(dc, "GET", me, bound)),
		"a Bearer token as DPoP":  call("DPoP", plain, ath(dc, "GET", me, plain)),
	} {
		if got != http.StatusUnauthorized {
			t.Errorf("%s = %d, want 401", name, got)
		}
	}
	if got := call("Bearer", plain); got != http.StatusOK {
		t.Errorf("the Bearer token = %d, want 200", got)
	}
}

// TestOAuthDPoPNonceAndNodesPostgres: with --dpop-nonce, two nodes behind
// one public URL: a proof without the server's nonce is use_dpop_nonce
// with a DPoP-Nonce to use; a nonce from node A is good on node B; a
// proof used on one node is refused on the other.
func TestOAuthDPoPNonceAndNodesPostgres(t *testing.T) {
	t.Parallel()
	in := newPostgres(t)
	flags := []string{"--dpop-nonce", "--public-url", "https://keywarden.example"}
	a := oauthStart(t, in, flags...)
	b := in.start(t, flags...)
	c, sec := a.client(t, "billing", "invoices:read")
	htu := "https://keywarden.example/oauth2/token"
	dc := newDPoPClient(t, true)

	first := dpopToken(t, a.srv.URL, c.ClientID, sec.Value, dc.proof(t, "POST", htu, ""))
	first.wantError(t, http.StatusBadRequest, "use_dpop_nonce")
	nonce := first.Header.Get("DPoP-Nonce")
	if nonce == "" {
		t.Fatal("use_dpop_nonce without a DPoP-Nonce header")
	}
	ok := dpopToken(t, b.URL, c.ClientID, sec.Value, dc.proof(t, "POST", htu, nonce))
	ok.wantTokenOfType(t, "DPoP")
	if ok.Header.Get("DPoP-Nonce") == "" {
		t.Error("a token response under --dpop-nonce brings no next nonce")
	}
	p := dc.proof(t, "POST", htu, nonce)
	dpopToken(t, a.srv.URL, c.ClientID, sec.Value, p).wantTokenOfType(t, "DPoP")
	dpopToken(t, b.URL, c.ClientID, sec.Value, p).wantError(t, http.StatusBadRequest, "invalid_dpop_proof")
	dpopToken(t, b.URL, c.ClientID, sec.Value, dc.proof(t, "POST", htu, "not-a-nonce")).wantError(t, http.StatusBadRequest, "use_dpop_nonce")
}

// wantTokenOfType is wantToken for a token_type other than Bearer.
func (r oauthResponse) wantTokenOfType(t *testing.T, typ string) oauthTokenBody {
	t.Helper()
	if r.Status != http.StatusOK {
		t.Fatalf("token request = %d, want 200: %s", r.Status, r.Body)
	}
	var out oauthTokenBody
	noErr(t, json.Unmarshal(r.Body, &out))
	if out.AccessToken == "" || out.TokenType != typ {
		t.Fatalf("token response = %s, want token_type %s", r.Body, typ)
	}
	return out
}
