package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"keywarden/pkg/apiv1"
)

// oauthMetadata is the part of the RFC 8414 document the tests read.
type oauthMetadata struct {
	Issuer                   string   `json:"issuer"`
	TokenEndpoint            string   `json:"token_endpoint"`
	IntrospectionEndpoint    string   `json:"introspection_endpoint"`
	RevocationEndpoint       string   `json:"revocation_endpoint"`
	JWKSURI                  string   `json:"jwks_uri"`
	GrantTypes               []string `json:"grant_types_supported"`
	TokenAuthMethods         []string `json:"token_endpoint_auth_methods_supported"`
	IntrospectionAuthMethods []string `json:"introspection_endpoint_auth_methods_supported"`
	RevocationAuthMethods    []string `json:"revocation_endpoint_auth_methods_supported"`
	SigningAlgs              []string `json:"access_token_signing_alg_values_supported"`
}

// oauthDiscover reads the RFC 8414 document the way a client does, from
// the well-known path under the server's base URL, and checks it.
func oauthDiscover(t *testing.T, base string) oauthMetadata {
	t.Helper()
	r := oauthDo(t, oauthHTTP, "GET", base+"/.well-known/oauth-authorization-server", nil, "")
	if r.Status != http.StatusOK {
		t.Fatalf("metadata = %d: %s", r.Status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("metadata Content-Type = %q, want application/json", ct)
	}
	var m oauthMetadata
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("metadata %s: %v", r.Body, err)
	}
	// §3.3: the issuer must be the URL the document was fetched under.
	if m.Issuer != base {
		t.Errorf("issuer = %q, want %q", m.Issuer, base)
	}
	for name, got := range map[string]string{
		"token_endpoint":         m.TokenEndpoint,
		"introspection_endpoint": m.IntrospectionEndpoint,
		"revocation_endpoint":    m.RevocationEndpoint,
		"jwks_uri":               m.JWKSURI,
	} {
		if u, err := url.Parse(got); err != nil || !strings.HasPrefix(got, m.Issuer+"/") || u.RawQuery != "" || u.Fragment != "" {
			t.Errorf("%s = %q, want an absolute URL under the issuer", name, got)
		}
	}
	for _, g := range []string{"client_credentials", "refresh_token"} {
		if !slices.Contains(m.GrantTypes, g) {
			t.Errorf("grant_types_supported = %v, missing %s", m.GrantTypes, g)
		}
	}
	for name, methods := range map[string][]string{
		"token_endpoint_auth_methods_supported":         m.TokenAuthMethods,
		"introspection_endpoint_auth_methods_supported": m.IntrospectionAuthMethods,
		"revocation_endpoint_auth_methods_supported":    m.RevocationAuthMethods,
	} {
		for _, want := range []string{"client_secret_basic", "client_secret_post"} {
			if !slices.Contains(methods, want) {
				t.Errorf("%s = %v, missing %s", name, methods, want)
			}
		}
	}
	return m
}

// oauthConfig is an x/oauth2 client credentials configuration.
func oauthConfig(m oauthMetadata, id, secret string, style oauth2.AuthStyle, scopes ...string) *clientcredentials.Config {
	return &clientcredentials.Config{ClientID: id, ClientSecret: secret, TokenURL: m.TokenEndpoint, AuthStyle: style, Scopes: scopes}
}

// oauthCtx makes x/oauth2 use the tests' HTTP client (with its timeout).
func oauthCtx(t *testing.T) context.Context {
	return context.WithValue(t.Context(), oauth2.HTTPClient, oauthHTTP)
}

