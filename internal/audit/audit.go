package audit

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"keywarden/internal/domain"
	"keywarden/internal/store"
)

// Log appends to and reads the audit chain.
type Log struct {
	store store.Store
	key   []byte
	// markKey authenticates checkpoints and archive marks (checkpoint.go).
	markKey []byte
	now     func() time.Time
}

// New returns a Log. key is the chain's HMAC key (keyring.PurposeAudit).
func New(s store.Store, key []byte, now func() time.Time) *Log {
	if now == nil {
		now = time.Now
	}
	return &Log{store: s, key: key, markKey: markKey(key), now: now}
}

// Entry is what a caller records; Append fills in the rest.
type Entry struct {
	Actor  domain.Actor
	Action string
	Target string
	Result string // domain.ResultSuccess when empty
	Detail map[string]string
	// Changes are the fields the action changed, before and after.
	Changes []domain.AuditChange
}

// Append records e in tx, the transaction of the change it describes: the
// event commits with the change or not at all. It holds the chain's head
// until tx ends, so take it last in a transaction.
func (l *Log) Append(ctx context.Context, tx store.Tx, e Entry) error {
	seq, prev, err := tx.AuditHead(ctx)
	if err != nil {
		return fmt.Errorf("audit head: %w", err)
	}
	result := e.Result
	if result == "" {
		result = domain.ResultSuccess
	}
	ev := domain.AuditEvent{
		Seq: seq + 1, ID: domain.NewID(domain.PrefixAudit), OrgID: e.Actor.OrgID,
		At:        l.now().UTC().Truncate(time.Microsecond),
		ActorKind: e.Actor.Kind, ActorID: e.Actor.ID, Action: e.Action, Target: e.Target,
		Source: e.Actor.Source, Result: result, Detail: e.Detail, Changes: e.Changes, PrevHash: prev,
	}
	ev.Hash = l.hash(ev)
	if err := tx.AppendAudit(ctx, ev); err != nil {
		return fmt.Errorf("audit append %s: %w", e.Action, err)
	}
	return nil
}

// Record records e in a transaction of its own: for what changed nothing
// else (a failed authentication, a refused request).
func (l *Log) Record(ctx context.Context, e Entry) error {
	return l.store.InTx(ctx, func(tx store.Tx) error { return l.Append(ctx, tx, e) })
}

// hash covers PrevHash and every field but Hash (and ClientID, which is
// derived from hashed fields), each length-prefixed so that no two
// different events encode the same way. Changes follow the detail only
// when there are some, so that events written before changes existed keep
// their hashes; the encoding stays unambiguous because the detail's
// length is prefixed.
func (l *Log) hash(e domain.AuditEvent) []byte {
	return l.newHasher().sum(e)
}

// hasher computes chain hashes with one HMAC state, reset per event: what
// a walk over many events uses.
type hasher struct {
	m   hash.Hash
	buf [8]byte
}

func (l *Log) newHasher() *hasher { return &hasher{m: hmac.New(sha256.New, l.key)} }

func (h *hasher) sum(e domain.AuditEvent) []byte {
	m := h.m
	m.Reset()
	field := func(b []byte) {
		binary.BigEndian.PutUint64(h.buf[:], uint64(len(b)))
		m.Write(h.buf[:])
		m.Write(b)
	}
	fieldString := func(s string) {
		binary.BigEndian.PutUint64(h.buf[:], uint64(len(s)))
		m.Write(h.buf[:])
		io.WriteString(m, s)
	}
	binary.BigEndian.PutUint64(h.buf[:], uint64(e.Seq))
	m.Write(h.buf[:])
	field(e.PrevHash)
	for _, s := range []string{e.ID, string(e.OrgID), e.At.UTC().Format(time.RFC3339Nano), string(e.ActorKind), e.ActorID, e.Action, e.Target, e.Source, e.Result} {
		fieldString(s)
	}
	keys := slices.Sorted(maps.Keys(e.Detail))
	binary.BigEndian.PutUint64(h.buf[:], uint64(len(keys)))
	m.Write(h.buf[:])
	for _, k := range keys {
		fieldString(k)
		fieldString(e.Detail[k])
	}
	if len(e.Changes) > 0 {
		binary.BigEndian.PutUint64(h.buf[:], uint64(len(e.Changes)))
		m.Write(h.buf[:])
		for _, c := range e.Changes {
			fieldString(c.Field)
			fieldString(c.Before)
			fieldString(c.After)
		}
	}
	return m.Sum(nil)
}

// List returns an organisation's events, newest first.
func (l *Log) List(ctx context.Context, org domain.OrgID, f domain.AuditFilter) ([]domain.AuditEvent, string, error) {
	return l.store.ListAudit(ctx, org, f)
}

// Names names the IDs events hold (actors, targets, and IDs in the
// detail, comma-separated lists too) that are still the organisation's:
// one store query for a page of events.
func (l *Log) Names(ctx context.Context, org domain.OrgID, events []domain.AuditEvent) (map[string]domain.AuditName, error) {
	var ids []string
	for _, e := range events {
		ids = append(ids, e.ActorID, e.Target)
		for _, v := range e.Detail {
			if strings.Contains(v, "_") {
				ids = append(ids, strings.Split(v, ",")...)
			}
		}
	}
	return l.store.AuditNames(ctx, org, ids)
}
