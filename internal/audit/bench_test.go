package audit_test

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"keywarden/internal/audit"
	"keywarden/internal/domain"
	"keywarden/internal/store"
	"keywarden/internal/store/enginetest"
)

// benchEvents is the size of the benchmark's log:
// KEYWARDEN_AUDIT_BENCH_EVENTS, 1,000,000 by default.
func benchEvents(b *testing.B) int {
	n := 1_000_000
	if v := os.Getenv("KEYWARDEN_AUDIT_BENCH_EVENTS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			b.Fatalf("KEYWARDEN_AUDIT_BENCH_EVENTS=%q: want a positive number", v)
		}
	}
	return n
}

// seedChain fills s with a valid chain of n events, in bulk.
func seedChain(b *testing.B, s store.Store, log *audit.Log, n int) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var prev []byte
	enginetest.BulkAudit(b, s, n, func(i int) domain.AuditEvent {
		e := domain.AuditEvent{Seq: int64(i + 1), ID: fmt.Sprintf("evt_%d", i+1), OrgID: domain.OrgID(fmt.Sprintf("org_%d", i%50)),
			At: start.Add(time.Duration(i) * time.Millisecond), ActorKind: domain.ActorUser, ActorID: fmt.Sprintf("usr_%d", i%200),
			Action: "client.authenticate", Target: fmt.Sprintf("kwc_%d", i%5000), Source: "192.0.2.10", Result: domain.ResultFailure,
			Detail: map[string]string{"reason": "wrong secret"}, PrevHash: prev}
		e.Hash = log.Hash(e)
		prev = e.Hash
		return e
	})
}

// BenchmarkVerify verifies a log of KEYWARDEN_AUDIT_BENCH_EVENTS events
// (1M by default) on each engine and prints events/s, against a reference
// measured in the same run: reading the same snapshot without verifying
// (the store's share of the cost). Run with
//
//	go test -run '^$' -bench BenchmarkVerify -benchtime 1x ./internal/audit
func BenchmarkVerify(b *testing.B) {
	n := benchEvents(b)
	if os.Getenv(enginetest.EnvPostgres) == "" {
		b.Logf("PostgreSQL skipped: set %s to run it too", enginetest.EnvPostgres)
	}
	for _, e := range enginetest.All() {
		b.Run(e.Name, func(b *testing.B) {
			s := e.OpenTB(b)
			log := audit.New(s, testKey, nil)
			seeded := time.Now()
			seedChain(b, s, log, n)
			b.Logf("%s: seeded %d events in %.1fs", e.Name, n, time.Since(seeded).Seconds())
			var verify, read time.Duration
			b.ResetTimer()
			for range b.N {
				// The reference: the same snapshot, read and decoded,
				// not verified.
				t0 := time.Now()
				var count int64
				err := s.ReadAuditSnapshot(b.Context(), func(_ domain.AuditChainState, events func(int64, func(domain.AuditEvent) error) error) error {
					return events(0, func(domain.AuditEvent) error { count++; return nil })
				})
				if err != nil || count != int64(n) {
					b.Fatalf("read %d events, %v", count, err)
				}
				read += time.Since(t0)
				t0 = time.Now()
				res, err := log.Verify(b.Context())
				if err != nil || res.Events != int64(n) {
					b.Fatalf("Verify = %+v, %v", res, err)
				}
				verify += time.Since(t0)
			}
			b.StopTimer()
			perVerify := verify.Seconds() / float64(b.N)
			perRead := read.Seconds() / float64(b.N)
			b.ReportMetric(float64(n)/perVerify, "events/s")
			fmt.Printf("audit verify %s: %d events in %.2fs = %.0f events/s; reading them alone (reference) %.2fs = %.0f events/s; verify/read time ratio %.2f\n",
				e.Name, n, perVerify, float64(n)/perVerify, perRead, float64(n)/perRead, perVerify/perRead)
		})
	}
}
