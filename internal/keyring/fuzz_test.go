package keyring_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"keywarden/internal/keyring"
)

// FuzzParseKey feeds arbitrary text to the master-key parser: it accepts
// exactly 32 bytes, reads back every documented spelling of a key, and
// never echoes the text it was given in an error (it may be a key with a
// typo).
func FuzzParseKey(f *testing.F) {
	key := bytes.Repeat([]byte{0xa5}, keyring.KeySize)
	f.Add(hex.EncodeToString(key), key)
	f.Add(" "+base64.StdEncoding.EncodeToString(key)+"\n", key)
	f.Add(base64.RawURLEncoding.EncodeToString(key), key)
	f.Add(strings.Repeat("0", 63), key)
	f.Add("", []byte{})
	f.Fuzz(func(t *testing.T, text string, raw []byte) {
		b, err := keyring.ParseKey(text)
		switch {
		case err == nil && len(b) != keyring.KeySize:
			t.Fatalf("ParseKey(%q) = %d bytes", text, len(b))
		case err != nil && len(strings.TrimSpace(text)) >= 8 && strings.Contains(err.Error(), strings.TrimSpace(text)):
			t.Fatalf("the error echoes the key text: %v", err)
		}
		if len(raw) != keyring.KeySize {
			return
		}
		for _, spelling := range []string{
			hex.EncodeToString(raw), strings.ToUpper(hex.EncodeToString(raw)), base64.StdEncoding.EncodeToString(raw),
			base64.URLEncoding.EncodeToString(raw), base64.RawStdEncoding.EncodeToString(raw), "\t" + hex.EncodeToString(raw) + "\r\n",
		} {
			if got, err := keyring.ParseKey(spelling); err != nil || !bytes.Equal(got, raw) {
				t.Fatalf("ParseKey(%q) = %x, %v; want %x", spelling, got, err, raw)
			}
		}
	})
}

// FuzzOpen feeds arbitrary sealed values to Open: a value it did not seal
// under this key and row never opens, and what it sealed always does.
func FuzzOpen(f *testing.F) {
	k, _ := keyring.New(bytes.Repeat([]byte{7}, keyring.KeySize))
	// Seal's nonce is random; each fuzz worker must know the same value.
	sealed, _ := hex.DecodeString("01042eebc2a2254ba7bc75aad43f33ceb9ed937249cab7bf9d8438f8ca9a26e5e541af6e4f776b61")
	f.Add(sealed, []byte("key_1"), []byte("plain"))
	f.Add(sealed[:len(sealed)-1], []byte("key_1"), []byte{})
	f.Add([]byte{1}, []byte{}, []byte{})
	f.Add([]byte{}, []byte{}, []byte{})
	f.Fuzz(func(t *testing.T, value, aad, plain []byte) {
		pt, err := k.Open(value, aad)
		if err != nil && !errors.Is(err, keyring.ErrUnseal) {
			t.Fatalf("Open error %v is not ErrUnseal", err)
		}
		if err == nil && !(bytes.Equal(value, sealed) && string(aad) == "key_1" && string(pt) == "signing key") {
			t.Fatalf("Open accepted a value it did not seal: %x", value)
		}
		s := k.Seal(plain, aad)
		if got, err := k.Open(s, aad); err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("Open(Seal(%x)) = %x, %v", plain, got, err)
		}
		if _, err := k.Open(s, append(aad, 0)); err == nil {
			t.Fatalf("a sealed value opened under another row's aad")
		}
	})
}
