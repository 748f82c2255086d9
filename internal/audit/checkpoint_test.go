package audit_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"keywarden/internal/audit"
	"keywarden/internal/store"
	"keywarden/internal/store/enginetest"
	"keywarden/internal/testkit"
)

func checkpoint(t *testing.T, log *audit.Log) audit.Checkpoint {
	t.Helper()
	cp, recorded, err := log.NewCheckpointer().Next(t.Context())
	if err != nil || !recorded || cp.Seq == 0 {
		t.Fatalf("Next = %v, %v, %v; want a recorded checkpoint", cp, recorded, err)
	}
	return cp
}

// The holes a hash chain alone cannot see: a shorter chain that still
// holds. A checkpoint kept outside the database finds both.
func TestCheckpointDetectsTruncationAndWipe(t *testing.T) {
	enginetest.Run(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		attacks := []struct {
			name string
			sql  []string
		}{
			{"newest rows deleted and the head rewound", []string{
				`DELETE FROM audit_events WHERE seq > 7`,
				`UPDATE audit_head SET seq = 7, hash = (SELECT hash FROM audit_events WHERE seq = 7) WHERE id = 1`,
			}},
			{"log wiped", []string{`DELETE FROM audit_events`, `UPDATE audit_head SET seq = 0, hash = NULL WHERE id = 1`}},
		}
		for _, a := range attacks {
			t.Run(a.name, func(t *testing.T) {
				s, log := chainOn(t, open, testkit.NewClock(time.Now()), 10)
				cp := checkpoint(t, log)
				if cp.Seq != 10 {
					t.Fatalf("checkpoint of event %d, want 10", cp.Seq)
				}
				res, err := log.Verify(t.Context(), cp)
				if err != nil || res.Checkpoints != 1 || res.Head != 11 {
					t.Fatalf("Verify with the checkpoint before the attack = %+v, %v", res, err)
				}
				exec(t, s, a.sql...)
				if _, err := log.Verify(t.Context()); err != nil {
					t.Fatalf("Verify without a checkpoint = %v: the attack should leave a chain that holds (what the checkpoint is for)", err)
				}
				_, err = log.Verify(t.Context(), cp)
				wantBreak(t, err, 10)
			})
		}
	})
}

func TestCheckpointFindsARewrittenEvent(t *testing.T) {
	s, log := chain(t, 5)
	cp := checkpoint(t, log)
	// Someone with the key could rebuild the chain; without it, replacing
	// the checkpointed event with another genuine one (its hash copied)
	// breaks the link or the hash, and the checkpoint's event differs.
	exec(t, s, `UPDATE audit_events SET hash = (SELECT hash FROM audit_events WHERE seq = 4) WHERE seq = 5`)
	_, err := log.Verify(t.Context(), cp)
	wantBreak(t, err, 5)
}

func TestCheckpointAuthenticity(t *testing.T) {
	s, log := chain(t, 3)
	cp := checkpoint(t, log)
	round, err := audit.ParseCheckpoint(cp.String())
	if err != nil || round.String() != cp.String() {
		t.Fatalf("ParseCheckpoint(%s) = %v, %v", cp, round, err)
	}
	other := audit.New(s, []byte("another key, also 32 bytes long."), nil)
	forged := cp
	forged.Seq = 2
	tests := []struct {
		name string
		log  *audit.Log
		cp   audit.Checkpoint
	}{
		{"sequence changed", log, forged},
		{"made with another key", log, checkpointWith(t, other)},
		{"checked with another key", other, cp},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := tc.log.Verify(t.Context(), tc.cp); !errors.Is(err, audit.ErrCheckpoint) {
				t.Errorf("Verify = %v, want ErrCheckpoint", err)
			}
		})
	}
}

// checkpointWith is a checkpoint another installation would make of the
// same rows (its own chain does not verify under log's key, so it is made
// on a chain of its own).
func checkpointWith(t *testing.T, _ *audit.Log) audit.Checkpoint {
	t.Helper()
	s, _ := chain(t, 0)
	other := audit.New(s, []byte("another key, also 32 bytes long."), nil)
	appendN(t, other, 3)
	return checkpoint(t, other)
}

func TestParseCheckpointRefusesMalformed(t *testing.T) {
	_, log := chain(t, 1)
	good := checkpoint(t, log).String()
	parts := strings.Split(good, ".")
	for _, s := range []string{
		"", "kwcp1", "kwcp2." + strings.Join(parts[1:], "."), "kwcp1.0." + parts[2] + "." + parts[3],
		"kwcp1.-1." + parts[2] + "." + parts[3], "kwcp1.01." + parts[2] + "." + parts[3],
		"kwcp1.1." + parts[2][:10] + "." + parts[3], "kwcp1.1.zz." + parts[3],
		"kwcp1.1." + parts[2] + ".!!", good + ".x",
	} {
		if _, err := audit.ParseCheckpoint(s); !errors.Is(err, audit.ErrCheckpoint) {
			t.Errorf("ParseCheckpoint(%q) = %v, want ErrCheckpoint", s, err)
		}
	}
}

func TestCheckpointerRecordsOnlyWhenSomethingHappened(t *testing.T) {
	_, log := chain(t, 4)
	c := log.NewCheckpointer()
	cp, recorded, err := c.Next(t.Context())
	if err != nil || !recorded || cp.Seq != 4 {
		t.Fatalf("first Next = %v, %v, %v", cp, recorded, err)
	}
	// The checkpoint event (5) is all that is new: nothing to record.
	cp, recorded, err = c.Next(t.Context())
	if err != nil || recorded || cp.Seq != 5 {
		t.Fatalf("second Next = %v, %v, %v; want a checkpoint of 5, not recorded", cp, recorded, err)
	}
	// Another node's checkpointer sees only checkpoints too.
	if _, recorded, err := log.NewCheckpointer().Next(t.Context()); err != nil || recorded {
		t.Fatalf("another checkpointer's Next = %v, %v; want nothing recorded", recorded, err)
	}
	appendN(t, log, 1)
	cp, recorded, err = c.Next(t.Context())
	if err != nil || !recorded || cp.Seq != 6 {
		t.Fatalf("Next after an event = %v, %v, %v", cp, recorded, err)
	}
	events, _, err := log.List(t.Context(), "", domainFilter(audit.ActionCheckpoint))
	if err != nil || len(events) != 2 || events[0].Detail["checkpoint"] != cp.String() {
		t.Fatalf("checkpoint events = %+v, %v", events, err)
	}
}

func TestCheckpointerRefusesABrokenChain(t *testing.T) {
	s, log := chain(t, 4)
	c := log.NewCheckpointer()
	checkpointOK := func() {
		if _, _, err := c.Next(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	checkpointOK()
	appendN(t, log, 2)
	// The checkpointer verifies from where it stopped: an edit after
	// that, or of the event it stopped at, is found.
	exec(t, s, `UPDATE audit_events SET target = 'x' WHERE seq = 6`)
	_, _, err := c.Next(t.Context())
	wantBreak(t, err, 6)
	exec(t, s, `UPDATE audit_events SET target = 'sec_0' WHERE seq = 6`)
	checkpointOK() // verified through 7, recorded as event 8
	exec(t, s, `DELETE FROM audit_events WHERE seq > 4`, `UPDATE audit_head SET seq = 4, hash = (SELECT hash FROM audit_events WHERE seq = 4) WHERE id = 1`)
	_, _, err = c.Next(t.Context())
	wantBreak(t, err, 7)
}
