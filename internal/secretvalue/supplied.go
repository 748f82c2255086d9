package secretvalue

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Supplied values (a secret a user types in, a password) must be at least
// this long.
const (
	MinSuppliedLength = 24
	MinPasswordLength = 12
	MaxSuppliedLength = 512
)

// argon2id parameters: OWASP's recommended minimum (19 MiB, t=2, p=1). The
// parameters are stored in each hash, so they can be raised later.
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16
)

// Supplied wraps a value a user chose. It checks only the length, so
// that the rule lives in one place.
func Supplied(s string, minLen int) (Plaintext, error) {
	n := utf8.RuneCountInString(s)
	if !utf8.ValidString(s) {
		return Plaintext{}, errors.New("must be valid UTF-8")
	}
	if n < minLen {
		return Plaintext{}, fmt.Errorf("must be at least %d characters", minLen)
	}
	if len(s) > MaxSuppliedLength {
		return Plaintext{}, fmt.Errorf("must be at most %d bytes", MaxSuppliedLength)
	}
	return Plaintext{s: s}, nil
}

// FromRequest wraps a value that arrived from a client (a password field, a
// client_secret parameter) so that it is handled as a secret from then on.
func FromRequest(s string) Plaintext { return Plaintext{s: s} }

// HashSupplied returns the argon2id hash of p in PHC string format.
func HashSupplied(p Plaintext) string {
	salt := make([]byte, argonSaltLen)
	rand.Read(salt)
	key := argon2.IDKey([]byte(p.s), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, argonMemory, argonTime, argonThreads, enc.EncodeToString(salt), enc.EncodeToString(key))
}

// VerifySupplied reports whether p matches a hash made by HashSupplied, in
// constant time. A malformed hash never matches.
func VerifySupplied(hash string, p Plaintext) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var version int
	var mem, iters uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &iters, &threads); err != nil {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[4])
	want, err2 := enc.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(p.s), salt, iters, mem, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// GeneratePassword returns a random 24-character base62 password (about
// 143 bits), for one-time passwords.
func GeneratePassword() Plaintext {
	b := make([]byte, 24)
	fillBase62(b)
	return Plaintext{s: string(b)}
}
