package keyring_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"keywarden/internal/keyring"
)

func newRing(t *testing.T, fill byte) *keyring.Keyring {
	t.Helper()
	k, err := keyring.New(bytes.Repeat([]byte{fill}, keyring.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSealOpen(t *testing.T) {
	k, other := newRing(t, 1), newRing(t, 2)
	sealed := k.Seal([]byte("kws_value"), []byte("sec_1"))
	if bytes.Contains(sealed, []byte("kws_value")) {
		t.Fatal("sealed value contains the plaintext")
	}
	if got, err := k.Open(sealed, []byte("sec_1")); err != nil || string(got) != "kws_value" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	tampered := bytes.Clone(sealed)
	tampered[len(tampered)-1] ^= 1
	for name, open := range map[string]func() ([]byte, error){
		"other row":        func() ([]byte, error) { return k.Open(sealed, []byte("sec_2")) },
		"other master key": func() ([]byte, error) { return other.Open(sealed, []byte("sec_1")) },
		"tampered":         func() ([]byte, error) { return k.Open(tampered, []byte("sec_1")) },
		"truncated":        func() ([]byte, error) { return k.Open(sealed[:5], []byte("sec_1")) },
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := open(); !errors.Is(err, keyring.ErrUnseal) {
				t.Errorf("err = %v, want ErrUnseal", err)
			}
		})
	}
}

func TestDeriveSeparatesPurposes(t *testing.T) {
	k := newRing(t, 1)
	if bytes.Equal(k.Derive(keyring.PurposeAudit), k.Derive(keyring.PurposeSecretVerifier)) {
		t.Error("two purposes derive the same key")
	}
	if !bytes.Equal(k.Derive(keyring.PurposeAudit), newRing(t, 1).Derive(keyring.PurposeAudit)) {
		t.Error("derivation is not deterministic")
	}
}

func TestParseKey(t *testing.T) {
	raw := bytes.Repeat([]byte{7}, 32)
	tests := []struct {
		name    string
		text    string
		wantErr bool
	}{
		{"hex", hex.EncodeToString(raw), false},
		{"hex with newline", hex.EncodeToString(raw) + "\n", false},
		{"base64", "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=", false},
		{"too short", "abcd", true},
		{"empty", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := keyring.ParseKey(tc.text)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v", err)
			}
			if err == nil && !bytes.Equal(got, raw) {
				t.Errorf("key = %x", got)
			}
		})
	}
}

func TestDevKeyFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	k1, err := keyring.LoadOrCreateDev(dir)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(filepath.Join(dir, keyring.DevKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %04o, want 0600", info.Mode().Perm())
	}
	k2, err := keyring.LoadOrCreateDev(dir)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatalf("second load = %x, %v; want the same key", k2, err)
	}
	os.Chmod(filepath.Join(dir, keyring.DevKeyFile), 0o644)
	if _, err := keyring.LoadFile(filepath.Join(dir, keyring.DevKeyFile)); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("world-readable key file accepted: %v", err)
	}
}
