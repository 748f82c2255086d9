package credential_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"keywarden/internal/credential"
	"keywarden/internal/domain"
	"keywarden/internal/store"
	"keywarden/internal/store/enginetest"
	"keywarden/internal/store/sqlite"
	"keywarden/internal/testkit"
)

const testIssuer = "https://kw.test"

var testAudiences = []string{testIssuer, testIssuer + "/oauth2/token"}

// signer is a client's private key and the kid it registered.
type signer struct {
	priv crypto.Signer
	alg  jose.SignatureAlgorithm
	kid  string
}

func newSigner(t *testing.T, alg jose.SignatureAlgorithm, kid string) signer {
	t.Helper()
	var priv crypto.Signer
	var err error
	switch alg {
	case jose.ES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case jose.ES384:
		priv, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case jose.EdDSA:
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	case jose.RS256, jose.PS256:
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	}
	if err != nil {
		t.Fatal(err)
	}
	return signer{priv: priv, alg: alg, kid: kid}
}

// publicJWK is the signer's public key as a JWK (with kid and alg).
func (s signer) publicJWK(t *testing.T) string {
	t.Helper()
	b, err := jose.JSONWebKey{Key: s.priv.Public(), KeyID: s.kid, Algorithm: string(s.alg)}.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// sign signs claims as a compact JWS with the signer's kid in the header.
func (s signer) sign(t *testing.T, claims any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if s.kid != "" {
		opts = opts.WithHeader(jose.HeaderKey("kid"), s.kid)
	}
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: s.alg, Key: s.priv}, opts)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jwt.Signed(sig).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// assertionClaims are good claims for client c at now.
func assertionClaims(c domain.ClientID, now time.Time) jwt.Claims {
	return jwt.Claims{Issuer: string(c), Subject: string(c), Audience: jwt.Audience{testIssuer + "/oauth2/token"},
		Expiry: jwt.NewNumericDate(now.Add(time.Minute)), IssuedAt: jwt.NewNumericDate(now), ID: domain.NewID("jti_")}
}

func (e *env) key(t *testing.T, c domain.ClientID, s signer) domain.ClientKey {
	t.Helper()
	v, err := e.svc.CreateKey(t.Context(), e.admin, c, credential.KeyInput{JWK: s.publicJWK(t), Description: "ci"})
	if err != nil {
		t.Fatal(err)
	}
	return v.Key
}

func (e *env) assert(t *testing.T, assertion string) (domain.ClientAuth, error) {
	t.Helper()
	return e.svc.AuthenticateAssertion(t.Context(), credential.AssertionInput{Assertion: assertion, Audiences: testAudiences, Source: "192.0.2.1"})
}

