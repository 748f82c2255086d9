package storetest

import (
	"bytes"
	"errors"
	"slices"
	"testing"
	"time"

	"keywarden/internal/domain"
	"keywarden/internal/store"
)

// auditFixture appends, in this order (seq 1..8):
//
//	1 acme   at(0) usr_ada client.create  kwc_1
//	2 globex at(1) usr_ada secret.create  sec_1   (another organisation)
//	3 acme   at(2) usr_bob secret.create  sec_1
//	4 acme   at(3) usr_ada secret.revoke  sec_1
//	5 acme   at(4) usr_bob secrets.list   kwc_1   (not under "secret.")
//	6 acme   at(5) usr_ada client.authenticate kwc_1
//	7 acme   at(6) usr_bob secret         sec_2   (exact "secret", no dot)
//	8 globex at(7) usr_bob client.create  kwc_9
func auditFixture(t *testing.T, s store.Store) (acme, globex domain.Organization, events []domain.AuditEvent) {
	t.Helper()
	acme, globex = mustOrg(t, s, "Acme"), mustOrg(t, s, "Globex")
	for i, e := range []struct {
		org                   domain.OrgID
		actor, action, target string
	}{
		{acme.ID, "usr_ada", "client.create", "kwc_1"},
		{globex.ID, "usr_ada", "secret.create", "sec_1"},
		{acme.ID, "usr_bob", "secret.create", "sec_1"},
		{acme.ID, "usr_ada", "secret.revoke", "sec_1"},
		{acme.ID, "usr_bob", "secrets.list", "kwc_1"},
		{acme.ID, "usr_ada", "client.authenticate", "kwc_1"},
		{acme.ID, "usr_bob", "secret", "sec_2"},
		{globex.ID, "usr_bob", "client.create", "kwc_9"},
	} {
		events = append(events, mustAppend(t, s, newEvent(e.org, at(i), e.action, e.actor, e.target)))
	}
	return acme, globex, events
}

func testListAuditFilters(t *testing.T, s store.Store) {
	ctx := t.Context()
	acme, globex, events := auditFixture(t, s)
	tests := []struct {
		name   string
		org    domain.OrgID
		filter domain.AuditFilter
		want   []int64
	}{
		{"everything, newest first", acme.ID, domain.AuditFilter{}, []int64{7, 6, 5, 4, 3, 1}},
		{"another organisation", globex.ID, domain.AuditFilter{}, []int64{8, 2}},
		{"unknown organisation", domain.NewOrgID(), domain.AuditFilter{}, nil},
		{"exact action", acme.ID, domain.AuditFilter{Action: "secret.create"}, []int64{3}},
		{"exact action without a dot is not a prefix", acme.ID, domain.AuditFilter{Action: "secret"}, []int64{7}},
		{"exact action matches nothing", acme.ID, domain.AuditFilter{Action: "client"}, nil},
		{"action prefix", acme.ID, domain.AuditFilter{Action: "secret."}, []int64{4, 3}},
		{"another action prefix", acme.ID, domain.AuditFilter{Action: "client."}, []int64{6, 1}},
		{"actor", acme.ID, domain.AuditFilter{ActorID: "usr_bob"}, []int64{7, 5, 3}},
		{"target", acme.ID, domain.AuditFilter{Target: "sec_1"}, []int64{4, 3}},
		{"since", acme.ID, domain.AuditFilter{Since: at(3).Add(-30 * time.Second)}, []int64{7, 6, 5, 4}},
		{"until", acme.ID, domain.AuditFilter{Until: at(3).Add(-30 * time.Second)}, []int64{3, 1}},
		{"since and until", acme.ID, domain.AuditFilter{Since: at(1).Add(30 * time.Second), Until: at(5).Add(30 * time.Second)}, []int64{6, 5, 4, 3}},
		{"everything at once", acme.ID, domain.AuditFilter{
			Action: "secret.", ActorID: "usr_ada", Target: "sec_1", Since: at(1), Until: at(7),
		}, []int64{4}},
		{"filters do not cross organisations", globex.ID, domain.AuditFilter{Action: "secret.", ActorID: "usr_ada"}, []int64{2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, next, err := s.ListAudit(ctx, tc.org, tc.filter)
			if err != nil {
				t.Fatalf("ListAudit: %v", err)
			}
			if !slices.Equal(seqs(got), tc.want) || next != "" {
				t.Errorf("ListAudit(%+v) = %v (next %q), want %v", tc.filter, seqs(got), next, tc.want)
			}
			for _, e := range got {
				if want := events[e.Seq-1]; !sameEvent(e, want) {
					t.Errorf("listed event %d = %+v,\nwant %+v", e.Seq, e, want)
				}
			}
		})
	}
}

