package enginetest

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"keywarden/internal/domain"
	"keywarden/internal/store"
	"keywarden/internal/store/sqlstore"
)

// BulkAudit appends n events to an empty log quickly: multi-row INSERTs of
// 500 rows, many per transaction, then the head. next(i) returns event
// i+1 complete (Seq, PrevHash and Hash included: the caller builds the
// chain, valid or not). For benchmarks and plan tests that need a large
// log; Keywarden itself appends one event at a time.
func BulkAudit(t testing.TB, s store.Store, n int, next func(i int) domain.AuditEvent) {
	t.Helper()
	db := s.(*sqlstore.Store).DB()
	dollar := strings.Contains(fmt.Sprintf("%T", db.Driver()), "stdlib") // pgx
	const rows, cols = 500, 14
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", cols), ", ") + ")"
	var last domain.AuditEvent
	for start := 0; start < n; {
		tx, err := db.BeginTx(t.Context(), nil)
		if err != nil {
			t.Fatal(err)
		}
		for chunk := 0; chunk < 40 && start < n; chunk++ {
			k := min(rows, n-start)
			q := "INSERT INTO audit_events (seq, id, org_id, at, actor_kind, actor_id, action, target, source, result, detail, prev_hash, hash, client_id) VALUES " +
				strings.TrimSuffix(strings.Repeat(row+", ", k), ", ")
			if dollar {
				q = sqlstore.RebindDollar(q)
			}
			args := make([]any, 0, k*cols)
			for i := start; i < start+k; i++ {
				e := next(i)
				detail := ""
				if len(e.Detail) > 0 {
					b, _ := json.Marshal(e.Detail)
					detail = string(b)
				}
				args = append(args, e.Seq, e.ID, e.OrgID, e.At.UnixMicro(), e.ActorKind, e.ActorID, e.Action, e.Target, e.Source, e.Result, detail, e.PrevHash, e.Hash, e.Client())
				last = e
			}
			if _, err := tx.ExecContext(t.Context(), q, args...); err != nil {
				tx.Rollback()
				t.Fatalf("bulk insert at %d: %v", start, err)
			}
			start += k
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	q := "UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1"
	if dollar {
		q = sqlstore.RebindDollar(q)
	}
	if _, err := db.ExecContext(t.Context(), q, last.Seq, last.Hash); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(t.Context(), "ANALYZE"); err != nil {
		t.Fatal(err)
	}
}
