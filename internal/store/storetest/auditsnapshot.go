package storetest

import (
	"bytes"
	"errors"
	"testing"

	"keywarden/internal/domain"
	"keywarden/internal/store"
)

// snapshotSeqs reads the snapshot's state and its events after after.
func snapshotSeqs(t *testing.T, s store.Store, after int64, during func()) (domain.AuditChainState, []int64) {
	t.Helper()
	var st domain.AuditChainState
	var seqs []int64
	err := s.ReadAuditSnapshot(t.Context(), func(got domain.AuditChainState, events func(int64, func(domain.AuditEvent) error) error) error {
		st = got
		if during != nil {
			during()
		}
		return events(after, func(e domain.AuditEvent) error { seqs = append(seqs, e.Seq); return nil })
	})
	if err != nil {
		t.Fatalf("ReadAuditSnapshot: %v", err)
	}
	return st, seqs
}

func testAuditSnapshot(t *testing.T, s store.Store) {
	ctx := t.Context()
	org := mustOrg(t, s, "Acme")
	var events []domain.AuditEvent
	for i := range 5 {
		events = append(events, mustAppend(t, s, newEvent(org.ID, at(i), "client.create", "usr_ada", "kwc_1")))
	}
	// An append that commits while the snapshot is open is not seen: the
	// head and the events stay in agreement.
	st, seqs := snapshotSeqs(t, s, 0, func() { mustAppend(t, s, newEvent(org.ID, at(5), "client.create", "usr_ada", "kwc_1")) })
	if st.HeadSeq != 5 || !bytes.Equal(st.HeadHash, events[4].Hash) || st.Archive != nil || !slicesEqual(seqs, []int64{1, 2, 3, 4, 5}) {
		t.Fatalf("snapshot = %+v, events %v; want head 5 and events 1-5", st, seqs)
	}
	if st, seqs = snapshotSeqs(t, s, 2, nil); st.HeadSeq != 6 || !slicesEqual(seqs, []int64{3, 4, 5, 6}) {
		t.Fatalf("snapshot after 2 = %+v, events %v; want head 6 and events 3-6", st, seqs)
	}
	// The callback's error comes back.
	boom := errors.New("boom")
	err := s.ReadAuditSnapshot(ctx, func(_ domain.AuditChainState, events func(int64, func(domain.AuditEvent) error) error) error {
		return events(0, func(domain.AuditEvent) error { return boom })
	})
	if !errors.Is(err, boom) {
		t.Errorf("ReadAuditSnapshot = %v, want the callback's error", err)
	}
	// Not inside a transaction: a snapshot is a transaction of its own.
	err = s.InTx(ctx, func(tx store.Tx) error {
		return tx.ReadAuditSnapshot(ctx, func(domain.AuditChainState, func(int64, func(domain.AuditEvent) error) error) error { return nil })
	})
	if err == nil {
		t.Error("ReadAuditSnapshot inside a transaction succeeded")
	}
}

func testArchiveAudit(t *testing.T, s store.Store) {
	ctx := t.Context()
	org := mustOrg(t, s, "Acme")
	var events []domain.AuditEvent
	for i := range 6 {
		events = append(events, mustAppend(t, s, newEvent(org.ID, at(i), "client.create", "usr_ada", "kwc_1")))
	}
	mark := domain.AuditArchive{Seq: 3, Hash: events[2].Hash, ArchivedAt: at(10), MAC: randomBytes(32)}
	n, err := s.ArchiveAudit(ctx, mark)
	if err != nil || n != 3 {
		t.Fatalf("ArchiveAudit(3) = %d, %v; want 3 removed", n, err)
	}
	st, seqs := snapshotSeqs(t, s, 0, nil)
	if a := st.Archive; a == nil || a.Seq != 3 || !bytes.Equal(a.Hash, mark.Hash) || !bytes.Equal(a.MAC, mark.MAC) || !a.ArchivedAt.Equal(at(10)) {
		t.Fatalf("archive mark = %+v, want %+v", st.Archive, mark)
	}
	if !slicesEqual(seqs, []int64{4, 5, 6}) || st.HeadSeq != 6 {
		t.Fatalf("after archiving: head %d, events %v", st.HeadSeq, seqs)
	}
	for _, bad := range []domain.AuditArchive{
		{Seq: 3, Hash: events[2].Hash, ArchivedAt: at(11), MAC: randomBytes(32)},  // not forward
		{Seq: 2, Hash: events[1].Hash, ArchivedAt: at(11), MAC: randomBytes(32)},  // backwards
		{Seq: 7, Hash: randomBytes(32), ArchivedAt: at(11), MAC: randomBytes(32)}, // past the head
	} {
		if _, err := s.ArchiveAudit(ctx, bad); !errors.Is(err, domain.ErrConflict) {
			t.Errorf("ArchiveAudit(%d) = %v, want ErrConflict", bad.Seq, err)
		}
	}
	// The mark moves forward; appends go on after it.
	if n, err := s.ArchiveAudit(ctx, domain.AuditArchive{Seq: 5, Hash: events[4].Hash, ArchivedAt: at(12), MAC: randomBytes(32)}); err != nil || n != 2 {
		t.Fatalf("ArchiveAudit(5) = %d, %v", n, err)
	}
	mustAppend(t, s, newEvent(org.ID, at(13), "client.create", "usr_ada", "kwc_1"))
	if st, seqs = snapshotSeqs(t, s, 0, nil); st.Archive.Seq != 5 || !slicesEqual(seqs, []int64{6, 7}) {
		t.Fatalf("after the second archive: mark %+v, events %v", st.Archive, seqs)
	}
}

func slicesEqual(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
