package webhooksig

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Standard Webhooks v1a: asymmetric signatures. The signed content is the
// same as v1's (webhook-id + "." + webhook-timestamp + "." + body); the
// signature is Ed25519 under the sender's private key, and a receiver
// verifies it with the public key alone, holding no secret. Keys are
// written as "whpk_" (public) followed by the standard base64 of the raw
// key.

// PublicKeyPrefix starts a public key in the Standard Webhooks form.
const PublicKeyPrefix = "whpk_"

// StyleEd25519 names a delivery verified by a v1a signature.
const StyleEd25519 Style = "standard-webhooks-v1a"

// ErrBadPublicKey is returned by ParsePublicKey.
var ErrBadPublicKey = errors.New("webhooksig: not an Ed25519 public key (want whpk_ and the base64 of 32 bytes)")

// FormatPublicKey returns pub in the Standard Webhooks form, "whpk_…".
func FormatPublicKey(pub ed25519.PublicKey) string {
	return PublicKeyPrefix + base64.StdEncoding.EncodeToString(pub)
}

// ParsePublicKey reads a public key in the Standard Webhooks form (the
// "whpk_" prefix is optional).
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	b, err := base64.StdEncoding.Strict().DecodeString(strings.TrimPrefix(strings.TrimSpace(s), PublicKeyPrefix))
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, ErrBadPublicKey
	}
	return ed25519.PublicKey(b), nil
}

// SignatureV1a returns one v1a signature, "v1a," followed by the base64
// Ed25519 signature under key of id + "." + timestamp + "." + body.
func SignatureV1a(key ed25519.PrivateKey, id string, timestamp int64, body []byte) string {
	return "v1a," + base64.StdEncoding.EncodeToString(ed25519.Sign(key, signedMessage(id, timestamp, body)))
}

func signedMessage(id string, timestamp int64, body []byte) []byte {
	ts := strconv.FormatInt(timestamp, 10)
	m := make([]byte, 0, len(id)+len(ts)+len(body)+2)
	m = append(m, id...)
	m = append(m, '.')
	m = append(m, ts...)
	m = append(m, '.')
	return append(m, body...)
}

// AddV1a adds one v1a signature per key to the webhook-signature header of
// h, which Sign made (its webhook-id and webhook-timestamp are signed).
func AddV1a(h http.Header, body []byte, keys []ed25519.PrivateKey) {
	if len(keys) == 0 {
		return
	}
	id := h.Get(HeaderID)
	ts, _ := strconv.ParseInt(h.Get(HeaderTimestamp), 10, 64)
	sigs := []string{}
	if v := h.Get(HeaderSignature); v != "" {
		sigs = append(sigs, v)
	}
	for _, k := range keys {
		sigs = append(sigs, SignatureV1a(k, id, ts, body))
	}
	h.Set(HeaderSignature, strings.Join(sigs, " "))
}

// VerifyPublicKeys checks a delivery's v1a signatures against the
// receiver's public keys (any order; one is enough) with the same rules as
// Verify: all three Standard Webhooks headers, a timestamp within
// tolerance of now (DefaultTolerance when zero or negative), one v1a
// signature that verifies. The Result's Secret is the index of the key
// that verified.
func VerifyPublicKeys(keys []ed25519.PublicKey, h http.Header, body []byte, now time.Time, tolerance time.Duration) (Result, error) {
	if len(keys) == 0 {
		return Result{}, ErrNoSecrets
	}
	id, unix, sig, err := standardHeaders(h, now, tolerance)
	if err != nil {
		return Result{}, err
	}
	msg := signedMessage(id, unix, body)
	for _, f := range strings.Fields(sig) {
		version, value, ok := strings.Cut(f, ",")
		if !ok || version != "v1a" {
			continue
		}
		b, err := base64.StdEncoding.Strict().DecodeString(value)
		if err != nil || len(b) != ed25519.SignatureSize {
			continue
		}
		for i, k := range keys {
			if len(k) == ed25519.PublicKeySize && ed25519.Verify(k, msg, b) {
				return Result{Style: StyleEd25519, ID: id, Timestamp: time.Unix(unix, 0), Secret: i}, nil
			}
		}
	}
	return Result{}, ErrNoMatch
}

// standardHeaders reads and checks webhook-id, webhook-timestamp and
// webhook-signature.
func standardHeaders(h http.Header, now time.Time, tolerance time.Duration) (id string, unix int64, sig string, err error) {
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	id, ts, sig := header(h, HeaderID), header(h, HeaderTimestamp), header(h, HeaderSignature)
	if id == "" && ts == "" && sig == "" {
		return "", 0, "", fmt.Errorf("%w: %s, %s and %s are absent", ErrMissingHeaders, HeaderID, HeaderTimestamp, HeaderSignature)
	}
	if id == "" || ts == "" || sig == "" {
		return "", 0, "", fmt.Errorf("%w: %s, %s and %s must all be present", ErrMalformed, HeaderID, HeaderTimestamp, HeaderSignature)
	}
	unix, err = strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return "", 0, "", fmt.Errorf("%w: %s is not a Unix time in seconds", ErrMalformed, HeaderTimestamp)
	}
	at := time.Unix(unix, 0)
	switch {
	case now.Sub(at) > tolerance:
		return "", 0, "", ErrTooOld
	case at.Sub(now) > tolerance:
		return "", 0, "", ErrTooNew
	}
	return id, unix, sig, nil
}