// TestCreateKeyRefuses: what a client may register is a public,
// asymmetric signing key of a supported kind; everything else is a
// validation error, and a kid is unique per client.
func TestCreateKeyRefuses(t *testing.T) {
	e := newEnv(t)
	c, other := e.client(t), e.client(t)
	ec := newSigner(t, jose.ES256, "ec-1")
	withPrivate, _ := jose.JSONWebKey{Key: ec.priv, KeyID: "priv"}.MarshalJSON()
	rsaSmall, _ := rsa.GenerateKey(rand.Reader, 1024)
	small, _ := jose.JSONWebKey{Key: &rsaSmall.PublicKey, KeyID: "small"}.MarshalJSON()
	p521, _ := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	big, _ := jose.JSONWebKey{Key: &p521.PublicKey, KeyID: "p521"}.MarshalJSON()
	edKey := newSigner(t, jose.EdDSA, "ed")
	wrongAlg, _ := jose.JSONWebKey{Key: edKey.priv.Public(), KeyID: "ed", Algorithm: "ES256"}.MarshalJSON()
	enc, _ := jose.JSONWebKey{Key: edKey.priv.Public(), KeyID: "ed", Use: "enc"}.MarshalJSON()
	tests := []struct {
		name, jwk, want string
	}{
		{"empty", "", "give the public key"},
		{"not JSON", "-----BEGIN PUBLIC KEY-----", "not a JSON object"},
		{"a JWK Set", `{"keys":[]}`, "not a JWK Set"},
		{"private EC key", string(withPrivate), "private key material"},
		{"symmetric key", `{"kty":"oct","k":"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"}`, "symmetric keys"},
		{"symmetric key without k", `{"kty":"oct"}`, "symmetric keys"},
		{"RSA below 2048 bits", string(small), "at least 2048 bits"},
		{"P-521", string(big), "P-256 (ES256) or P-384"},
		{"alg that does not fit the key", string(wrongAlg), "does not fit its key"},
		{"use enc", string(enc), `"use" must be "sig"`},
		{"not a key", `{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}`, "not a valid"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.svc.CreateKey(t.Context(), e.admin, c.ID, credential.KeyInput{JWK: tc.jwk})
			var v *domain.ValidationError
			if !errors.As(err, &v) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("CreateKey = %v; want a validation error containing %q", err, tc.want)
			}
			var members map[string]string
			if json.Unmarshal(withPrivate, &members) == nil && strings.Contains(err.Error(), members["d"]) {
				t.Fatal("the error echoes the private key")
			}
		})
	}
	list, _ := e.svc.ListKeys(t.Context(), e.admin, c.ID)
	if len(list.Keys) != 0 {
		t.Fatalf("refused keys were stored: %+v", list.Keys)
	}

	k := e.key(t, c.ID, ec)
	if k.KID != "ec-1" || k.Algorithm != "ES256" || k.Thumbprint == "" || k.ExpiresAt == nil || strings.Contains(k.PublicJWK, `"d"`) {
		t.Errorf("created key %+v", k)
	}
	if _, err := e.svc.CreateKey(t.Context(), e.admin, c.ID, credential.KeyInput{JWK: ec.publicJWK(t)}); !errors.Is(err, domain.ErrConflict) {
		t.Errorf("same kid twice: %v, want a conflict", err)
	}
	if _, err := e.svc.CreateKey(t.Context(), e.admin, other.ID, credential.KeyInput{JWK: ec.publicJWK(t)}); err != nil {
		t.Errorf("same kid for another client: %v", err)
	}
	far := e.clock.Now().Add(10 * 365 * 24 * time.Hour)
	if _, err := e.svc.CreateKey(t.Context(), e.admin, c.ID, credential.KeyInput{JWK: newSigner(t, jose.ES256, "far").publicJWK(t), ExpiresAt: &far}); !isInvalid(err) {
		t.Errorf("expiry beyond policy: %v, want invalid", err)
	}
	noKID := newSigner(t, jose.EdDSA, "")
	k2 := e.key(t, c.ID, noKID)
	if k2.KID != k2.Thumbprint || k2.Algorithm != "EdDSA" {
		t.Errorf("a JWK without kid gets its thumbprint: %+v", k2)
	}
	if _, err := e.svc.CreateKey(t.Context(), e.admin, domain.NewClientID(), credential.KeyInput{JWK: "x"}); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("unknown client: %v, want not found first", err)
	}
}

// TestAssertionAccepted: each supported algorithm authenticates, the token
// path reads no store once the cache is warm, and a use is batched into
// the key's last-used time and one audit event.
func TestAssertionAccepted(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	for _, alg := range []jose.SignatureAlgorithm{jose.ES256, jose.ES384, jose.EdDSA, jose.RS256, jose.PS256} {
		t.Run(string(alg), func(t *testing.T) {
			s := newSigner(t, alg, "kid-"+string(alg))
			k := e.key(t, c.ID, s)
			auth, err := e.assert(t, s.sign(t, assertionClaims(c.ID, e.clock.Now())))
			if err != nil || auth.Client.ID != c.ID || auth.KeyID != k.ID || auth.SecretID != "" {
				t.Fatalf("AuthenticateAssertion = %+v, %v", auth, err)
			}
			// Without a kid: tried against the active keys of its alg.
			s.kid = ""
			if auth, err := e.assert(t, s.sign(t, assertionClaims(c.ID, e.clock.Now()))); err != nil || auth.KeyID != k.ID {
				t.Fatalf("without kid: %+v, %v", auth, err)
			}
		})
	}
	if err := e.svc.FlushUsage(t.Context()); err != nil {
		t.Fatal(err)
	}
	list, _ := e.svc.ListKeys(t.Context(), e.admin, c.ID)
	keys := list.Keys
	for _, k := range keys {
		if k.LastUsedAt == nil || k.LastUsedFrom != "192.0.2.1" {
			t.Errorf("key %s: last used %v from %q; want the batched use", k.KID, k.LastUsedAt, k.LastUsedFrom)
		}
	}
	events, _, _ := e.audit.List(t.Context(), e.admin.OrgID, domain.AuditFilter{Action: "client.authenticate"})
	found := 0
	for _, ev := range events {
		if ev.Detail["method"] == "private_key_jwt" && ev.Detail["key_id"] != "" && ev.Detail["count"] == "2" {
			found++
		}
	}
	if found != len(keys) {
		t.Errorf("%d usage events for %d keys: %+v", found, len(keys), events)
	}
}

