package e2e

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jwt"

	"keywarden/pkg/apiv1"
)

const jwtBearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// keyJWTClient is a client's private key and what its assertions say.
type keyJWTClient struct {
	id, kid string
	ec      *ecdsa.PrivateKey  // signed with go-jose
	ed      ed25519.PrivateKey // signed with jwx
}

// goJoseAssertion signs a client assertion with go-jose (ES256), aud as
// one string.
func (c keyJWTClient) goJoseAssertion(t *testing.T, aud string, exp time.Duration) string {
	t.Helper()
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: c.ec}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", c.kid+"-ec"))
	noErr(t, err)
	now := time.Now()
	out, err := josejwt.Signed(sig).Claims(josejwt.Claims{Issuer: c.id, Subject: c.id, Audience: josejwt.Audience{aud},
		Expiry: josejwt.NewNumericDate(now.Add(exp)), IssuedAt: josejwt.NewNumericDate(now), ID: randomJTI(t)}).Serialize()
	noErr(t, err)
	return out
}

// jwxAssertion signs a client assertion with lestrrat-go/jwx (EdDSA),
// aud as jwx writes it (an array of one).
func (c keyJWTClient) jwxAssertion(t *testing.T, aud string) string {
	t.Helper()
	key, err := jwk.Import(c.ed)
	noErr(t, err)
	noErr(t, key.Set(jwk.KeyIDKey, c.kid+"-ed"))
	now := time.Now()
	tok, err := jwt.NewBuilder().Issuer(c.id).Subject(c.id).Audience([]string{aud}).IssuedAt(now).
		Expiration(now.Add(time.Minute)).JwtID(randomJTI(t)).Build()
	noErr(t, err)
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.EdDSA(), key))
	noErr(t, err)
	return string(signed)
}

// randomJTI returns a fresh assertion ID.
func randomJTI(t *testing.T) string {
	t.Helper()
	b := make([]byte, 16)
	_, err := rand.Read(b)
	noErr(t, err)
	return hexString(b)
}

func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

// keyJWTSetup creates a client with an ES256 and an EdDSA public key
// registered through the SDK.
func keyJWTSetup(t *testing.T, e *oauthEnv, scopes ...string) (keyJWTClient, []apiv1.ClientKey) {
	t.Helper()
	c, err := e.srv.api(e.admin).CreateClient(t.Context(), apiv1.CreateClient{Name: "signer", Scopes: scopes})
	noErr(t, err)
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	noErr(t, err)
	_, ed, err := ed25519.GenerateKey(rand.Reader)
	noErr(t, err)
	k := keyJWTClient{id: c.ClientID, kid: "k", ec: ec, ed: ed}
	var keys []apiv1.ClientKey
	for kid, pub := range map[string]any{"k-ec": &ec.PublicKey, "k-ed": ed.Public()} {
		b, err := jose.JSONWebKey{Key: pub, KeyID: kid}.MarshalJSON()
		noErr(t, err)
		key, err := e.srv.api(e.admin).CreateClientKey(t.Context(), c.ClientID, apiv1.CreateClientKey{JWK: b, Description: kid})
		noErr(t, err)
		keys = append(keys, key)
	}
	return k, keys
}

// keyJWTPost posts params with a client assertion (no Authorization).
func (e *oauthEnv) keyJWTPost(t *testing.T, path, assertion string, params url.Values) oauthResponse {
	t.Helper()
	params.Set("client_assertion_type", jwtBearer)
	params.Set("client_assertion", assertion)
	return e.post(t, path, "", "", params)
}