// TestOAuthInteropStandardClients talks to the server only with standard,
// independent libraries: x/oauth2 gets tokens from the endpoint it
// discovered, and jwx verifies them against the published JWKS.
func TestOAuthInteropStandardClients(t *testing.T) {
	t.Parallel()
	e := oauthStart(t, newSQLite(t))
	m := oauthDiscover(t, e.srv.URL)
	if !slices.Equal(m.SigningAlgs, []string{"ES256"}) {
		t.Errorf("access_token_signing_alg_values_supported = %v, want [ES256] (the default)", m.SigningAlgs)
	}
	all := []string{"invoices:read", "invoices:write", "customers:read"}
	c, sec := e.client(t, "billing", all...)

	styles := []struct {
		name  string
		style oauth2.AuthStyle
	}{
		{"client_secret_basic", oauth2.AuthStyleInHeader},
		{"client_secret_post", oauth2.AuthStyleInParams},
	}
	scopes := []struct {
		name      string
		request   []string
		wantScope string
	}{
		{"all scopes", nil, strings.Join(all, " ")},
		{"scope subset", []string{"customers:read", "invoices:read"}, "customers:read invoices:read"},
	}
	for _, st := range styles {
		for _, sc := range scopes {
			t.Run(st.name+"/"+sc.name, func(t *testing.T) {
				before := time.Now()
				tok, err := oauthConfig(m, c.ClientID, sec.Value, st.style, sc.request...).Token(oauthCtx(t))
				if err != nil {
					t.Fatalf("x/oauth2 Token: %v", err)
				}
				if tok.TokenType != "Bearer" || tok.Extra("scope") != sc.wantScope {
					t.Errorf("token_type %q scope %q, want Bearer %q", tok.TokenType, tok.Extra("scope"), sc.wantScope)
				}
				if d := tok.Expiry.Sub(before); d < 24*time.Hour-time.Minute || d > 24*time.Hour+time.Minute {
					t.Errorf("token expires in %v, want 24h", d)
				}
				jt, hdr := oauthVerify(t, m.JWKSURI, m.Issuer, tok.AccessToken)
				kid, alg, typ := oauthHeader(hdr)
				if typ != "at+jwt" || kid == "" || alg != "ES256" {
					t.Errorf("JWS header typ %q kid %q alg %q, want at+jwt, a kid, ES256 (RFC 9068 §2.1)", typ, kid, alg)
				}
				iat, _ := jt.IssuedAt()
				exp, _ := jt.Expiration()
				if d := exp.Sub(iat); d != 86400*time.Second {
					t.Errorf("exp - iat = %v, want 86400s", d)
				}
				sub, _ := jt.Subject()
				jti, _ := jt.JwtID()
				if sub != c.ClientID || jti == "" {
					t.Errorf("sub %q jti %q, want sub = client_id %q and a jti", sub, jti, c.ClientID)
				}
				for name, want := range map[string]string{"client_id": c.ClientID, "scope": sc.wantScope, "secret_id": sec.ID, "org_id": e.org} {
					if got := oauthClaim(t, jt, name); got != want {
						t.Errorf("claim %s = %q, want %q", name, got, want)
					}
				}
			})
		}
	}

	t.Run("wrong secret is invalid_client to x/oauth2", func(t *testing.T) {
		for _, st := range styles {
			_, err := oauthConfig(m, c.ClientID, sec.Value+"x", st.style).Token(oauthCtx(t))
			var re *oauth2.RetrieveError
			if !errors.As(err, &re) || re.Response.StatusCode != http.StatusUnauthorized || re.ErrorCode != "invalid_client" {
				t.Errorf("%s with a wrong secret: %v, want a 401 invalid_client RetrieveError", st.name, err)
			}
		}
	})

	t.Run("scope outside the client's is invalid_scope to x/oauth2", func(t *testing.T) {
		_, err := oauthConfig(m, c.ClientID, sec.Value, oauth2.AuthStyleInHeader, "invoices:read", "admin").Token(oauthCtx(t))
		var re *oauth2.RetrieveError
		if !errors.As(err, &re) || re.ErrorCode != "invalid_scope" {
			t.Errorf("Token: %v, want invalid_scope", err)
		}
	})

	t.Run("client token ttl", func(t *testing.T) {
		ttl := 600
		var updated apiv1.Client
		e.srv.must(t, http.StatusOK, e.admin, "PATCH", "/v1/clients/"+c.ClientID, apiv1.UpdateClient{TokenTTLSeconds: &ttl}, &updated)
		if updated.TokenTTLSeconds != 600 {
			t.Fatalf("client token_ttl_seconds = %d, want 600", updated.TokenTTLSeconds)
		}
		body := e.token(t, c.ClientID, sec.Value)
		if body.ExpiresIn != 600 {
			t.Errorf("expires_in = %d, want 600", body.ExpiresIn)
		}
		tok, err := oauthConfig(m, c.ClientID, sec.Value, oauth2.AuthStyleInParams).Token(oauthCtx(t))
		if err != nil {
			t.Fatal(err)
		}
		for _, raw := range []string{body.AccessToken, tok.AccessToken} {
			jt, _ := oauthVerify(t, m.JWKSURI, m.Issuer, raw)
			iat, _ := jt.IssuedAt()
			exp, _ := jt.Expiration()
			if d := exp.Sub(iat); d != 600*time.Second {
				t.Errorf("exp - iat = %v, want 600s", d)
			}
		}
	})

	t.Run("supplied secret with characters that need form encoding", func(t *testing.T) {
		value := "p@ss: w+rd%20 100% ok: a+b=c & more"
		s := e.secret(t, c.ClientID, apiv1.CreateSecret{Description: "migrated password", Value: &value})
		if s.Origin != "supplied" {
			t.Fatalf("origin = %q, want supplied", s.Origin)
		}
		for _, st := range styles {
			t.Run(st.name, func(t *testing.T) {
				tok, err := oauthConfig(m, c.ClientID, value, st.style).Token(oauthCtx(t))
				if err != nil {
					t.Fatalf("x/oauth2 Token: %v", err)
				}
				jt, _ := oauthVerify(t, m.JWKSURI, m.Issuer, tok.AccessToken)
				if got := oauthClaim(t, jt, "secret_id"); got != s.ID {
					t.Errorf("secret_id = %q, want the supplied secret %q", got, s.ID)
				}
			})
		}
	})

	t.Run("jwks caching headers", func(t *testing.T) {
		r := oauthDo(t, oauthHTTP, "GET", m.JWKSURI, nil, "")
		if r.Status != http.StatusOK {
			t.Fatalf("JWKS = %d", r.Status)
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/jwk-set+json" && !strings.HasPrefix(ct, "application/json") {
			t.Errorf("JWKS Content-Type = %q", ct)
		}
		cc := r.Header.Get("Cache-Control")
		if !strings.Contains(cc, "max-age=") || strings.Contains(cc, "max-age=0") || strings.Contains(cc, "no-store") {
			t.Errorf("JWKS Cache-Control = %q, want a positive max-age", cc)
		}
		etag := r.Header.Get("ETag")
		if etag == "" {
			t.Fatal("JWKS has no ETag")
		}
		var set struct {
			Keys []map[string]any `json:"keys"`
		}
		if err := json.Unmarshal(r.Body, &set); err != nil || len(set.Keys) != 1 {
			t.Fatalf("JWKS %s: %v", r.Body, err)
		}
		for _, private := range []string{"d", "p", "q", "dp", "dq", "qi"} {
			if _, ok := set.Keys[0][private]; ok {
				t.Errorf("the JWKS publishes private key member %q", private)
			}
		}
		again := oauthDo(t, oauthHTTP, "GET", m.JWKSURI, http.Header{"If-None-Match": {etag}}, "")
		if again.Status != http.StatusNotModified || len(again.Body) != 0 {
			t.Errorf("If-None-Match with the ETag = %d (%d bytes), want 304 without a body", again.Status, len(again.Body))
		}
		other := oauthDo(t, oauthHTTP, "GET", m.JWKSURI, http.Header{"If-None-Match": {`"other"`}}, "")
		if other.Status != http.StatusOK || string(other.Body) != string(r.Body) {
			t.Errorf("If-None-Match with another ETag = %d, want 200 and the set", other.Status)
		}
	})
}

