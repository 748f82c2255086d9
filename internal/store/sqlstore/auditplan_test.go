package sqlstore_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"keywarden/internal/domain"
	"keywarden/internal/store"
	"keywarden/internal/store/enginetest"
	"keywarden/internal/store/sqlstore"
)

// TestListAuditPlans: each audit filter is an index search inside the
// organisation, never a scan of the log, on both engines, with a log big
// enough (and analysed) that the planners choose by cost. The exact
// filters also read in sequence order (no sort of the matches).
func TestListAuditPlans(t *testing.T) {
	enginetest.Run(t, func(t *testing.T, open func(t *testing.T) store.Store) {
		s := open(t).(*sqlstore.Store)
		base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		actions := []string{"client.authenticate", "client.authenticate", "client.authenticate", "secret.create", "secret.revoke", "client.update", "user.login"}
		// One big organisation and small ones: a small organisation's
		// list must not read the big one's events.
		const n = 30000
		org := func(i int) domain.OrgID {
			if i%10 != 0 {
				return "org_big"
			}
			return domain.OrgID(fmt.Sprintf("org_%d", i/10%5))
		}
		action := func(i int) string {
			if i%770 == 0 { // rare, so that only its index finds it fast
				return "webhook.endpoint_disabled"
			}
			return actions[i%len(actions)]
		}
		enginetest.BulkAudit(t, s, n, func(i int) domain.AuditEvent {
			return domain.AuditEvent{Seq: int64(i + 1), ID: fmt.Sprintf("evt_%d", i), OrgID: org(i),
				At: base.Add(time.Duration(i) * time.Second), ActorKind: domain.ActorUser, ActorID: fmt.Sprintf("usr_%d", i%300),
				Action: action(i), Target: fmt.Sprintf("kwc_%d", i%2000), Source: "192.0.2.1", Result: domain.ResultSuccess,
				Hash: []byte{1}}
		})
		postgres := strings.Contains(fmt.Sprintf("%T", s.DB().Driver()), "stdlib")
		page := domain.Page{After: domain.EncodeSeq(n - 100)}
		tests := []struct {
			name   string
			filter domain.AuditFilter
			index  string // the index the plan must use ("": any audit_org_ index)
			sorted bool   // read in sequence order, no sort (SQLite; PostgreSQL may sort a few rows by cost)
		}{
			{"everything", domain.AuditFilter{}, "audit_org_seq", true},
			{"a page after a cursor", domain.AuditFilter{Page: page}, "audit_org_seq", true},
			{"exact action", domain.AuditFilter{Action: "secret.revoke"}, "audit_org_action", true},
			{"action prefix", domain.AuditFilter{Action: "webhook."}, "audit_org_action", false},
			{"a frequent action prefix", domain.AuditFilter{Action: "secret."}, "", false},
			{"actor", domain.AuditFilter{ActorID: "usr_7"}, "audit_org_actor", true},
			{"target", domain.AuditFilter{Target: "kwc_42"}, "audit_org_target", true},
			{"target, a page after a cursor", domain.AuditFilter{Target: "kwc_42", Page: page}, "audit_org_target", true},
			{"client's activity", domain.AuditFilter{ClientID: "kwc_42"}, "audit_org_client", true},
			{"client's activity, a page after a cursor", domain.AuditFilter{ClientID: "kwc_42", Page: page}, "audit_org_client", true},
			{"time range", domain.AuditFilter{Since: base.Add(1000 * time.Second), Until: base.Add(1200 * time.Second)}, "", false},
			{"actor and action", domain.AuditFilter{ActorID: "usr_7", Action: "client.authenticate"}, "", false},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				q, args, err := s.ListAuditQuery("org_3", tc.filter)
				if err != nil {
					t.Fatal(err)
				}
				explain := "EXPLAIN QUERY PLAN "
				if postgres {
					explain = "EXPLAIN "
				}
				plan := queryPlan(t, s, explain+q, args...)
				var bad []string
				if postgres {
					if strings.Contains(plan, "Seq Scan") {
						bad = append(bad, "scans the table")
					}
					if !strings.Contains(plan, "Index") {
						bad = append(bad, "uses no index")
					}
				} else {
					if strings.Contains(plan, "SCAN audit_events") {
						bad = append(bad, "scans the table")
					}
					if !strings.Contains(plan, "SEARCH audit_events USING") {
						bad = append(bad, "searches no index")
					}
					if tc.sorted && strings.Contains(plan, "TEMP B-TREE") {
						bad = append(bad, "sorts the matches")
					}
				}
				if tc.index != "" && !strings.Contains(plan, tc.index) {
					bad = append(bad, "does not use "+tc.index)
				} else if tc.index == "" && !strings.Contains(plan, "audit_org_") {
					bad = append(bad, "uses no audit_org_ index")
				}
				if len(bad) > 0 {
					t.Errorf("plan of %s %s:\n%s", tc.name, strings.Join(bad, ", "), plan)
				}
			})
		}
	})
}

func queryPlan(t *testing.T, s *sqlstore.Store, q string, args ...any) string {
	t.Helper()
	rows, err := s.DB().QueryContext(t.Context(), q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var b strings.Builder
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(&b, vals[len(vals)-1]) // SQLite: detail; PostgreSQL: the one column
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