func testListAuditPages(t *testing.T, s store.Store) {
	ctx := t.Context()
	acme, _, _ := auditFixture(t, s)
	tests := []struct {
		name   string
		filter domain.AuditFilter
		want   [][]int64
	}{
		{"pages of two", domain.AuditFilter{Page: domain.Page{Limit: 2}}, [][]int64{{7, 6}, {5, 4}, {3, 1}}},
		{"pages of four", domain.AuditFilter{Page: domain.Page{Limit: 4}}, [][]int64{{7, 6, 5, 4}, {3, 1}}},
		{"one page holds all", domain.AuditFilter{Page: domain.Page{Limit: 6}}, [][]int64{{7, 6, 5, 4, 3, 1}}},
		{"pages of one with a filter", domain.AuditFilter{Action: "secret.", Page: domain.Page{Limit: 1}}, [][]int64{{4}, {3}}},
		{"filter and since", domain.AuditFilter{ActorID: "usr_bob", Since: at(3), Page: domain.Page{Limit: 1}}, [][]int64{{7}, {5}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := tc.filter
			var got [][]int64
			for range len(tc.want) + 2 {
				page, next, err := s.ListAudit(ctx, acme.ID, f)
				if err != nil {
					t.Fatalf("ListAudit(after %q): %v", f.Page.After, err)
				}
				got = append(got, seqs(page))
				if next == "" {
					break
				}
				f.Page.After = next
			}
			if !slices.EqualFunc(got, tc.want, slices.Equal) {
				t.Errorf("pages = %v, want %v", got, tc.want)
			}
		})
	}

	// A later append does not shift the pages of a caller who is paging.
	_, next, err := s.ListAudit(ctx, acme.ID, domain.AuditFilter{Page: domain.Page{Limit: 2}})
	if err != nil {
		t.Fatal(err)
	}
	mustAppend(t, s, newEvent(acme.ID, at(9), "client.update", "usr_ada", "kwc_1"))
	if got, _, err := s.ListAudit(ctx, acme.ID, domain.AuditFilter{Page: domain.Page{After: next, Limit: 2}}); err != nil ||
		!slices.Equal(seqs(got), []int64{5, 4}) {
		t.Errorf("second page after a new append = %v, %v; want [5 4]", seqs(got), err)
	}

	bad := []struct {
		name   string
		cursor string
	}{
		{"not base64", "%%%"},
		{"a client cursor", domain.Cursor{At: base, ID: "kwc_1"}.Encode()},
		{"seq zero", "czA"}, // base64url("s0")
	}
	for _, tc := range bad {
		t.Run("malformed cursor/"+tc.name, func(t *testing.T) {
			got, _, err := s.ListAudit(ctx, acme.ID, domain.AuditFilter{Page: domain.Page{After: tc.cursor}})
			var ve *domain.ValidationError
			if !errors.As(err, &ve) {
				t.Errorf("ListAudit(after %q) = %v, %v; want a *domain.ValidationError", tc.cursor, seqs(got), err)
			}
		})
	}
}

func testScanAudit(t *testing.T, s store.Store) {
	ctx := t.Context()
	_, _, events := auditFixture(t, s)
	tests := []struct {
		name  string
		after int64
		limit int
		want  []int64
	}{
		{"everything, every organisation", 0, 100, []int64{1, 2, 3, 4, 5, 6, 7, 8}},
		{"a window", 2, 3, []int64{3, 4, 5}},
		{"the tail", 6, 100, []int64{7, 8}},
		{"past the head", 8, 100, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.ScanAudit(ctx, tc.after, tc.limit)
			if err != nil {
				t.Fatalf("ScanAudit: %v", err)
			}
			if !slices.Equal(seqs(got), tc.want) {
				t.Fatalf("ScanAudit(%d, %d) = %v, want %v", tc.after, tc.limit, seqs(got), tc.want)
			}
			for _, e := range got {
				if want := events[e.Seq-1]; !sameEvent(e, want) {
					t.Errorf("scanned event %d = %+v,\nwant %+v", e.Seq, e, want)
				}
			}
		})
	}
	checkChain(t, s, len(events))
}

