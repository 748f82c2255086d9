package credential_test

import (
	"os"
	"strconv"
	"testing"
	"time"

	"keywarden/internal/account"
	"keywarden/internal/audit"
	"keywarden/internal/credential"
	"keywarden/internal/domain"
	"keywarden/internal/keyring"
	"keywarden/internal/store/sqlite"
)

// BenchmarkListRotationsPage measures a page of a client's rotations (and
// the secrets they name) for a client with many rotations
// (KEYWARDEN_BENCH_ROTATIONS, default 2000, each leaving a secret behind)
// against the reference, a client with one page's worth (50), in the same
// store and run, the two read in turns. A page must cost the same
// whatever the history: the ratio stays near 1.
//
//	go test -run '^$' -bench BenchmarkListRotationsPage ./internal/credential/
func BenchmarkListRotationsPage(b *testing.B) {
	n := 2000
	if v, err := strconv.Atoi(os.Getenv("KEYWARDEN_BENCH_ROTATIONS")); err == nil && v > 0 {
		n = v
	}
	ctx := b.Context()
	st, err := sqlite.Open(ctx, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	kr, _ := keyring.New(make([]byte, keyring.KeySize))
	log := audit.New(st, kr.Derive(keyring.PurposeAudit), nil)
	svc := credential.New(credential.Options{Store: st, Audit: log, Keyring: kr})
	boot, err := account.New(account.Options{Store: st, Audit: log, Keyring: kr}).Init(ctx, "Bench", "bench@example.com")
	if err != nil {
		b.Fatal(err)
	}
	admin := domain.UserActor(boot.Org.ID, boot.User.ID, boot.User.Role, "")
	grace := 0
	seed := func(rotations int) domain.ClientID {
		c, err := svc.CreateClient(ctx, admin, credential.ClientInput{Name: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		for range rotations {
			if _, err := svc.Rotate(ctx, admin, c.ID, credential.RotateInput{Description: "r", GraceSeconds: &grace}); err != nil {
				b.Fatal(err)
			}
		}
		return c.ID
	}
	start := time.Now()
	small, large := seed(domain.DefaultLimit), seed(n)
	b.Logf("seeded %d + %d rotations in %v", domain.DefaultLimit, n, time.Since(start).Round(time.Millisecond))
	read := func(id domain.ClientID) time.Duration {
		t0 := time.Now()
		views, next, err := svc.ListRotations(ctx, admin, id, domain.Page{})
		if err != nil || len(views) != domain.DefaultLimit {
			b.Fatalf("ListRotations = %d, %q, %v", len(views), next, err)
		}
		return time.Since(t0)
	}
	var ref, got time.Duration
	b.ResetTimer()
	for range b.N {
		ref += read(small)
		got += read(large)
	}
	b.StopTimer()
	ratio := float64(got) / float64(ref)
	b.ReportMetric(float64(got.Microseconds())/float64(b.N), "µs/page")
	b.ReportMetric(float64(ref.Microseconds())/float64(b.N), "ref-µs/page")
	b.ReportMetric(ratio, "ratio")
	b.Logf("first page of %d rotations: %v; of %d (reference): %v; ratio %.2f", n, got/time.Duration(b.N), domain.DefaultLimit, ref/time.Duration(b.N), ratio)
}
