package token

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"keywarden/internal/domain"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Claims are the claims of an access token (RFC 9068 §2.2).
type Claims struct {
	Issuer   string          `json:"iss"`
	Subject  string          `json:"sub"`
	Audience string          `json:"aud"`
	Expiry   int64           `json:"exp"`
	IssuedAt int64           `json:"iat"`
	JTI      string          `json:"jti"`
	ClientID domain.ClientID `json:"client_id"`
	Scope    string          `json:"scope,omitempty"`
	// SecretID names the client secret that authenticated (never its value),
	// so that revoking the secret can revoke its tokens.
	SecretID domain.SecretID `json:"secret_id"`
	// KeyID names the client's public key that authenticated instead
	// (private_key_jwt; SecretID is then ""), so that revoking the key
	// revokes its tokens.
	KeyID domain.ClientKeyID `json:"key_id,omitempty"`
	OrgID domain.OrgID       `json:"org_id"`
	// Cnf binds the token to a key (RFC 7800): the DPoP proof key's
	// thumbprint (RFC 9449 §6.1). A bound token is a DPoP token.
	Cnf *Confirmation `json:"cnf,omitempty"`
}

// Confirmation is a token's cnf claim.
type Confirmation struct {
	JKT string `json:"jkt"` // base64url SHA-256 JWK thumbprint (RFC 7638)
}

// Type is the token's type as token responses and introspection name it:
// DPoP for a key-bound token (RFC 9449 §5), else Bearer.
func (c Claims) Type() string {
	if c.Cnf != nil {
		return "DPoP"
	}
	return "Bearer"
}

// TokenType is the JWS "typ" of access tokens (RFC 9068 §2.1).
const TokenType = "at+jwt"

// IntrospectionType is the JWS "typ" of JWT introspection responses
// (RFC 9701 §5), also their media type's subtype.
const IntrospectionType = "token-introspection+jwt"

// SignIntrospection signs claims, a JWT introspection response (RFC 9701),
// with the current signing key at now.
func (k *Keys) SignIntrospection(claims any, now time.Time) (string, error) {
	k.mu.RLock()
	var s jose.Signer
	if lk := k.current(now); lk != nil {
		s = lk.introspection
	}
	k.mu.RUnlock()
	if s == nil {
		return "", errors.New("no signing key is active")
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	obj, err := s.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("sign introspection response: %w", err)
	}
	return obj.CompactSerialize()
}

// NewJTI returns a random token ID.
func NewJTI() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Mint signs c with the current signing key.
func (k *Keys) Mint(c Claims) (string, error) {
	s := k.currentSigner(time.Unix(c.IssuedAt, 0))
	if s == nil {
		return "", errors.New("no signing key is active")
	}
	payload, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	obj, err := s.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("sign access token: %w", err)
	}
	return obj.CompactSerialize()
}

// ErrInvalidToken means the token is malformed, not signed by a published
// key, of the wrong type, or expired.
var ErrInvalidToken = errors.New("invalid access token")

// maxTokenLen bounds what Parse looks at.
const maxTokenLen = 8 << 10

// Parse verifies a token's signature against the published keys, its type
// and its expiry at now, and returns its claims.
func (k *Keys) Parse(token string, now time.Time) (Claims, error) {
	if len(token) > maxTokenLen {
		return Claims{}, ErrInvalidToken
	}
	obj, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.ES256, jose.EdDSA, jose.RS256})
	if err != nil || len(obj.Signatures) != 1 {
		return Claims{}, ErrInvalidToken
	}
	h := obj.Signatures[0].Header
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); typ != TokenType {
		return Claims{}, ErrInvalidToken
	}
	pub, alg, ok := k.publicKey(h.KeyID)
	if !ok || h.Algorithm != alg {
		return Claims{}, ErrInvalidToken
	}
	payload, err := obj.Verify(pub)
	if err != nil {
		return Claims{}, ErrInvalidToken
	}
	var c Claims
	if err := json.Unmarshal(payload, &c); err != nil {
		return Claims{}, ErrInvalidToken
	}
	if now.Unix() >= c.Expiry || c.JTI == "" || c.ClientID == "" {
		return Claims{}, ErrInvalidToken
	}
	return c, nil
}
