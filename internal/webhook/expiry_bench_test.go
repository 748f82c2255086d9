package webhook_test

import (
	"context"
	"crypto/rand"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"keywarden/internal/audit"
	"keywarden/internal/domain"
	"keywarden/internal/keyring"
	"keywarden/internal/store"
	"keywarden/internal/store/sqlite"
	"keywarden/internal/testkit"
	"keywarden/internal/webhook"
)

// BenchmarkExpiryPass seeds many secrets that expire within the notice
// window (KEYWARDEN_BENCH_EXPIRING, default 20000, on SQLite), lets the
// scheduler send their notices once, and then measures what a pass costs
// when nothing new is due, as on an idle node between passes: process CPU
// time (user + system, SQLite runs in process) and wall time per pass. The
// reference, measured in the same run on the same store, is the previous
// scheduler's idle pass: for each notice, the window's expiry index range
// read and each secret's notice probed (writing nothing). The secrets are
// seeded through the bulk import (ImportClients).
//
//	go test -run '^$' -bench BenchmarkExpiryPass -benchtime 1x ./internal/webhook/
func BenchmarkExpiryPass(b *testing.B) {
	n := 20000
	if v, err := strconv.Atoi(os.Getenv("KEYWARDEN_BENCH_EXPIRING")); err == nil && v > 0 {
		n = v
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	kr, _ := keyring.New(make([]byte, 32))
	clk := testkit.NewClock(time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC))
	hooks := webhook.New(webhook.Options{Store: st, Keyring: kr, Audit: audit.New(st, kr.Derive(keyring.PurposeAudit), clk.Now), Now: clk.Now})
	seedExpiring(b, st, clk.Now(), n)

	first, _ := measure(func() {
		if sent, err := hooks.RunExpiry(ctx); err != nil || sent != n {
			b.Fatalf("first pass sent %d, %v; want %d", sent, err, n)
		}
	})
	b.Logf("first pass (every notice due at once, %d secrets): cpu %v, wall %v", n, first.cpu, first.wall)

	var now, ref cost
	passes := 0
	b.ResetTimer()
	for range b.N {
		clk.Add(time.Second)
		c, _ := measure(func() {
			if sent, err := hooks.RunExpiry(ctx); err != nil || sent != 0 {
				b.Fatalf("idle pass sent %d, %v; want 0", sent, err)
			}
		})
		r, _ := measure(func() { previousPass(b, st, clk.Now()) })
		now, ref = now.add(c), ref.add(r)
		passes++
	}
	b.StopTimer()
	now, ref = now.div(passes), ref.div(passes)
	b.ReportMetric(float64(now.cpu.Microseconds()), "cpu-µs/pass")
	b.ReportMetric(float64(ref.cpu.Microseconds()), "ref-cpu-µs/pass")
	b.ReportMetric(float64(now.cpu)/float64(ref.cpu), "cpu-ratio")
	b.Logf("idle pass over %d expiring secrets: cpu %v, wall %v; reference (the previous pass: the window's index and a notice probe per secret) cpu %v, wall %v; cpu ratio %.6f",
		n, now.cpu, now.wall, ref.cpu, ref.wall, float64(now.cpu)/float64(ref.cpu))
}

type cost struct{ cpu, wall time.Duration }

func (c cost) add(d cost) cost { return cost{c.cpu + d.cpu, c.wall + d.wall} }
func (c cost) div(n int) cost  { return cost{c.cpu / time.Duration(n), c.wall / time.Duration(n)} }
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func measure(f func()) (cost, error) {
	c0, w0 := cpuTime(), time.Now()
	f()
	return cost{cpuTime() - c0, time.Since(w0)}, nil
}

// seedExpiring stores n secrets of 1000 clients expiring over the next 14
// days, through the bulk import, 10,000 secrets per call.
func seedExpiring(b *testing.B, st store.Store, now time.Time, n int) {
	b.Helper()
	ctx := context.Background()
	org := domain.Organization{ID: domain.NewOrgID(), Name: "Acme", Policy: domain.DefaultPolicy(), CreatedAt: now}
	if err := st.CreateOrg(ctx, org); err != nil {
		b.Fatal(err)
	}
	const clients = 1000
	day := 24 * time.Hour
	window := 14 * day
	perClient := (n + clients - 1) / clients
	step := (window - 2*time.Hour) / time.Duration(n) // seeded × (window − 2h) would overflow
	var batch []store.ImportedClient
	seeded := 0
	for k := 0; k < clients && seeded < n; k++ {
		c := domain.Client{ID: domain.NewClientID(), OrgID: org.ID, Name: "c", Scopes: []string{}, TokenTTL: 600, CreatedAt: now, UpdatedAt: now}
		ic := store.ImportedClient{Client: c}
		for range min(perClient, n-seeded) {
			exp := now.Add(time.Hour + time.Duration(seeded)*step).Truncate(time.Microsecond)
			// No 7-day or 1-day notice falls due in the hour of idle
			// passes that follows (each a second later).
			for _, d := range []time.Duration{day, 7 * day} {
				if !exp.Before(now.Add(d)) && exp.Before(now.Add(d+time.Hour)) {
					exp = exp.Add(time.Hour)
				}
			}
			v := make([]byte, 32)
			rand.Read(v)
			ic.Secrets = append(ic.Secrets, domain.Secret{ID: domain.NewSecretID(), OrgID: org.ID, ClientID: c.ID, Description: "d", CreatedAt: now,
				CreatedBy: "usr_x", ExpiresAt: &exp, Hint: "abcd", Origin: domain.OriginGenerated, Verifier: v, Sealed: v})
			seeded++
		}
		batch = append(batch, ic)
		if len(batch)*perClient >= 10000 || seeded == n {
			if err := st.ImportClients(ctx, batch); err != nil {
				b.Fatal(err)
			}
			batch = nil
		}
	}
}

// previousPass is the idle part of the expiry pass as it was before each
// secret carried its next notice: for each notice kind, the secrets of its
// expiry range whose notice is not recorded (none, on an idle pass), read
// by the expiry index with a notice probe per secret.
func previousPass(b *testing.B, st store.Store, now time.Time) {
	ctx := context.Background()
	day := 24 * time.Hour
	ranges := []struct {
		notice   string
		from, to time.Time
	}{
		{"expired", now.Add(-webhook.ExpiryLookback - time.Microsecond), now},
		{"expiring-1d", now, now.Add(day)},
		{"expiring-7d", now.Add(day), now.Add(7 * day)},
		{"expiring-14d", now.Add(7 * day), now.Add(14 * day)},
	}
	for _, r := range ranges {
		if list, err := st.ListUnnoticedSecrets(ctx, r.notice, r.from, r.to, "", 100); err != nil || len(list) != 0 {
			b.Fatalf("previous pass found %d secrets due for %s, %v; want none", len(list), r.notice, err)
		}
	}
}