// TestAssertionRejections: every way an assertion can be wrong is
// ErrBadCredentials, with its precise reason in the audit log, on every
// engine.
func TestAssertionRejections(t *testing.T) {
	enginetest.Run(t, func(t *testing.T, open func(*testing.T) store.Store) {
		e := newEnvOn(t, open(t))
		c, other := e.client(t), e.client(t)
		s := newSigner(t, jose.ES256, "main")
		e.key(t, c.ID, s)
		otherKey := newSigner(t, jose.ES256, "other")
		e.key(t, other.ID, otherKey)
		revokedSigner := newSigner(t, jose.EdDSA, "revoked")
		rk := e.key(t, c.ID, revokedSigner)
		if _, err := e.svc.RevokeKey(t.Context(), e.admin, c.ID, rk.ID); err != nil {
			t.Fatal(err)
		}
		soon := e.clock.Now().Add(time.Hour)
		expiringSigner := newSigner(t, jose.RS256, "expiring")
		if _, err := e.svc.CreateKey(t.Context(), e.admin, c.ID, credential.KeyInput{JWK: expiringSigner.publicJWK(t), ExpiresAt: &soon}); err != nil {
			t.Fatal(err)
		}
		ps := newSigner(t, jose.PS256, "ps")
		e.key(t, c.ID, ps)
		disabled := e.client(t)
		ds := newSigner(t, jose.ES256, "d")
		e.key(t, disabled.ID, ds)
		yes := true
		if _, err := e.svc.UpdateClient(t.Context(), e.admin, disabled.ID, credential.ClientPatch{Disabled: &yes}); err != nil {
			t.Fatal(err)
		}
		now := e.clock.Now()
		claims := func(f func(*jwt.Claims)) jwt.Claims {
			cl := assertionClaims(c.ID, now)
			f(&cl)
			return cl
		}
		replayed := s.sign(t, assertionClaims(c.ID, now))
		if _, err := e.assert(t, replayed); err != nil {
			t.Fatal(err)
		}
		hmacSigner, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: []byte("0123456789abcdef0123456789abcdef")}, nil)
		hs256, _ := jwt.Signed(hmacSigner).Claims(assertionClaims(c.ID, now)).Serialize()
		payload, _ := json.Marshal(assertionClaims(c.ID, now))
		none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none"}`)) + "." + base64.RawURLEncoding.EncodeToString(payload) + "."
		noKIDOther := otherKey
		noKIDOther.kid = ""

		tests := []struct {
			name, assertion, reason string
			clientID                domain.ClientID
			before                  func()
		}{
			{name: "wrong iss", assertion: s.sign(t, claims(func(c *jwt.Claims) { c.Issuer = string(other.ID) })), reason: "iss must be the client ID"},
			{name: "sub of another client, signed with its key", assertion: otherKey.sign(t, claims(func(cl *jwt.Claims) { cl.Subject = string(other.ID) })), reason: "iss must be the client ID"},
			{name: "client_id differs from sub", assertion: s.sign(t, assertionClaims(c.ID, now)), clientID: other.ID, reason: "sub differs from the client_id"},
			{name: "wrong aud", assertion: s.sign(t, claims(func(c *jwt.Claims) { c.Audience = jwt.Audience{"https://other.example"} })), reason: "aud is neither"},
			{name: "two aud values", assertion: s.sign(t, claims(func(c *jwt.Claims) { c.Audience = jwt.Audience{testIssuer, "https://other.example"} })), reason: "aud must be one value"},
			{name: "no aud", assertion: s.sign(t, claims(func(c *jwt.Claims) { c.Audience = nil })), reason: "aud must be one value"},
			{name: "no exp", assertion: s.sign(t, claims(func(c *jwt.Claims) { c.Expiry = nil })), reason: "exp is missing"},
			{name: "exp too far ahead", assertion: s.sign(t, claims(func(c *jwt.Claims) {
				c.Expiry = jwt.NewNumericDate(now.Add(credential.MaxAssertionLifetime + credential.AssertionClockSkew + 2*time.Second))
			})), reason: "more than 5m0s ahead"},
			{name: "expired beyond skew", assertion: s.sign(t, claims(func(c *jwt.Claims) {
				c.Expiry = jwt.NewNumericDate(now.Add(-credential.AssertionClockSkew - time.Second))
			})), reason: "expired"},
			{name: "nbf in the future beyond skew", assertion: s.sign(t, claims(func(c *jwt.Claims) {
				c.NotBefore = jwt.NewNumericDate(now.Add(credential.AssertionClockSkew + 2*time.Second))
			})), reason: "nbf is in the future"},
			{name: "iat in the future beyond skew", assertion: s.sign(t, claims(func(c *jwt.Claims) {
				c.IssuedAt = jwt.NewNumericDate(now.Add(credential.AssertionClockSkew + 2*time.Second))
			})), reason: "iat is in the future"},
			{name: "no jti", assertion: s.sign(t, claims(func(c *jwt.Claims) { c.ID = "" })), reason: "jti is missing"},
			{name: "jti too long", assertion: s.sign(t, claims(func(c *jwt.Claims) { c.ID = strings.Repeat("j", credential.MaxJTILen+1) })), reason: "jti is longer"},
			{name: "replayed jti", assertion: replayed, reason: "jti replayed"},
			{name: "alg none", assertion: none, reason: `alg "none" refused`},
			{name: "HS256", assertion: hs256, reason: "alg HS256 refused (HMAC)"},
			{name: "not a JWT", assertion: "not.a.jwt", reason: "not a signed JWT"},
			{name: "unknown kid", assertion: newSigner(t, jose.ES256, "nope").sign(t, assertionClaims(c.ID, now)), reason: "unknown kid"},
			{name: "key of another client, its kid", assertion: otherKey.sign(t, assertionClaims(c.ID, now)), reason: "unknown kid"},
			{name: "key of another client, no kid", assertion: noKIDOther.sign(t, assertionClaims(c.ID, now)), reason: "signature does not verify"},
			{name: "signature by another key under the client's kid", assertion: newSigner(t, jose.ES256, "main").sign(t, assertionClaims(c.ID, now)), reason: "signature does not verify"},
			{name: "alg other than the key's", assertion: signer{priv: ps.priv, alg: jose.RS256, kid: "ps"}.sign(t, assertionClaims(c.ID, now)), reason: "alg RS256 does not match the key's alg PS256"},
			{name: "revoked key", assertion: revokedSigner.sign(t, assertionClaims(c.ID, now)), reason: "key revoked"},
			{name: "expired key", assertion: "", reason: "key expired", before: func() { e.clock.Add(2 * time.Hour) }},
			{name: "disabled client", assertion: "", clientID: disabled.ID, reason: "client disabled"},
			{name: "unknown client", assertion: "", reason: "unknown client"},
		}
		for i, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				if tc.before != nil {
					tc.before()
				}
				a := tc.assertion
				switch tc.name { // signed at the (moved) clock
				case "expired key":
					a = expiringSigner.sign(t, assertionClaims(c.ID, e.clock.Now()))
				case "disabled client":
					a = ds.sign(t, assertionClaims(disabled.ID, e.clock.Now()))
				case "unknown client":
					a = s.sign(t, assertionClaims(domain.NewClientID(), e.clock.Now()))
				}
				_, err := e.svc.AuthenticateAssertion(t.Context(), credential.AssertionInput{ClientID: tc.clientID, Assertion: a, Audiences: testAudiences,
					Source: fmt.Sprintf("192.0.2.%d", 10+i)}) // below the per-address limits
				if !errors.Is(err, credential.ErrBadCredentials) {
					t.Fatalf("AuthenticateAssertion = %v, want ErrBadCredentials", err)
				}
				if got := e.failureReason(t); !strings.Contains(got, tc.reason) {
					t.Errorf("audited reason %q, want it to contain %q", got, tc.reason)
				}
			})
		}
	})
}

