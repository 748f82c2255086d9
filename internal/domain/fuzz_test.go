package domain_test

import (
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"keywarden/internal/domain"
)

// FuzzDecodeCursor feeds arbitrary cursors to the parser: a malformed one
// is a validation error, never a panic, and what it accepts is a position
// both stores can look up. PostgreSQL refuses text that is not UTF-8 or
// holds NUL with an error (a 500), so such an ID must not get through.
func FuzzDecodeCursor(f *testing.F) {
	f.Add(domain.Cursor{At: time.Date(2031, 3, 4, 5, 6, 7, 891000, time.UTC), ID: "kwc_sLwFaAaySW5mMRBVS8fjyG"}.Encode())
	f.Add(domain.Cursor{At: time.UnixMicro(-1).UTC(), ID: "a|b"}.Encode())
	f.Add(domain.EncodeSeq(42))
	f.Add("MTIzfA")   // "123|"
	f.Add("fGFiYw")   // "|abc"
	f.Add("MTIz4p2k") // no separator
	f.Add("!!!")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := domain.DecodeCursor(s)
		if err != nil {
			return
		}
		if c.ID == "" || !utf8.ValidString(c.ID) || strings.ContainsFunc(c.ID, unicode.IsControl) {
			t.Fatalf("DecodeCursor(%q) accepted ID %q", s, c.ID)
		}
		if back, err := domain.DecodeCursor(c.Encode()); err != nil || back != c {
			t.Fatalf("round trip of %+v = %+v, %v", c, back, err)
		}
	})
}

// FuzzDecodeSeq: sequence cursors are positive numbers, and round-trip.
func FuzzDecodeSeq(f *testing.F) {
	f.Add(domain.EncodeSeq(1))
	f.Add(domain.EncodeSeq(1 << 62))
	f.Add("czA")  // "s0"
	f.Add("cy0x") // "s-1"
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		n, err := domain.DecodeSeq(s)
		if err != nil {
			return
		}
		if n <= 0 {
			t.Fatalf("DecodeSeq(%q) = %d", s, n)
		}
		if back, err := domain.DecodeSeq(domain.EncodeSeq(n)); err != nil || back != n {
			t.Fatalf("round trip of %d = %d, %v", n, back, err)
		}
	})
}
