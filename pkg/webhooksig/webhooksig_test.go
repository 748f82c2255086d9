package webhooksig_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"keywarden/pkg/webhooksig"
)

const (
	oldSecret = "kws_0ldSecretValueFromBeforeTheRotation9xQ2"
	newSecret = "kws_NewSecretValueCreatedByTheRotationZz7Kp"
	msgID     = "msg_2bW3ZkPq8s1Xv0aLmN4cRt"
)

var body = []byte(`{"type":"secret.created","timestamp":"2031-03-04T05:06:07Z","data":{"client_id":"kwc_x","secret_id":"sec_y","hint":"Z7Kp"}}`)

// TestKnownVector pins the signatures of a fixed input, so that a change to
// the signing scheme cannot go unnoticed. The expected values come from the
// official Standard Webhooks library and, independently, from
// printf '%s' "$id.$ts.$body" | openssl dgst -sha256 -hmac "$secret" -binary | base64.
func TestKnownVector(t *testing.T) {
	ts := time.Unix(1796360767, 0)
	h := webhooksig.Sign(msgID, ts, body, []string{oldSecret})
	if got := h.Get(webhooksig.HeaderTimestamp); got != "1796360767" {
		t.Errorf("webhook-timestamp = %q", got)
	}
	wh, err := standardwebhooks.NewWebhookRaw([]byte(oldSecret))
	if err != nil {
		t.Fatal(err)
	}
	want, err := wh.Sign(msgID, ts, body)
	if err != nil {
		t.Fatal(err)
	}
	if got := h.Get(webhooksig.HeaderSignature); got != want || got != "v1,kuHmU1SCXqMIUZiQMV4BiVB9+1zPiJU3zOWgjQcu8aY=" {
		t.Errorf("webhook-signature = %q, the official library signs %q", got, want)
	}
	if got := h.Get(webhooksig.HeaderHMAC); got != "1SpOfI6fCDku0q3Ymlhewkw5GFcr6sQ17ML3NEXjy1k=" {
		t.Errorf("%s = %q", webhooksig.HeaderHMAC, got)
	}
}

func TestStandardWebhooksSecret(t *testing.T) {
	got := webhooksig.StandardWebhooksSecret("abc")
	if got != "whsec_YWJj" {
		t.Errorf("StandardWebhooksSecret(abc) = %q, want whsec_YWJj", got)
	}
}

// TestOfficialLibraryVerifiesEverySecret proves the documented key
// derivation with the official Standard Webhooks Go library: a receiver
// holding either secret of a rotation verifies with
// NewWebhook(StandardWebhooksSecret(secret)), and one holding a secret
// Keywarden did not sign with does not.
func TestOfficialLibraryVerifiesEverySecret(t *testing.T) {
	h := webhooksig.Sign(msgID, time.Now(), body, []string{oldSecret, newSecret})
	if n := len(strings.Fields(h.Get(webhooksig.HeaderSignature))); n != 2 {
		t.Fatalf("webhook-signature has %d signatures, want 2: %q", n, h.Get(webhooksig.HeaderSignature))
	}
	for _, tc := range []struct {
		name   string
		secret string
		ok     bool
	}{
		{"old secret", oldSecret, true},
		{"new secret", newSecret, true},
		{"unrelated secret", "kws_SomeoneElsesSecretEntirely0000000000000", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wh, err := standardwebhooks.NewWebhook(webhooksig.StandardWebhooksSecret(tc.secret))
			if err != nil {
				t.Fatal(err)
			}
			err = wh.Verify(body, h)
			if tc.ok && err != nil {
				t.Errorf("official library: %v", err)
			}
			if !tc.ok && !errors.Is(err, standardwebhooks.ErrNoMatchingSignature) {
				t.Errorf("official library: err = %v, want ErrNoMatchingSignature", err)
			}
			raw, _ := standardwebhooks.NewWebhookRaw(webhooksig.Key(tc.secret))
			if err := raw.Verify(body, h); (err == nil) != tc.ok {
				t.Errorf("official library, raw key: err = %v", err)
			}
		})
	}
}

