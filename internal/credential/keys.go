package credential

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"keywarden/internal/audit"
	"keywarden/internal/domain"
	"keywarden/internal/store"
	"keywarden/internal/webhook"
)

// Client keys (private_key_jwt, docs/oauth.md "Key authentication").
const (
	// MaxActiveKeys bounds how many unrevoked, unexpired keys a client
	// holds at once: enough for a rotation, few enough that an assertion
	// without a kid is tried against each.
	MaxActiveKeys = 10
	// MaxJWKBytes bounds a registered JWK.
	MaxJWKBytes = 8 << 10
	// MaxKIDLen bounds a key's kid.
	MaxKIDLen = 200
	// MinRSABits is the smallest RSA modulus accepted.
	MinRSABits = 2048
)

// KeyAlgorithms are the JWS algorithms of client assertions, in the
// order the metadata lists them: asymmetric only; "none" and HMAC are
// never accepted (RFC 8725 §3.1).
var KeyAlgorithms = []string{"ES256", "ES384", "EdDSA", "RS256", "PS256"}

// KeyInput registers a public key for a client.
type KeyInput struct {
	// JWK is the public key as a JSON Web Key (RFC 7517). Its "kid" names
	// it (the RFC 7638 thumbprint when it has none), its "alg", when
	// given, is the one algorithm it signs with (otherwise inferred:
	// ES256 for P-256, ES384 for P-384, EdDSA for Ed25519, RS256 for RSA).
	JWK string
	// JWKSURI, instead of JWK, registers the URL of the client's JWK Set:
	// its keys are fetched through the SSRF-guarded client and cached
	// (jwks.go).
	JWKSURI      string
	Description  string
	ExpiresAt    *time.Time // nil: the policy's maximum, unless NeverExpires
	NeverExpires bool
}

// KeyPatch edits a key; nil fields stay as they are.
type KeyPatch struct {
	Description  *string
	ExpiresAt    *time.Time
	NeverExpires bool
}

// KeyView is a key as of Now (its status depends on the time).
type KeyView struct {
	Key domain.ClientKey
	Now time.Time
}

// KeyList is a client's keys, oldest first, as of Now.
type KeyList struct {
	Keys []domain.ClientKey
	Now  time.Time
}

// parsedKey is a registered key ready to verify signatures.
type parsedKey struct {
	kid, alg, thumbprint, jwk string
	key                       crypto.PublicKey
}