// TestPrivateKeyJWT starts the real binary and authenticates with client
// assertions signed by two independent libraries (go-jose, jwx): the
// metadata advertises exactly what is accepted, tokens carry the key's
// ID, a replay and the refused algorithms are invalid_client, and
// revoking a key ends its tokens.
func TestPrivateKeyJWT(t *testing.T) {
	t.Parallel()
	e := oauthStart(t, newSQLite(t), "--usage-flush-interval", "100ms")
	var meta map[string]any
	r := oauthDo(t, oauthHTTP, "GET", e.srv.URL+"/.well-known/oauth-authorization-server", nil, "")
	noErr(t, json.Unmarshal(r.Body, &meta))
	for name, want := range map[string][]string{
		"token_endpoint_auth_methods_supported":            {"client_secret_basic", "client_secret_post", "private_key_jwt"},
		"token_endpoint_auth_signing_alg_values_supported": {"ES256", "ES384", "EdDSA", "RS256", "PS256"},
	} {
		var got []string
		for _, v := range meta[name].([]any) {
			got = append(got, v.(string))
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	m := oauthDiscover(t, e.srv.URL)
	k, keys := keyJWTSetup(t, e, "invoices:read")
	grant := func() url.Values { return url.Values{"grant_type": {"client_credentials"}} }

	goJose := k.goJoseAssertion(t, m.TokenEndpoint, time.Minute)
	tok := e.keyJWTPost(t, "/oauth2/token", goJose, grant()).wantToken(t)
	claims, _ := oauthVerify(t, m.JWKSURI, m.Issuer, tok.AccessToken)
	if got := oauthClaim(t, claims, "key_id"); got != keys[0].ID && got != keys[1].ID {
		t.Errorf("access token key_id = %q, want one of the client's keys", got)
	}
	if sub, _ := claims.Subject(); sub != k.id || tok.Scope != "invoices:read" {
		t.Errorf("token sub %q scope %q", sub, tok.Scope)
	}
	jwxTok := e.keyJWTPost(t, "/oauth2/token", k.jwxAssertion(t, m.Issuer), grant()).wantToken(t)
	jwxClaims, _ := oauthVerify(t, m.JWKSURI, m.Issuer, jwxTok.AccessToken)
	edKey := keys[0]
	if edKey.KID != "k-ed" {
		edKey = keys[1]
	}
	if got := oauthClaim(t, jwxClaims, "key_id"); got != edKey.ID {
		t.Errorf("jwx-signed token's key_id = %q, want the Ed25519 key %s", got, edKey.ID)
	}

	// Introspection, authenticated by an assertion too.
	r = e.keyJWTPost(t, "/oauth2/introspect", k.goJoseAssertion(t, m.TokenEndpoint, time.Minute), url.Values{"token": {jwxTok.AccessToken}})
	var in struct {
		Active bool   `json:"active"`
		KeyID  string `json:"key_id"`
	}
	noErr(t, json.Unmarshal(r.Body, &in))
	if r.Status != http.StatusOK || !in.Active || in.KeyID != edKey.ID {
		t.Errorf("introspection = %d %s", r.Status, r.Body)
	}

	t.Run("refused", func(t *testing.T) {
		hs, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: []byte("0123456789abcdef0123456789abcdef")}, nil)
		hs256, _ := josejwt.Signed(hs).Claims(josejwt.Claims{Issuer: k.id, Subject: k.id, Audience: josejwt.Audience{m.Issuer},
			Expiry: josejwt.NewNumericDate(time.Now().Add(time.Minute)), ID: randomJTI(t)}).Serialize()
		for _, tc := range []struct {
			name, assertion string
		}{
			{"replayed assertion", goJose},
			{"HS256", hs256},
			{"aud of another server", k.goJoseAssertion(t, "https://elsewhere.example/oauth2/token", time.Minute)},
			{"exp an hour ahead", k.goJoseAssertion(t, m.TokenEndpoint, time.Hour)},
			{"garbage", "not-a-jwt"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				e.keyJWTPost(t, "/oauth2/token", tc.assertion, grant()).wantError(t, http.StatusUnauthorized, "invalid_client")
			})
		}
		// Exactly one method per request.
		p := grant()
		p.Set("client_assertion_type", jwtBearer)
		p.Set("client_assertion", k.goJoseAssertion(t, m.TokenEndpoint, time.Minute))
		e.post(t, "/oauth2/token", k.id, "kws_whatever", p).wantError(t, http.StatusBadRequest, "invalid_request")
		p = grant()
		p.Set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:saml2-bearer")
		p.Set("client_assertion", "x")
		e.post(t, "/oauth2/token", "", "", p).wantError(t, http.StatusUnauthorized, "invalid_client")
		// The audit log says why (failures are flushed every 100ms here).
		oauthEventually(t, 5*time.Second, "the replay's reason in the audit log", func() bool {
			for _, ev := range e.audit(t, "action=client.authenticate&target="+k.id) {
				if strings.Contains(ev.Detail["reasons"], "jti replayed") && strings.Contains(ev.Detail["reasons"], "alg HS256 refused") {
					return true
				}
			}
			return false
		})
	})

	t.Run("key revoked: its tokens die, its assertions are refused", func(t *testing.T) {
		_, err := e.srv.api(e.admin).RevokeClientKey(t.Context(), k.id, edKey.ID)
		noErr(t, err)
		r := e.keyJWTPost(t, "/oauth2/introspect", k.goJoseAssertion(t, m.TokenEndpoint, time.Minute), url.Values{"token": {jwxTok.AccessToken}})
		if r.Status != http.StatusOK || strings.Contains(string(r.Body), `"active":true`) {
			t.Errorf("introspection of the revoked key's token = %d %s", r.Status, r.Body)
		}
		e.keyJWTPost(t, "/oauth2/token", k.jwxAssertion(t, m.Issuer), grant()).wantError(t, http.StatusUnauthorized, "invalid_client")
		// The other key's token lives on.
		r = e.keyJWTPost(t, "/oauth2/introspect", k.goJoseAssertion(t, m.TokenEndpoint, time.Minute), url.Values{"token": {tok.AccessToken}})
		if !strings.Contains(string(r.Body), `"active":true`) {
			t.Errorf("the other key's token: %s", r.Body)
		}
	})

	t.Run("last use recorded", func(t *testing.T) {
		oauthEventually(t, 5*time.Second, "the keys' last use", func() bool {
			list, err := e.srv.api(e.admin).ListClientKeys(t.Context(), k.id)
			noErr(t, err)
			for _, key := range list.Items {
				if key.LastUsedAt == nil {
					return false
				}
			}
			return len(list.Items) == 2
		})
	})
}

