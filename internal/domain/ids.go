package domain

import (
	"crypto/rand"
	"math/big"
)

// ID prefixes make every identifier recognisable on sight.
const (
	PrefixOrg      = "org_"
	PrefixUser     = "usr_"
	PrefixClient   = "kwc_"
	PrefixSecret   = "sec_"
	PrefixToken    = "tok_"
	PrefixAudit    = "evt_"
	PrefixRotation = "rot_"
	PrefixRefresh  = "rft_"
	PrefixKey      = "key_"
	PrefixPersonal = "kwp_"
	PrefixSession  = "ses_"
)

const idAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// NewID returns prefix followed by 22 random base62 characters (about 131 bits).
func NewID(prefix string) string {
	b := make([]byte, 0, len(prefix)+22)
	b = append(b, prefix...)
	max := big.NewInt(int64(len(idAlphabet)))
	for range 22 {
		n, err := rand.Int(rand.Reader, max)
		if err != nil {
			panic("crypto/rand failed: " + err.Error()) // crypto/rand never fails on supported platforms
		}
		b = append(b, idAlphabet[n.Int64()])
	}
	return string(b)
}

// ValidID reports whether s looks like an ID that NewID made with prefix.
// Handlers use it to turn a malformed path parameter into a 404 without a
// store round trip.
func ValidID(prefix, s string) bool {
	if len(s) != len(prefix)+22 || s[:len(prefix)] != prefix {
		return false
	}
	for i := len(prefix); i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z') {
			return false
		}
	}
	return true
}

// Typed IDs: each kind of object has its own, so that the compiler refuses
// a client ID where a secret ID belongs. They convert from strings only at
// the edges (path parameters, token claims, database columns).
type (
	OrgID           string
	UserID          string
	ClientID        string // a registered client (kwc_) or a personal credential (kwp_)
	SecretID        string
	RotationID      string
	SessionID       string
	APITokenID      string
	RefreshTokenID  string
	RefreshFamilyID string // the refresh tokens that descend from one another
)

func NewOrgID() OrgID                     { return OrgID(NewID(PrefixOrg)) }
func NewUserID() UserID                   { return UserID(NewID(PrefixUser)) }
func NewClientID() ClientID               { return ClientID(NewID(PrefixClient)) }
func NewPersonalClientID() ClientID       { return ClientID(NewID(PrefixPersonal)) }
func NewSecretID() SecretID               { return SecretID(NewID(PrefixSecret)) }
func NewRotationID() RotationID           { return RotationID(NewID(PrefixRotation)) }
func NewSessionID() SessionID             { return SessionID(NewID(PrefixSession)) }
func NewAPITokenID() APITokenID           { return APITokenID(NewID(PrefixToken)) }
func NewRefreshTokenID() RefreshTokenID   { return RefreshTokenID(NewID(PrefixRefresh)) }
func NewRefreshFamilyID() RefreshFamilyID { return RefreshFamilyID(NewID(PrefixRefresh)) }

// Valid reports whether the ID is well formed, so that a malformed path
// parameter is "not found" without a store round trip.
func (id UserID) Valid() bool     { return ValidID(PrefixUser, string(id)) }
func (id SecretID) Valid() bool   { return ValidID(PrefixSecret, string(id)) }
func (id RotationID) Valid() bool { return ValidID(PrefixRotation, string(id)) }
func (id SessionID) Valid() bool  { return ValidID(PrefixSession, string(id)) }
func (id APITokenID) Valid() bool { return ValidID(PrefixToken, string(id)) }

// Valid reports whether id is a registered client's (kwc_), the only kind
// the client routes manage.
func (id ClientID) Valid() bool { return ValidID(PrefixClient, string(id)) }

// Personal reports whether id is a personal credential's (kwp_).
func (id ClientID) Personal() bool { return ValidID(PrefixPersonal, string(id)) }

// Authenticates reports whether id may authenticate at the token endpoint:
// a registered client's or a personal credential's.
func (id ClientID) Authenticates() bool { return id.Valid() || id.Personal() }
