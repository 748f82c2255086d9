package domain

import "time"

// PrefixClientKey starts the ID of a client's public key (private_key_jwt).
const PrefixClientKey = "ckey_"

// ClientKeyID names a client's public key.
type ClientKeyID string

func NewClientKeyID() ClientKeyID { return ClientKeyID(NewID(PrefixClientKey)) }

// Valid reports whether id looks like a client key ID.
func (id ClientKeyID) Valid() bool { return ValidID(PrefixClientKey, string(id)) }

// ClientKey is a public key a client authenticates with by signing a JWT
// (private_key_jwt, RFC 7523 §2.2). It is a credential like a secret: it
// expires within policy and is revoked, and the access tokens it
// authenticated for carry its ID (key_id), so revoking it ends them. Only
// public material is kept.
type ClientKey struct {
	ID       ClientKeyID
	OrgID    OrgID
	ClientID ClientID
	// KID is the JWK "kid" an assertion names in its header; unique per
	// client.
	KID string
	// Algorithm is the one JWS algorithm assertions signed with the key
	// may use (ES256, ES384, EdDSA, RS256 or PS256).
	Algorithm string
	// PublicJWK is the public key as a JSON Web Key (RFC 7517).
	PublicJWK string
	// Thumbprint is the key's RFC 7638 SHA-256 thumbprint, base64url.
	Thumbprint string
	// JWKSURI, when set, makes the entry the client's JWK Set URL instead
	// of one key: assertions are verified with the keys fetched from it
	// (KID is then "jwks_uri:" and the entry's ID, Algorithm, PublicJWK
	// and Thumbprint are empty).
	JWKSURI      string
	Description  string
	CreatedAt    time.Time
	CreatedBy    string
	ExpiresAt    *time.Time // nil: never expires
	RevokedAt    *time.Time
	LastUsedAt   *time.Time
	LastUsedFrom string
}

// State returns the key's state at now (the states of a secret).
func (k ClientKey) State(now time.Time) SecretState { return stateAt(k.RevokedAt, k.ExpiresAt, now) }

// TokensValid reports whether access tokens the key authenticated for
// are still good at now: only while it is active (a revoked or expired
// key's tokens die with it).
func (k ClientKey) TokensValid(now time.Time) bool { return k.State(now) == SecretActive }

// ClientKeyUse is one successful authentication with a key.
type ClientKeyUse struct {
	KeyID ClientKeyID
	At    time.Time
	From  string
}
