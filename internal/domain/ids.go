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
