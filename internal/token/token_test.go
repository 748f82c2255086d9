package token_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"keywarden/internal/audit"
	"keywarden/internal/domain"
	"keywarden/internal/keyring"
	"keywarden/internal/store"
	"keywarden/internal/store/sqlite"
	"keywarden/internal/testkit"
	"keywarden/internal/token"
)

type env struct {
	store store.Store
	ring  *keyring.Keyring
	audit *audit.Log
	clock *testkit.Clock
}

func newEnv(t *testing.T) *env {
	t.Helper()
	st, err := sqlite.Open(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	kr, _ := keyring.New(make([]byte, 32))
	clk := testkit.NewClock(time.Now().UTC()) // deliberately not a whole second
	return &env{store: st, ring: kr, audit: audit.New(st, kr.Derive(keyring.PurposeAudit), clk.Now), clock: clk}
}

func (e *env) keys(t *testing.T, alg string) *token.Keys {
	t.Helper()
	k, err := token.NewKeys(t.Context(), token.KeysOptions{Store: e.store, Keyring: e.ring, Audit: e.audit, Algorithm: alg, Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func (e *env) claims() token.Claims {
	now := e.clock.Now()
	return token.Claims{Issuer: "https://kw.test", Subject: "kwc_x", Audience: "https://kw.test", IssuedAt: now.Unix(),
		Expiry: now.Add(24 * time.Hour).Unix(), JTI: token.NewJTI(), ClientID: "kwc_x", Scope: "a b", SecretID: "sec_1", OrgID: "org_1"}
}

func jwksKIDs(t *testing.T, k *token.Keys) []string {
	t.Helper()
	body, _ := k.JWKS()
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(body, &set); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, key := range set.Keys {
		if key.IsPublic() == false {
			t.Fatalf("JWKS publishes a private key")
		}
		out = append(out, key.KeyID)
	}
	return out
}

func TestMintParse(t *testing.T) {
	for _, alg := range token.Algorithms {
		t.Run(alg, func(t *testing.T) {
			e := newEnv(t)
			k := e.keys(t, alg)
			c := e.claims()
			tok, err := k.Mint(c)
			if err != nil {
				t.Fatal(err)
			}
			got, err := k.Parse(tok, e.clock.Now())
			if err != nil || got != c {
				t.Fatalf("Parse = %+v, %v; want %+v", got, err, c)
			}
			obj, _ := jose.ParseSignedCompact(tok, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(alg)})
			if h := obj.Signatures[0].Header; h.ExtraHeaders["typ"] != "at+jwt" || h.KeyID == "" {
				t.Errorf("header = %+v", h)
			}
			if _, err := k.Parse(tok, time.Unix(c.Expiry, 0)); !errors.Is(err, token.ErrInvalidToken) {
				t.Errorf("expired token parsed: %v", err)
			}
			parts := strings.Split(tok, ".")
			if _, err := k.Parse(parts[0]+"."+parts[1]+"x."+parts[2], e.clock.Now()); !errors.Is(err, token.ErrInvalidToken) {
				t.Errorf("tampered token parsed: %v", err)
			}
			other := newEnv(t).keys(t, alg)
			if _, err := other.Parse(tok, e.clock.Now()); !errors.Is(err, token.ErrInvalidToken) {
				t.Errorf("token of another key set parsed: %v", err)
			}
		})
	}
}

func TestKeyRotation(t *testing.T) {
	e := newEnv(t)
	k := e.keys(t, "ES256")
	first, _ := k.Current(e.clock.Now())
	oldTok, _ := k.Mint(e.claims())
	next, err := k.Rotate(t.Context(), domain.System("", "test"), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if kids := jwksKIDs(t, k); len(kids) != 2 {
		t.Fatalf("JWKS after rotate = %v, want both keys published at once", kids)
	}
	if cur, _ := k.Current(e.clock.Now()); cur.ID != first.ID {
		t.Fatalf("new key signs before its activation delay")
	}
	e.clock.Add(time.Hour)
	if cur, _ := k.Current(e.clock.Now()); cur.ID != next.ID {
		t.Fatalf("new key does not sign after its delay")
	}
	if _, err := k.Parse(oldTok, e.clock.Now()); err != nil {
		t.Fatalf("a token of the old key no longer verifies: %v", err)
	}
	if n, err := k.RetireExpired(t.Context()); err != nil || n != 0 {
		t.Fatalf("retired %d (%v) while tokens of the old key may live", n, err)
	}
	e.clock.Add(token.RetireAfter + time.Second)
	if n, err := k.RetireExpired(t.Context()); err != nil || n != 1 {
		t.Fatalf("RetireExpired = %d, %v; want 1", n, err)
	}
	if kids := jwksKIDs(t, k); len(kids) != 1 || kids[0] != next.ID {
		t.Fatalf("JWKS after retirement = %v", kids)
	}
	// Another node (a second Keys on the same store) sees the same keys.
	if kids := jwksKIDs(t, e.keys(t, "ES256")); len(kids) != 1 || kids[0] != next.ID {
		t.Fatalf("second node JWKS = %v", kids)
	}
}
