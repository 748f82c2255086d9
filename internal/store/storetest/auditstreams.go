package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"keywarden/internal/domain"
	"keywarden/internal/store"
)

func testAuditStreams(t *testing.T, s store.Store) {
	ctx := t.Context()
	if err := s.EnsureAuditStream(ctx, "install:siem", "", 0, at(0)); err != nil {
		t.Fatal(err)
	}
	if err := s.EnsureAuditStream(ctx, "install:siem", "", 99, at(0)); err != nil { // exists: keeps its position
		t.Fatal(err)
	}
	pos, ok, err := s.ClaimAuditStream(ctx, "install:siem", "node-a", at(1), at(3))
	if err != nil || !ok || pos != 0 {
		t.Fatalf("ClaimAuditStream(node-a) = %d, %v, %v", pos, ok, err)
	}
	if _, ok, err := s.ClaimAuditStream(ctx, "install:siem", "node-b", at(2), at(4)); err != nil || ok {
		t.Fatalf("ClaimAuditStream(node-b) while node-a holds it = %v, %v; want refused", ok, err)
	}
	if _, ok, err := s.ClaimAuditStream(ctx, "unknown", "node-b", at(2), at(4)); err != nil || ok {
		t.Fatalf("ClaimAuditStream(unknown) = %v, %v; want refused", ok, err)
	}
	if err := s.AdvanceAuditStream(ctx, "install:siem", "node-a", 0, 5, at(2)); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []struct {
		owner    string
		from, to int64
	}{{"node-a", 0, 7}, {"node-b", 5, 7}} {
		if err := s.AdvanceAuditStream(ctx, "install:siem", bad.owner, bad.from, bad.to, at(2)); !errors.Is(err, domain.ErrConflict) {
			t.Errorf("AdvanceAuditStream(%s, %d→%d) = %v, want ErrConflict", bad.owner, bad.from, bad.to, err)
		}
	}
	// The lease ends: another node takes over at the stream's position.
	pos, ok, err = s.ClaimAuditStream(ctx, "install:siem", "node-b", at(4), at(6))
	if err != nil || !ok || pos != 5 {
		t.Fatalf("ClaimAuditStream(node-b) after the lease = %d, %v, %v; want 5", pos, ok, err)
	}
	if err := s.AdvanceAuditStream(ctx, "install:siem", "node-a", 5, 6, at(4)); !errors.Is(err, domain.ErrConflict) {
		t.Errorf("AdvanceAuditStream by the old owner = %v, want ErrConflict", err)
	}
	if err := s.ReleaseAuditStream(ctx, "install:siem", "node-b"); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.ClaimAuditStream(ctx, "install:siem", "node-c", at(5), at(7)); err != nil || !ok {
		t.Fatalf("ClaimAuditStream after a release = %v, %v", ok, err)
	}
	if err := s.EnsureAuditStream(ctx, "install:other", "", 2, at(0)); err != nil {
		t.Fatal(err)
	}
	if min, ok, err := s.SlowestAuditStream(ctx, []string{"install:siem", "install:other", "gone"}); err != nil || !ok || min != 2 {
		t.Errorf("SlowestAuditStream = %d, %v, %v; want 2", min, ok, err)
	}
	if _, ok, err := s.SlowestAuditStream(ctx, nil); err != nil || ok {
		t.Errorf("SlowestAuditStream(none) = %v, %v", ok, err)
	}

	// Racing claims: one owner wins each time.
	for round := range 10 {
		id := fmt.Sprintf("install:race%d", round)
		if err := s.EnsureAuditStream(ctx, id, "", 0, at(0)); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		won := 0
		for i := range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, ok, err := s.ClaimAuditStream(ctx, id, fmt.Sprintf("node-%d", i), at(1), at(2))
				if err != nil {
					t.Error(err)
				}
				if ok {
					mu.Lock()
					won++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if won != 1 {
			t.Fatalf("round %d: %d owners won the lease, want 1", round, won)
		}
	}
}
