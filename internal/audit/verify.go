package audit

import (
	"bytes"
	"cmp"
	"context"
	"crypto/hmac"
	"fmt"
	"slices"

	"keywarden/internal/domain"
)

// Break describes where the chain is broken.
type Break struct {
	Seq    int64 // the first event that does not verify (or the head)
	Reason string
}

func (b *Break) Error() string {
	return fmt.Sprintf("audit chain broken at event %d: %s", b.Seq, b.Reason)
}

// VerifyResult is the outcome of a successful verification.
type VerifyResult struct {
	// Events is how many events were checked (those after the archive
	// mark); Head is the last one's sequence number and HeadHash its hash.
	Events   int64
	Head     int64
	HeadHash []byte
	// ArchivedThrough is the last event retention removed (0: none); the
	// chain was verified from the archive mark's hash on.
	ArchivedThrough int64
	// Checkpoints is how many of the given checkpoints the chain was
	// found to contain; Archived lists those that fell in the archived
	// range, which can no longer be compared with an event.
	Checkpoints int
	Archived    []Checkpoint
}

// Verify walks the whole chain in one consistent snapshot of the store,
// streaming it (memory does not grow with the log). It returns a *Break
// for the first event that was edited, deleted, inserted or moved, for a
// head that does not match the last event, and for a checkpoint the chain
// no longer contains (rows removed from the end and the head rewound, or
// the log wiped); nil when the chain holds. A checkpoint that is not
// authentic (not made with this installation's key) is an error that
// wraps ErrCheckpoint, before anything is read.
func (l *Log) Verify(ctx context.Context, checkpoints ...Checkpoint) (VerifyResult, error) {
	for _, c := range checkpoints {
		if !l.checkMark(labelCheckpoint, c.Seq, c.Hash, c.MAC) {
			return VerifyResult{}, fmt.Errorf("%w: %s was not made with this installation's key, or was altered", ErrCheckpoint, c)
		}
	}
	return l.walk(ctx, nil, checkpoints, nil)
}

// walk verifies the chain in one snapshot, from anchor on when it is set
// (an event this process verified before, whose hash it remembers), else
// from the start or the archive mark. each, when set, sees every event
// that verified.
func (l *Log) walk(ctx context.Context, anchor *Checkpoint, checkpoints []Checkpoint, each func(domain.AuditEvent)) (VerifyResult, error) {
	cps := slices.Clone(checkpoints)
	slices.SortFunc(cps, func(a, b Checkpoint) int { return cmp.Compare(a.Seq, b.Seq) })
	var res VerifyResult
	err := l.store.ReadAuditSnapshot(ctx, func(st domain.AuditChainState, events func(int64, func(domain.AuditEvent) error) error) error {
		var prev []byte
		var want int64 = 1
		if a := st.Archive; a != nil {
			if !l.checkMark(labelArchive, a.Seq, a.Hash, a.MAC) {
				return &Break{Seq: a.Seq, Reason: "the archive mark is not authentic: it was not written by Keywarden's retention"}
			}
			res.ArchivedThrough = a.Seq
			prev, want = a.Hash, a.Seq+1
			for len(cps) > 0 && cps[0].Seq <= a.Seq {
				if cps[0].Seq == a.Seq && !bytes.Equal(cps[0].Hash, a.Hash) {
					return &Break{Seq: a.Seq, Reason: fmt.Sprintf("checkpoint %s does not match the archive mark's hash", cps[0])}
				}
				res.Archived = append(res.Archived, cps[0])
				cps = cps[1:]
			}
		}
		// From an anchor, the walk starts at the anchor's event, whose hash
		// must be the one remembered; its link backwards was checked when
		// it was remembered.
		linked := true
		if anchor != nil && anchor.Seq >= want {
			want, linked = anchor.Seq, false
			for len(cps) > 0 && cps[0].Seq < anchor.Seq {
				cps = cps[1:]
			}
		}
		h := l.newHasher()
		err := pipeline(ctx, events, want-1, func(e domain.AuditEvent) error {
			if !linked {
				if e.Seq != want || !bytes.Equal(e.Hash, anchor.Hash) {
					return &Break{Seq: anchor.Seq, Reason: fmt.Sprintf("event %d, verified before, is gone or changed", anchor.Seq)}
				}
				prev, linked = e.Hash, true
				want++
				return nil
			}
			switch {
			case e.Seq != want:
				return &Break{Seq: want, Reason: fmt.Sprintf("event %d is missing (next is %d)", want, e.Seq)}
			case !bytes.Equal(e.PrevHash, prev):
				return &Break{Seq: e.Seq, Reason: "previous-hash link does not match: an event before it was removed, inserted or reordered"}
			case !hmac.Equal(h.sum(e), e.Hash):
				return &Break{Seq: e.Seq, Reason: "hash does not match its contents: the event was edited"}
			case e.ClientID != e.Client():
				return &Break{Seq: e.Seq, Reason: fmt.Sprintf("the event's client index says %q but the event is about %q: the index was edited", e.ClientID, e.Client())}
			}
			if len(cps) > 0 && cps[0].Seq == e.Seq {
				if !bytes.Equal(cps[0].Hash, e.Hash) {
					return &Break{Seq: e.Seq, Reason: fmt.Sprintf("event %d is not the one checkpoint %s recorded: the chain was rewritten from there", e.Seq, cps[0])}
				}
				res.Checkpoints++
				cps = cps[1:]
			}
			prev = e.Hash
			want++
			res.Events++
			if each != nil {
				each(e)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if !linked {
			return &Break{Seq: anchor.Seq, Reason: fmt.Sprintf("event %d, verified before, is gone: events were removed from the end", anchor.Seq)}
		}
		last := want - 1
		if st.HeadSeq != last || !bytes.Equal(st.HeadHash, prev) {
			return &Break{Seq: st.HeadSeq, Reason: fmt.Sprintf("the chain head says %d events but %d were found: events were removed from the end", st.HeadSeq, last)}
		}
		if len(cps) > 0 {
			return &Break{Seq: cps[0].Seq, Reason: fmt.Sprintf("the chain ends at event %d but checkpoint %s recorded event %d: events were removed from the end and the head rewound, or the log was wiped", last, cps[0], cps[0].Seq)}
		}
		res.Head, res.HeadHash = last, prev
		return nil
	})
	if err != nil {
		return VerifyResult{}, err
	}
	return res, nil
}

// pipeline reads events after after in a goroutine of its own, in batches
// through a short channel (memory stays bounded), while check runs on the
// caller's: reading and hashing overlap. It returns check's first error
// (and stops reading), else the reader's.
func pipeline(ctx context.Context, events func(int64, func(domain.AuditEvent) error) error, after int64, check func(domain.AuditEvent) error) error {
	const batchSize = 512
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan []domain.AuditEvent, 4)
	read := make(chan error, 1)
	go func() {
		defer close(batches)
		send := func(b []domain.AuditEvent) error {
			select {
			case batches <- b:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		batch := make([]domain.AuditEvent, 0, batchSize)
		err := events(after, func(e domain.AuditEvent) error {
			batch = append(batch, e)
			if len(batch) < batchSize {
				return nil
			}
			full := batch
			batch = make([]domain.AuditEvent, 0, batchSize)
			return send(full)
		})
		if err == nil && len(batch) > 0 {
			err = send(batch)
		}
		read <- err
	}()
	var checkErr error
	for b := range batches {
		for _, e := range b {
			if checkErr != nil {
				break
			}
			if checkErr = check(e); checkErr != nil {
				cancel()
			}
		}
	}
	readErr := <-read
	if checkErr != nil {
		return checkErr
	}
	return readErr
}
