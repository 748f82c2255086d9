package token_test

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"keywarden/internal/audit"
	"keywarden/internal/keyring"
	"keywarden/internal/store/sqlite"
	"keywarden/internal/token"
)

// fuzzKeys opens a fresh key set signing with alg.
func fuzzKeys(f *testing.F, alg string, now func() time.Time) *token.Keys {
	st, err := sqlite.Open(f.Context(), f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	kr, _ := keyring.New(make([]byte, 32))
	k, err := token.NewKeys(f.Context(), token.KeysOptions{Store: st, Keyring: kr, Audit: audit.New(st, kr.Derive(keyring.PurposeAudit), now), Algorithm: alg, Now: now})
	if err != nil {
		f.Fatal(err)
	}
	return k
}

// FuzzParse feeds arbitrary strings to the access-token parser, with keys
// of every algorithm published: it never panics, and it accepts nothing
// but tokens it minted, with their claims (the fuzzer cannot forge a
// signature, so any other success is a bug: alg confusion, "none", a key
// chosen by the token, claims outside the signed payload).
//
// Keys are random, so each fuzz worker mints its own tokens; when the high
// bit of edit is set, the input replaces a stretch of one of them (chosen
// by edit and at) rather than standing alone, so mutations near valid
// tokens are explored in every worker.
func FuzzParse(f *testing.F) {
	now := time.Now()
	clock := func() time.Time { return now }
	var keys []*token.Keys
	var tokens []string
	minted := map[token.Claims]bool{}
	enc := base64.RawURLEncoding
	for _, alg := range token.Algorithms {
		k := fuzzKeys(f, alg, clock)
		keys = append(keys, k)
		c := token.Claims{Issuer: "https://kw.test", Subject: "kwc_x", Audience: "https://kw.test", Expiry: now.Add(time.Hour).Unix(),
			IssuedAt: now.Unix(), JTI: token.NewJTI(), ClientID: "kwc_x", Scope: "read", SecretID: "sec_1", OrgID: "org_1"}
		tok, err := k.Mint(c)
		if err != nil {
			f.Fatal(err)
		}
		minted[c] = true
		tokens = append(tokens, tok)
		parts := strings.Split(tok, ".")
		f.Add(tok, uint8(0), uint16(0))
		f.Add(enc.EncodeToString([]byte(`{"alg":"none","typ":"at+jwt"}`))+"."+parts[1]+".", uint8(0), uint16(0))
		f.Add(enc.EncodeToString([]byte(`{"alg":"HS256","typ":"at+jwt","kid":"x"}`))+"."+parts[1]+"."+parts[2], uint8(0), uint16(0))
		f.Add(parts[0]+"."+parts[1]+"."+parts[2]+"."+parts[2], uint8(0), uint16(0))
	}
	f.Add("", uint8(0), uint16(0))
	f.Add("..", uint8(0), uint16(0))
	f.Add(enc.EncodeToString([]byte(`{"alg":"none"}`))+".", uint8(0x80), uint16(0)) // a new header
	f.Add("."+enc.EncodeToString([]byte(`{"exp":1}`))+".", uint8(0x81), uint16(60)) // a new payload
	f.Add("x", uint8(0x82), uint16(200))
	f.Fuzz(func(t *testing.T, s string, edit uint8, at uint16) {
		if edit&0x80 != 0 {
			base := tokens[int(edit&0x7f)%len(tokens)]
			i := int(at) % (len(base) + 1)
			j := min(len(base), i+int(edit&0x0f))
			s = base[:i] + s + base[j:]
		}
		for _, k := range keys {
			c, err := k.Parse(s, now)
			if err == nil && !minted[c] {
				t.Fatalf("Parse accepted a token it did not mint: %+v", c)
			}
		}
	})
}