// TestVerifiesWhatTheOfficialLibrarySigns checks the other direction: our
// Verify accepts a signature the official library made.
func TestVerifiesWhatTheOfficialLibrarySigns(t *testing.T) {
	wh, err := standardwebhooks.NewWebhook(webhooksig.StandardWebhooksSecret(newSecret))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	sig, err := wh.Sign(msgID, now, body)
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	h.Set(webhooksig.HeaderID, msgID)
	h.Set(webhooksig.HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
	h.Set(webhooksig.HeaderSignature, sig)
	res, err := webhooksig.Verify([]string{oldSecret, newSecret}, h, body, now, 0)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if res.Secret != 1 || res.ID != msgID || res.Style != webhooksig.StyleStandard {
		t.Errorf("Verify = %+v, want secret 1, id %s, standard style", res, msgID)
	}
}

func TestVerify(t *testing.T) {
	now := time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC)
	signed := func(secrets ...string) http.Header { return webhooksig.Sign(msgID, now, body, secrets) }
	without := func(h http.Header, names ...string) http.Header {
		h = h.Clone()
		for _, n := range names {
			h.Del(n)
		}
		return h
	}
	with := func(h http.Header, name, value string) http.Header {
		h = h.Clone()
		h.Set(name, value)
		return h
	}
	tampered := append([]byte(nil), body...)
	tampered[len(tampered)-3] = 'X'
	lower := http.Header{}
	for k, v := range signed(newSecret) {
		lower[strings.ToLower(k)] = v
	}

	tests := []struct {
		name      string
		secrets   []string
		header    http.Header
		body      []byte
		now       time.Time
		tolerance time.Duration
		wantErr   error
		wantIdx   int
		wantStyle webhooksig.Style
		wantHMAC  bool
	}{
		{"old secret during a rotation", []string{oldSecret}, signed(oldSecret, newSecret), body, now, 0, nil, 0, webhooksig.StyleStandard, true},
		{"new secret during a rotation", []string{newSecret}, signed(oldSecret, newSecret), body, now, 0, nil, 0, webhooksig.StyleStandard, false},
		{"both secrets, new listed first", []string{newSecret, oldSecret}, signed(oldSecret, newSecret), body, now, 0, nil, 0, webhooksig.StyleStandard, true},
		{"old secret after it was revoked", []string{oldSecret}, signed(newSecret), body, now, 0, webhooksig.ErrNoMatch, 0, "", false},
		{"tampered body", []string{oldSecret, newSecret}, signed(oldSecret, newSecret), tampered, now, 0, webhooksig.ErrNoMatch, 0, "", false},
		{"tampered id", []string{newSecret}, with(signed(newSecret), webhooksig.HeaderID, "msg_other"), body, now, 0, webhooksig.ErrNoMatch, 0, "", false},
		{"timestamp moved", []string{newSecret}, with(signed(newSecret), webhooksig.HeaderTimestamp, strconv.FormatInt(now.Unix()+1, 10)), body, now.Add(time.Second), 0, webhooksig.ErrNoMatch, 0, "", false},
		{"stale timestamp", []string{newSecret}, signed(newSecret), body, now.Add(5*time.Minute + time.Second), 0, webhooksig.ErrTooOld, 0, "", false},
		{"at the edge of the tolerance", []string{newSecret}, signed(newSecret), body, now.Add(5 * time.Minute), 0, nil, 0, webhooksig.StyleStandard, true},
		{"stale under a tight tolerance", []string{newSecret}, signed(newSecret), body, now.Add(31 * time.Second), 30 * time.Second, webhooksig.ErrTooOld, 0, "", false},
		{"from the future", []string{newSecret}, signed(newSecret), body, now.Add(-6 * time.Minute), 0, webhooksig.ErrTooNew, 0, "", false},
		{"no secrets", nil, signed(newSecret), body, now, 0, webhooksig.ErrNoSecrets, 0, "", false},
		{"no headers", []string{newSecret}, http.Header{}, body, now, 0, webhooksig.ErrMissingHeaders, 0, "", false},
		{"signature missing", []string{newSecret}, without(signed(newSecret), webhooksig.HeaderSignature), body, now, 0, webhooksig.ErrMalformed, 0, "", false},
		{"timestamp not a number", []string{newSecret}, with(signed(newSecret), webhooksig.HeaderTimestamp, "yesterday"), body, now, 0, webhooksig.ErrMalformed, 0, "", false},
		{"only other signature versions", []string{newSecret}, with(signed(newSecret), webhooksig.HeaderSignature, "v1a,abc v2,def"), body, now, 0, webhooksig.ErrNoMatch, 0, "", false},
		{"garbage signature", []string{newSecret}, with(signed(newSecret), webhooksig.HeaderSignature, "v1,!!!"), body, now, 0, webhooksig.ErrNoMatch, 0, "", false},
		{"lower-case header keys", []string{newSecret}, lower, body, now, 0, nil, 0, webhooksig.StyleStandard, true},
		// The HMAC header carries no time: Verify must not fall back to it,
		// or a delivery captured once verifies forever.
		{"only the HMAC header", []string{newSecret, oldSecret}, without(signed(oldSecret, newSecret), webhooksig.HeaderID, webhooksig.HeaderTimestamp, webhooksig.HeaderSignature), body, now, 0, webhooksig.ErrMissingHeaders, 0, "", false},
		{"only the HMAC header, a year later", []string{oldSecret}, without(signed(oldSecret), webhooksig.HeaderID, webhooksig.HeaderTimestamp, webhooksig.HeaderSignature), body, now.AddDate(1, 0, 0), 0, webhooksig.ErrMissingHeaders, 0, "", false},
		{"padded signature variant", []string{newSecret}, with(signed(newSecret), webhooksig.HeaderSignature, strings.TrimSuffix(signed(newSecret).Get(webhooksig.HeaderSignature), "=")), body, now, 0, webhooksig.ErrNoMatch, 0, "", false},
		{"id with surrounding space", []string{newSecret}, with(signed(newSecret), webhooksig.HeaderID, " "+msgID), body, now, 0, webhooksig.ErrNoMatch, 0, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := webhooksig.Verify(tc.secrets, tc.header, tc.body, tc.now, tc.tolerance)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Verify error = %v, want %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			if res.Secret != tc.wantIdx || res.Style != tc.wantStyle || res.HMAC != tc.wantHMAC {
				t.Errorf("Verify = %+v, want secret %d, style %s, HMAC %v", res, tc.wantIdx, tc.wantStyle, tc.wantHMAC)
			}
			if res.Style == webhooksig.StyleStandard && (res.ID != msgID || !res.Timestamp.Equal(now)) {
				t.Errorf("Verify = %+v, want id %s at %v", res, msgID, now)
			}
		})
	}
}

