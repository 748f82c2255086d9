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
// reference, measured in the same run on the same store, is the scheduler
// as it was: every secret in the window read and handled in a write
// transaction of its own on every pass.
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
		r, _ := measure(func() { referencePass(b, st, clk.Now()) })
		now, ref = now.add(c), ref.add(r)
		passes++
	}
	b.StopTimer()
	now, ref = now.div(passes), ref.div(passes)
	b.ReportMetric(float64(now.cpu.Microseconds()), "cpu-µs/pass")
	b.ReportMetric(float64(ref.cpu.Microseconds()), "ref-cpu-µs/pass")
	b.ReportMetric(float64(now.cpu)/float64(ref.cpu), "cpu-ratio")
	b.Logf("idle pass over %d expiring secrets: cpu %v, wall %v; reference (a transaction per secret) cpu %v, wall %v; cpu ratio %.4f",
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

// seedExpiring stores n secrets of 100 clients expiring over the next 14
// days, in transactions of 1000.
func seedExpiring(b *testing.B, st store.Store, now time.Time, n int) {
	b.Helper()
	ctx := context.Background()
	org := domain.Organization{ID: domain.NewOrgID(), Name: "Acme", Policy: domain.DefaultPolicy(), CreatedAt: now}
	if err := st.CreateOrg(ctx, org); err != nil {
		b.Fatal(err)
	}
	var clients []domain.Client
	for range 100 {
		c := domain.Client{ID: domain.NewClientID(), OrgID: org.ID, Name: "c", Scopes: []string{}, TokenTTL: 600, CreatedAt: now, UpdatedAt: now}
		if err := st.CreateClient(ctx, c); err != nil {
			b.Fatal(err)
		}
		clients = append(clients, c)
	}
	window := 14 * 24 * time.Hour
	for i := 0; i < n; i += 1000 {
		err := st.InTx(ctx, func(tx store.Tx) error {
			for j := i; j < min(i+1000, n); j++ {
				c := clients[j%len(clients)]
				exp := now.Add(time.Hour + time.Duration(j)*(window-2*time.Hour)/time.Duration(n)).Truncate(time.Microsecond)
				v := make([]byte, 32)
				rand.Read(v)
				x := domain.Secret{ID: domain.NewSecretID(), OrgID: org.ID, ClientID: c.ID, Description: "d", CreatedAt: now, CreatedBy: "usr_x",
					ExpiresAt: &exp, Hint: "abcd", Origin: domain.OriginGenerated, Verifier: v, Sealed: v}
				if err := tx.CreateSecret(ctx, x); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// referencePass is the expiry pass as it was before notices were read by
// what is due: every unrevoked secret in the window, each in a write
// transaction of its own that rereads it and records its due notices
// (already recorded: nothing changes, but the transaction still runs).
func referencePass(b *testing.B, st store.Store, now time.Time) {
	ctx := context.Background()
	after := ""
	for {
		list, err := st.ListExpiringSecrets(ctx, now.Add(-webhook.ExpiryLookback), now.Add(14*24*time.Hour), after, 200)
		if err != nil {
			b.Fatal(err)
		}
		for _, x := range list {
			err := st.InTx(ctx, func(tx store.Tx) error {
				cur, err := tx.GetSecret(ctx, x.OrgID, x.ID)
				if err != nil {
					return err
				}
				for _, notice := range []string{"expiring-14d", "expiring-7d", "expiring-1d"} {
					if _, err := tx.RecordWebhookNotice(ctx, domain.WebhookNotice{SecretID: cur.ID, OrgID: cur.OrgID, Notice: notice,
						ExpiresAt: *cur.ExpiresAt, RecordedAt: now}); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		if len(list) < 200 {
			return
		}
		last := list[len(list)-1]
		after = domain.Cursor{At: *last.ExpiresAt, ID: string(last.ID)}.Encode()
	}
}