func TestOAuthInteropKeyRotationSQLite(t *testing.T) {
	t.Parallel()
	testOAuthKeyRotation(t, newSQLite(t))
}

func TestOAuthInteropKeyRotationPostgres(t *testing.T) {
	t.Parallel()
	testOAuthKeyRotation(t, newPostgres(t))
}

// testOAuthKeyRotation rolls the signing key: a key rotated with no delay
// is published and signs at once while tokens of the old key keep
// verifying; a key rotated with a delay is published but does not sign.
func testOAuthKeyRotation(t *testing.T, in *instance) {
	e := oauthStart(t, in)
	m := oauthDiscover(t, e.srv.URL)
	c, sec := e.client(t, "billing", "invoices:read")
	kidOf := func(t *testing.T, raw string) string {
		t.Helper()
		_, hdr := oauthVerify(t, m.JWKSURI, m.Issuer, raw)
		kid, _, _ := oauthHeader(hdr)
		return kid
	}
	published := func(t *testing.T) ([]string, string) {
		t.Helper()
		r := oauthDo(t, oauthHTTP, "GET", m.JWKSURI, nil, "")
		var set struct {
			Keys []struct {
				Kid string `json:"kid"`
			} `json:"keys"`
		}
		if err := json.Unmarshal(r.Body, &set); err != nil {
			t.Fatal(err)
		}
		var kids []string
		for _, k := range set.Keys {
			kids = append(kids, k.Kid)
		}
		return kids, r.Header.Get("ETag")
	}
	signing := func(t *testing.T) string {
		t.Helper()
		var list apiv1.SigningKeyList
		e.srv.must(t, http.StatusOK, e.admin, "GET", "/v1/keys", nil, &list)
		var ids []string
		for _, k := range list.Items {
			if k.Signing {
				ids = append(ids, k.ID)
			}
		}
		if len(ids) != 1 {
			t.Fatalf("GET /v1/keys: %d keys signing, want 1: %s", len(ids), fmtJSON(list))
		}
		return ids[0]
	}

	oldTok := e.token(t, c.ClientID, sec.Value).AccessToken
	oldKid := kidOf(t, oldTok)
	if got := signing(t); got != oldKid {
		t.Errorf("GET /v1/keys signing key = %s, token kid %s", got, oldKid)
	}
	_, oldETag := published(t)

	var now apiv1.SigningKey
	t.Run("rotate with no delay", func(t *testing.T) {
		// In a later second than the first key: keys that start in the
		// same second are TestOAuthTokenSigningKeyActivation's case.
		oauthAfterSecondBoundary(t)
		zero := 0
		e.srv.must(t, http.StatusCreated, e.admin, "POST", "/v1/keys/rotate", apiv1.RotateKeys{DelaySeconds: &zero}, &now)
		if now.ID == "" || now.ID == oldKid || !now.Signing || now.Algorithm != "ES256" {
			t.Fatalf("rotated key = %s", fmtJSON(now))
		}
		kids, etag := published(t)
		if !slices.Contains(kids, now.ID) || !slices.Contains(kids, oldKid) {
			t.Errorf("JWKS kids = %v, want the new %s and the old %s", kids, now.ID, oldKid)
		}
		if etag == oldETag {
			t.Errorf("the JWKS ETag did not change with its keys")
		}
		if r := oauthDo(t, oauthHTTP, "GET", m.JWKSURI, http.Header{"If-None-Match": {oldETag}}, ""); r.Status != http.StatusOK {
			t.Errorf("If-None-Match with the old ETag = %d, want 200", r.Status)
		}
		newTok := e.token(t, c.ClientID, sec.Value).AccessToken
		if kid := kidOf(t, newTok); kid != now.ID {
			t.Errorf("new token kid = %s, want the rotated key %s", kid, now.ID)
		}
		if got := signing(t); got != now.ID {
			t.Errorf("GET /v1/keys signing key = %s, want %s", got, now.ID)
		}
		// The old token still verifies with the JWKS fetched now.
		if kid := kidOf(t, oldTok); kid != oldKid {
			t.Errorf("old token kid = %s", kid)
		}
		e.wantActive(t, c.ClientID, sec.Value, oldTok, true)
		e.wantActive(t, c.ClientID, sec.Value, newTok, true)
	})

	t.Run("rotate with a delay", func(t *testing.T) {
		hour := 3600
		var later apiv1.SigningKey
		e.srv.must(t, http.StatusCreated, e.admin, "POST", "/v1/keys/rotate", apiv1.RotateKeys{DelaySeconds: &hour}, &later)
		if later.Signing || time.Until(later.ActiveFrom) < 59*time.Minute {
			t.Fatalf("delayed key = %s, want not signing, active in an hour", fmtJSON(later))
		}
		kids, _ := published(t)
		if !slices.Contains(kids, later.ID) {
			t.Errorf("JWKS kids = %v, want the delayed key %s published at once", kids, later.ID)
		}
		tok := e.token(t, c.ClientID, sec.Value).AccessToken
		if kid := kidOf(t, tok); kid != now.ID {
			t.Errorf("token kid = %s, want %s (the delayed key %s must not sign yet)", kid, now.ID, later.ID)
		}
		if got := signing(t); got != now.ID {
			t.Errorf("GET /v1/keys signing key = %s, want %s", got, now.ID)
		}
	})

	// Restart in the test, not a subtest: the server must outlive it.
	kids, _ := published(t)
	e.srv.stop(t)
	e.srv = e.in.start(t)
	m = oauthDiscover(t, e.srv.URL)

	t.Run("keys survive a restart", func(t *testing.T) {
		after, _ := published(t)
		if !slices.Equal(after, kids) {
			t.Errorf("JWKS kids after restart = %v, want %v", after, kids)
		}
		// The issuer is the new listening address.
		tok := e.token(t, c.ClientID, sec.Value).AccessToken
		if kid := kidOf(t, tok); kid != now.ID {
			t.Errorf("token kid after restart = %s, want %s", kid, now.ID)
		}
	})
}

