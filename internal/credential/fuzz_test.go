package credential

import (
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
