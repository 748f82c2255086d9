package webhooksig

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Header names. HTTP header names are case-insensitive; these are the
// spellings Keywarden sends.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
	HeaderHMAC      = "X-Keywarden-Hmac-Sha256"
)

// DefaultTolerance is how far a delivery's webhook-timestamp may be from
// the receiver's clock, either way, when Verify is given no tolerance. It is
// the Standard Webhooks libraries' default.
const DefaultTolerance = 5 * time.Minute

// StandardWebhooksPrefix starts a secret in the Standard Webhooks form.
const StandardWebhooksPrefix = "whsec_"

// Errors returned by Verify, VerifyHMACOnly and VerifyHMAC; test them with
// errors.Is.
var (
	ErrNoSecrets      = errors.New("webhooksig: no secrets to verify with")
	ErrMissingHeaders = errors.New("webhooksig: the delivery carries no signature headers")
	ErrMalformed      = errors.New("webhooksig: malformed signature headers")
	ErrTooOld         = errors.New("webhooksig: webhook-timestamp is too old (a replay, or a clock far off)")
	ErrTooNew         = errors.New("webhooksig: webhook-timestamp is too far in the future")
	ErrNoMatch        = errors.New("webhooksig: no signature matches any of the secrets")
)

// Key returns the HMAC-SHA256 key of a secret. A secret in the Standard
// Webhooks form — "whsec_" and standard base64, such as the signing
// secret of an organisation endpoint — is the bytes that base64 encodes;
// any other secret (a client secret) is the bytes of its UTF-8 text,
// exactly as Keywarden showed it when it was created.
func Key(secret string) []byte {
	if rest, ok := strings.CutPrefix(secret, StandardWebhooksPrefix); ok {
		if b, err := base64.StdEncoding.DecodeString(rest); err == nil && len(b) > 0 {
			return b
		}
	}
	return []byte(secret)
}

// StandardWebhooksSecret returns secret in the form the official Standard
// Webhooks libraries take: "whsec_" followed by the standard base64 of
// Key(secret). For example, in Go:
//
//	wh, err := standardwebhooks.NewWebhook(webhooksig.StandardWebhooksSecret(secret))
//
// A secret already in that form is returned as it is.
func StandardWebhooksSecret(secret string) string {
	if strings.HasPrefix(secret, StandardWebhooksPrefix) && string(Key(secret)) != secret {
		return secret
	}
	return StandardWebhooksPrefix + base64.StdEncoding.EncodeToString(Key(secret))
}

// Signature returns one Standard Webhooks signature, "v1," followed by the
// base64 HMAC-SHA256 under key of id + "." + timestamp + "." + body.
func Signature(key []byte, id string, timestamp int64, body []byte) string {
	return "v1," + base64.StdEncoding.EncodeToString(signedContent(key, id, timestamp, body))
}

