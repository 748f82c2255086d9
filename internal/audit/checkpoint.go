package audit

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"keywarden/internal/domain"
)

// ActionCheckpoint is the event that records a checkpoint in the chain
// itself, so that it reaches the audit streams in order with the events.
const ActionCheckpoint = "audit.checkpoint"

// ErrCheckpoint is wrapped by the errors about a checkpoint itself: one
// that does not parse, or was not made with this installation's key.
var ErrCheckpoint = errors.New("not a checkpoint of this installation")

// Checkpoint anchors the chain outside the database: an event's sequence
// number and hash, under a MAC keyed from the master key. A copy kept
// elsewhere (the server's log, a SIEM) lets `audit verify --checkpoint`
// prove the chain still contains that event: someone who can write the
// database but lacks the master key can neither forge a checkpoint nor
// rebuild the chain to match one after removing events.
type Checkpoint struct {
	Seq  int64
	Hash []byte
	MAC  []byte
}

// checkpointPrefix versions the text form.
const checkpointPrefix = "kwcp1"

// String is the checkpoint's text form: kwcp1.<seq>.<hash, hex>.<MAC, base64url>.
func (c Checkpoint) String() string {
	return fmt.Sprintf("%s.%d.%s.%s", checkpointPrefix, c.Seq, hex.EncodeToString(c.Hash), base64.RawURLEncoding.EncodeToString(c.MAC))
}

// ParseCheckpoint reads a checkpoint's text form. It checks the form only:
// Verify checks that the checkpoint is authentic.
func ParseCheckpoint(s string) (Checkpoint, error) {
	parts := strings.Split(strings.TrimSpace(s), ".")
	bad := func(why string) (Checkpoint, error) {
		return Checkpoint{}, fmt.Errorf("%w: %q %s (want kwcp1.<seq>.<hash>.<mac>)", ErrCheckpoint, s, why)
	}
	if len(parts) != 4 || parts[0] != checkpointPrefix {
		return bad("is not in the checkpoint form")
	}
	seq, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || seq < 1 || parts[1] != strconv.FormatInt(seq, 10) {
		return bad("has no valid sequence number")
	}
	hash, err := hex.DecodeString(parts[2])
	if err != nil || len(hash) != sha256.Size {
		return bad("has no valid hash")
	}
	mac, err := base64.RawURLEncoding.DecodeString(parts[3])
	if err != nil || len(mac) != sha256.Size {
		return bad("has no valid MAC")
	}
	return Checkpoint{Seq: seq, Hash: hash, MAC: mac}, nil
}

// What a mark's MAC is for: a checkpoint can never pass for an archive
// mark (which would let a database writer drop the events before it).
const (
	labelCheckpoint = "checkpoint"
	labelArchive    = "archive"
)

// markKey derives the key of checkpoints and archive marks from the
// chain's key, so that neither is a chain hash.
func markKey(chainKey []byte) []byte {
	m := hmac.New(sha256.New, chainKey)
	m.Write([]byte("keywarden/v1/audit-marks"))
	return m.Sum(nil)
}

func (l *Log) mark(label string, seq int64, hash []byte) []byte {
	m := hmac.New(sha256.New, l.markKey)
	var buf [8]byte
	m.Write([]byte(label))
	m.Write([]byte{0})
	binary.BigEndian.PutUint64(buf[:], uint64(seq))
	m.Write(buf[:])
	m.Write(hash)
	return m.Sum(nil)
}

func (l *Log) checkMark(label string, seq int64, hash, mac []byte) bool {
	return hmac.Equal(l.mark(label, seq, hash), mac)
}

func (l *Log) checkpointOf(seq int64, hash []byte) Checkpoint {
	return Checkpoint{Seq: seq, Hash: hash, MAC: l.mark(labelCheckpoint, seq, hash)}
}

// Checkpointer makes checkpoints: each verifies the chain from the last
// event the previous one verified (the whole chain the first time), and
// only then records its head. It is not safe for concurrent use; each node
// runs one (RunCheckpoints), which is harmless: nodes' checkpoints agree.
type Checkpointer struct {
	log  *Log
	last *Checkpoint // the last event verified, and its hash
	// The last checkpoint event and the last other event seen.
	lastCheckpoint, lastOther int64
}

// NewCheckpointer returns a Checkpointer of l.
func (l *Log) NewCheckpointer() *Checkpointer { return &Checkpointer{log: l} }

// Next verifies the chain and returns a checkpoint of its head. When
// events other than checkpoints were appended since the last call, it also
// records the checkpoint in the chain (an ActionCheckpoint event, whose
// detail holds its text form) and reports true. An empty chain has no
// checkpoint (Seq 0); a broken chain is a *Break and no checkpoint.
func (c *Checkpointer) Next(ctx context.Context) (Checkpoint, bool, error) {
	res, err := c.log.walk(ctx, c.last, nil, func(e domain.AuditEvent) {
		if e.Action == ActionCheckpoint && e.ActorKind == domain.ActorSystem {
			c.lastCheckpoint = e.Seq
		} else {
			c.lastOther = e.Seq
		}
	})
	if err != nil {
		return Checkpoint{}, false, err
	}
	if res.Head == 0 {
		return Checkpoint{}, false, nil
	}
	c.last = &Checkpoint{Seq: res.Head, Hash: res.HeadHash}
	cp := c.log.checkpointOf(res.Head, res.HeadHash)
	if c.lastOther <= c.lastCheckpoint {
		return cp, false, nil
	}
	err = c.log.Record(ctx, Entry{Actor: domain.System("", "audit-checkpoint"), Action: ActionCheckpoint, Target: strconv.FormatInt(cp.Seq, 10),
		Detail: map[string]string{"checkpoint": cp.String(), "seq": strconv.FormatInt(cp.Seq, 10), "hash": hex.EncodeToString(cp.Hash)}})
	if err != nil {
		return Checkpoint{}, false, err
	}
	return cp, true, nil
}

// RunCheckpoints makes a checkpoint every interval until ctx ends, and
// writes each to log, where it leaves the database's reach (the server's
// log goes to journald, a file or a collector). A broken chain is logged
// as an error every interval until it is repaired.
func (l *Log) RunCheckpoints(ctx context.Context, interval time.Duration, log *slog.Logger) {
	c := l.NewCheckpointer()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		cp, made, err := c.Next(ctx)
		var brk *Break
		switch {
		case errors.As(err, &brk):
			log.Error("audit chain broken: no checkpoint made", "seq", brk.Seq, "reason", brk.Reason)
			c.last = nil // verify everything again next time
		case err != nil && ctx.Err() == nil:
			log.Error("audit checkpoint failed", "err", err)
		case made:
			log.Info("audit checkpoint", "checkpoint", cp.String(), "seq", cp.Seq)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
