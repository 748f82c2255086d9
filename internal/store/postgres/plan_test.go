package postgres_test

import (
	"strings"
	"testing"

	"keywarden/internal/store"
	"keywarden/internal/store/sqlstore"
	"keywarden/internal/store/storetest"
)

// TestPagedReadsUseIndexes asks PostgreSQL for the plan of every paged
// read (EXPLAIN of the statements the store runs, with their arguments,
// on analysed tables): each must be an index scan, never a sequential scan
// or a sort, and a later page's index condition must include its cursor,
// so that a page costs its own rows, whatever the list's length.
//
// On tables this small the planner rightly prefers reading a table to an
// index; the session turns sequential scans, bitmap scans and sorts off
// (enable_*), which leaves them in a plan only when no index can serve
// the query in order: what the test is after.
func TestPagedReadsUseIndexes(t *testing.T) {
	s := open(t, freshSchema(t, testDSN(t))).(*sqlstore.Store)
	reads := storetest.PagedReads(t, s)
	if _, err := s.DB().ExecContext(t.Context(), "ANALYZE"); err != nil {
		t.Fatal(err)
	}
	for name, read := range reads {
		t.Run(name, func(t *testing.T) {
			qs, err := s.Capture(func(c *sqlstore.Store) error { return read(t.Context(), store.Data(c)) })
			if err != nil {
				t.Fatal(err)
			}
			if len(qs) == 0 {
				t.Fatal("the read ran no query")
			}
			for _, q := range qs {
				plan := postgresPlan(t, s, q)
				all := strings.Join(plan, "\n  ")
				if strings.Contains(all, "Seq Scan") || strings.Contains(all, "Sort") {
					t.Errorf("plan of %s reads more than a page:\n  %s", strings.Join(strings.Fields(q.SQL), " "), all)
				}
				if !strings.Contains(all, "Index Scan") && !strings.Contains(all, "Index Only Scan") {
					t.Errorf("plan of %s uses no index scan:\n  %s", q.SQL, all)
				}
				if strings.HasSuffix(name, "/later") && !indexCondHasRange(plan) {
					t.Errorf("plan of %s reads the client's rows from the first, not from the cursor:\n  %s", q.SQL, all)
				}
			}
		})
	}
}

// indexCondHasRange reports whether an index condition compares more than
// equalities (the cursor's time).
func indexCondHasRange(plan []string) bool {
	for _, line := range plan {
		if i := strings.Index(line, "Index Cond:"); i >= 0 && strings.ContainsAny(line[i:], "<>") {
			return true
		}
	}
	return false
}

func postgresPlan(t *testing.T, s *sqlstore.Store, q sqlstore.CapturedQuery) []string {
	t.Helper()
	conn, err := s.DB().Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, set := range []string{"SET enable_seqscan = off", "SET enable_bitmapscan = off", "SET enable_sort = off"} {
		if _, err := conn.ExecContext(t.Context(), set); err != nil {
			t.Fatal(err)
		}
	}
	defer conn.ExecContext(t.Context(), "RESET ALL")
	rows, err := conn.QueryContext(t.Context(), "EXPLAIN "+q.SQL, q.Args...)
	if err != nil {
		t.Fatalf("EXPLAIN %s: %v", q.SQL, err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, line)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return plan
}
