package secretvalue

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"hash/crc32"
	"log/slog"
	"strings"
)

// Kinds of generated values, told apart by their prefix.
const (
	PrefixClientSecret = "kws_"
	PrefixAPIToken     = "kwt_"
	PrefixRefreshToken = "kwr_"
	PrefixSession      = "kwu_"
	PrefixSetup        = "kwi_" // a first-run setup link's token
)

const (
	alphabet    = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	randomLen   = 40 // 40 base62 characters ≈ 238 bits
	checksumLen = 6  // CRC32 in base62 (62^6 > 2^32)
	prefixLen   = 4
	// Len is the length of every generated value.
	Len = prefixLen + randomLen + checksumLen
)

var (
	ErrMalformed = errors.New("not a Keywarden secret value")
	ErrChecksum  = errors.New("secret value checksum does not match")
)

// Plaintext is a secret value. Only this package makes one; it prints and
// logs as its hint, never as the value.
type Plaintext struct{ s string }

// Reveal returns the value. Only the show-once response and outgoing
// credentials call it.
func (p Plaintext) Reveal() string { return p.s }

// Hint returns the last four characters (not bytes), safe to show and store.
func (p Plaintext) Hint() string {
	r := []rune(p.s)
	if len(r) < 4 {
		return ""
	}
	return string(r[len(r)-4:])
}

// IsZero reports whether p holds no value.
func (p Plaintext) IsZero() bool { return p.s == "" }

func (p Plaintext) String() string               { return "…" + p.Hint() }
func (p Plaintext) GoString() string             { return p.String() }
func (p Plaintext) LogValue() slog.Value         { return slog.StringValue(p.String()) }
func (p Plaintext) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// Generate returns a new value with prefix (one of the Prefix constants).
func Generate(prefix string) Plaintext {
	if len(prefix) != prefixLen {
		panic("secretvalue: prefix must be 4 bytes")
	}
	b := make([]byte, 0, Len)
	b = append(b, prefix...)
	random := make([]byte, randomLen)
	fillBase62(random)
	b = append(b, random...)
	b = appendChecksum(b, random)
	return Plaintext{s: string(b)}
}

// fillBase62 fills dst with uniformly random base62 characters, by rejection
// sampling bytes so that no character is more likely than another.
func fillBase62(dst []byte) {
	var buf [64]byte
	n := 0
	for n < len(dst) {
		rand.Read(buf[:]) // never returns an error (crypto/rand, Go 1.24+)
		for _, c := range buf {
			if c >= 248 { // 248 = 4*62: keeps the distribution uniform
				continue
			}
			dst[n] = alphabet[c%62]
			n++
			if n == len(dst) {
				break
			}
		}
	}
}

func appendChecksum(dst, random []byte) []byte {
	sum := crc32.ChecksumIEEE(random)
	var cs [checksumLen]byte
	for i := checksumLen - 1; i >= 0; i-- {
		cs[i] = alphabet[sum%62]
		sum /= 62
	}
	return append(dst, cs[:]...)
}

// Parse checks that s is a generated value with prefix: length, alphabet
// and checksum. A mistyped or truncated value is rejected here, without a
// store round trip.
func Parse(prefix, s string) (Plaintext, error) {
	if len(s) != Len || !strings.HasPrefix(s, prefix) {
		return Plaintext{}, ErrMalformed
	}
	body := s[prefixLen:]
	for i := 0; i < len(body); i++ {
		if strings.IndexByte(alphabet, body[i]) < 0 {
			return Plaintext{}, ErrMalformed
		}
	}
	random := []byte(body[:randomLen])
	want := appendChecksum(nil, random)
	if !hmac.Equal(want, []byte(body[randomLen:])) {
		return Plaintext{}, ErrChecksum
	}
	return Plaintext{s: s}, nil
}

// LooksGenerated reports whether s starts like a generated value of prefix,
// so that a caller can decide between the keyed-hash and argon2id paths.
func LooksGenerated(prefix, s string) bool {
	return len(s) == Len && strings.HasPrefix(s, prefix)
}

// Digest returns SHA-256 of the value: the fingerprint a leak reporter
// that should not send the value on sends instead (GitHub's token_hash).
// A generated value has about 238 bits, so its digest cannot be turned
// back into it.
func Digest(p Plaintext) []byte {
	d := sha256.Sum256([]byte(p.s))
	return d[:]
}

// Verifier returns HMAC-SHA256 of the value under key. Generated values have
// full entropy, so a slow hash would buy nothing and cost throughput.
func Verifier(key []byte, p Plaintext) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(p.s))
	return m.Sum(nil)
}
