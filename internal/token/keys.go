package token

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"keywarden/internal/audit"
	"keywarden/internal/domain"
	"keywarden/internal/keyring"
	"keywarden/internal/store"
)

// Algorithms that can sign access tokens.
var Algorithms = []string{"ES256", "EdDSA", "RS256"}

// Key lifetimes.
const (
	// DefaultActivationDelay is how long a new key is published before it
	// signs: longer than the JWKS cache lifetime, so verifiers have it.
	DefaultActivationDelay = 10 * time.Minute
	// RetireAfter is how long a key stays published after a newer key
	// started signing: the longest an access token can live, plus leeway.
	RetireAfter = time.Duration(domain.MaxTokenTTLSeconds)*time.Second + 5*time.Minute
	// JWKSMaxAge is the JWKS document's cache lifetime.
	JWKSMaxAge = 5 * time.Minute
)

type loadedKey struct {
	meta   domain.SigningKey
	signer jose.Signer // nil when the private key could not be opened
	// introspection signs JWT introspection responses (RFC 9701), whose
	// "typ" differs so that neither passes for the other.
	introspection jose.Signer
	public        crypto.PublicKey
}

// Keys holds the signing keys in memory. A change (a new key, a retired
// one) is announced on store.ChangesChannel in its transaction, so that
// every node reloads at once (ApplyChange); Reload also runs periodically.
type Keys struct {
	store store.Store
	ring  *keyring.Keyring
	audit *audit.Log
	alg   string
	delay time.Duration
	now   func() time.Time

	reloadMu sync.Mutex // one Reload at a time: the last to read sets

	mu   sync.RWMutex
	keys []loadedKey // oldest first, unretired only
	jwks []byte
	etag string
}

// KeysOptions configure Keys.
type KeysOptions struct {
	Store           store.Store
	Keyring         *keyring.Keyring
	Audit           *audit.Log
	Algorithm       string        // for new keys; ES256 when empty
	ActivationDelay time.Duration // for rotations; DefaultActivationDelay when zero
	Now             func() time.Time
}

// NewKeys loads the signing keys, creating the first one (active at once)
// when the store has none.
func NewKeys(ctx context.Context, o KeysOptions) (*Keys, error) {
	k := &Keys{store: o.Store, ring: o.Keyring, audit: o.Audit, alg: o.Algorithm, delay: o.ActivationDelay, now: o.Now}
	if k.alg == "" {
		k.alg = "ES256"
	}
	if k.delay == 0 {
		k.delay = DefaultActivationDelay
	}
	if k.now == nil {
		k.now = time.Now
	}
	if err := k.Reload(ctx); err != nil {
		return nil, err
	}
	k.mu.RLock()
	empty := len(k.keys) == 0
	k.mu.RUnlock()
	if empty {
		if _, err := k.create(ctx, 0, domain.System("", "keys"), "key.create"); err != nil {
			return nil, err
		}
	}
	return k, nil
}

// changeKeys is the notice that the signing keys changed.
const changeKeys = "keys"

// announceKeys tells every node through tx that the keys changed.
func announceKeys(ctx context.Context, tx store.Notifier) error {
	return tx.Notify(ctx, store.ChangesChannel, changeKeys)
}

// ApplyChange applies a notice from store.ChangesChannel: it reloads the
// keys when they changed, and on "" (the listener started listening, so
// notices may have been missed). It ignores other notices.
func (k *Keys) ApplyChange(ctx context.Context, payload string) error {
	if payload == "" || payload == changeKeys {
		return k.Reload(ctx)
	}
	return nil
}

// Reload reads the keys from the store.
func (k *Keys) Reload(ctx context.Context) error {
	k.reloadMu.Lock()
	defer k.reloadMu.Unlock()
	all, err := k.store.ListSigningKeys(ctx)
	if err != nil {
		return fmt.Errorf("load signing keys: %w", err)
	}
	var loaded []loadedKey
	for _, m := range all {
		if m.RetiredAt != nil {
			continue
		}
		lk, err := k.open(m)
		if err != nil {
			return err
		}
		loaded = append(loaded, lk)
	}
	jwks, etag, err := buildJWKS(loaded)
	if err != nil {
		return err
	}
	k.mu.Lock()
	k.keys, k.jwks, k.etag = loaded, jwks, etag
	k.mu.Unlock()
	return nil
}

func (k *Keys) open(m domain.SigningKey) (loadedKey, error) {
	der, err := k.ring.Open(m.Sealed, []byte(m.ID))
	if err != nil {
		return loadedKey{}, fmt.Errorf("signing key %s: %w (is this the right master key?)", m.ID, err)
	}
	priv, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return loadedKey{}, fmt.Errorf("signing key %s: %w", m.ID, err)
	}
	key := jose.SigningKey{Algorithm: jose.SignatureAlgorithm(m.Algorithm), Key: jose.JSONWebKey{Key: priv, KeyID: m.ID}}
	signer, err := jose.NewSigner(key, (&jose.SignerOptions{}).WithType(TokenType))
	if err != nil {
		return loadedKey{}, fmt.Errorf("signing key %s: %w", m.ID, err)
	}
	introspection, err := jose.NewSigner(key, (&jose.SignerOptions{}).WithType(IntrospectionType))
	if err != nil {
		return loadedKey{}, fmt.Errorf("signing key %s: %w", m.ID, err)
	}
	pub := priv.(crypto.Signer).Public()
	return loadedKey{meta: m, signer: signer, introspection: introspection, public: pub}, nil
}

func generate(alg string) (crypto.Signer, error) {
	switch alg {
	case "ES256":
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "EdDSA":
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		return priv, err
	case "RS256":
		return rsa.GenerateKey(rand.Reader, 3072)
	}
	return nil, fmt.Errorf("unsupported signing algorithm %q", alg)
}

