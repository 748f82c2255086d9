package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jwt"

	"keywarden/pkg/apiv1"
	"keywarden/pkg/keywarden"
)

// oauthHTTP is the HTTP client of the OAuth tests: every request completes
// or fails within 10 s; none hangs.
var oauthHTTP = &http.Client{Timeout: 10 * time.Second}

// oauthClientFrom returns an HTTP client whose connections come from the
// local address ip. Linux routes all of 127.0.0.0/8 to the loopback
// interface, so 127.0.0.2 is a second source address for a server that
// listens on 127.0.0.1.
func oauthClientFrom(t *testing.T, ip string) *http.Client {
	t.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	tr := &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Timeout: 10 * time.Second, Transport: tr}
}

// oauthEnv is a running server with an organisation and its super admin.
type oauthEnv struct {
	in    *instance
	srv   *server
	admin string // the super admin's API token
	org   string
}

// oauthStart initialises an organisation on in and starts a server.
func oauthStart(t *testing.T, in *instance, extra ...string) *oauthEnv {
	t.Helper()
	boot := in.init(t, "Acme", "admin@acme.test")
	return &oauthEnv{in: in, srv: in.start(t, extra...), admin: boot.APIToken, org: boot.OrganizationID}
}

// client creates a client with scopes and one generated secret.
func (e *oauthEnv) client(t *testing.T, name string, scopes ...string) (apiv1.Client, apiv1.CreatedSecret) {
	t.Helper()
	c, err := e.srv.api(e.admin).CreateClient(t.Context(), apiv1.CreateClient{Name: name, Scopes: scopes})
	noErr(t, err)
	return c, e.secret(t, c.ClientID, apiv1.CreateSecret{Description: name + " secret"})
}

// secret adds a secret to a client.
func (e *oauthEnv) secret(t *testing.T, clientID string, body apiv1.CreateSecret) apiv1.CreatedSecret {
	t.Helper()
	s, err := e.srv.api(e.admin).CreateSecret(t.Context(), clientID, body)
	noErr(t, err)
	return s
}

// secrets lists a client's secrets by ID.
func (e *oauthEnv) secrets(t *testing.T, clientID string) map[string]apiv1.Secret {
	t.Helper()
	list, err := e.srv.api(e.admin).ListSecrets(t.Context(), clientID, keywarden.ListOptions{})
	noErr(t, err)
	out := map[string]apiv1.Secret{}
	for _, s := range list.Items {
		out[s.ID] = s
	}
	return out
}

// audit returns the audit events that match query (e.g. "action=x&target=y").
func (e *oauthEnv) audit(t *testing.T, query string) []apiv1.AuditEvent {
	t.Helper()
	var list apiv1.AuditList
	e.srv.must(t, http.StatusOK, e.admin, "GET", "/v1/audit?limit=200&"+query, nil, &list)
	return list.Items
}

// post posts params to an OAuth endpoint, with client_secret_basic when id
// is not empty.
func (e *oauthEnv) post(t *testing.T, path, id, secret string, params url.Values) oauthResponse {
	t.Helper()
	return oauthPost(t, oauthHTTP, e.srv.URL+path, id, secret, params)
}

// token gets an access token with client_credentials and
// client_secret_basic, failing the test unless the server issues one.
func (e *oauthEnv) token(t *testing.T, id, secret string, scope ...string) oauthTokenBody {
	t.Helper()
	params := url.Values{"grant_type": {"client_credentials"}}
	if len(scope) > 0 {
		params.Set("scope", strings.Join(scope, " "))
	}
	r := e.post(t, "/oauth2/token", id, secret, params)
	return r.wantToken(t)
}

// introspect introspects tok, authenticated as the client id.
func (e *oauthEnv) introspect(t *testing.T, id, secret, tok string) oauthIntrospection {
	t.Helper()
	r := e.post(t, "/oauth2/introspect", id, secret, url.Values{"token": {tok}})
	if r.Status != http.StatusOK {
		t.Fatalf("introspect = %d, want 200: %s", r.Status, r.Body)
	}
	var out oauthIntrospection
	if err := json.Unmarshal(r.Body, &out); err != nil {
		t.Fatalf("introspection %s: %v", r.Body, err)
	}
	return out
}

// wantActive fails the test unless the introspection of tok says want.
func (e *oauthEnv) wantActive(t *testing.T, id, secret, tok string, want bool) oauthIntrospection {
	t.Helper()
	got := e.introspect(t, id, secret, tok)
	if got.Active != want {
		t.Errorf("introspect: active = %v, want %v", got.Active, want)
	}
	if !got.Active && got != (oauthIntrospection{}) {
		t.Errorf("inactive introspection carries claims: %+v (RFC 7662 §2.2: only active)", got)
	}
	return got
}

// oauthResponse is the whole answer of an OAuth endpoint.
type oauthResponse struct {
	Status int
	Header http.Header
	Body   []byte
}

// oauthErrorBody is an RFC 6749 §5.2 error response.
type oauthErrorBody struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// oauthTokenBody is an RFC 6749 §5.1 token response.
type oauthTokenBody struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	Scope        string `json:"scope"`
	RefreshToken string `json:"refresh_token"`
}

