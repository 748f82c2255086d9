package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

// TestOAuthIntrospectionJWT: with Accept: application/token-introspection+jwt
// the introspection answer is a JWT (RFC 9701) that an independent JOSE
// library verifies against the published JWKS: typ
// token-introspection+jwt, iss the issuer, aud the caller, iat now, and
// token_introspection the RFC 7662 answer — for an active token and an
// inactive one; it has no sub or exp, and is not accepted as an access
// token. The metadata advertises the algorithms; without the Accept header
// the answer stays JSON.
func TestOAuthIntrospectionJWT(t *testing.T) {
	t.Parallel()
	e := oauthStart(t, newSQLite(t))
	m := oauthDiscover(t, e.srv.URL)
	c, sec := e.client(t, "billing", "invoices:read")
	rs, rsSec := e.client(t, "resource server")
	tok := e.token(t, c.ClientID, sec.Value).AccessToken

	var meta map[string]any
	res := oauthDo(t, http.DefaultClient, "GET", e.srv.URL+"/.well-known/oauth-authorization-server", nil, "")
	if err := json.Unmarshal(res.Body, &meta); err != nil {
		t.Fatal(err)
	}
	if algs, _ := meta["introspection_signing_alg_values_supported"].([]any); len(algs) != 1 || algs[0] != "ES256" {
		t.Errorf("introspection_signing_alg_values_supported = %v, want [ES256]", meta["introspection_signing_alg_values_supported"])
	}

	set, err := jwk.Fetch(t.Context(), m.JWKSURI)
	if err != nil {
		t.Fatal(err)
	}
	introspect := func(t *testing.T, token, accept string) oauthResponse {
		t.Helper()
		h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Authorization": {oauthBasic(rs.ClientID, rsSec.Value)}}
		if accept != "" {
			h.Set("Accept", accept)
		}
		return oauthDo(t, http.DefaultClient, "POST", m.IntrospectionEndpoint, h, url.Values{"token": {token}}.Encode())
	}
	verify := func(t *testing.T, res oauthResponse) map[string]any {
		t.Helper()
		if res.Status != http.StatusOK || res.Header.Get("Content-Type") != "application/token-introspection+jwt" || res.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("JWT introspection = %d %q %q: %s", res.Status, res.Header.Get("Content-Type"), res.Header.Get("Cache-Control"), res.Body)
		}
		parsed, err := jwt.Parse(res.Body, jwt.WithKeySet(set), jwt.WithValidate(true), jwt.WithIssuer(m.Issuer),
			jwt.WithAudience(rs.ClientID), jwt.WithAcceptableSkew(5*time.Second))
		if err != nil {
			t.Fatalf("jwx does not verify the introspection response: %v", err)
		}
		msg, err := jws.Parse(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, typ := oauthHeader(msg.Signatures()[0].ProtectedHeaders()); typ != "token-introspection+jwt" {
			t.Errorf("typ = %q, want token-introspection+jwt", typ)
		}
		if iat, ok := parsed.IssuedAt(); !ok || time.Since(iat) > time.Minute {
			t.Errorf("iat = %v", iat)
		}
		if _, ok := parsed.Subject(); ok {
			t.Error("the introspection response has a sub")
		}
		if _, ok := parsed.Expiration(); ok {
			t.Error("the introspection response has an exp")
		}
		var inner map[string]any
		if err := parsed.Get("token_introspection", &inner); err != nil {
			t.Fatalf("token_introspection: %v", err)
		}
		return inner
	}

	t.Run("an active token", func(t *testing.T) {
		inner := verify(t, introspect(t, tok, "application/token-introspection+jwt"))
		want := e.introspect(t, rs.ClientID, rsSec.Value, tok)
		if inner["active"] != true || inner["client_id"] != c.ClientID || inner["scope"] != "invoices:read" || inner["sub"] != c.ClientID ||
			inner["jti"] == "" || inner["secret_id"] != sec.ID {
			t.Errorf("token_introspection = %v", inner)
		}
		if !want.Active || want.ClientID != inner["client_id"] {
			t.Errorf("the JSON answer %+v differs", want)
		}
	})
	t.Run("preferred to JSON, or not", func(t *testing.T) {
		verify(t, introspect(t, tok, "application/json;q=0.5, application/token-introspection+jwt"))
		for _, accept := range []string{"", "application/json", "application/token-introspection+jwt;q=0", "*/*"} {
			if res := introspect(t, tok, accept); !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
				t.Errorf("Accept %q: Content-Type %q, want JSON", accept, res.Header.Get("Content-Type"))
			}
		}
	})
	t.Run("an inactive token", func(t *testing.T) {
		inner := verify(t, introspect(t, "not-a-token", "application/token-introspection+jwt"))
		if len(inner) != 1 || inner["active"] != false {
			t.Errorf("token_introspection of garbage = %v, want only active: false", inner)
		}
	})
	t.Run("not an access token", func(t *testing.T) {
		res := introspect(t, tok, "application/token-introspection+jwt")
		if e.introspect(t, rs.ClientID, rsSec.Value, string(res.Body)).Active {
			t.Error("the introspection response introspects as an active access token")
		}
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+"/v1/me", nil)
		req.Header.Set("Authorization", "Bearer "+string(res.Body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("the introspection response as a bearer token on /v1/me = %d, want 401", resp.StatusCode)
		}
	})
	t.Run("a failed client authentication stays a JSON error", func(t *testing.T) {
		h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Authorization": {oauthBasic(rs.ClientID, "wrong")},
			"Accept": {"application/token-introspection+jwt"}}
		oauthDo(t, http.DefaultClient, "POST", m.IntrospectionEndpoint, h, url.Values{"token": {tok}}.Encode()).wantError(t, http.StatusUnauthorized, "invalid_client")
	})
}
