package secretvalue_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"keywarden/internal/secretvalue"
)

func flip(s string, i int) string {
	c := byte('a')
	if s[i] == 'a' {
		c = 'b'
	}
	return s[:i] + string(c) + s[i+1:]
}

func TestParse(t *testing.T) {
	good := secretvalue.Generate(secretvalue.PrefixClientSecret).Reveal()
	tests := []struct {
		name    string
		input   string
		wantErr error
	}{
		{"generated value", good, nil},
		{"other prefix", "kwx_" + good[4:], secretvalue.ErrMalformed},
		{"api token prefix", secretvalue.Generate(secretvalue.PrefixAPIToken).Reveal(), secretvalue.ErrMalformed},
		{"one character changed", flip(good, 10), secretvalue.ErrChecksum},
		{"checksum changed", flip(good, len(good)-1), secretvalue.ErrChecksum},
		{"truncated", good[:20], secretvalue.ErrMalformed},
		{"one extra character", good + "a", secretvalue.ErrMalformed},
		{"not base62", good[:10] + "-" + good[11:], secretvalue.ErrMalformed},
		{"empty", "", secretvalue.ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := secretvalue.Parse(secretvalue.PrefixClientSecret, tc.input)
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("Parse error = %v, want %v", err, tc.wantErr)
			}
		})
	}
}

func TestGenerateIsUniqueAndWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		v := secretvalue.Generate(secretvalue.PrefixClientSecret).Reveal()
		if len(v) != secretvalue.Len || !strings.HasPrefix(v, "kws_") {
			t.Fatalf("malformed value %q", v)
		}
		if seen[v] {
			t.Fatalf("duplicate value")
		}
		seen[v] = true
	}
}

func TestPlaintextNeverPrints(t *testing.T) {
	p := secretvalue.Generate(secretvalue.PrefixClientSecret)
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("x", "secret", p)
	text, _ := p.MarshalText()
	for name, out := range map[string]string{
		"String": p.String(), "%v": fmt.Sprintf("%v", p), "%+v": fmt.Sprintf("%+v", p), "%#v": fmt.Sprintf("%#v", p),
		"MarshalText": string(text), "slog": logged.String(),
	} {
		if strings.Contains(out, p.Reveal()) {
			t.Errorf("%s shows the value: %s", name, out)
		}
		if !strings.Contains(out, p.Hint()) {
			t.Errorf("%s does not show the hint: %s", name, out)
		}
	}
}

func TestVerifier(t *testing.T) {
	p := secretvalue.Generate(secretvalue.PrefixClientSecret)
	k1, k2 := []byte("key one, 32 bytes long.........."), []byte("key two, 32 bytes long..........")
	if !bytes.Equal(secretvalue.Verifier(k1, p), secretvalue.Verifier(k1, p)) {
		t.Error("verifier not deterministic")
	}
	if bytes.Equal(secretvalue.Verifier(k1, p), secretvalue.Verifier(k2, p)) {
		t.Error("verifier does not depend on the key")
	}
}

func TestSupplied(t *testing.T) {
	tests := []struct {
		name    string
		value   string
		wantErr bool
	}{
		{"long enough", strings.Repeat("x", secretvalue.MinSuppliedLength), false},
		{"one short", strings.Repeat("x", secretvalue.MinSuppliedLength-1), true},
		{"multibyte counts characters", strings.Repeat("é", secretvalue.MinSuppliedLength), false},
		{"too long", strings.Repeat("x", secretvalue.MaxSuppliedLength+1), true},
		{"invalid utf-8", strings.Repeat("\xff", 30), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := secretvalue.Supplied(tc.value, secretvalue.MinSuppliedLength)
			if (err != nil) != tc.wantErr {
				t.Errorf("err = %v, wantErr %v", err, tc.wantErr)
			}
		})
	}
}

func TestHashSupplied(t *testing.T) {
	p, err := secretvalue.Supplied("correct horse battery staple 42", secretvalue.MinSuppliedLength)
	if err != nil {
		t.Fatal(err)
	}
	wrong, _ := secretvalue.Supplied("correct horse battery staple 43", secretvalue.MinSuppliedLength)
	h := secretvalue.HashSupplied(p)
	if !strings.HasPrefix(h, "$argon2id$v=19$") {
		t.Fatalf("hash %q is not an argon2id PHC string", h)
	}
	if h == secretvalue.HashSupplied(p) {
		t.Error("two hashes of one value are equal: no salt")
	}
	tests := []struct {
		name  string
		hash  string
		value secretvalue.Plaintext
		want  bool
	}{
		{"right value", h, p, true},
		{"wrong value", h, wrong, false},
		{"malformed hash", "$argon2id$garbage", p, false},
		{"empty hash", "", p, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := secretvalue.VerifySupplied(tc.hash, tc.value); got != tc.want {
				t.Errorf("VerifySupplied = %v, want %v", got, tc.want)
			}
		})
	}
}

func BenchmarkVerifier(b *testing.B) {
	p := secretvalue.Generate(secretvalue.PrefixClientSecret)
	key := make([]byte, 32)
	b.ReportAllocs()
	for b.Loop() {
		secretvalue.Verifier(key, p)
	}
}

func BenchmarkParse(b *testing.B) {
	v := secretvalue.Generate(secretvalue.PrefixClientSecret).Reveal()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := secretvalue.Parse(secretvalue.PrefixClientSecret, v); err != nil {
			b.Fatal(err)
		}
	}
}