func testAuditAppend(t *testing.T, s store.Store) {
	ctx := t.Context()
	seq, hash, err := s.AuditHead(ctx)
	if err != nil || seq != 0 || hash != nil {
		t.Fatalf("AuditHead of an empty log = %d, %x, %v; want 0, nil, nil", seq, hash, err)
	}
	o := mustOrg(t, s, "Acme")
	var want []domain.AuditEvent
	for i, e := range []domain.AuditEvent{
		newEvent(o.ID, at(1), "client.create", "usr_1", "kwc_1"),
		{ID: domain.NewID(domain.PrefixAudit), OrgID: "", At: at(2), ActorKind: domain.ActorSystem, ActorID: "expiry-sweep",
			Action: "secret.expire", Result: domain.ResultFailure}, // empty strings and no detail
		newEvent(o.ID, at(3), "secret.create", "usr_1", "sec_1"),
	} {
		e.Seq = int64(i + 1)
		if i > 0 {
			e.PrevHash = want[i-1].Hash
		}
		e.Hash = chainHash(e)
		if err := s.AppendAudit(ctx, e); err != nil {
			t.Fatalf("AppendAudit(seq %d): %v", e.Seq, err)
		}
		e.ClientID = e.Client() // the store indexes the event under its client
		want = append(want, e)
		if seq, hash, err := s.AuditHead(ctx); err != nil || seq != e.Seq || !bytes.Equal(hash, e.Hash) {
			t.Errorf("AuditHead after seq %d = %d, %x, %v; want %d, %x", e.Seq, seq, hash, err, e.Seq, e.Hash)
		}
	}
	got, err := s.ScanAudit(ctx, 0, 10)
	if err != nil || len(got) != len(want) {
		t.Fatalf("ScanAudit = %v, %v; want %v", seqs(got), err, seqs(want))
	}
	for i := range want {
		if !sameEvent(got[i], want[i]) {
			t.Errorf("event %d = %+v,\nwant %+v", i+1, got[i], want[i])
		}
	}
	checkChain(t, s, len(want))
}

// testAuditBadSeq appends events whose Seq is not the head's plus one. Each
// must fail and leave the log exactly as it was.
func testAuditBadSeq(t *testing.T, s store.Store) {
	ctx := t.Context()
	o := mustOrg(t, s, "Acme")
	var before []domain.AuditEvent
	for i := range 3 {
		before = append(before, mustAppend(t, s, newEvent(o.ID, at(i), "client.create", "usr_1", "kwc_1")))
	}
	head := before[len(before)-1]
	tests := []struct {
		name  string
		seq   int64
		inTx  bool
		reuse bool // reuse the head's ID (a retried append)
	}{
		{"seq of the head", head.Seq, false, false},
		{"seq behind the head", 1, false, false},
		{"seq zero", 0, false, false},
		{"seq of the head, in a transaction", head.Seq, true, false},
		{"next seq, but an existing event ID", head.Seq + 1, false, true},
		{"seq skips one, in a transaction", head.Seq + 2, true, false},
		// Last: if it leaves a row behind, the cases above still mean what they say.
		{"seq skips one", head.Seq + 2, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEvent(o.ID, at(50), "secret.revoke", "usr_evil", "sec_1")
			e.Seq, e.PrevHash = tc.seq, head.Hash
			if tc.reuse {
				e.ID = head.ID
			}
			e.Hash = chainHash(e)
			var err error
			if tc.inTx {
				err = s.InTx(ctx, func(tx store.Tx) error { return tx.AppendAudit(ctx, e) })
			} else {
				err = s.AppendAudit(ctx, e)
			}
			if err == nil {
				t.Errorf("AppendAudit(seq %d) with head %d succeeded, want an error", tc.seq, head.Seq)
			}
			got, err := s.ScanAudit(ctx, 0, 100)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(before) {
				t.Errorf("log after the refused append = seqs %v, want %v", seqs(got), seqs(before))
			}
			for i := range min(len(got), len(before)) {
				if !sameEvent(got[i], before[i]) {
					t.Errorf("event %d changed: %+v, want %+v", i+1, got[i], before[i])
				}
			}
			if seq, hash, err := s.AuditHead(ctx); err != nil || seq != head.Seq || !bytes.Equal(hash, head.Hash) {
				t.Errorf("AuditHead = %d, %x, %v; want %d, %x", seq, hash, err, head.Seq, head.Hash)
			}
		})
	}
	// The chain still grows normally afterwards.
	for i := range 2 {
		if _, err := appendNext(ctx, s, newEvent(o.ID, at(60+i), "client.update", "usr_1", "kwc_1")); err != nil {
			t.Errorf("append %d after the refused appends: %v", i+1, err)
		}
	}
	checkChain(t, s, len(before)+2)
}