// parseJWK checks a registered JWK: public, asymmetric, of a supported
// curve or size, for signing, with an algorithm that fits it. Private
// material and symmetric keys are refused with a validation error naming
// field; nothing of the input is echoed.
func parseJWK(field, raw string) (parsedKey, error) {
	if strings.TrimSpace(raw) == "" {
		return parsedKey{}, domain.Invalid(field, "give the public key as a JWK (JSON object)")
	}
	if len(raw) > MaxJWKBytes {
		return parsedKey{}, domain.Invalid(field, fmt.Sprintf("the JWK is larger than %d bytes", MaxJWKBytes))
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &members); err != nil {
		return parsedKey{}, domain.Invalid(field, "not a JSON object")
	}
	if _, ok := members["keys"]; ok {
		return parsedKey{}, domain.Invalid(field, "give one JWK, not a JWK Set")
	}
	// Private members of EC/OKP ("d"), RSA ("d", "p", "q", "dp", "dq",
	// "qi", "oth") and symmetric ("k") keys: a client's private key never
	// belongs here, and is refused before it is parsed.
	for _, m := range []string{"d", "p", "q", "dp", "dq", "qi", "oth"} {
		if _, ok := members[m]; ok {
			return parsedKey{}, domain.Invalid(field, "the JWK holds private key material (\""+m+"\"); register the public key only, and keep the private key with the client")
		}
	}
	var kty string
	_ = json.Unmarshal(members["kty"], &kty)
	if kty == "oct" || members["k"] != nil {
		return parsedKey{}, domain.Invalid(field, "symmetric keys (kty \"oct\") are not accepted: private_key_jwt needs an asymmetric public key")
	}
	var jwk jose.JSONWebKey
	if err := jwk.UnmarshalJSON([]byte(raw)); err != nil {
		return parsedKey{}, domain.Invalid(field, "not a valid JWK: "+joseReason(err))
	}
	if !jwk.Valid() || !jwk.IsPublic() {
		return parsedKey{}, domain.Invalid(field, "not a valid public JWK")
	}
	if jwk.Use != "" && jwk.Use != "sig" {
		return parsedKey{}, domain.Invalid(field, `the JWK's "use" must be "sig" (or absent)`)
	}
	var inferred string
	switch k := jwk.Key.(type) {
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			inferred = "ES256"
		case elliptic.P384():
			inferred = "ES384"
		default:
			return parsedKey{}, domain.Invalid(field, "EC keys must be on P-256 (ES256) or P-384 (ES384)")
		}
	case ed25519.PublicKey:
		inferred = "EdDSA"
	case *rsa.PublicKey:
		if k.N.BitLen() < MinRSABits {
			return parsedKey{}, domain.Invalid(field, fmt.Sprintf("RSA keys must have at least %d bits", MinRSABits))
		}
		inferred = "RS256"
	default:
		return parsedKey{}, domain.Invalid(field, "unsupported key type; use EC (P-256, P-384), OKP (Ed25519) or RSA")
	}
	alg := jwk.Algorithm
	switch {
	case alg == "":
		alg = inferred
	case alg == "PS256" && inferred == "RS256":
	case alg != inferred:
		return parsedKey{}, domain.Invalid(field, fmt.Sprintf("the JWK's alg %q does not fit its key; use one of %s matching the key", alg, strings.Join(KeyAlgorithms, ", ")))
	}
	tp, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return parsedKey{}, domain.Invalid(field, "not a valid public JWK")
	}
	thumb := base64.RawURLEncoding.EncodeToString(tp)
	kid := jwk.KeyID
	if kid == "" {
		kid = thumb
	}
	if len(kid) > MaxKIDLen || !cleanKID(kid) {
		return parsedKey{}, domain.Invalid(field, fmt.Sprintf("the kid must be 1–%d printable characters", MaxKIDLen))
	}
	// Stored canonically: the public members only, with kid and alg.
	pub := jose.JSONWebKey{Key: jwk.Key, KeyID: kid, Algorithm: alg, Use: "sig"}
	out, err := pub.MarshalJSON()
	if err != nil {
		return parsedKey{}, fmt.Errorf("marshal JWK: %w", err)
	}
	return parsedKey{kid: kid, alg: alg, thumbprint: thumb, jwk: string(out), key: jwk.Key}, nil
}

// joseReason is a short reason from a go-jose parse error, without the
// input.
func joseReason(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	if len(msg) > 100 {
		msg = msg[:100]
	}
	return msg
}

func cleanKID(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// parseJWKS parses a fetched JWK Set: its usable keys (at most
// MaxJWKSKeys), each checked by parseJWK; the others are skipped.
func parseJWKS(body []byte) ([]parsedKey, error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, errors.New("the JWK Set is not a JSON object with keys")
	}
	out := []parsedKey{}
	for _, raw := range set.Keys {
		if p, err := parseJWK("jwks", string(raw)); err == nil && len(out) < MaxJWKSKeys {
			p.jwk = ""
			out = append(out, p)
		}
	}
	return out, nil
}

// checkJWKSURI checks a jwks_uri: an absolute https URL (http only
// where the server's webhook rules allow it) that the server may fetch.
func (s *Service) checkJWKSURI(uri string) error {
	u, err := url.Parse(uri)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || u.User != nil || u.Fragment != "" || len(uri) > 2000 {
		return domain.Invalid("jwks_uri", "must be an absolute https URL of at most 2000 characters, without credentials or fragment")
	}
	if s.jwks.client == nil {
		return domain.Invalid("jwks_uri", "this server does not fetch JWK Sets; register the keys themselves")
	}
	if s.checkHook != nil {
		if err := s.checkHook(uri); err != nil {
			return domain.Invalid("jwks_uri", "the server will not fetch from this URL: "+err.Error())
		}
	}
	return nil
}

// parseStoredKey parses a stored key for the cache. A stored key was
// checked when registered; one that no longer parses verifies nothing.
func parseStoredKey(k domain.ClientKey) (parsedKey, bool) {
	p, err := parseJWK("jwk", k.PublicJWK)
	p.jwk = "" // the entry keeps k.PublicJWK
	return p, err == nil
}

