package webhooksig_test

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"keywarden/pkg/webhooksig"
)

// FuzzVerify feeds arbitrary signature headers to Verify: it accepts
// exactly the headers that carry, word for word, the signature of their id,
// timestamp and body under one of the secrets, and it agrees with the
// official Standard Webhooks library on headers of the standard's shape.
// When the low bit of splice is set, a genuine signature of the fuzzed
// id, timestamp and body is spliced into the fuzzed header at a fuzzed
// place, so that the accepting paths get explored too.
func FuzzVerify(f *testing.F) {
	h := webhooksig.Sign(msgID, time.Unix(1796360767, 0), body, []string{oldSecret, newSecret})
	f.Add(h.Get(webhooksig.HeaderID), h.Get(webhooksig.HeaderTimestamp), h.Get(webhooksig.HeaderSignature), h.Get(webhooksig.HeaderHMAC), body, uint16(0))
	f.Add(msgID, "1796360767", "v1a,abc v1,", "", body, uint16(1))
	f.Add(msgID, "+1796360767", "v1,!!! ", "%%%", []byte{}, uint16(7))
	f.Add(" msg", "-9223372036854775808", "\tv2,x", "", []byte("{}"), uint16(3))
	f.Add("", "", "", h.Get(webhooksig.HeaderHMAC), body, uint16(0))
	secrets := []string{"kws_SomeoneElsesSecretEntirely0000000000000", newSecret}
	official, _ := standardwebhooks.NewWebhookRaw(webhooksig.Key(newSecret))
	f.Fuzz(func(t *testing.T, id, ts, sig, mac string, body []byte, splice uint16) {
		unix, tsErr := strconv.ParseInt(ts, 10, 64)
		if splice&1 == 1 && tsErr == nil {
			good := webhooksig.Signature(webhooksig.Key(newSecret), id, unix, body)
			i := int(splice>>1) % (len(sig) + 1)
			sig = sig[:i] + good + sig[i:]
		}
		h := http.Header{}
		for name, v := range map[string]string{webhooksig.HeaderID: id, webhooksig.HeaderTimestamp: ts, webhooksig.HeaderSignature: sig, webhooksig.HeaderHMAC: mac} {
			if v != "" {
				h.Set(name, v)
			}
		}
		now := time.Unix(1796360767, 0)
		if tsErr == nil {
			now = time.Unix(unix, 0) // within any tolerance
		}
		res, err := webhooksig.Verify(secrets, h, body, now, 0)
		// The rule: one whitespace-separated word of webhook-signature is,
		// character for character, the signature under one of the secrets.
		signedBy := -1
		for i, s := range secrets {
			if id != "" && tsErr == nil && slices.Contains(strings.Fields(sig), webhooksig.Signature(webhooksig.Key(s), id, unix, body)) {
				signedBy = i
				break
			}
		}
		if (err == nil) != (signedBy >= 0) {
			t.Fatalf("Verify = %+v, %v; the header is signed by secret %d", res, err, signedBy)
		}
		if err == nil && (res.Style != webhooksig.StyleStandard || res.ID != id || res.Timestamp.Unix() != unix || res.Secret != signedBy) {
			t.Fatalf("Verify = %+v, want secret %d", res, signedBy)
		}
		// The official library agrees where the header has the shape the
		// standard gives it ("v1,<base64>" words separated by spaces); it
		// is more lenient than Verify about extra commas, Verify about tabs.
		officialOK := official.VerifyIgnoringTimestamp(body, h) == nil
		switch {
		case officialOK && err != nil && !strings.Contains(strings.ReplaceAll(sig, "v1,", ""), ","):
			t.Fatalf("the official library verifies, Verify says %v", err)
		case !officialOK && err == nil && res.Secret == 1 && !strings.ContainsAny(sig, "\t\n\v\f\r\u0085\u00a0"):
			t.Fatalf("Verify accepts what the official library refuses")
		}
		if id == "" && ts == "" && sig == "" && !errors.Is(err, webhooksig.ErrMissingHeaders) {
			t.Fatalf("Verify without Standard Webhooks headers = %v, want ErrMissingHeaders", err)
		}
		if res, err := webhooksig.VerifyHMACOnly(secrets, h, body); err == nil {
			if res.Style != webhooksig.StyleHMAC || strings.TrimSpace(mac) != webhooksig.BodyHMAC(webhooksig.Key(secrets[res.Secret]), body) {
				t.Fatalf("VerifyHMACOnly = %+v for %q", res, mac)
			}
		}
		// Whatever Sign makes, Verify accepts.
		if id != "" {
			signed := webhooksig.Sign(id, now, body, secrets)
			if res, err := webhooksig.Verify(secrets[1:], signed, body, now, 0); err != nil || res.ID != id {
				t.Fatalf("Verify(Sign(%q)) = %+v, %v", id, res, err)
			}
		}
	})
}