// TestHMACHeaderUnderFirstSecret checks the Shopify-style header: the
// body's HMAC under the first (oldest) secret only.
func TestHMACHeaderUnderFirstSecret(t *testing.T) {
	h := webhooksig.Sign(msgID, time.Now(), body, []string{oldSecret, newSecret})
	got := h.Get(webhooksig.HeaderHMAC)
	if got != webhooksig.BodyHMAC(webhooksig.Key(oldSecret), body) {
		t.Errorf("%s = %q, want the HMAC under the first secret", webhooksig.HeaderHMAC, got)
	}
	if _, err := base64.StdEncoding.DecodeString(got); err != nil {
		t.Errorf("%s is not standard base64: %v", webhooksig.HeaderHMAC, err)
	}
	if i, err := webhooksig.VerifyHMAC([]string{newSecret}, got, body); !errors.Is(err, webhooksig.ErrNoMatch) {
		t.Errorf("VerifyHMAC(new secret) = %d, %v; want ErrNoMatch", i, err)
	}
	if i, err := webhooksig.VerifyHMAC([]string{newSecret, oldSecret}, got, body); err != nil || i != 1 {
		t.Errorf("VerifyHMAC(new, old) = %d, %v; want 1, nil", i, err)
	}
}

func TestSignWithoutSecrets(t *testing.T) {
	h := webhooksig.Sign(msgID, time.Now(), body, nil)
	if h.Get(webhooksig.HeaderSignature) != "" || h.Get(webhooksig.HeaderHMAC) != "" {
		t.Errorf("Sign without secrets set signatures: %v", h)
	}
}

