package credential_test

import (
	"errors"
	"net/netip"
	"testing"

	"keywarden/internal/account"
	"keywarden/internal/audit"
	"keywarden/internal/credential"
	"keywarden/internal/domain"
	"keywarden/internal/keyring"
	"keywarden/internal/secretvalue"
	"keywarden/internal/store/sqlite"
)

// benchClient is a client with one generated secret on a real SQLite
// store, as server.OpenCore builds the services, with the cache warm.
type benchClient struct {
	svc      *credential.Service
	clientID domain.ClientID
	secret   string
}

func newBenchClient(b *testing.B) benchClient {
	b.Helper()
	ctx := b.Context()
	st, err := sqlite.Open(ctx, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	kr, err := keyring.New(make([]byte, keyring.KeySize))
	if err != nil {
		b.Fatal(err)
	}
	log := audit.New(st, kr.Derive(keyring.PurposeAudit), nil)
	svc := credential.New(credential.Options{Store: st, Audit: log, Keyring: kr})
	accts := account.New(account.Options{Store: st, Audit: log, Keyring: kr, OnPolicyChange: svc.OrgChanged})
	boot, err := accts.Init(ctx, "Bench", "bench@example.com")
	if err != nil {
		b.Fatal(err)
	}
	admin := domain.UserActor(boot.Org.ID, boot.User.ID, boot.User.Role, "")
	c, err := svc.CreateClient(ctx, admin, credential.ClientInput{Name: "bench", Scopes: []string{"bench:read"}})
	if err != nil {
		b.Fatal(err)
	}
	s, err := svc.CreateSecret(ctx, admin, c.ID, credential.SecretInput{Description: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	bc := benchClient{svc: svc, clientID: c.ID, secret: s.Value.Reveal()}
	if _, err := svc.Authenticate(ctx, bc.clientID, bc.secret, "127.0.0.1"); err != nil { // warms the cache
		b.Fatal(err)
	}
	return bc
}

// BenchmarkAuthenticate is the token path's client authentication with a
// generated secret and a warm cache: no store access.
func BenchmarkAuthenticate(b *testing.B) {
	bc := newBenchClient(b)
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := bc.svc.Authenticate(ctx, bc.clientID, bc.secret, "127.0.0.1"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAuthenticateParallel is BenchmarkAuthenticate from GOMAXPROCS
// goroutines at once, to show contention on shared locks.
func BenchmarkAuthenticateParallel(b *testing.B) {
	bc := newBenchClient(b)
	ctx := b.Context()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := bc.svc.Authenticate(ctx, bc.clientID, bc.secret, "127.0.0.1"); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkAuthenticateWrongSecret presents a well-formed generated secret
// that is not the client's: a cache lookup, a rate-limiter update and an
// audited failure (a store write). Each iteration comes from its own
// source address, so that the failure rate limit never cuts it short.
func BenchmarkAuthenticateWrongSecret(b *testing.B) {
	bc := newBenchClient(b)
	ctx := b.Context()
	wrong := secretvalue.Generate(secretvalue.PrefixClientSecret).Reveal()
	sources := make([]string, b.N)
	for i := range sources {
		sources[i] = netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}).String()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		_, err := bc.svc.Authenticate(ctx, bc.clientID, wrong, sources[i])
		if !errors.Is(err, credential.ErrBadCredentials) {
			b.Fatalf("Authenticate(wrong secret) = %v, want ErrBadCredentials", err)
		}
	}
}
