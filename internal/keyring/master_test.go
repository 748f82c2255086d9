package keyring_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"

	"keywarden/internal/keyring"
)

func newMaster(t *testing.T, fill byte) *keyring.Master {
	t.Helper()
	m, err := keyring.NewMaster(bytes.Repeat([]byte{fill}, keyring.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestDerivedKeysAreFixed pins what a root key derives, computed by the
// keyring before envelope encryption (when the root was the master key):
// an installation that upgrades keeps its master key as the root data key,
// and these values are why its verifiers, sealed values and audit hashes
// stay valid.
func TestDerivedKeysAreFixed(t *testing.T) {
	k := newRing(t, 0x42)
	for purpose, want := range map[string]string{
		keyring.PurposeSecretVerifier: "1f1b1b7a9e28f347912a9ed3ab607e5e6f3b2ed841114fb423fcd8638e5b3db3",
		keyring.PurposeAudit:          "6c0d85fe6d62d3804403e7b3fc38e701e4d1e9c372400bc72110094219a853fd",
		keyring.PurposeSeal:           "291f498c23e9f0cf64c5584e81a67896e2fad9888a03b712e2f092a759ec0d71",
		keyring.PurposeUI:             "5dcb037b15b543e789d948c2572872c61a373beaad2c6202f3f1bc29abf4eec2",
	} {
		if got := hex.EncodeToString(k.Derive(purpose)); got != want {
			t.Errorf("Derive(%s) = %s, want %s", purpose, got, want)
		}
	}
}

func TestWrapUnwrap(t *testing.T) {
	m, other := newMaster(t, 1), newMaster(t, 2)
	dk := keyring.NewDataKey()
	w, err := m.Wrap(dk)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(w, dk) {
		t.Fatal("the wrapping contains the data key")
	}
	if got, err := m.Unwrap(w); err != nil || !bytes.Equal(got, dk) {
		t.Fatalf("Unwrap = %x, %v; want %x", got, err, dk)
	}
	again, _ := m.Wrap(dk)
	if bytes.Equal(again, w) {
		t.Error("two wrappings of one key are equal: the nonce is not fresh")
	}
	tampered := bytes.Clone(w)
	tampered[len(tampered)-3] ^= 0x10
	badVersion := bytes.Clone(w)
	badVersion[0] = 9
	for name, wrapped := range map[string][]byte{
		"tampered": tampered, "truncated": w[:len(w)-1], "longer": append(bytes.Clone(w), 0), "empty": nil, "other version": badVersion,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := m.Unwrap(wrapped); !errors.Is(err, keyring.ErrUnwrap) {
				t.Errorf("err = %v, want ErrUnwrap", err)
			}
		})
	}
	t.Run("other master key", func(t *testing.T) {
		if _, err := other.Unwrap(w); !errors.Is(err, keyring.ErrUnwrap) {
			t.Errorf("err = %v, want ErrUnwrap", err)
		}
	})
	t.Run("a sealed value is not a wrapping", func(t *testing.T) {
		// Same length as a wrapping, made by a keyring whose root is the
		// master key: the purposes and the AAD keep them apart.
		k, _ := keyring.New(bytes.Repeat([]byte{1}, keyring.KeySize))
		if _, err := m.Unwrap(k.Seal(dk, []byte("keywarden/v1/data-key"))); !errors.Is(err, keyring.ErrUnwrap) {
			t.Errorf("err = %v, want ErrUnwrap", err)
		}
	})
	if _, err := m.Wrap(dk[:16]); err == nil {
		t.Error("Wrap accepted a 16-byte data key")
	}
}

func TestCheck(t *testing.T) {
	m1, m1again, m2 := newMaster(t, 1), newMaster(t, 1), newMaster(t, 2)
	if !bytes.Equal(m1.Check(), m1again.Check()) {
		t.Error("the check value is not deterministic")
	}
	if bytes.Equal(m1.Check(), m2.Check()) {
		t.Error("two master keys have the same check value")
	}
	if len(m1.Check()) != 32 {
		t.Errorf("check value is %d bytes", len(m1.Check()))
	}
	raw := bytes.Repeat([]byte{1}, keyring.KeySize)
	k, _ := keyring.New(raw)
	for _, p := range []string{keyring.PurposeSecretVerifier, keyring.PurposeAudit, keyring.PurposeSeal, keyring.PurposeUI} {
		if bytes.Equal(k.Derive(p), m1.Check()) {
			t.Errorf("the check value equals the %s key of a root that is the master key", p)
		}
	}
	m1.Check()[0] ^= 1
	if !bytes.Equal(m1.Check(), m1again.Check()) {
		t.Error("Check returned its own slice: a caller changed it")
	}
}

// TestRewrapKeepsEveryKey is rotation in miniature: the data key wrapped
// under a new master key opens to a keyring that verifies, opens and
// derives exactly what the old one did.
func TestRewrapKeepsEveryKey(t *testing.T) {
	oldM, newM := newMaster(t, 1), newMaster(t, 2)
	dk := keyring.NewDataKey()
	w1, _ := oldM.Wrap(dk)
	before, _ := oldM.Unwrap(w1)
	k1, err := keyring.New(before)
	if err != nil {
		t.Fatal(err)
	}
	sealed := k1.Seal([]byte("whsec_value"), []byte("whk_1"))

	w2, _ := newM.Wrap(before)
	after, err := newM.Unwrap(w2)
	if err != nil {
		t.Fatal(err)
	}
	k2, _ := keyring.New(after)
	if got, err := k2.Open(sealed, []byte("whk_1")); err != nil || string(got) != "whsec_value" {
		t.Errorf("Open after rewrap = %q, %v", got, err)
	}
	for _, p := range []string{keyring.PurposeSecretVerifier, keyring.PurposeAudit, keyring.PurposeSeal, keyring.PurposeUI} {
		if !bytes.Equal(k1.Derive(p), k2.Derive(p)) {
			t.Errorf("%s changed with the master key", p)
		}
	}
	if _, err := oldM.Unwrap(w2); !errors.Is(err, keyring.ErrUnwrap) {
		t.Errorf("the old master key opens the new wrapping: %v", err)
	}
}

func TestNewMasterRefusesShortKeys(t *testing.T) {
	for _, n := range []int{0, 16, 31, 33} {
		if _, err := keyring.NewMaster(make([]byte, n)); err == nil {
			t.Errorf("NewMaster accepted %d bytes", n)
		}
	}
	if _, err := keyring.New(make([]byte, 16)); err == nil {
		t.Error("New accepted a 16-byte root")
	}
}