// CreateKey registers a public key for a client. The expiry must be
// within the organisation's policy for the actor's role (as a secret's);
// the client's lock is held while its active keys are counted.
func (s *Service) CreateKey(ctx context.Context, by domain.Actor, clientID domain.ClientID, in KeyInput) (KeyView, error) {
	defer s.cache.Invalidate(clientID)
	var v domain.ValidationError
	validText(&v, "description", in.Description, false, MaxSecretDescriptionLen)
	var p parsedKey
	var perr error
	switch {
	case in.JWKSURI != "" && strings.TrimSpace(in.JWK) != "":
		perr = domain.Invalid("jwk", "give jwk or jwks_uri, not both")
	case in.JWKSURI != "":
		perr = s.checkJWKSURI(in.JWKSURI)
	default:
		p, perr = parseJWK("jwk", in.JWK)
	}
	err := v.Err()
	if perr != nil {
		err = perr
	}
	if err := s.missingFirst(ctx, by, clientID, err); err != nil {
		return KeyView{}, err
	}
	if !clientID.Valid() {
		return KeyView{}, domain.ErrNotFound
	}
	var out KeyView
	err = s.inTx(ctx, func(tx store.Tx) error {
		c, err := tx.LockClient(ctx, by.OrgID, clientID)
		if err != nil {
			return err
		}
		org, err := tx.GetOrg(ctx, by.OrgID)
		if err != nil {
			return err
		}
		now := s.clock()
		expires, err := org.Policy.ResolveExpiry("expires_at", by.Role, now, in.ExpiresAt, in.NeverExpires)
		if err != nil {
			return err
		}
		keys, err := tx.ListClientKeys(ctx, by.OrgID, c.ID)
		if err != nil {
			return err
		}
		active := 0
		for _, k := range keys {
			if k.State(now) == domain.SecretActive {
				active++
			}
			if p.kid != "" && k.KID == p.kid {
				return domain.Conflict("the client already has a key with kid " + quoteKID(p.kid) + "; give the new key another kid")
			}
		}
		if active >= MaxActiveKeys {
			return domain.Conflict(fmt.Sprintf("a client can hold at most %d active keys; revoke one first", MaxActiveKeys))
		}
		k := domain.ClientKey{ID: domain.NewClientKeyID(), OrgID: by.OrgID, ClientID: c.ID, KID: p.kid, Algorithm: p.alg,
			PublicJWK: p.jwk, Thumbprint: p.thumbprint, Description: in.Description, CreatedAt: now, CreatedBy: by.ID, ExpiresAt: expires}
		if in.JWKSURI != "" {
			k.KID, k.JWKSURI = "jwks_uri:"+string(k.ID), in.JWKSURI
		}
		if err := tx.CreateClientKey(ctx, k); err != nil {
			return fmt.Errorf("create key: %w", err)
		}
		if err := s.audit.Append(ctx, tx, audit.Entry{Actor: by, Action: "key.create", Target: string(k.ID),
			Detail: map[string]string{"client_id": string(c.ID), "kid": k.KID, "alg": k.Algorithm, "thumbprint": k.Thumbprint,
				"jwks_uri": k.JWKSURI, "expires_at": formatExpiry(k.ExpiresAt)}}); err != nil {
			return err
		}
		if err := s.events.Enqueue(ctx, tx, webhook.KeyCreated(k)); err != nil {
			return err
		}
		out = KeyView{Key: k, Now: now}
		return s.cache.announce(ctx, tx, clientID)
	})
	return out, err
}

func quoteKID(kid string) string {
	if len(kid) > 40 {
		kid = kid[:40] + "…"
	}
	return fmt.Sprintf("%q", kid)
}

// ListKeys returns a client's keys, oldest first (a few: at most
// MaxActiveKeys are active, and revoked ones stay listed).
func (s *Service) ListKeys(ctx context.Context, by domain.Actor, clientID domain.ClientID) (KeyList, error) {
	if _, err := getClient(ctx, s.store, by.OrgID, clientID); err != nil {
		return KeyList{}, err
	}
	keys, err := s.store.ListClientKeys(ctx, by.OrgID, clientID)
	return KeyList{Keys: keys, Now: s.clock()}, err
}

// GetKey returns one key of a client.
func (s *Service) GetKey(ctx context.Context, by domain.Actor, clientID domain.ClientID, id domain.ClientKeyID) (KeyView, error) {
	k, err := getKey(ctx, s.store, by.OrgID, clientID, id)
	return KeyView{Key: k, Now: s.clock()}, err
}

