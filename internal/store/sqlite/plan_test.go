package sqlite_test

import (
	"strings"
	"testing"

	"keywarden/internal/store"
	"keywarden/internal/store/sqlstore"
	"keywarden/internal/store/storetest"
)

// TestPagedReadsUseIndexes asks SQLite for the plan of every paged read
// (EXPLAIN QUERY PLAN of the statements the store runs): each must search
// an index (a range, "SEARCH … USING … INDEX"), never scan a table or an
// index from its start ("SCAN") or sort ("USE TEMP B-TREE"), and a later
// page must seek to its cursor, so that a page costs its own rows,
// whatever the list's length.
func TestPagedReadsUseIndexes(t *testing.T) {
	s := open(t, t.TempDir()).(*sqlstore.Store)
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
				plan := sqlitePlan(t, s, q)
				for _, line := range plan {
					if strings.HasPrefix(line, "SCAN") || strings.Contains(line, "TEMP B-TREE") {
						t.Errorf("plan of %s\n  %s\nreads more than a page: %q", strings.Join(strings.Fields(q.SQL), " "), strings.Join(plan, "\n  "), line)
					}
				}
				all := strings.Join(plan, "\n")
				if !strings.Contains(all, "INDEX") {
					t.Errorf("plan of %s uses no index:\n  %s", q.SQL, strings.Join(plan, "\n  "))
				}
				// A later page seeks to its cursor: the index range
				// includes the time, not just the client.
				if strings.HasSuffix(name, "/later") && !strings.Contains(all, ">?") && !strings.Contains(all, "<?") {
					t.Errorf("plan of %s reads the client's rows from the first, not from the cursor:\n  %s", q.SQL, strings.Join(plan, "\n  "))
				}
			}
		})
	}
}

func sqlitePlan(t *testing.T, s *sqlstore.Store, q sqlstore.CapturedQuery) []string {
	t.Helper()
	rows, err := s.DB().QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+q.SQL, q.Args...)
	if err != nil {
		t.Fatalf("EXPLAIN QUERY PLAN %s: %v", q.SQL, err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return plan
}