func signedContent(key []byte, id string, timestamp int64, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write([]byte(strconv.FormatInt(timestamp, 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// BodyHMAC returns the X-Keywarden-Hmac-Sha256 value: the base64
// HMAC-SHA256 under key of the raw body.
func BodyHMAC(key []byte, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// Sign returns the signature headers of one delivery: webhook-id,
// webhook-timestamp, a webhook-signature with one signature per secret, and
// X-Keywarden-Hmac-Sha256 under the first secret. Keywarden passes the
// client's active secrets oldest first, so the HMAC header is under the
// oldest one. With no secrets, only webhook-id and webhook-timestamp are
// set.
func Sign(id string, timestamp time.Time, body []byte, secrets []string) http.Header {
	h := http.Header{}
	ts := timestamp.Unix()
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	if len(secrets) == 0 {
		return h
	}
	sigs := make([]string, 0, len(secrets))
	for _, s := range secrets {
		sigs = append(sigs, Signature(Key(s), id, ts, body))
	}
	h.Set(HeaderSignature, strings.Join(sigs, " "))
	h.Set(HeaderHMAC, BodyHMAC(Key(secrets[0]), body))
	return h
}

// Style names the kind of signature that verified a delivery.
type Style string

const (
	StyleStandard Style = "standard-webhooks"
	StyleHMAC     Style = "hmac-sha256"
)

// Result describes a verified delivery.
type Result struct {
	Style Style
	// ID is the webhook-id: the same for every attempt at one event, so a
	// receiver can drop duplicates (delivery is at least once). Empty when
	// only the HMAC header verified.
	ID string
	// Timestamp is the signed webhook-timestamp; zero when only the HMAC
	// header verified.
	Timestamp time.Time
	// Secret is the index in the secrets list of the secret that verified.
	Secret int
	// HMAC reports whether an X-Keywarden-Hmac-Sha256 header was present
	// and matched one of the secrets. During a rotation a receiver that
	// knows only the new secret sees false here while the Standard Webhooks
	// signature verifies: that header is under the oldest active secret.
	HMAC bool
}

// Verify checks a delivery's Standard Webhooks headers against the
// receiver's secrets (any order; one is enough) and returns what verified.
//
// All three headers must be present and well formed (ErrMissingHeaders when
// none is, ErrMalformed when some are), the timestamp must be within
// tolerance of now (a zero or negative tolerance means DefaultTolerance),
// and one of the v1 signatures must match one of the secrets. A delivery
// that carries only X-Keywarden-Hmac-Sha256 does not verify here: that
// header proves the body's origin but not its age, so accepting it would
// accept a replay of any delivery ever sent. A receiver that chooses it
// anyway calls VerifyHMACOnly.
//
// body must be the raw request body, byte for byte: verify before parsing
// the JSON.
func Verify(secrets []string, h http.Header, body []byte, now time.Time, tolerance time.Duration) (Result, error) {
	if len(secrets) == 0 {
		return Result{}, ErrNoSecrets
	}
	if header(h, HeaderID) == "" && header(h, HeaderTimestamp) == "" && header(h, HeaderSignature) == "" {
		return Result{}, fmt.Errorf("%w: %s, %s and %s are absent (a delivery checked by %s alone needs VerifyHMACOnly)",
			ErrMissingHeaders, HeaderID, HeaderTimestamp, HeaderSignature, HeaderHMAC)
	}
	id, unix, sig, err := standardHeaders(h, now, tolerance)
	if err != nil {
		return Result{}, err
	}
	at := time.Unix(unix, 0)
	res := Result{Style: StyleStandard, ID: id, Timestamp: at, Secret: -1}
	var sent [][]byte
	for _, f := range strings.Fields(sig) {
		version, value, ok := strings.Cut(f, ",")
		if !ok || version != "v1" {
			continue // other versions: v1a is VerifyPublicKeys'
		}
		if b, err := base64.StdEncoding.Strict().DecodeString(value); err == nil {
			sent = append(sent, b)
		}
	}
	for i, s := range secrets {
		want := signedContent(Key(s), id, unix, body)
		for _, b := range sent {
			if hmac.Equal(b, want) {
				res.Secret = i
				break
			}
		}
		if res.Secret >= 0 {
			break
		}
	}
	if res.Secret < 0 {
		return Result{}, ErrNoMatch
	}
	if mac := header(h, HeaderHMAC); mac != "" {
		_, err := VerifyHMAC(secrets, mac, body)
		res.HMAC = err == nil
	}
	return res, nil
}

// VerifyHMACOnly checks only a delivery's X-Keywarden-Hmac-Sha256 header,
// for receivers built for Shopify-style webhooks. The header covers the
// body alone: it proves that Keywarden sent the body, not when, so a
// receiver that relies on it must refuse bodies it has already seen (every
// event body carries its own "timestamp" and data to compare). Prefer
// Verify. The Result has Style StyleHMAC, no ID and no Timestamp.
func VerifyHMACOnly(secrets []string, h http.Header, body []byte) (Result, error) {
	mac := header(h, HeaderHMAC)
	if mac == "" {
		if len(secrets) == 0 {
			return Result{}, ErrNoSecrets
		}
		return Result{}, fmt.Errorf("%w: %s is absent", ErrMissingHeaders, HeaderHMAC)
	}
	i, err := VerifyHMAC(secrets, mac, body)
	if err != nil {
		return Result{}, err
	}
	return Result{Style: StyleHMAC, Secret: i, HMAC: true}, nil
}

// VerifyHMAC checks an X-Keywarden-Hmac-Sha256 value against the secrets
// and returns the index of the one that matches.
func VerifyHMAC(secrets []string, value string, body []byte) (int, error) {
	if len(secrets) == 0 {
		return -1, ErrNoSecrets
	}
	got, err := base64.StdEncoding.Strict().DecodeString(strings.TrimSpace(value))
	if err != nil {
		return -1, fmt.Errorf("%w: %s is not base64", ErrMalformed, HeaderHMAC)
	}
	for i, s := range secrets {
		m := hmac.New(sha256.New, Key(s))
		m.Write(body)
		if hmac.Equal(got, m.Sum(nil)) {
			return i, nil
		}
	}
	return -1, ErrNoMatch
}

// header returns the first value of name in h, also when h was built by
// hand with keys that are not in canonical form. The value is used as it
// is: the webhook-id is part of the signed content, and net/http already
// strips the whitespace around header values.
func header(h http.Header, name string) string {
	if v := h.Get(name); v != "" {
		return v
	}
	for k, vs := range h {
		if strings.EqualFold(k, name) && len(vs) > 0 {
			return vs[0]
		}
	}
	return ""
}