// create makes a key that starts signing after delay and stores it.
func (k *Keys) create(ctx context.Context, delay time.Duration, by domain.Actor, action string) (domain.SigningKey, error) {
	priv, err := generate(k.alg)
	if err != nil {
		return domain.SigningKey{}, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return domain.SigningKey{}, err
	}
	now := k.now().UTC().Truncate(time.Microsecond)
	id := domain.NewID(domain.PrefixKey)
	jwk, err := jose.JSONWebKey{Key: priv.Public(), KeyID: id, Algorithm: k.alg, Use: "sig"}.MarshalJSON()
	if err != nil {
		return domain.SigningKey{}, err
	}
	m := domain.SigningKey{ID: id, Algorithm: k.alg, Sealed: k.ring.Seal(der, []byte(id)), PublicJWK: string(jwk),
		// Whole seconds: tokens carry iat in seconds, and Mint picks the key
		// active at iat, so a key must not start within a second.
		CreatedAt: now, ActiveFrom: now.Add(delay).Truncate(time.Second)}
	err = k.store.InTx(ctx, func(tx store.Tx) error {
		if err := tx.CreateSigningKey(ctx, m); err != nil {
			return err
		}
		if err := announceKeys(ctx, tx); err != nil {
			return err
		}
		return k.audit.Append(ctx, tx, audit.Entry{Actor: by, Action: action, Target: id,
			Detail: map[string]string{"algorithm": k.alg, "active_from": m.ActiveFrom.Format(time.RFC3339)}})
	})
	if err != nil {
		return domain.SigningKey{}, fmt.Errorf("create signing key: %w", err)
	}
	return m, k.Reload(ctx)
}

// Rotate publishes a new key now; it signs after delay (the configured
// activation delay when delay is negative).
func (k *Keys) Rotate(ctx context.Context, by domain.Actor, delay time.Duration) (domain.SigningKey, error) {
	if delay < 0 {
		delay = k.delay
	}
	return k.create(ctx, delay, by, "key.rotate")
}

// RetireExpired unpublishes keys that no token still alive can name: those
// superseded by a signing key for longer than RetireAfter.
func (k *Keys) RetireExpired(ctx context.Context) (int, error) {
	now := k.now()
	k.mu.RLock()
	var retire []string
	for i, lk := range k.keys {
		for _, newer := range k.keys[i+1:] {
			if !newer.meta.ActiveFrom.After(now) && now.Sub(newer.meta.ActiveFrom) > RetireAfter {
				retire = append(retire, lk.meta.ID)
				break
			}
		}
	}
	k.mu.RUnlock()
	for _, id := range retire {
		err := k.store.InTx(ctx, func(tx store.Tx) error {
			if err := tx.RetireSigningKey(ctx, id, now); err != nil {
				return err
			}
			if err := announceKeys(ctx, tx); err != nil {
				return err
			}
			return k.audit.Append(ctx, tx, audit.Entry{Actor: domain.System("", "keys"), Action: "key.retire", Target: id})
		})
		if err != nil {
			return 0, err
		}
	}
	if len(retire) > 0 {
		return len(retire), k.Reload(ctx)
	}
	return 0, nil
}

// List returns the published keys, oldest first.
func (k *Keys) List() []domain.SigningKey {
	k.mu.RLock()
	defer k.mu.RUnlock()
	out := make([]domain.SigningKey, len(k.keys))
	for i, lk := range k.keys {
		out[i] = lk.meta
		out[i].Sealed = nil
	}
	return out
}

// Current returns the key that signs at now.
func (k *Keys) Current(now time.Time) (domain.SigningKey, bool) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	if lk := k.current(now); lk != nil {
		m := lk.meta
		m.Sealed = nil
		return m, true
	}
	return domain.SigningKey{}, false
}

// current is the newest key active at now. Called with mu held.
func (k *Keys) current(now time.Time) *loadedKey {
	for i := len(k.keys) - 1; i >= 0; i-- {
		if !k.keys[i].meta.ActiveFrom.After(now) {
			return &k.keys[i]
		}
	}
	return nil
}

func (k *Keys) currentSigner(now time.Time) jose.Signer {
	k.mu.RLock()
	defer k.mu.RUnlock()
	if lk := k.current(now); lk != nil {
		return lk.signer
	}
	return nil
}

func (k *Keys) publicKey(kid string) (crypto.PublicKey, string, bool) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	for _, lk := range k.keys {
		if lk.meta.ID == kid {
			return lk.public, lk.meta.Algorithm, true
		}
	}
	return nil, "", false
}

// Algorithms returns the algorithms of the published keys, which is what
// a verifier may meet (the configured one may differ after a restart).
func (k *Keys) Algorithms() []string {
	k.mu.RLock()
	defer k.mu.RUnlock()
	var out []string
	seen := map[string]bool{}
	for _, lk := range k.keys {
		if !seen[lk.meta.Algorithm] {
			seen[lk.meta.Algorithm] = true
			out = append(out, lk.meta.Algorithm)
		}
	}
	return out
}

// JWKS returns the JSON Web Key Set document and its ETag.
func (k *Keys) JWKS() ([]byte, string) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.jwks, k.etag
}

func buildJWKS(keys []loadedKey) ([]byte, string, error) {
	set := struct {
		Keys []json.RawMessage `json:"keys"`
	}{Keys: []json.RawMessage{}}
	for _, lk := range keys {
		set.Keys = append(set.Keys, json.RawMessage(lk.meta.PublicJWK))
	}
	b, err := json.Marshal(set)
	if err != nil {
		return nil, "", err
	}
	sum := sha256.Sum256(b)
	return b, `"` + hex.EncodeToString(sum[:8]) + `"`, nil
}
