package secretvalue

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
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

// DummyHash is an argon2id hash of a random value with the parameters of
// HashSupplied: checking a value against it costs what checking against a
// real one does, so a login for an unknown email or client takes as long
// as a real one. It is made at its first use, not at start-up (every CLI
// process links this package).
var DummyHash = sync.OnceValue(func() string { return HashSupplied(GeneratePassword()) })

// HashSupplied returns the argon2id hash of p in PHC string format.
func HashSupplied(p Plaintext) string {
	salt := make([]byte, argonSaltLen)
	rand.Read(salt)
	key := argon2.IDKey([]byte(p.s), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, argonMemory, argonTime, argonThreads, enc.EncodeToString(salt), enc.EncodeToString(key))
}

// ErrMalformedHash means a stored hash is not one HashSupplied could have
// made: a damaged or tampered row, an operator's problem rather than a
// wrong value.
var ErrMalformedHash = errors.New("malformed argon2id hash")

// Bounds on the parameters of a stored hash. argon2 panics on zero rounds
// or threads, and its cost is what the hash says: without bounds one bad
// row could make every check allocate gigabytes or spin for hours. The
// upper bounds leave room to raise the parameters above today's.
const (
	maxArgonTime    = 10
	maxArgonMemory  = 256 * 1024 // KiB
	maxArgonThreads = 16
	minArgonSaltLen = 8
	maxArgonSaltLen = 64
	minArgonKeyLen  = 16
	maxArgonKeyLen  = 64
)

// VerifySupplied reports whether p matches a hash made by HashSupplied, in
// constant time. A malformed hash never matches; CheckSupplied tells it
// apart from a wrong value.
func VerifySupplied(hash string, p Plaintext) bool {
	ok, _ := CheckSupplied(hash, p)
	return ok
}

// CheckSupplied reports whether p matches a hash made by HashSupplied, in
// constant time, and returns ErrMalformedHash (never a panic) for a hash
// that is not a well-formed argon2id PHC string within the bounds above.
func CheckSupplied(hash string, p Plaintext) (bool, error) {
	h, err := parseHash(hash)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(p.s), h.salt, h.time, h.memory, h.threads, uint32(len(h.key)))
	return subtle.ConstantTimeCompare(got, h.key) == 1, nil
}

type argonHash struct {
	time, memory uint32
	threads      uint8
	salt, key    []byte
}

// parseHash reads "$argon2id$v=19$m=M,t=T,p=P$salt$key" (the PHC string
// format, unpadded standard base64). Only the canonical spelling is
// accepted, so a hash has one meaning.
func parseHash(hash string) (argonHash, error) {
	bad := func(why string) (argonHash, error) { return argonHash{}, fmt.Errorf("%w: %s", ErrMalformedHash, why) }
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return bad("not an argon2id PHC string")
	}
	if parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return bad("unsupported version")
	}
	var m, t, p uint64
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || parts[3] != fmt.Sprintf("m=%d,t=%d,p=%d", m, t, p) {
		return bad("malformed parameters")
	}
	if t < 1 || t > maxArgonTime || p < 1 || p > maxArgonThreads || m < 8*p || m > maxArgonMemory {
		return bad("parameters out of bounds")
	}
	enc := base64.RawStdEncoding.Strict()
	salt, err1 := enc.DecodeString(parts[4])
	key, err2 := enc.DecodeString(parts[5])
	if err1 != nil || err2 != nil {
		return bad("salt or key is not base64")
	}
	if len(salt) < minArgonSaltLen || len(salt) > maxArgonSaltLen || len(key) < minArgonKeyLen || len(key) > maxArgonKeyLen {
		return bad("salt or key length out of bounds")
	}
	return argonHash{time: uint32(t), memory: uint32(m), threads: uint8(p), salt: salt, key: key}, nil
}

// GeneratePassword returns a random 24-character base62 password (about
// 143 bits), for one-time passwords.
func GeneratePassword() Plaintext {
	b := make([]byte, 24)
	fillBase62(b)
	return Plaintext{s: string(b)}
}
