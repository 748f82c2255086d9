package e2e

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestOAuthBadInput sends malformed requests to the token, introspection
// and revocation endpoints. Every one gets the exact 4xx status, an RFC
// 6749 §5.2 JSON body with the expected code, Cache-Control no-store, and
// WWW-Authenticate when it is a 401; none gets a 5xx, and none hangs (the
// client gives up after 10 s).
func TestOAuthBadInput(t *testing.T) {
	t.Parallel()
	e := oauthStart(t, newSQLite(t))
	c, sec := e.client(t, "billing", "invoices:read", "invoices:write")
	id := c.ClientID
	tok := e.token(t, id, sec.Value).AccessToken

	const form = "application/x-www-form-urlencoded"
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	basic := oauthBasic(id, sec.Value)
	// hdr builds a header from name, value pairs; a repeated name is sent
	// twice.
	hdr := func(kv ...string) http.Header {
		h := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			h.Add(kv[i], kv[i+1])
		}
		return h
	}
	authed := hdr("Content-Type", form, "Authorization", basic)
	post := func(v url.Values) string { return v.Encode() }
	cc := "grant_type=client_credentials"
	big := cc + "&pad=" + strings.Repeat("a", 17<<10)
	postCreds := "client_id=" + url.QueryEscape(id) + "&client_secret=" + url.QueryEscape(sec.Value)

	type badCase struct {
		name   string
		method string
		path   string // with any query
		header http.Header
		body   string
		status int
		code   string
	}
	// common are the cases every POST endpoint shares; params is a body
	// that would be accepted with good client authentication.
	common := func(path, params string) []badCase {
		return []badCase{
			{"basic not base64", "POST", path, hdr("Content-Type", form, "Authorization", "Basic !!!not*base64"), params, 401, "invalid_client"},
			{"basic without colon", "POST", path, hdr("Content-Type", form, "Authorization", "Basic "+b64(id)), params, 401, "invalid_client"},
			{"basic empty", "POST", path, hdr("Content-Type", form, "Authorization", "Basic "), params, 401, "invalid_client"},
			{"scheme only", "POST", path, hdr("Content-Type", form, "Authorization", "Basic"), params, 401, "invalid_client"},
			{"bearer scheme", "POST", path, hdr("Content-Type", form, "Authorization", "Bearer "+tok), params, 401, "invalid_client"},
			{"basic with non-UTF-8 secret", "POST", path, hdr("Content-Type", form, "Authorization", "Basic "+b64(id+":\xff\xfe")), params, 401, "invalid_client"},
			{"basic with bad percent-encoding", "POST", path, hdr("Content-Type", form, "Authorization", "Basic "+b64(id+":%zz")), params, 401, "invalid_client"},
			{"basic with control character", "POST", path, hdr("Content-Type", form, "Authorization", "Basic "+b64(id+":%00"+url.QueryEscape(sec.Value))), params, 401, "invalid_client"},
			{"two Authorization headers", "POST", path, hdr("Content-Type", form, "Authorization", basic, "Authorization", basic), params, 400, "invalid_request"},
			{"basic plus client_secret in body", "POST", path, authed, params + "&" + postCreds, 400, "invalid_request"},
			{"basic plus another client_id in body", "POST", path, authed, params + "&client_id=kwc_AAAAAAAAAAAAAAAAAAAAAA", 400, "invalid_request"},
			{"client_secret without client_id", "POST", path, hdr("Content-Type", form), params + "&client_secret=" + url.QueryEscape(sec.Value), 400, "invalid_request"},
			{"client_id without secret", "POST", path, hdr("Content-Type", form), params + "&client_id=" + id, 401, "invalid_client"},
			{"no client authentication", "POST", path, hdr("Content-Type", form), params, 401, "invalid_client"},
			{"wrong secret", "POST", path, hdr("Content-Type", form, "Authorization", oauthBasic(id, sec.Value+"x")), params, 401, "invalid_client"},
			{"unknown client", "POST", path, hdr("Content-Type", form, "Authorization", oauthBasic("kwc_AAAAAAAAAAAAAAAAAAAAAA", sec.Value)), params, 401, "invalid_client"},
			{"duplicated client_id (post)", "POST", path, hdr("Content-Type", form), params + "&" + postCreds + "&client_id=" + id, 400, "invalid_request"},
			{"json content type", "POST", path, hdr("Content-Type", "application/json", "Authorization", basic), `{"grant_type":"client_credentials"}`, 400, "invalid_request"},
			{"no content type", "POST", path, hdr("Authorization", basic), params, 400, "invalid_request"},
			{"multipart content type", "POST", path, hdr("Content-Type", "multipart/form-data; boundary=x", "Authorization", basic), "--x--", 400, "invalid_request"},
			{"malformed content type", "POST", path, hdr("Content-Type", "application/x-www-form-urlencoded; =", "Authorization", basic), params, 400, "invalid_request"},
			{"parameters in the URL query", "POST", path + "?" + params, authed, params, 400, "invalid_request"},
			{"credentials in the URL query", "POST", path + "?" + postCreds, hdr("Content-Type", form), params, 400, "invalid_request"},
			{"body over 16 KiB", "POST", path, authed, big, 413, "invalid_request"},
			{"malformed form encoding", "POST", path, authed, params + "&x=%zz", 400, "invalid_request"},
			{"non-UTF-8 parameter value", "POST", path, authed, params + "&x=%FF%FE", 400, "invalid_request"},
			{"non-UTF-8 parameter name", "POST", path, authed, params + "&%FF=x", 400, "invalid_request"},
			{"NUL in a parameter", "POST", path, authed, params + "&x=a%00b", 400, "invalid_request"},
			{"newline in a parameter", "POST", path, authed, params + "&x=a%0Ab", 400, "invalid_request"},
			{"DEL in a parameter", "POST", path, authed, params + "&x=a%7Fb", 400, "invalid_request"},
			{"GET", "GET", path, authed, "", 405, "invalid_request"},
			{"PUT", "PUT", path, authed, params, 405, "invalid_request"},
			{"DELETE", "DELETE", path, authed, "", 405, "invalid_request"},
		}
	}

	endpoints := []struct {
		name  string
		path  string
		cases []badCase
	}{
		{"token", "/oauth2/token", append(common("/oauth2/token", cc),
			badCase{"missing grant_type", "POST", "/oauth2/token", authed, "scope=invoices%3Aread", 400, "invalid_request"},
			badCase{"empty grant_type", "POST", "/oauth2/token", authed, "grant_type=", 400, "invalid_request"},
			badCase{"duplicated grant_type", "POST", "/oauth2/token", authed, cc + "&" + cc, 400, "invalid_request"},
			badCase{"duplicated scope", "POST", "/oauth2/token", authed, cc + "&scope=invoices%3Aread&scope=invoices%3Aread", 400, "invalid_request"},
			badCase{"unknown grant_type", "POST", "/oauth2/token", authed, "grant_type=magic", 400, "unsupported_grant_type"},
			badCase{"password grant", "POST", "/oauth2/token", authed, post(url.Values{"grant_type": {"password"}, "username": {"a"}, "password": {"b"}}), 400, "unsupported_grant_type"},
			badCase{"authorization_code grant", "POST", "/oauth2/token", authed, "grant_type=authorization_code&code=x", 400, "unsupported_grant_type"},
			badCase{"grant_type in another case", "POST", "/oauth2/token", authed, "grant_type=Client_Credentials", 400, "unsupported_grant_type"},
			badCase{"scope not allowed", "POST", "/oauth2/token", authed, cc + "&scope=admin", 400, "invalid_scope"},
			badCase{"one scope of two not allowed", "POST", "/oauth2/token", authed, post(url.Values{"grant_type": {"client_credentials"}, "scope": {"invoices:read admin"}}), 400, "invalid_scope"},
			badCase{"scope with double spaces", "POST", "/oauth2/token", authed, post(url.Values{"grant_type": {"client_credentials"}, "scope": {"invoices:read  invoices:write"}}), 400, "invalid_scope"},
			badCase{"scope with a leading space", "POST", "/oauth2/token", authed, post(url.Values{"grant_type": {"client_credentials"}, "scope": {" invoices:read"}}), 400, "invalid_scope"},
			badCase{"scope with a trailing space", "POST", "/oauth2/token", authed, post(url.Values{"grant_type": {"client_credentials"}, "scope": {"invoices:read "}}), 400, "invalid_scope"},
			badCase{"scope with a tab", "POST", "/oauth2/token", authed, post(url.Values{"grant_type": {"client_credentials"}, "scope": {"invoices:read\tinvoices:write"}}), 400, "invalid_request"},
			badCase{"refresh grant without refresh_token", "POST", "/oauth2/token", authed, "grant_type=refresh_token", 400, "invalid_request"},
			badCase{"refresh grant with garbage", "POST", "/oauth2/token", authed, "grant_type=refresh_token&refresh_token=garbage", 400, "invalid_grant"},
			badCase{"refresh grant with a huge token", "POST", "/oauth2/token", authed, "grant_type=refresh_token&refresh_token=kwr_" + strings.Repeat("A", 8000), 400, "invalid_grant"},
		)},
		{"introspect", "/oauth2/introspect", append(common("/oauth2/introspect", "token="+tok),
			badCase{"missing token", "POST", "/oauth2/introspect", authed, "token_type_hint=access_token", 400, "invalid_request"},
			badCase{"empty token", "POST", "/oauth2/introspect", authed, "token=", 400, "invalid_request"},
			badCase{"empty body", "POST", "/oauth2/introspect", authed, "", 400, "invalid_request"},
			badCase{"duplicated token", "POST", "/oauth2/introspect", authed, "token=" + tok + "&token=" + tok, 400, "invalid_request"},
		)},
		{"revoke", "/oauth2/revoke", append(common("/oauth2/revoke", "token=garbage"),
			badCase{"missing token", "POST", "/oauth2/revoke", authed, "token_type_hint=access_token", 400, "invalid_request"},
			badCase{"empty token", "POST", "/oauth2/revoke", authed, "token=", 400, "invalid_request"},
			badCase{"duplicated token", "POST", "/oauth2/revoke", authed, "token=a&token=b", 400, "invalid_request"},
			badCase{"unsupported token_type_hint", "POST", "/oauth2/revoke", authed, "token=garbage&token_type_hint=id_token", 400, "unsupported_token_type"},
		)},
		{"well-known", "/.well-known", []badCase{
			{"POST metadata", "POST", "/.well-known/oauth-authorization-server", authed, cc, 405, "invalid_request"},
			{"POST jwks", "POST", "/.well-known/jwks.json", authed, cc, 405, "invalid_request"},
			{"DELETE jwks", "DELETE", "/.well-known/jwks.json", nil, "", 405, "invalid_request"},
		}},
	}
	for _, ep := range endpoints {
		t.Run(ep.name, func(t *testing.T) {
			for _, tc := range ep.cases {
				t.Run(tc.name, func(t *testing.T) {
					r := oauthDo(t, oauthHTTP, tc.method, e.srv.URL+tc.path, tc.header, tc.body)
					r.wantError(t, tc.status, tc.code)
					if tc.status == http.StatusMethodNotAllowed {
						want := "POST"
						if strings.HasPrefix(tc.path, "/.well-known/") {
							want = "GET, HEAD"
						}
						if got := r.Header.Get("Allow"); got != want {
							t.Errorf("Allow = %q, want %q", got, want)
						}
					}
				})
			}
		})
	}

	t.Run("the server still serves", func(t *testing.T) {
		// A charset parameter on the form content type is fine.
		h := hdr("Content-Type", form+"; charset=UTF-8", "Authorization", basic)
		oauthDo(t, oauthHTTP, "POST", e.srv.URL+"/oauth2/token", h, cc).wantToken(t)
		e.wantActive(t, id, sec.Value, tok, true)
		// Bad input counted as failed authentication only where a secret
		// was checked: the client is not locked out.
		e.token(t, id, sec.Value)
		if logs := e.srv.logs.String(); strings.Contains(logs, "oauth endpoint failed") || strings.Contains(logs, `"status":5`) {
			t.Errorf("the server log shows a 5xx")
		}
	})
}