func getKey(ctx context.Context, tx store.Data, org domain.OrgID, clientID domain.ClientID, id domain.ClientKeyID) (domain.ClientKey, error) {
	if !id.Valid() || !clientID.Valid() {
		return domain.ClientKey{}, domain.ErrNotFound
	}
	k, err := tx.GetClientKey(ctx, org, id)
	if err != nil {
		return k, err
	}
	if k.ClientID != clientID {
		return domain.ClientKey{}, domain.ErrNotFound
	}
	return k, nil
}

// UpdateKey edits a key's description and expiry: only an active key's
// expiry can change, and only within policy.
func (s *Service) UpdateKey(ctx context.Context, by domain.Actor, clientID domain.ClientID, id domain.ClientKeyID, p KeyPatch) (KeyView, error) {
	defer s.cache.Invalidate(clientID)
	var v domain.ValidationError
	if p.Description != nil {
		validText(&v, "description", *p.Description, false, MaxSecretDescriptionLen)
	}
	if _, err := getKey(ctx, s.store, by.OrgID, clientID, id); err != nil {
		return KeyView{}, err
	}
	if err := v.Err(); err != nil {
		return KeyView{}, err
	}
	org, err := s.store.GetOrg(ctx, by.OrgID)
	if err != nil {
		return KeyView{}, err
	}
	var out KeyView
	err = s.inTx(ctx, func(tx store.Tx) error {
		var changed []string
		k, err := tx.UpdateClientKey(ctx, by.OrgID, id, func(k *domain.ClientKey) error {
			changed = nil
			now := s.clock()
			if p.ExpiresAt != nil || p.NeverExpires {
				if k.State(now) != domain.SecretActive {
					return domain.Conflict("the key has expired; an expired key never comes back — register a new one")
				}
				exp, err := org.Policy.ResolveExpiry("expires_at", by.Role, now, p.ExpiresAt, p.NeverExpires)
				if err != nil {
					return err
				}
				k.ExpiresAt, changed = exp, append(changed, "expires_at")
			}
			if p.Description != nil && *p.Description != k.Description {
				k.Description, changed = *p.Description, append(changed, "description")
			}
			if len(changed) == 0 {
				return store.ErrNoChange
			}
			return nil
		})
		if err != nil {
			return err
		}
		out = KeyView{Key: k, Now: s.clock()}
		if len(changed) == 0 {
			return nil
		}
		if err := s.cache.announce(ctx, tx, clientID); err != nil {
			return err
		}
		return s.audit.Append(ctx, tx, audit.Entry{Actor: by, Action: "key.update", Target: string(k.ID),
			Detail: map[string]string{"client_id": string(clientID), "fields": strings.Join(changed, ","), "expires_at": formatExpiry(k.ExpiresAt)}})
	})
	return out, err
}

// RevokeKey revokes a key at once, and with it the access tokens it
// authenticated for (they carry its ID as key_id). Revoking a revoked key
// is not an error, so a retried request is harmless.
func (s *Service) RevokeKey(ctx context.Context, by domain.Actor, clientID domain.ClientID, id domain.ClientKeyID) (KeyView, error) {
	defer s.cache.Invalidate(clientID)
	var out KeyView
	err := s.inTx(ctx, func(tx store.Tx) error {
		k, err := getKey(ctx, tx, by.OrgID, clientID, id)
		if err != nil {
			return err
		}
		now := s.clock()
		out = KeyView{Key: k, Now: now}
		if k.RevokedAt != nil {
			return nil
		}
		revoked, err := tx.RevokeClientKey(ctx, by.OrgID, id, now)
		if err != nil {
			return fmt.Errorf("revoke key %s: %w", id, err)
		}
		if !revoked { // a concurrent revocation came first: it audited
			out.Key, err = tx.GetClientKey(ctx, by.OrgID, id)
			return err
		}
		k.RevokedAt = &now
		out.Key = k
		if err := s.cache.announce(ctx, tx, clientID); err != nil {
			return err
		}
		if k.JWKSURI != "" {
			s.jwks.forget(k.JWKSURI)
		}
		if err := s.audit.Append(ctx, tx, audit.Entry{Actor: by, Action: "key.revoke", Target: string(id),
			Detail: map[string]string{"client_id": string(clientID), "kid": k.KID, "tokens": "revoked"}}); err != nil {
			return err
		}
		return s.events.Enqueue(ctx, tx, webhook.KeyRevoked(k, webhook.ReasonRevoked))
	})
	return out, err
}
