package keyring

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// KeySize is the length in bytes of a master key and of a data key.
const KeySize = 32

// Purposes of derived keys. Changing one makes every value derived under it
// unreadable, so they are fixed forever.
const (
	PurposeSecretVerifier = "keywarden/v1/secret-verifier"
	PurposeAudit          = "keywarden/v1/audit-chain"
	PurposeSeal           = "keywarden/v1/seal"
	PurposeUI             = "keywarden/v1/ui" // console CSRF tokens and login state
	PurposeDPoPNonce      = "keywarden/v1/dpop-nonce"
)

// Keyring holds the root data key and the keys derived from it.
type Keyring struct {
	root []byte
	aead cipher.AEAD
}

// New returns the keyring of a 32-byte root data key. The store keeps that
// key wrapped under the master key (Master); on installations from before
// envelope encryption the root is the master key itself, so that every key
// derived from it stays what it was.
func New(root []byte) (*Keyring, error) {
	if len(root) != KeySize {
		return nil, fmt.Errorf("data key must be %d bytes, got %d", KeySize, len(root))
	}
	k := &Keyring{root: append([]byte(nil), root...)}
	block, err := aes.NewCipher(k.Derive(PurposeSeal))
	if err != nil {
		return nil, err
	}
	if k.aead, err = cipher.NewGCM(block); err != nil {
		return nil, err
	}
	return k, nil
}

// Derive returns the 32-byte key for purpose (HKDF-SHA256).
func (k *Keyring) Derive(purpose string) []byte {
	key, err := hkdf.Key(sha256.New, k.root, nil, purpose, 32)
	if err != nil {
		panic("keyring: hkdf: " + err.Error()) // only fails for lengths we never ask for
	}
	return key
}

const sealVersion = 1

// Seal encrypts plaintext with AES-256-GCM. aad binds the ciphertext to its
// row (e.g. the secret ID), so a sealed value copied to another row does not
// open.
func (k *Keyring) Seal(plaintext, aad []byte) []byte {
	nonce := make([]byte, k.aead.NonceSize(), 1+k.aead.NonceSize()+len(plaintext)+k.aead.Overhead())
	rand.Read(nonce)
	out := append([]byte{sealVersion}, nonce...)
	return k.aead.Seal(out, nonce, plaintext, aad)
}

// ErrUnseal means a sealed value was corrupted, moved to another row, or
// sealed under another data key.
var ErrUnseal = errors.New("keyring: cannot open sealed value")

// Open decrypts a value made by Seal with the same aad.
func (k *Keyring) Open(sealed, aad []byte) ([]byte, error) {
	ns := k.aead.NonceSize()
	if len(sealed) < 1+ns+k.aead.Overhead() || sealed[0] != sealVersion {
		return nil, ErrUnseal
	}
	pt, err := k.aead.Open(nil, sealed[1:1+ns], sealed[1+ns:], aad)
	if err != nil {
		return nil, ErrUnseal
	}
	return pt, nil
}

// ParseKey decodes a master key written as 64 hex characters or as
// standard/URL base64 of 32 bytes. Surrounding whitespace is ignored.
func ParseKey(text string) ([]byte, error) {
	text = strings.TrimSpace(text)
	if b, err := hex.DecodeString(text); err == nil && len(b) == KeySize {
		return b, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(text); err == nil && len(b) == KeySize {
			return b, nil
		}
	}
	return nil, fmt.Errorf("master key must be %d bytes as 64 hex characters or base64", KeySize)
}

// LoadFile reads a master key file. It refuses a file that others can read.
func LoadFile(path string) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("master key file: %w", err)
	}
	if info.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("master key file %s has mode %04o: it must not be readable by group or others (chmod 600)", path, info.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("master key file: %w", err)
	}
	key, err := ParseKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("master key file %s: %w", path, err)
	}
	return key, nil
}

// DevKeyFile is the name of the generated key in the data directory.
const DevKeyFile = "master.key"

// LoadOrCreateDev returns the development master key in dataDir, creating
// it (mode 0600) on first use.
func LoadOrCreateDev(dataDir string) ([]byte, error) {
	path := filepath.Join(dataDir, DevKeyFile)
	key, err := LoadFile(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, err
	}
	key = make([]byte, KeySize)
	rand.Read(key)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, fs.ErrExist) { // another process won the race
			return LoadFile(path)
		}
		return nil, err
	}
	if _, err := f.WriteString(hex.EncodeToString(key) + "\n"); err != nil {
		f.Close()
		return nil, err
	}
	return key, f.Close()
}