// TestOAuthInteropSigningAlgorithms starts fresh servers with each
// signing algorithm and verifies their tokens with jwx.
func TestOAuthInteropSigningAlgorithms(t *testing.T) {
	t.Parallel()
	tests := []struct {
		alg string
		kty string
	}{
		{"EdDSA", "OKP"},
		{"RS256", "RSA"},
	}
	for _, tc := range tests {
		t.Run(tc.alg, func(t *testing.T) {
			t.Parallel()
			e := oauthStart(t, newSQLite(t), "--signing-algorithm", tc.alg)
			m := oauthDiscover(t, e.srv.URL)
			if !slices.Equal(m.SigningAlgs, []string{tc.alg}) {
				t.Errorf("access_token_signing_alg_values_supported = %v, want [%s]", m.SigningAlgs, tc.alg)
			}
			c, sec := e.client(t, "billing", "invoices:read")
			tok, err := oauthConfig(m, c.ClientID, sec.Value, oauth2.AuthStyleInHeader).Token(oauthCtx(t))
			if err != nil {
				t.Fatal(err)
			}
			jt, hdr := oauthVerify(t, m.JWKSURI, m.Issuer, tok.AccessToken)
			kid, alg, typ := oauthHeader(hdr)
			if alg != tc.alg || typ != "at+jwt" || kid == "" {
				t.Errorf("JWS header alg %q typ %q kid %q, want %s, at+jwt and a kid", alg, typ, kid, tc.alg)
			}
			if got := oauthClaim(t, jt, "client_id"); got != c.ClientID {
				t.Errorf("client_id = %q", got)
			}
			r := oauthDo(t, oauthHTTP, "GET", m.JWKSURI, nil, "")
			var set struct {
				Keys []struct {
					Kid string `json:"kid"`
					Kty string `json:"kty"`
					Alg string `json:"alg"`
					Use string `json:"use"`
				} `json:"keys"`
			}
			if err := json.Unmarshal(r.Body, &set); err != nil || len(set.Keys) != 1 {
				t.Fatalf("JWKS %s: %v", r.Body, err)
			}
			if k := set.Keys[0]; k.Kid != kid || k.Kty != tc.kty || k.Alg != tc.alg || k.Use != "sig" {
				t.Errorf("JWK = %+v, want kid %s kty %s alg %s use sig", k, kid, tc.kty, tc.alg)
			}
			e.wantActive(t, c.ClientID, sec.Value, tok.AccessToken, true)
		})
	}

	// The algorithm applies to new keys. Restarted with another one, the
	// server keeps signing with its existing key until the next rotation;
	// its metadata must still name the algorithm it signs with.
	t.Run("changed at restart", func(t *testing.T) {
		t.Parallel()
		e := oauthStart(t, newSQLite(t))
		c, sec := e.client(t, "billing")
		e.srv.stop(t)
		e.srv = e.in.start(t, "--signing-algorithm", "EdDSA")
		signsWith := func(t *testing.T) string {
			t.Helper()
			m := oauthDiscover(t, e.srv.URL)
			_, hdr := oauthVerify(t, m.JWKSURI, m.Issuer, e.token(t, c.ClientID, sec.Value).AccessToken)
			_, alg, _ := oauthHeader(hdr)
			if !slices.Contains(m.SigningAlgs, alg) {
				t.Errorf("access_token_signing_alg_values_supported = %v, but access tokens are signed with %s", m.SigningAlgs, alg)
			}
			return alg
		}
		if alg := signsWith(t); alg != "ES256" {
			t.Errorf("after the restart tokens are signed with %s, want ES256 (the existing key) until a rotation", alg)
		}
		oauthAfterSecondBoundary(t) // a later second than the existing key
		zero := 0
		var k apiv1.SigningKey
		e.srv.must(t, http.StatusCreated, e.admin, "POST", "/v1/keys/rotate", apiv1.RotateKeys{DelaySeconds: &zero}, &k)
		if k.Algorithm != "EdDSA" {
			t.Errorf("rotated key algorithm = %s, want EdDSA", k.Algorithm)
		}
		if alg := signsWith(t); alg != "EdDSA" {
			t.Errorf("after the rotation tokens are signed with %s, want EdDSA", alg)
		}
	})
}