// failureReason flushes the failed authentications and returns what was
// recorded of the newest: its audit event's reason, or, for a failure
// with no organisation (no client found), the log line.
func (e *env) failureReason(t *testing.T) string {
	t.Helper()
	failures := func() []domain.AuditEvent {
		events, _, err := e.audit.List(t.Context(), e.admin.OrgID, domain.AuditFilter{Action: "client.authenticate"})
		if err != nil {
			t.Fatal(err)
		}
		var out []domain.AuditEvent
		for _, ev := range events {
			if ev.Result == domain.ResultFailure {
				out = append(out, ev)
			}
		}
		return out
	}
	before := len(failures())
	var logged bytes.Buffer
	if err := e.svc.FlushFailures(t.Context(), slog.New(slog.NewTextHandler(&logged, nil))); err != nil {
		t.Fatal(err)
	}
	if after := failures(); len(after) > before {
		return after[0].Detail["reason"]
	}
	return logged.String()
}

// TestAssertionReplayRace presents one assertion from many goroutines at
// once, on every engine: exactly one succeeds.
func TestAssertionReplayRace(t *testing.T) {
	enginetest.Run(t, func(t *testing.T, open func(*testing.T) store.Store) {
		e := newEnvOn(t, open(t))
		c := e.client(t)
		s := newSigner(t, jose.ES256, "k")
		e.key(t, c.ID, s)
		for round := range 3 {
			a := s.sign(t, assertionClaims(c.ID, e.clock.Now()))
			var ok, refused atomic.Int32
			testkit.Race(8, func(int) {
				// A source per round: each round's 7 refusals count
				// against the per-client limit at the address.
				_, err := e.svc.AuthenticateAssertion(t.Context(), credential.AssertionInput{Assertion: a, Audiences: testAudiences,
					Source: fmt.Sprintf("198.51.100.%d", round)})
				switch {
				case err == nil:
					ok.Add(1)
				case errors.Is(err, credential.ErrBadCredentials):
					refused.Add(1)
				default:
					t.Errorf("AuthenticateAssertion: %v", err)
				}
			})
			if ok.Load() != 1 || refused.Load() != 7 {
				t.Fatalf("round %d: %d successes, %d refusals of one assertion; want 1 and 7", round, ok.Load(), refused.Load())
			}
		}
	})
}

