package storetest

import (
	"errors"
	"fmt"
	"slices"
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

func testOrgAuditStreams(t *testing.T, s store.Store) {
	ctx := t.Context()
	acme, globex, _ := auditFixture(t, s)
	if err := s.EnsureAuditStream(ctx, "install:siem", "", 0, at(0)); err != nil { // not an organisation's
		t.Fatal(err)
	}
	lake := domain.AuditStream{ID: "ast_1", OrgID: acme.ID, Name: "lake", URL: "https://lake.example.com/audit", Format: "ndjson", TokenSealed: []byte{1, 2, 3}, Delivered: 2, CreatedAt: at(1)}
	for _, as := range []domain.AuditStream{
		lake,
		{ID: "ast_2", OrgID: acme.ID, Name: "siem", URL: "syslog+tls://siem.example.com:6514", Format: "syslog", CreatedAt: at(2)},
		{ID: "ast_3", OrgID: globex.ID, Name: "lake", URL: "http://10.0.0.1/audit", Format: "hec", CreatedAt: at(3)},
	} {
		if err := s.CreateAuditStream(ctx, as); err != nil {
			t.Fatalf("CreateAuditStream(%s): %v", as.ID, err)
		}
	}
	dup := lake
	dup.ID = "ast_4"
	if err := s.CreateAuditStream(ctx, dup); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("CreateAuditStream(a second %q in the organisation) = %v, want ErrConflict", dup.Name, err)
	}
	got, err := s.ListAuditStreams(ctx, acme.ID)
	if err != nil || len(got) != 2 || got[0].Name != "lake" || got[1].Name != "siem" {
		t.Fatalf("ListAuditStreams(acme) = %+v, %v", got, err)
	}
	g := got[0]
	if g.ID != lake.ID || g.OrgID != lake.OrgID || g.URL != lake.URL || g.Format != lake.Format || string(g.TokenSealed) != string(lake.TokenSealed) || g.Delivered != 2 || !g.CreatedAt.Equal(lake.CreatedAt) {
		t.Errorf("listed %+v, want %+v", g, lake)
	}
	if got[1].TokenSealed != nil {
		t.Errorf("a stream without a token lists token %v", got[1].TokenSealed)
	}
	all, err := s.ListAuditStreams(ctx, "")
	if err != nil || len(all) != 3 {
		t.Fatalf("ListAuditStreams(every organisation) = %+v, %v; want the 3 organisation streams", all, err)
	}
	// An organisation's stream is a position like any other.
	if pos, ok, err := s.ClaimAuditStream(ctx, "ast_1", "node-a", at(1), at(3)); err != nil || !ok || pos != 2 {
		t.Fatalf("ClaimAuditStream(ast_1) = %d, %v, %v; want 2", pos, ok, err)
	}
	if got[0].DeliveredAt != nil || got[0].Failures != 0 || got[0].LastError != "" || got[0].LastErrorAt != nil {
		t.Errorf("a new stream lists health %v, %d, %q, %v; want none", got[0].DeliveredAt, got[0].Failures, got[0].LastError, got[0].LastErrorAt)
	}
	// Its health: failures in a row and the last error, recorded by the
	// lease's owner only; a delivery resets the count, keeps the error.
	if err := s.FailAuditStream(ctx, "ast_1", "node-b", "stolen", at(2)); !errors.Is(err, domain.ErrConflict) {
		t.Errorf("FailAuditStream by a node without the lease = %v, want ErrConflict", err)
	}
	for i, msg := range []string{"connection refused", "HTTP 503"} {
		if err := s.FailAuditStream(ctx, "ast_1", "node-a", msg, at(2+i)); err != nil {
			t.Fatalf("FailAuditStream(%q): %v", msg, err)
		}
	}
	health := func() domain.AuditStream {
		t.Helper()
		list, err := s.ListAuditStreams(ctx, acme.ID)
		if err != nil || len(list) == 0 || list[0].ID != "ast_1" {
			t.Fatalf("ListAuditStreams(acme) = %+v, %v", list, err)
		}
		return list[0]
	}
	if h := health(); h.Failures != 2 || h.LastError != "HTTP 503" || h.LastErrorAt == nil || !h.LastErrorAt.Equal(at(3)) || h.DeliveredAt != nil {
		t.Errorf("after two failures: failures %d, last error %q at %v, delivered at %v; want 2, HTTP 503 at %v, never",
			h.Failures, h.LastError, h.LastErrorAt, h.DeliveredAt, at(3))
	}
	if err := s.AdvanceAuditStream(ctx, "ast_1", "node-a", 2, 4, at(4)); err != nil {
		t.Fatal(err)
	}
	if h := health(); h.Failures != 0 || h.LastError != "HTTP 503" || h.DeliveredAt == nil || !h.DeliveredAt.Equal(at(4)) || h.Delivered != 4 {
		t.Errorf("after a delivery: failures %d, last error %q, delivered %d at %v; want 0, HTTP 503 kept, 4 at %v",
			h.Failures, h.LastError, h.Delivered, h.DeliveredAt, at(4))
	}
	if err := s.FailAuditStream(ctx, "gone", "node-a", "x", at(4)); !errors.Is(err, domain.ErrConflict) {
		t.Errorf("FailAuditStream(unknown) = %v, want ErrConflict", err)
	}
	if err := s.DeleteAuditStream(ctx, globex.ID, "ast_1"); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("DeleteAuditStream(another organisation's) = %v, want ErrNotFound", err)
	}
	if err := s.DeleteAuditStream(ctx, "", "install:siem"); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("DeleteAuditStream(an installation destination) = %v, want ErrNotFound", err)
	}
	if err := s.DeleteAuditStream(ctx, acme.ID, "ast_1"); err != nil {
		t.Fatal(err)
	}
	if got, err := s.ListAuditStreams(ctx, acme.ID); err != nil || len(got) != 1 || got[0].ID != "ast_2" {
		t.Errorf("ListAuditStreams(acme) after the delete = %+v, %v", got, err)
	}
	if err := s.CreateAuditStream(ctx, dup); err != nil { // the name is free again
		t.Errorf("CreateAuditStream after the delete: %v", err)
	}

	// The organisation's events only, in chain order, from a position.
	for _, tc := range []struct {
		org          domain.OrgID
		after, limit int
		want         []int64
	}{
		{acme.ID, 0, 100, []int64{1, 3, 4, 5, 6, 7}},
		{acme.ID, 3, 2, []int64{4, 5}},
		{globex.ID, 0, 100, []int64{2, 8}},
		{globex.ID, 2, 100, []int64{8}},
		{globex.ID, 8, 100, nil},
	} {
		got, err := s.ScanOrgAudit(ctx, tc.org, int64(tc.after), tc.limit)
		if err != nil {
			t.Fatal(err)
		}
		if gs := seqs(got); !slices.Equal(gs, tc.want) {
			t.Errorf("ScanOrgAudit(%s, %d, %d) = %v, want %v", tc.org, tc.after, tc.limit, gs, tc.want)
		}
	}
}
