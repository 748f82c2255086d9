package dpop

import (
	"crypto"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Type is the JWS "typ" of a proof (RFC 9449 §4.2).
const Type = "dpop+jwt"

// Algorithms are the proof signature algorithms accepted: asymmetric only
// (RFC 9449 §4.3 refuses "none" and MACs).
var Algorithms = []jose.SignatureAlgorithm{jose.ES256, jose.ES384, jose.EdDSA, jose.RS256, jose.PS256}

// Limits on a proof's time, around the verifier's clock. A proof is good
// for a short while after it was made; clocks may differ by Skew.
const (
	MaxAge        = 5 * time.Minute
	Skew          = 30 * time.Second
	NonceLifetime = 5 * time.Minute
	maxProofLen   = 8 << 10
)

// Error is a refused proof; Code is the OAuth error to answer with
// (invalid_dpop_proof, or use_dpop_nonce when only a fresh nonce is
// missing: RFC 9449 §8).
type Error struct {
	Code   string
	Reason string
}

func (e *Error) Error() string { return e.Reason }

func invalid(format string, args ...any) error {
	return &Error{Code: "invalid_dpop_proof", Reason: fmt.Sprintf(format, args...)}
}

// ErrUseNonce asks the client to retry with the nonce the server gives it.
var ErrUseNonce = &Error{Code: "use_dpop_nonce", Reason: "a fresh server nonce is required: send the DPoP-Nonce given"}

// Proof is a verified proof.
type Proof struct {
	// JKT is the proof key's SHA-256 JWK thumbprint, base64url (RFC 7638):
	// what bound tokens carry in cnf.jkt.
	JKT string
	// JTI identifies the proof; used once (RFC 9449 §11.1).
	JTI string
	// Expires is when the proof stops being acceptable: its jti need not
	// be remembered longer.
	Expires time.Time
}

// Verifier checks proofs.
type Verifier struct {
	// NonceKey, when set, makes servers' nonces and requires them
	// (RequireNonce).
	NonceKey []byte
	// RequireNonce refuses proofs without a fresh server nonce.
	RequireNonce bool
	Now          func() time.Time
}

type claims struct {
	JTI   string `json:"jti"`
	HTM   string `json:"htm"`
	HTU   string `json:"htu"`
	IAT   *int64 `json:"iat"`
	Nonce string `json:"nonce,omitempty"`
	ATH   string `json:"ath,omitempty"`
}

// Verify checks proof for a request of method to uri (the endpoint's URL
// as the client addressed it; query and fragment are ignored, RFC 9449
// §4.3). accessToken, when not empty, must be what the proof's ath hashes
// (a proof presented with a bound token).
func (v *Verifier) Verify(proof, method, uri, accessToken string) (Proof, error) {
	now := v.now()
	if proof == "" || len(proof) > maxProofLen {
		return Proof{}, invalid("the DPoP proof is empty or too long")
	}
	jws, err := jose.ParseSignedCompact(proof, Algorithms)
	if err != nil {
		return Proof{}, invalid("the DPoP proof is not a JWS signed with ES256, ES384, EdDSA, RS256 or PS256: %v", err)
	}
	if len(jws.Signatures) != 1 {
		return Proof{}, invalid("the DPoP proof has %d signatures", len(jws.Signatures))
	}
	h := jws.Signatures[0].Protected
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); typ != Type {
		return Proof{}, invalid("the DPoP proof's typ is %q, not %s", typ, Type)
	}
	key := h.JSONWebKey
	if key == nil || !key.Valid() || !key.IsPublic() {
		return Proof{}, invalid("the DPoP proof has no public jwk in its header")
	}
	payload, err := jws.Verify(key)
	if err != nil {
		return Proof{}, invalid("the DPoP proof's signature does not verify with its jwk")
	}
	var c claims
	if err := json.Unmarshal(payload, &c); err != nil {
		return Proof{}, invalid("the DPoP proof's claims are not a JSON object of the right types")
	}
	switch {
	case c.JTI == "" || len(c.JTI) > 256:
		return Proof{}, invalid("the DPoP proof has no jti (or one longer than 256 characters)")
	case c.HTM != method:
		return Proof{}, invalid("the DPoP proof's htm is %q, not %s", c.HTM, method)
	case c.IAT == nil:
		return Proof{}, invalid("the DPoP proof has no iat")
	}
	if !sameURI(c.HTU, uri) {
		return Proof{}, invalid("the DPoP proof's htu %q is not this endpoint, %s", c.HTU, uri)
	}
	iat := time.Unix(*c.IAT, 0)
	if iat.After(now.Add(Skew)) {
		return Proof{}, invalid("the DPoP proof was made in the future (iat %s)", iat.UTC().Format(time.RFC3339))
	}
	if iat.Before(now.Add(-MaxAge - Skew)) {
		return Proof{}, invalid("the DPoP proof is too old (iat %s; at most %s)", iat.UTC().Format(time.RFC3339), MaxAge)
	}
	if accessToken != "" {
		sum := sha256.Sum256([]byte(accessToken))
		if c.ATH != base64.RawURLEncoding.EncodeToString(sum[:]) {
			return Proof{}, invalid("the DPoP proof's ath does not hash the access token")
		}
	}
	if v.RequireNonce && !v.validNonce(c.Nonce, now) {
		return Proof{}, ErrUseNonce
	}
	tp, err := key.Thumbprint(crypto.SHA256)
	if err != nil {
		return Proof{}, invalid("the DPoP proof's jwk has no thumbprint: %v", err)
	}
	return Proof{JKT: base64.RawURLEncoding.EncodeToString(tp), JTI: c.JTI, Expires: iat.Add(MaxAge + 2*Skew)}, nil
}