// TestRevokeKeyEndsItsTokens: a token authenticated by a key is active
// while the key is, and inactive once it is revoked or expired; another
// key's tokens live on.
func TestRevokeKeyEndsItsTokens(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	c := e.client(t)
	s1, s2 := newSigner(t, jose.ES256, "one"), newSigner(t, jose.EdDSA, "two")
	k1, k2 := e.key(t, c.ID, s1), e.key(t, c.ID, s2)
	iat := e.clock.Now().Unix()
	active := func(k domain.ClientKeyID) bool {
		ok, _, err := e.svc.TokenActive(ctx, e.admin.OrgID, c.ID, "", k, iat)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !active(k1.ID) || !active(k2.ID) {
		t.Fatal("tokens of active keys are inactive")
	}
	if active(domain.NewClientKeyID()) {
		t.Error("a token of an unknown key is active")
	}
	if _, err := e.svc.RevokeKey(ctx, e.admin, c.ID, k1.ID); err != nil {
		t.Fatal(err)
	}
	if active(k1.ID) || !active(k2.ID) {
		t.Errorf("after revoking key one: one %v two %v; want false true", active(k1.ID), active(k2.ID))
	}
	// Revoking again is harmless and audits once.
	if v, err := e.svc.RevokeKey(ctx, e.admin, c.ID, k1.ID); err != nil || v.Key.RevokedAt == nil {
		t.Errorf("second revoke: %+v, %v", v, err)
	}
	events, _, _ := e.audit.List(ctx, e.admin.OrgID, domain.AuditFilter{Action: "key.revoke"})
	if len(events) != 1 {
		t.Errorf("%d key.revoke events, want 1", len(events))
	}
	if _, err := e.assert(t, s1.sign(t, assertionClaims(c.ID, e.clock.Now()))); !errors.Is(err, credential.ErrBadCredentials) {
		t.Errorf("revoked key authenticates: %v", err)
	}
	e.clock.Add(400 * 24 * time.Hour) // past the policy's longest expiry
	if active(k2.ID) {
		t.Error("a token of an expired key is active")
	}
	if _, err := e.svc.RevokeKey(ctx, e.admin, e.client(t).ID, k2.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("revoking through another client: %v, want not found", err)
	}
}

// TestUpdateKey edits the description and expiry within policy.
func TestUpdateKey(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	k := e.key(t, c.ID, newSigner(t, jose.ES256, "k"))
	desc, exp := "renamed", e.clock.Now().Add(24*time.Hour).Truncate(time.Second)
	v, err := e.svc.UpdateKey(t.Context(), e.admin, c.ID, k.ID, credential.KeyPatch{Description: &desc, ExpiresAt: &exp})
	if got := v.Key; err != nil || got.Description != desc || !got.ExpiresAt.Equal(exp) {
		t.Fatalf("UpdateKey = %+v, %v", v, err)
	}
	far := e.clock.Now().Add(10 * 365 * 24 * time.Hour)
	if _, err := e.svc.UpdateKey(t.Context(), e.admin, c.ID, k.ID, credential.KeyPatch{ExpiresAt: &far}); !isInvalid(err) {
		t.Errorf("expiry beyond policy: %v", err)
	}
	if _, err := e.svc.RevokeKey(t.Context(), e.admin, c.ID, k.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.UpdateKey(t.Context(), e.admin, c.ID, k.ID, credential.KeyPatch{Description: &desc}); !errors.Is(err, domain.ErrConflict) {
		t.Errorf("editing a revoked key: %v, want conflict", err)
	}
}

func isInvalid(err error) bool {
	var v *domain.ValidationError
	return errors.As(err, &v)
}

// TestDeleteExpiredAssertionIDs: the purge forgets a jti only after its
// assertion expired, and a forgotten jti is still refused by exp.
func TestDeleteExpiredAssertionIDs(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	s := newSigner(t, jose.ES256, "k")
	e.key(t, c.ID, s)
	a := s.sign(t, assertionClaims(c.ID, e.clock.Now()))
	if _, err := e.assert(t, a); err != nil {
		t.Fatal(err)
	}
	if n, err := e.svc.DeleteExpiredAssertionIDs(t.Context()); n != 0 || err != nil {
		t.Fatalf("purge before exp = %d, %v; want 0", n, err)
	}
	e.clock.Add(time.Minute + credential.AssertionClockSkew + time.Second)
	if n, err := e.svc.DeleteExpiredAssertionIDs(t.Context()); n != 1 || err != nil {
		t.Fatalf("purge after exp = %d, %v; want 1", n, err)
	}
	if _, err := e.assert(t, a); !errors.Is(err, credential.ErrBadCredentials) {
		t.Errorf("the purged assertion authenticates: %v", err)
	}
}

// TestRevokeAllRevokesKeys: the breach response revokes the client's keys
// with its secrets, audited with their count.
func TestRevokeAllRevokesKeys(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	s := newSigner(t, jose.ES256, "k")
	k := e.key(t, c.ID, s)
	if _, err := e.svc.RevokeAll(t.Context(), e.admin, c.ID); err != nil {
		t.Fatal(err)
	}
	v, err := e.svc.GetKey(t.Context(), e.admin, c.ID, k.ID)
	if err != nil || v.Key.RevokedAt == nil {
		t.Fatalf("key after revoke-all: %+v, %v", v.Key, err)
	}
	if _, err := e.assert(t, s.sign(t, assertionClaims(c.ID, e.clock.Now()))); !errors.Is(err, credential.ErrBadCredentials) {
		t.Errorf("a key authenticates after revoke-all: %v", err)
	}
	events, _, _ := e.audit.List(t.Context(), e.admin.OrgID, domain.AuditFilter{Action: "client.revoke_all"})
	if len(events) != 1 || events[0].Detail["keys_revoked"] != "1" {
		t.Errorf("revoke_all events %+v", events)
	}
}

// TestJWKSURI: a client that registered its JWK Set's URL authenticates
// with any key the set holds; a kid the cached set lacks fetches it again,
// at most once per JWKSMinRefresh; revoking the entry ends its tokens.
func TestJWKSURI(t *testing.T) {
	var fetches atomic.Int32
	var set atomic.Value // the JWK Set served, JSON
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		w.Header().Set("Content-Type", "application/jwk-set+json")
		w.Write(set.Load().([]byte))
	}))
	defer srv.Close()
	serve := func(signers ...signer) {
		var keys jose.JSONWebKeySet
		for _, s := range signers {
			keys.Keys = append(keys.Keys, jose.JSONWebKey{Key: s.priv.Public(), KeyID: s.kid, Algorithm: string(s.alg)})
		}
		b, err := json.Marshal(keys)
		if err != nil {
			t.Fatal(err)
		}
		set.Store(b)
	}
	e := newEnvOn(t, openSQLite(t), func(o *credential.Options) { o.JWKSClient = srv.Client() })
	c := e.client(t)
	one, two := newSigner(t, jose.ES256, "one"), newSigner(t, jose.EdDSA, "two")
	serve(one)
	v, err := e.svc.CreateKey(t.Context(), e.admin, c.ID, credential.KeyInput{JWKSURI: srv.URL + "/jwks.json", Description: "set"})
	if err != nil {
		t.Fatal(err)
	}
	if v.Key.JWKSURI != srv.URL+"/jwks.json" || v.Key.PublicJWK != "" {
		t.Fatalf("jwks_uri key %+v", v.Key)
	}
	auth, err := e.assert(t, one.sign(t, assertionClaims(c.ID, e.clock.Now())))
	if err != nil || auth.KeyID != v.Key.ID {
		t.Fatalf("assertion of a key in the set: %+v, %v", auth, err)
	}
	if n := fetches.Load(); n != 1 {
		t.Errorf("%d fetches for the first assertion, want 1", n)
	}
	// The client rotates: key two is in the set now; the cached set lacks
	// it, so it is fetched again, once.
	e.clock.Add(credential.JWKSMinRefresh)
	serve(one, two)
	if _, err := e.assert(t, two.sign(t, assertionClaims(c.ID, e.clock.Now()))); err != nil {
		t.Fatalf("a key added to the set: %v", err)
	}
	if n := fetches.Load(); n != 2 {
		t.Errorf("%d fetches after an unknown kid, want 2", n)
	}
	// Unknown kids within JWKSMinRefresh fetch nothing more.
	stranger := newSigner(t, jose.ES256, "stranger")
	for i := range 3 {
		_, err := e.svc.AuthenticateAssertion(t.Context(), credential.AssertionInput{Assertion: stranger.sign(t, assertionClaims(c.ID, e.clock.Now())),
			Audiences: testAudiences, Source: fmt.Sprintf("198.51.100.%d", 50+i)})
		if !errors.Is(err, credential.ErrBadCredentials) {
			t.Fatalf("unknown kid: %v", err)
		}
	}
	if n := fetches.Load(); n != 2 {
		t.Errorf("%d fetches after three unknown kids within the refresh bound, want still 2", n)
	}
	if got := e.failureReason(t); !strings.Contains(got, "unknown kid") {
		t.Errorf("audited %q", got)
	}
	// Revoking the entry: its keys no longer authenticate, its tokens die.
	if _, err := e.svc.RevokeKey(t.Context(), e.admin, c.ID, v.Key.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.assert(t, one.sign(t, assertionClaims(c.ID, e.clock.Now()))); !errors.Is(err, credential.ErrBadCredentials) {
		t.Errorf("a key of a revoked jwks_uri authenticates: %v", err)
	}
	if ok, _, _ := e.svc.TokenActive(t.Context(), e.admin.OrgID, c.ID, "", v.Key.ID, e.clock.Now().Unix()); ok {
		t.Error("a token of a revoked jwks_uri is active")
	}
	// Refused: both at once, a bad URL; and a server without a client.
	for name, in := range map[string]credential.KeyInput{
		"both":     {JWKSURI: srv.URL, JWK: one.publicJWK(t)},
		"relative": {JWKSURI: "/jwks.json"},
		"ftp":      {JWKSURI: "ftp://example.com/jwks"},
	} {
		if _, err := e.svc.CreateKey(t.Context(), e.admin, c.ID, in); !isInvalid(err) {
			t.Errorf("%s: %v, want invalid", name, err)
		}
	}
	plain := newEnv(t)
	if _, err := plain.svc.CreateKey(t.Context(), plain.admin, plain.client(t).ID, credential.KeyInput{JWKSURI: "https://keys.example.com/jwks.json"}); !isInvalid(err) {
		t.Errorf("jwks_uri without a fetching client: %v, want invalid", err)
	}
}

func openSQLite(t *testing.T) store.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
