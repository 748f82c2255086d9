package credential

import (
	"encoding/json"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"keywarden/internal/domain"
)

// FuzzAllowedCIDRs feeds arbitrary allowed_cidrs entries to the parser
// and checks it against the check made at authentication: what is
// accepted is stored in canonical form (normalising it again changes
// nothing), and a secret restricted to an address or network authenticates
// from that address.
func FuzzAllowedCIDRs(f *testing.F) {
	for _, s := range []string{
		"10.0.0.0/8", "203.0.113.7", " 2001:db8::/32 ", "10.1.2.3/8", "::ffff:10.0.0.1", "::ffff:10.0.0.0/104",
		"fe80::1%eth0", "0.0.0.0/0", "::/0", "1.2.3.4/33", "10.0.0.0/08", "", "a,b",
	} {
		f.Add(s, "192.0.2.1")
	}
	f.Fuzz(func(t *testing.T, entry, source string) {
		var v domain.ValidationError
		out := normalizeCIDRs(&v, []string{entry})
		if v.Err() != nil {
			return
		}
		if len(out) != 1 {
			t.Fatalf("normalizeCIDRs(%q) = %q", entry, out)
		}
		p, err := netip.ParsePrefix(out[0])
		if err != nil || p != p.Masked() || strings.Contains(out[0], ",") {
			t.Fatalf("normalizeCIDRs(%q) stored %q, not a canonical network: %v", entry, out[0], err)
		}
		var again domain.ValidationError
		if twice := normalizeCIDRs(&again, out); again.Err() != nil || !slices.Equal(twice, out) {
			t.Fatalf("normalizing %q again gives %q, %v", out, twice, again.Err())
		}
		// The address the entry names (or its network's first address)
		// must be let in.
		in, err := netip.ParsePrefix(strings.TrimSpace(entry))
		if err != nil {
			a, _ := netip.ParseAddr(strings.TrimSpace(entry))
			in = netip.PrefixFrom(a, a.BitLen())
		}
		if addr := in.Masked().Addr(); !allowedSource(out, addr.String()) {
			t.Fatalf("a secret restricted to %q (stored %q) refuses %s", entry, out[0], addr)
		}
		if a, err := netip.ParseAddr(source); err == nil && allowedSource(out, source) != p.Contains(a.Unmap()) && allowedSource(out, source) != p.Contains(a) {
			t.Fatalf("allowedSource(%q, %s) disagrees with the network %s", out[0], source, p)
		}
	})
}

// FuzzParseJWK feeds arbitrary JWKs to the key registration parser: it
// never panics, refuses with a validation error that never echoes private
// members, and what it accepts is a public, asymmetric key with one of the
// assertion algorithms, stored without private members, whose stored form
// parses again to the same key.
func FuzzParseJWK(f *testing.F) {
	for _, s := range []string{
		`{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","kid":"a"}`,
		`{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"}`,
		`{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}`,
		`{"kty":"oct","k":"AAAA"}`, `{"keys":[]}`, `{}`, `[]`, `null`, `{"kty":"RSA","n":"AQAB","e":"AQAB"}`,
		`{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","alg":"ES256"}`,
		`{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","use":"enc"}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		p, err := parseJWK("jwk", raw)
		if err != nil {
			var v *domain.ValidationError
			if !errors.As(err, &v) {
				t.Fatalf("parseJWK error %v is not a validation error", err)
			}
			if strings.Contains(raw, `"d"`) && len(raw) > 60 && strings.Contains(err.Error(), raw) {
				t.Fatalf("the refusal echoes the JWK: %v", err)
			}
			return
		}
		if !slices.Contains(KeyAlgorithms, p.alg) || p.key == nil || p.kid == "" || p.thumbprint == "" {
			t.Fatalf("parseJWK(%q) = %+v", raw, p)
		}
		var members map[string]any
		if err := json.Unmarshal([]byte(p.jwk), &members); err != nil {
			t.Fatalf("stored JWK %q: %v", p.jwk, err)
		}
		for _, m := range []string{"d", "p", "q", "dp", "dq", "qi", "k"} {
			if _, ok := members[m]; ok {
				t.Fatalf("stored JWK %q holds %q", p.jwk, m)
			}
		}
		again, err := parseJWK("jwk", p.jwk)
		if err != nil || again.thumbprint != p.thumbprint || again.alg != p.alg || again.kid != p.kid || again.jwk != p.jwk {
			t.Fatalf("the stored JWK %q parses to %+v, %v; want %+v", p.jwk, again, err, p)
		}
	})
}
