package loadbench

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"keywarden/internal/secretvalue"
)

// Reference is the least work a token and an introspection endpoint can
// do with Keywarden's wire format: parse the form and the Basic
// credentials, find the client in a map, check the generated secret's
// keyed hash (HMAC-SHA256, as Keywarden stores it), then sign or verify an
// ES256 JWT with the same header and claims and write the same JSON.
//
// It keeps no audit, no rate limits, no usage, no deny list and no logs:
// it is a yardstick, not a server.
type Reference struct {
	issuer      string
	verifierKey []byte
	kid         string
	alg         jose.SignatureAlgorithm
	signer      jose.Signer
	public      crypto.PublicKey
	ttl         int

	mu      sync.RWMutex
	clients map[string]refClient
}

type refClient struct {
	verifier []byte
	scope    string
	orgID    string
	secretID string
}

// refClaims has the JSON shape of Keywarden's access-token claims.
type refClaims struct {
	Issuer   string `json:"iss"`
	Subject  string `json:"sub"`
	Audience string `json:"aud"`
	Expiry   int64  `json:"exp"`
	IssuedAt int64  `json:"iat"`
	JTI      string `json:"jti"`
	ClientID string `json:"client_id"`
	Scope    string `json:"scope,omitempty"`
	SecretID string `json:"secret_id"`
	OrgID    string `json:"org_id"`
}

// NewReference returns a reference for issuer (its own base URL) with a
// fresh ES256 signing key and a random 32-byte verifier key.
func NewReference(issuer string) (*Reference, error) { return NewReferenceAlg(issuer, "ES256") }

// NewReferenceAlg is NewReference signing with alg: ES256 or EdDSA.
func NewReferenceAlg(issuer, alg string) (*Reference, error) {
	var priv crypto.Signer
	var err error
	switch alg {
	case "ES256":
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "EdDSA":
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	default:
		return nil, fmt.Errorf("loadbench: reference algorithm %q: want ES256 or EdDSA", alg)
	}
	if err != nil {
		return nil, err
	}
	kid := newID("key_")
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(alg), Key: jose.JSONWebKey{Key: priv, KeyID: kid}},
		(&jose.SignerOptions{}).WithType("at+jwt"))
	if err != nil {
		return nil, err
	}
	key := make([]byte, 32)
	rand.Read(key)
	return &Reference{issuer: issuer, verifierKey: key, kid: kid, alg: jose.SignatureAlgorithm(alg), signer: signer, public: priv.Public(),
		ttl: 86400, clients: map[string]refClient{}}, nil
}

// newID returns an ID as long as Keywarden's (prefix + 22 characters), so
// that tokens and answers are the same size.
func newID(prefix string) string { return prefix + rand.Text()[:22] }