// oauthIntrospection is an RFC 7662 §2.2 introspection response.
type oauthIntrospection struct {
	Active    bool   `json:"active"`
	Scope     string `json:"scope"`
	ClientID  string `json:"client_id"`
	TokenType string `json:"token_type"`
	Exp       int64  `json:"exp"`
	Iat       int64  `json:"iat"`
	Sub       string `json:"sub"`
	Aud       string `json:"aud"`
	Iss       string `json:"iss"`
	Jti       string `json:"jti"`
	SecretID  string `json:"secret_id"`
}

// oauthBasic is a client_secret_basic Authorization value: RFC 6749
// §2.3.1 form-urlencodes the client ID and secret before Basic encoding.
func oauthBasic(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
}

// oauthPost posts a form with hc, with client_secret_basic when id is not
// empty.
func oauthPost(t *testing.T, hc *http.Client, target, id, secret string, params url.Values) oauthResponse {
	t.Helper()
	h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	if id != "" {
		h.Set("Authorization", oauthBasic(id, secret))
	}
	return oauthDo(t, hc, "POST", target, h, params.Encode())
}

// oauthDo sends one request and reads the whole answer.
func oauthDo(t *testing.T, hc *http.Client, method, target string, h http.Header, body string) oauthResponse {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, target, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range h {
		req.Header[k] = vs
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, target, err)
	}
	return oauthResponse{Status: resp.StatusCode, Header: resp.Header, Body: raw}
}

// wantToken fails the test unless r is a successful token response.
func (r oauthResponse) wantToken(t *testing.T) oauthTokenBody {
	t.Helper()
	if r.Status != http.StatusOK {
		t.Fatalf("token request = %d, want 200: %s", r.Status, r.Body)
	}
	var out oauthTokenBody
	if err := json.Unmarshal(r.Body, &out); err != nil {
		t.Fatalf("token response %s: %v", r.Body, err)
	}
	if out.AccessToken == "" || out.TokenType != "Bearer" || out.ExpiresIn <= 0 {
		t.Fatalf("token response = %s", r.Body)
	}
	if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("token response Cache-Control = %q, want no-store (RFC 6749 §5.1)", cc)
	}
	return out
}

// wantError checks an OAuth error response: the status, an RFC 6749 §5.2
// JSON body with code, Cache-Control no-store, and WWW-Authenticate on a
// 401.
func (r oauthResponse) wantError(t *testing.T, status int, code string) oauthErrorBody {
	t.Helper()
	if r.Status != status {
		t.Errorf("status = %d, want %d: %s", r.Status, status, r.Body)
	}
	if r.Status >= 500 {
		t.Errorf("a client's mistake got a %d", r.Status)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", cc)
	}
	if wa := r.Header.Get("WWW-Authenticate"); r.Status == http.StatusUnauthorized && !strings.HasPrefix(wa, "Basic ") {
		t.Errorf("401 WWW-Authenticate = %q, want a Basic challenge (RFC 6749 §5.2)", wa)
	}
	var body oauthErrorBody
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Errorf("error body %q is not JSON: %v", r.Body, err)
	}
	if body.Error != code {
		t.Errorf("error = %q, want %q (%s)", body.Error, code, r.Body)
	}
	return body
}

// oauthVerify verifies an access token the way a resource server would,
// with a JOSE library independent of the server's: fetch the JWKS over
// HTTP, check the signature with the key the kid names, then iss, aud, exp
// and iat. It returns the token and its protected header.
func oauthVerify(t *testing.T, jwksURI, issuer, raw string) (jwt.Token, jws.Headers) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	set, err := jwk.Fetch(ctx, jwksURI)
	if err != nil {
		t.Fatalf("fetch JWKS: %v", err)
	}
	tok, err := jwt.Parse([]byte(raw), jwt.WithKeySet(set), jwt.WithValidate(true),
		jwt.WithIssuer(issuer), jwt.WithAudience(issuer), jwt.WithAcceptableSkew(5*time.Second))
	if err != nil {
		t.Fatalf("jwx does not verify the access token: %v", err)
	}
	msg, err := jws.Parse([]byte(raw))
	if err != nil || len(msg.Signatures()) != 1 {
		t.Fatalf("parse JWS: %v", err)
	}
	return tok, msg.Signatures()[0].ProtectedHeaders()
}

// oauthHeader returns the kid, alg and typ of a JWS header.
func oauthHeader(h jws.Headers) (kid, alg, typ string) {
	kid, _ = h.KeyID()
	a, _ := h.Algorithm()
	typ, _ = h.Type()
	return kid, a.String(), typ
}

// oauthClaim returns a string claim of tok.
func oauthClaim(t *testing.T, tok jwt.Token, name string) string {
	t.Helper()
	var v string
	if err := tok.Get(name, &v); err != nil {
		t.Errorf("claim %s: %v", name, err)
	}
	return v
}

// oauthEventually polls cond every 50 ms until it holds or timeout passes.
func oauthEventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, timeout)
		}
		select {
		case <-t.Context().Done():
			t.Fatal(t.Context().Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}