// TestOAuthTokenSigningKeyActivation checks that a signing key signs from
// the instant it is active, also within its first second. Tokens carry iat
// in whole seconds and the server picks the key active at iat: a key that
// became active at 12:00:00.300 once did not sign a token minted at
// 12:00:00.500, so on a fresh store the token endpoint answered 500 ("no
// signing key is active") in its first second, and after a rotation with
// no delay the old key kept signing for up to a second although the
// rotation answered "signing": true.
func TestOAuthTokenSigningKeyActivation(t *testing.T) {
	t.Parallel()
	in := newSQLite(t)
	boot := in.init(t, "Acme", "admin@acme.test")
	oauthAfterSecondBoundary(t) // the server creates its first key in this second
	e := &oauthEnv{in: in, srv: in.start(t), admin: boot.APIToken, org: boot.OrganizationID}
	c, sec := e.client(t, "billing")
	signingKey := func(t *testing.T) apiv1.SigningKey {
		t.Helper()
		var list apiv1.SigningKeyList
		e.srv.must(t, http.StatusOK, e.admin, "GET", "/v1/keys", nil, &list)
		for _, k := range list.Items {
			if k.Signing {
				return k
			}
		}
		t.Fatalf("no signing key: %s", fmtJSON(list))
		return apiv1.SigningKey{}
	}
	params := url.Values{"grant_type": {"client_credentials"}}

	t.Run("first key on a fresh store", func(t *testing.T) {
		k := signingKey(t)
		r := e.post(t, "/oauth2/token", c.ClientID, sec.Value, params)
		if time.Now().Unix() != k.ActiveFrom.Unix() {
			t.Skipf("the token request left the key's first second (%v); the case needs it within", k.ActiveFrom)
		}
		if r.Status != http.StatusOK {
			t.Errorf("POST /oauth2/token in the first second of the first key (active from %v) = %d: %s",
				k.ActiveFrom, r.Status, r.Body)
		}
	})

	t.Run("rotated key with no delay", func(t *testing.T) {
		oauthAfterSecondBoundary(t)
		zero := 0
		var k apiv1.SigningKey
		e.srv.must(t, http.StatusCreated, e.admin, "POST", "/v1/keys/rotate", apiv1.RotateKeys{DelaySeconds: &zero}, &k)
		r := e.post(t, "/oauth2/token", c.ClientID, sec.Value, params)
		if time.Now().Unix() != k.ActiveFrom.Unix() {
			t.Skip("the token request left the key's first second; the case needs it within")
		}
		tok := r.wantToken(t)
		_, hdr := oauthVerify(t, e.srv.URL+"/.well-known/jwks.json", e.srv.URL, tok.AccessToken)
		if kid, _, _ := oauthHeader(hdr); !k.Signing || kid != k.ID {
			t.Errorf("rotate answered signing=%v for %s; a token minted right after has kid %s", k.Signing, k.ID, kid)
		}
	})

	// Keys start on whole seconds, so keys rotated within one second all
	// start at the same instant; the one rotated last must sign, as the
	// rotation answers. (With a random tie-break among them, a run of
	// five rotations would pass by chance with a probability of 1/120.)
	t.Run("several rotations in one second", func(t *testing.T) {
		oauthAfterSecondBoundary(t)
		zero := 0
		for i := range 5 {
			var k apiv1.SigningKey
			e.srv.must(t, http.StatusCreated, e.admin, "POST", "/v1/keys/rotate", apiv1.RotateKeys{DelaySeconds: &zero}, &k)
			tok := e.token(t, c.ClientID, sec.Value)
			_, hdr := oauthVerify(t, e.srv.URL+"/.well-known/jwks.json", e.srv.URL, tok.AccessToken)
			var list apiv1.SigningKeyList
			e.srv.must(t, http.StatusOK, e.admin, "GET", "/v1/keys", nil, &list)
			listed := ""
			for _, x := range list.Items {
				if x.Signing {
					listed = x.ID
				}
			}
			if kid, _, _ := oauthHeader(hdr); !k.Signing || kid != k.ID || listed != k.ID {
				t.Errorf("rotation %d answered signing=%v for %s (active from %v); the next token has kid %s and GET /v1/keys says %s signs",
					i+1, k.Signing, k.ID, k.ActiveFrom, kid, listed)
			}
		}
	})
}
