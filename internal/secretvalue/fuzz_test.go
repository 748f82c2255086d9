package secretvalue_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"keywarden/internal/secretvalue"
)

// FuzzParse feeds arbitrary strings to the parser of generated values: it
// never panics, accepts only values of the right shape, and what it
// accepts prints as its hint only.
func FuzzParse(f *testing.F) {
	for _, prefix := range []string{secretvalue.PrefixClientSecret, secretvalue.PrefixAPIToken, secretvalue.PrefixRefreshToken, secretvalue.PrefixSession} {
		f.Add(secretvalue.Generate(prefix).Reveal())
	}
	f.Add("")
	f.Add("kws_")
	f.Add("kws_" + strings.Repeat("é", 23))
	f.Add("kws_0000000000000000000000000000000000000000000000")
	f.Fuzz(func(t *testing.T, s string) {
		for _, prefix := range []string{secretvalue.PrefixClientSecret, secretvalue.PrefixAPIToken} {
			p, err := secretvalue.Parse(prefix, s)
			if err != nil {
				if !errors.Is(err, secretvalue.ErrMalformed) && !errors.Is(err, secretvalue.ErrChecksum) {
					t.Fatalf("Parse error %v is neither ErrMalformed nor ErrChecksum", err)
				}
				continue
			}
			if p.Reveal() != s || len(s) != secretvalue.Len || !strings.HasPrefix(s, prefix) || !secretvalue.LooksGenerated(prefix, s) {
				t.Fatalf("Parse accepted %q as %q", s, p.Reveal())
			}
			if strings.Contains(p.String(), s) {
				t.Fatalf("String shows the value")
			}
		}
	})
}

// FuzzSupplied checks the rules on supplied values: what Supplied accepts
// is valid UTF-8, long enough in characters and short enough in bytes, and
// its hint is the last four characters.
func FuzzSupplied(f *testing.F) {
	f.Add(strings.Repeat("x", secretvalue.MinSuppliedLength), secretvalue.MinSuppliedLength)
	f.Add(strings.Repeat("é", secretvalue.MinPasswordLength), secretvalue.MinPasswordLength)
	f.Add(strings.Repeat("\xff", 30), 12)
	f.Add("", 0)
	f.Fuzz(func(t *testing.T, s string, minLen int) {
		p, err := secretvalue.Supplied(s, minLen)
		if err != nil {
			return
		}
		if !utf8.ValidString(s) || utf8.RuneCountInString(s) < minLen || len(s) > secretvalue.MaxSuppliedLength {
			t.Fatalf("Supplied accepted %q (min %d)", s, minLen)
		}
		if h := p.Hint(); utf8.RuneCountInString(s) >= 4 && !strings.HasSuffix(s, h) || !utf8.ValidString(h) {
			t.Fatalf("Hint %q of %q", h, s)
		}
	})
}

// FuzzVerifySupplied feeds arbitrary stored hashes to the argon2id check:
// a malformed hash is an error (ErrMalformedHash), never a panic, never a
// match, and never an unbounded amount of work.
func FuzzVerifySupplied(f *testing.F) {
	p, _ := secretvalue.Supplied("correct horse battery staple 42", secretvalue.MinSuppliedLength)
	f.Add(secretvalue.HashSupplied(p))
	f.Add("$argon2id$v=19$m=8,t=1,p=1$c29tZXNhbHQ$YWJjZGVmZ2hpamtsbW5vcA")
	f.Add("$argon2id$v=19$m=19456,t=2,p=1$$")
	f.Add("$argon2i$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$YWJjZGVmZ2hpamtsbW5vcA")
	f.Add("")
	f.Fuzz(func(t *testing.T, hash string) {
		ok, err := secretvalue.CheckSupplied(hash, p)
		if err != nil {
			if ok || !errors.Is(err, secretvalue.ErrMalformedHash) {
				t.Fatalf("CheckSupplied = %v, %v; want false and ErrMalformedHash", ok, err)
			}
			if strings.Contains(err.Error(), p.Reveal()) {
				t.Fatalf("the error shows the value: %v", err)
			}
		}
		if secretvalue.VerifySupplied(hash, p) != ok {
			t.Fatalf("VerifySupplied and CheckSupplied disagree on %q", hash)
		}
	})
}

// TestCheckSuppliedMalformedHash: a damaged stored hash is an error, not a
// panic (zero rounds or threads made argon2 panic) and not unbounded work
// (the cost parameters come from the row).
func TestCheckSuppliedMalformedHash(t *testing.T) {
	p, _ := secretvalue.Supplied("correct horse battery staple 42", secretvalue.MinSuppliedLength)
	good := secretvalue.HashSupplied(p)
	parts := strings.Split(good, "$")
	with := func(i int, v string) string {
		q := append([]string(nil), parts...)
		q[i] = v
		return strings.Join(q, "$")
	}
	for name, hash := range map[string]string{
		"zero rounds and threads (found by fuzzing)": "$argon2id$v=19$m=0,t=0,p=0$00000000000$00",
		"zero rounds":            with(3, "m=19456,t=0,p=1"),
		"zero threads":           with(3, "m=19456,t=2,p=0"),
		"4 GiB of memory":        with(3, "m=4194304,t=2,p=1"),
		"a billion rounds":       with(3, "m=19456,t=1000000000,p=1"),
		"threads overflow uint8": with(3, "m=19456,t=2,p=257"),
		"memory below 8 × p":     with(3, "m=8,t=2,p=2"),
		"non-canonical number":   with(3, "m=+19456,t=2,p=1"),
		"trailing parameters":    with(3, "m=19456,t=2,p=1,x=1"),
		"other version":          with(2, "v=16"),
		"version with a suffix":  with(2, "v=19x"),
		"argon2i":                with(1, "argon2i"),
		"empty salt":             with(4, ""),
		"empty key":              with(5, ""),
		"short key":              with(5, "YWJj"),
		"padded base64":          with(5, parts[5]+"="),
		"text before the hash":   "x" + good,
		"one field too many":     good + "$",
		"empty":                  "",
	} {
		t.Run(name, func(t *testing.T) {
			ok, err := secretvalue.CheckSupplied(hash, p)
			if ok || !errors.Is(err, secretvalue.ErrMalformedHash) {
				t.Errorf("CheckSupplied(%q) = %v, %v; want false, ErrMalformedHash", hash, ok, err)
			}
		})
	}
	if ok, err := secretvalue.CheckSupplied(good, p); !ok || err != nil {
		t.Errorf("CheckSupplied(good) = %v, %v", ok, err)
	}
	wrong, _ := secretvalue.Supplied("correct horse battery staple 43", secretvalue.MinSuppliedLength)
	if ok, err := secretvalue.CheckSupplied(good, wrong); ok || err != nil {
		t.Errorf("CheckSupplied(wrong value) = %v, %v; want false, nil", ok, err)
	}
}