// sameURI compares htu with the endpoint's URL as RFC 9449 §4.3 says:
// without query and fragment, after syntax-based normalisation (RFC 3986
// §6.2.2: case of scheme and host, default port, empty path).
func sameURI(htu, uri string) bool {
	a, err1 := url.Parse(htu)
	b, err2 := url.Parse(uri)
	if err1 != nil || err2 != nil || a.Scheme == "" || a.Host == "" {
		return false
	}
	norm := func(u *url.URL) string {
		scheme, host := strings.ToLower(u.Scheme), strings.ToLower(u.Host)
		host = strings.TrimSuffix(host, map[string]string{"https": ":443", "http": ":80"}[scheme])
		path := u.EscapedPath()
		if path == "" {
			path = "/"
		}
		return scheme + "://" + host + path
	}
	return norm(a) == norm(b)
}

// Nonce returns a server nonce good on every node for NonceLifetime.
func (v *Verifier) Nonce() string {
	b := make([]byte, 8, 8+sha256.Size)
	binary.BigEndian.PutUint64(b, uint64(v.now().Unix()))
	return base64.RawURLEncoding.EncodeToString(append(b, v.mac(b[:8])...))
}

func (v *Verifier) validNonce(nonce string, now time.Time) bool {
	b, err := base64.RawURLEncoding.DecodeString(nonce)
	if err != nil || len(b) != 8+sha256.Size || !hmac.Equal(b[8:], v.mac(b[:8])) {
		return false
	}
	at := time.Unix(int64(binary.BigEndian.Uint64(b[:8])), 0)
	return !at.After(now.Add(Skew)) && now.Sub(at) <= NonceLifetime
}

func (v *Verifier) mac(b []byte) []byte {
	m := hmac.New(sha256.New, v.NonceKey)
	m.Write([]byte("keywarden dpop nonce v1"))
	m.Write(b)
	return m.Sum(nil)
}

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

// IsProofError reports whether err refuses a proof (rather than failing).
func IsProofError(err error) bool {
	var e *Error
	return errors.As(err, &e)
}