// AddClient registers a client whose secret is a generated Keywarden
// secret value (kws_…), granted scope.
func (r *Reference) AddClient(clientID, secret, scope string) error {
	p, err := secretvalue.Parse(secretvalue.PrefixClientSecret, secret)
	if err != nil {
		return fmt.Errorf("loadbench: reference client secret: %w", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.clients[clientID] = refClient{verifier: secretvalue.Verifier(r.verifierKey, p), scope: scope,
		orgID: newID("org_"), secretID: newID("sec_")}
	return nil
}

// Handler serves POST /oauth2/token and POST /oauth2/introspect.
func (r *Reference) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth2/token", r.token)
	mux.HandleFunc("POST /oauth2/introspect", r.introspect)
	return mux
}

var errBadClient = errors.New("invalid_client")

// authenticate checks client_secret_basic credentials.
func (r *Reference) authenticate(req *http.Request) (string, refClient, error) {
	scheme, payload, ok := strings.Cut(req.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Basic") {
		return "", refClient{}, errBadClient
	}
	raw, err := base64.StdEncoding.DecodeString(payload)
	if err != nil {
		return "", refClient{}, errBadClient
	}
	id, secret, ok := strings.Cut(string(raw), ":")
	if !ok {
		return "", refClient{}, errBadClient
	}
	id, err1 := url.QueryUnescape(id)
	secret, err2 := url.QueryUnescape(secret)
	if err1 != nil || err2 != nil {
		return "", refClient{}, errBadClient
	}
	r.mu.RLock()
	c, found := r.clients[id]
	r.mu.RUnlock()
	p, err := secretvalue.Parse(secretvalue.PrefixClientSecret, secret)
	if !found || err != nil || !hmac.Equal(secretvalue.Verifier(r.verifierKey, p), c.verifier) {
		return "", refClient{}, errBadClient
	}
	return id, c, nil
}

// readForm reads an application/x-www-form-urlencoded body of at most 16 KiB.
func readForm(w http.ResponseWriter, req *http.Request) (url.Values, bool) {
	mt, _, err := mime.ParseMediaType(req.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, 16<<10))
	if err != nil {
		return nil, false
	}
	v, err := url.ParseQuery(string(body))
	return v, err == nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

func writeError(w http.ResponseWriter, status int, code string) {
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="reference"`)
	}
	writeJSON(w, status, map[string]string{"error": code})
}

// refTokenResponse has the shape of Keywarden's token response.
type refTokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
	Scope       string `json:"scope,omitempty"`
}

func (r *Reference) token(w http.ResponseWriter, req *http.Request) {
	f, ok := readForm(w, req)
	if !ok {
		writeError(w, http.StatusBadRequest, "invalid_request")
		return
	}
	if f.Get("grant_type") != "client_credentials" {
		writeError(w, http.StatusBadRequest, "unsupported_grant_type")
		return
	}
	id, c, err := r.authenticate(req)
	if err != nil {
		writeError(w, http.StatusUnauthorized, "invalid_client")
		return
	}
	now := time.Now().Unix()
	jti := make([]byte, 16)
	rand.Read(jti)
	payload, err := json.Marshal(refClaims{Issuer: r.issuer, Subject: id, Audience: r.issuer, IssuedAt: now,
		Expiry: now + int64(r.ttl), JTI: base64.RawURLEncoding.EncodeToString(jti), ClientID: id, Scope: c.scope,
		SecretID: c.secretID, OrgID: c.orgID})
	if err != nil {
		writeError(w, http.StatusInternalServerError, "server_error")
		return
	}
	obj, err := r.signer.Sign(payload)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "server_error")
		return
	}
	tok, err := obj.CompactSerialize()
	if err != nil {
		writeError(w, http.StatusInternalServerError, "server_error")
		return
	}
	writeJSON(w, http.StatusOK, refTokenResponse{AccessToken: tok, TokenType: "Bearer", ExpiresIn: r.ttl, Scope: c.scope})
}

// refIntrospection has the shape of Keywarden's introspection answer.
type refIntrospection struct {
	Active    bool   `json:"active"`
	Scope     string `json:"scope,omitempty"`
	ClientID  string `json:"client_id,omitempty"`
	TokenType string `json:"token_type,omitempty"`
	Exp       int64  `json:"exp,omitempty"`
	Iat       int64  `json:"iat,omitempty"`
	Sub       string `json:"sub,omitempty"`
	Aud       string `json:"aud,omitempty"`
	Iss       string `json:"iss,omitempty"`
	Jti       string `json:"jti,omitempty"`
	SecretID  string `json:"secret_id,omitempty"`
}

func (r *Reference) introspect(w http.ResponseWriter, req *http.Request) {
	f, ok := readForm(w, req)
	if !ok {
		writeError(w, http.StatusBadRequest, "invalid_request")
		return
	}
	_, caller, err := r.authenticate(req)
	if err != nil {
		writeError(w, http.StatusUnauthorized, "invalid_client")
		return
	}
	c, ok := r.verify(f.Get("token"))
	if !ok || c.OrgID != caller.orgID {
		writeJSON(w, http.StatusOK, refIntrospection{Active: false})
		return
	}
	writeJSON(w, http.StatusOK, refIntrospection{Active: true, Scope: c.Scope, ClientID: c.ClientID, TokenType: "Bearer",
		Exp: c.Expiry, Iat: c.IssuedAt, Sub: c.Subject, Aud: c.Audience, Iss: c.Issuer, Jti: c.JTI, SecretID: c.SecretID})
}

// verify parses and checks a token the reference signed.
func (r *Reference) verify(tok string) (refClaims, bool) {
	if tok == "" || len(tok) > 8<<10 {
		return refClaims{}, false
	}
	obj, err := jose.ParseSignedCompact(tok, []jose.SignatureAlgorithm{r.alg})
	if err != nil || len(obj.Signatures) != 1 {
		return refClaims{}, false
	}
	h := obj.Signatures[0].Header
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); typ != "at+jwt" || h.KeyID != r.kid {
		return refClaims{}, false
	}
	payload, err := obj.Verify(r.public)
	if err != nil {
		return refClaims{}, false
	}
	var c refClaims
	if err := json.Unmarshal(payload, &c); err != nil || time.Now().Unix() >= c.Expiry || c.JTI == "" {
		return refClaims{}, false
	}
	return c, true
}