// TestPrivateKeyJWTReplayAcrossNodesPostgres: an assertion accepted by
// one node is refused by the other (the jti is consumed in the shared
// store), and two nodes racing one assertion issue one token.
func TestPrivateKeyJWTReplayAcrossNodesPostgres(t *testing.T) {
	t.Parallel()
	in := newPostgres(t)
	a := oauthStart(t, in)
	b := &oauthEnv{in: in, srv: in.start(t), admin: a.admin, org: a.org}
	m := oauthDiscover(t, a.srv.URL)
	k, _ := keyJWTSetup(t, a)
	grant := func() url.Values { return url.Values{"grant_type": {"client_credentials"}} }

	assertion := k.goJoseAssertion(t, m.TokenEndpoint, time.Minute)
	a.keyJWTPost(t, "/oauth2/token", assertion, grant()).wantToken(t)
	b.keyJWTPost(t, "/oauth2/token", assertion, grant()).wantError(t, http.StatusUnauthorized, "invalid_client")

	for round := range 3 {
		assertion := k.jwxAssertion(t, m.Issuer)
		statuses := make([]int, 6)
		done := make(chan struct{})
		for i := range statuses {
			go func() {
				defer func() { done <- struct{}{} }()
				node := a
				if i%2 == 1 {
					node = b
				}
				statuses[i] = node.keyJWTPost(t, "/oauth2/token", assertion, grant()).Status
			}()
		}
		for range statuses {
			<-done
		}
		ok := 0
		for _, s := range statuses {
			switch s {
			case http.StatusOK:
				ok++
			case http.StatusUnauthorized:
			default:
				t.Errorf("round %d: status %d", round, s)
			}
		}
		if ok != 1 {
			t.Errorf("round %d: %d of 6 racing requests with one assertion got a token (statuses %v); want exactly 1", round, ok, statuses)
		}
	}
}

// TestPrivateKeyJWTOpenIDClient gets a token with the JavaScript library
// openid-client (v6, PrivateKeyJwt), run by Node.js against the real
// binary: discovery, then client_credentials with an ES256 assertion. It
// needs node and test/e2e/testdata/openid-client/node_modules (.ci/run
// installs them and sets KEYWARDEN_OPENID_CLIENT, which makes their
// absence a failure instead of a skip).
func TestPrivateKeyJWTOpenIDClient(t *testing.T) {
	t.Parallel()
	dir, err := filepath.Abs(filepath.Join("testdata", "openid-client"))
	noErr(t, err)
	node, lookErr := exec.LookPath("node")
	_, modErr := os.Stat(filepath.Join(dir, "node_modules", "openid-client"))
	if lookErr != nil || modErr != nil {
		if os.Getenv("KEYWARDEN_OPENID_CLIENT") != "" {
			t.Fatalf("KEYWARDEN_OPENID_CLIENT is set but node (%v) or openid-client (%v) is missing", lookErr, modErr)
		}
		t.Skip("node or test/e2e/testdata/openid-client/node_modules missing (npm ci there; .ci/run does)")
	}
	e := oauthStart(t, newSQLite(t))
	c, err := e.srv.api(e.admin).CreateClient(t.Context(), apiv1.CreateClient{Name: "node", Scopes: []string{"reports:read"}})
	noErr(t, err)
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	noErr(t, err)
	pub, err := jose.JSONWebKey{Key: &ec.PublicKey, KeyID: "node-1", Algorithm: "ES256"}.MarshalJSON()
	noErr(t, err)
	priv, err := jose.JSONWebKey{Key: ec, KeyID: "node-1", Algorithm: "ES256"}.MarshalJSON()
	noErr(t, err)
	key, err := e.srv.api(e.admin).CreateClientKey(t.Context(), c.ClientID, apiv1.CreateClientKey{JWK: pub})
	noErr(t, err)

	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "client.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "KW_ISSUER="+e.srv.URL, "KW_CLIENT_ID="+c.ClientID, "KW_PRIVATE_JWK="+string(priv), "KW_SCOPE=reports:read")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node client.mjs: %v\nstderr: %s", err, stderr.String())
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		Scope       string `json:"scope"`
	}
	noErr(t, json.Unmarshal(stdout.Bytes(), &tok))
	if tok.AccessToken == "" || !strings.EqualFold(tok.TokenType, "bearer") || tok.Scope != "reports:read" {
		t.Fatalf("openid-client got %s", stdout.String())
	}
	m := oauthDiscover(t, e.srv.URL)
	claims, _ := oauthVerify(t, m.JWKSURI, m.Issuer, tok.AccessToken)
	if got := oauthClaim(t, claims, "key_id"); got != key.ID {
		t.Errorf("the token's key_id = %q, want %s", got, key.ID)
	}
}
