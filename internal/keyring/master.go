package keyring

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
)

// Envelope encryption: every sub-key is derived from a root data key
// (Keyring), and the data key is kept in the store wrapped under the master
// key (Master). Replacing the master key rewraps one 32-byte value; no
// verifier, sealed value or audit hash changes.
//
// These purposes, like the ones in keyring.go, are fixed forever.
const (
	purposeWrap  = "keywarden/v1/wrap-data-key"
	purposeCheck = "keywarden/v1/master-key-check"
	wrapVersion  = 1
)

// wrapAAD binds a wrapping to its role, so that no other value sealed
// under a key derived the same way could pass for a data key.
var wrapAAD = []byte("keywarden/v1/data-key")

// Master is a master key. It does one thing: wrap and unwrap the data key.
type Master struct {
	aead  cipher.AEAD
	check []byte
}

// NewMaster returns the master key for 32 bytes (as ParseKey returns them).
func NewMaster(key []byte) (*Master, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("master key must be %d bytes, got %d", KeySize, len(key))
	}
	kek, err := hkdf.Key(sha256.New, key, nil, purposeWrap, 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(kek)
	if err != nil {
		return nil, err
	}
	m := &Master{}
	if m.aead, err = cipher.NewGCM(block); err != nil {
		return nil, err
	}
	if m.check, err = hkdf.Key(sha256.New, key, nil, purposeCheck, 32); err != nil {
		return nil, err
	}
	return m, nil
}

// Check returns the master key's key check value: stored next to a
// wrapping, it tells "this is not the key the data key was wrapped under"
// apart from "the wrapping was altered". It is an HKDF output of its own
// purpose, so it reveals nothing about the key or the data key.
func (m *Master) Check() []byte { return append([]byte(nil), m.check...) }

// Wrap seals a 32-byte data key (AES-256-GCM under a key derived from the
// master key).
func (m *Master) Wrap(dataKey []byte) ([]byte, error) {
	if len(dataKey) != KeySize {
		return nil, fmt.Errorf("data key must be %d bytes, got %d", KeySize, len(dataKey))
	}
	nonce := make([]byte, m.aead.NonceSize(), 1+m.aead.NonceSize()+KeySize+m.aead.Overhead())
	rand.Read(nonce)
	out := append([]byte{wrapVersion}, nonce...)
	return m.aead.Seal(out, nonce, dataKey, wrapAAD), nil
}

// ErrUnwrap means a wrapping does not open under this master key: it was
// altered, or made under another key (compare Check values to tell which).
var ErrUnwrap = errors.New("keyring: the wrapped data key does not open")

// Unwrap opens a wrapping made by Wrap under the same master key.
func (m *Master) Unwrap(wrapped []byte) ([]byte, error) {
	ns := m.aead.NonceSize()
	if len(wrapped) != 1+ns+KeySize+m.aead.Overhead() || wrapped[0] != wrapVersion {
		return nil, ErrUnwrap
	}
	dk, err := m.aead.Open(nil, wrapped[1:1+ns], wrapped[1+ns:], wrapAAD)
	if err != nil {
		return nil, ErrUnwrap
	}
	return dk, nil
}

// NewDataKey returns a new random root data key.
func NewDataKey() []byte {
	k := make([]byte, KeySize)
	rand.Read(k)
	return k
}