// TestVerifyHMACOnly: the explicit check of X-Keywarden-Hmac-Sha256 alone.
func TestVerifyHMACOnly(t *testing.T) {
	signed := webhooksig.Sign(msgID, time.Now(), body, []string{oldSecret, newSecret})
	only := http.Header{webhooksig.HeaderHMAC: {signed.Get(webhooksig.HeaderHMAC)}}
	tampered := append([]byte(nil), body...)
	tampered[len(tampered)-3] = 'X'
	sig := signed.Get(webhooksig.HeaderHMAC)
	for _, tc := range []struct {
		name    string
		secrets []string
		header  http.Header
		body    []byte
		wantErr error
		wantIdx int
	}{
		{"under the oldest secret", []string{newSecret, oldSecret}, only, body, nil, 1},
		{"with the Standard Webhooks headers too", []string{oldSecret}, signed, body, nil, 0},
		{"only the new secret", []string{newSecret}, only, body, webhooksig.ErrNoMatch, 0},
		{"tampered body", []string{oldSecret}, only, tampered, webhooksig.ErrNoMatch, 0},
		{"not base64", []string{oldSecret}, http.Header{webhooksig.HeaderHMAC: {"%%%"}}, body, webhooksig.ErrMalformed, 0},
		{"non-canonical base64", []string{oldSecret}, http.Header{webhooksig.HeaderHMAC: {sig[:len(sig)-2] + string(sig[len(sig)-2]+1) + "="}}, body, webhooksig.ErrMalformed, 0},
		{"absent", []string{oldSecret}, http.Header{}, body, webhooksig.ErrMissingHeaders, 0},
		{"no secrets", nil, only, body, webhooksig.ErrNoSecrets, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := webhooksig.VerifyHMACOnly(tc.secrets, tc.header, tc.body)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("VerifyHMACOnly error = %v, want %v", err, tc.wantErr)
			}
			if err == nil && (res.Style != webhooksig.StyleHMAC || res.Secret != tc.wantIdx || !res.HMAC || res.ID != "" || !res.Timestamp.IsZero()) {
				t.Errorf("VerifyHMACOnly = %+v, want HMAC style, secret %d", res, tc.wantIdx)
			}
		})
	}
}

// An organisation endpoint's secret is in the Standard Webhooks form: the
// key is what its base64 encodes, and the official library verifies what
// Sign signs with it.
func TestStandardWebhooksFormSecret(t *testing.T) {
	raw := []byte("0123456789abcdef0123456789abcdef")
	secret := webhooksig.StandardWebhooksPrefix + base64.StdEncoding.EncodeToString(raw)
	if got := webhooksig.Key(secret); !bytes.Equal(got, raw) {
		t.Fatalf("webhooksig.Key(whsec_…) = %q, want the decoded bytes", got)
	}
	if got := webhooksig.StandardWebhooksSecret(secret); got != secret {
		t.Errorf("StandardWebhooksSecret(whsec_…) = %q, want it unchanged", got)
	}
	if got := webhooksig.Key("whsec_not base64!"); string(got) != "whsec_not base64!" {
		t.Errorf("Key of a whsec_ text that is not base64 = %q, want its bytes", got)
	}
	payload := []byte(`{"type":"credential.revoked"}`)
	now := time.Now()
	h := webhooksig.Sign("msg_1", now, payload, []string{secret})
	if _, err := webhooksig.Verify([]string{secret}, h, payload, now, 0); err != nil {
		t.Errorf("Verify(whsec_ secret): %v", err)
	}
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := wh.Verify(payload, h); err != nil {
		t.Errorf("the official library refuses what Sign signed with a whsec_ secret: %v", err)
	}
}
