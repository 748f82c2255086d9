package audit_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"keywarden/internal/audit"
	"keywarden/internal/domain"
	"keywarden/internal/store"
	"keywarden/internal/store/enginetest"
	"keywarden/internal/store/sqlite"
	"keywarden/internal/store/sqlstore"
	"keywarden/internal/testkit"
)

var testKey = []byte("audit key for tests, 32 bytes..")

// chain opens a SQLite store in a temp dir with n audit events appended.
func chain(t *testing.T, n int) (*sqlstore.Store, *audit.Log) {
	t.Helper()
	s, err := sqlite.Open(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	log := audit.New(s, testKey, nil)
	appendN(t, log, n)
	return s, log
}

// chainOn is chain on the store open returns, with the log's clock.
func chainOn(t *testing.T, open func(t *testing.T) store.Store, clock *testkit.Clock, n int) (*sqlstore.Store, *audit.Log) {
	t.Helper()
	s := open(t).(*sqlstore.Store)
	log := audit.New(s, testKey, clock.Now)
	appendN(t, log, n)
	return s, log
}

func appendN(t *testing.T, log *audit.Log, n int) {
	t.Helper()
	for i := range n {
		actor := domain.UserActor("org_a", "usr_1", "", "127.0.0.1")
		e := audit.Entry{Actor: actor, Action: "secret.create", Target: fmt.Sprintf("sec_%d", i), Detail: map[string]string{"i": fmt.Sprint(i)}}
		if i%2 == 1 { // every other event names its client and what it changed
			e.Action, e.Detail["client_id"] = "secret.update", "kwc_a"
			e.Changes = []domain.AuditChange{{Field: "description", Before: "old", After: fmt.Sprint("new ", i)}}
		}
		if err := log.Record(t.Context(), e); err != nil {
			t.Fatal(err)
		}
	}
}

func exec(t *testing.T, s *sqlstore.Store, queries ...string) {
	t.Helper()
	for _, q := range queries {
		if _, err := s.DB().ExecContext(t.Context(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

func wantBreak(t *testing.T, err error, seq int64) {
	t.Helper()
	var br *audit.Break
	if !errors.As(err, &br) {
		t.Fatalf("Verify error = %v, want *audit.Break", err)
	}
	if br.Seq != seq {
		t.Errorf("break at %d (%s), want %d", br.Seq, br.Reason, seq)
	}
}

func TestVerifyIntactChain(t *testing.T) {
	_, log := chain(t, 25)
	res, err := log.Verify(t.Context())
	if err != nil || res.Events != 25 || res.Head != 25 || len(res.HeadHash) != 32 {
		t.Fatalf("Verify = %+v, %v; want 25 events and no error", res, err)
	}
}

func TestVerifyEmptyChain(t *testing.T) {
	_, log := chain(t, 0)
	if res, err := log.Verify(t.Context()); err != nil || res.Events != 0 {
		t.Fatalf("Verify = %+v, %v", res, err)
	}
}

func TestVerifyDetectsTampering(t *testing.T) {
	tests := []struct {
		name    string
		sql     []string
		wantSeq int64
	}{
		{"edited target", []string{`UPDATE audit_events SET target = 'sec_other' WHERE seq = 5`}, 5},
		{"edited result", []string{`UPDATE audit_events SET result = 'failure' WHERE seq = 7`}, 7},
		{"edited detail", []string{`UPDATE audit_events SET detail = '{"i":"99"}' WHERE seq = 3`}, 3},
		{"edited time", []string{`UPDATE audit_events SET at = at + 1 WHERE seq = 9`}, 9},
		{"edited change", []string{`UPDATE audit_events SET changes = '[{"field":"description","before":"old","after":"forged"}]' WHERE seq = 2`}, 2},
		{"removed changes", []string{`UPDATE audit_events SET changes = '' WHERE seq = 4`}, 4},
		{"changes added to an event without", []string{`UPDATE audit_events SET changes = '[{"field":"x","before":"","after":"y"}]' WHERE seq = 3`}, 3},
		{"event moved to another client's activity", []string{`UPDATE audit_events SET client_id = 'kwc_other' WHERE seq = 6`}, 6},
		{"event hidden from its client's activity", []string{`UPDATE audit_events SET client_id = '' WHERE seq = 8`}, 8},
		{"event added to a client's activity", []string{`UPDATE audit_events SET client_id = 'kwc_a' WHERE seq = 5`}, 5},
		{"deleted row", []string{`DELETE FROM audit_events WHERE seq = 4`}, 4},
		{"deleted last row", []string{`DELETE FROM audit_events WHERE seq = 10`}, 10},
		{"reordered rows", []string{
			`UPDATE audit_events SET seq = 100 WHERE seq = 3`,
			`UPDATE audit_events SET seq = 3 WHERE seq = 4`,
			`UPDATE audit_events SET seq = 4 WHERE seq = 100`,
		}, 3},
		{"rehashed without the key", []string{`UPDATE audit_events SET hash = prev_hash WHERE seq = 6`}, 6},
	}
	enginetest.Run(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				s, log := chainOn(t, open, testkit.NewClock(time.Now()), 10)
				exec(t, s, tc.sql...)
				_, err := log.Verify(t.Context())
				wantBreak(t, err, tc.wantSeq)
			})
		}
	})
}

func TestVerifyWithOtherKeyFails(t *testing.T) {
	s, _ := chain(t, 3)
	other := audit.New(s, []byte("another key, also 32 bytes long."), nil)
	var br *audit.Break
	if _, err := other.Verify(t.Context()); !errors.As(err, &br) || br.Seq != 1 {
		t.Fatalf("Verify with another key = %v, want a break at 1", err)
	}
}

func domainFilter(action string) domain.AuditFilter { return domain.AuditFilter{Action: action} }

func actor() domain.Actor { return domain.UserActor("org_a", "usr_1", "", "127.0.0.1") }
