package token_test

import (
	"testing"
	"time"

	"keywarden/internal/audit"
	"keywarden/internal/keyring"
	"keywarden/internal/store/sqlite"
	"keywarden/internal/token"
)

// benchKeys returns signing keys for alg on a real SQLite store, as
// server.OpenTokens builds them. The key's clock runs a minute behind, so
// that the key is active for tokens issued now.
func benchKeys(b *testing.B, alg string) *token.Keys {
	b.Helper()
	st, err := sqlite.Open(b.Context(), b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	kr, err := keyring.New(make([]byte, keyring.KeySize))
	if err != nil {
		b.Fatal(err)
	}
	past := func() time.Time { return time.Now().Add(-time.Minute) }
	k, err := token.NewKeys(b.Context(), token.KeysOptions{Store: st, Keyring: kr,
		Audit: audit.New(st, kr.Derive(keyring.PurposeAudit), nil), Algorithm: alg, Now: past})
	if err != nil {
		b.Fatal(err)
	}
	return k
}

// benchClaims has the size and shape of a client_credentials token's.
func benchClaims() token.Claims {
	now := time.Now().Unix()
	iss := "http://127.0.0.1:8080"
	return token.Claims{Issuer: iss, Subject: "kwc_0123456789ABCDEFGHIJKL", Audience: iss,
		IssuedAt: now, Expiry: now + 86400, JTI: token.NewJTI(), ClientID: "kwc_0123456789ABCDEFGHIJKL",
		Scope: "invoices:read invoices:write", SecretID: "sec_0123456789ABCDEFGHIJKL", OrgID: "org_0123456789ABCDEFGHIJKL"}
}

func BenchmarkMint(b *testing.B) {
	for _, alg := range token.Algorithms {
		b.Run(alg, func(b *testing.B) {
			k := benchKeys(b, alg)
			c := benchClaims()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := k.Mint(c); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkParse(b *testing.B) {
	for _, alg := range token.Algorithms {
		b.Run(alg, func(b *testing.B) {
			k := benchKeys(b, alg)
			tok, err := k.Mint(benchClaims())
			if err != nil {
				b.Fatal(err)
			}
			now := time.Now()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := k.Parse(tok, now); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
