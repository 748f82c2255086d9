package sqlite

import "testing"

// TestAuditClientMigrationBackfills: migration 00066 gives events written
// before it their client by the rule domain.AuditEvent.Client applies (the
// target when it is a client, else the detail's client_id), and leaves
// the rest empty.
func TestAuditClientMigrationBackfills(t *testing.T) {
	ctx := t.Context()
	db, p := migratedTo(t, 65)
	rows := []struct{ target, detail, want string }{
		{"kwc_a", `{"name":"billing"}`, "kwc_a"},
		{"kwp_b", ``, "kwp_b"},
		{"sec_1", `{"client_id":"kwc_c","origin":"generated"}`, "kwc_c"},
		{"rot_1", `{"client_id":"kwp_d"}`, "kwp_d"},
		{"usr_1", `{"user_id":"usr_2"}`, ""},
		{"usr_1", ``, ""},
		{"sec_2", `{"client_id":"not a client"}`, ""},
	}
	for i, r := range rows {
		if _, err := db.ExecContext(ctx, `INSERT INTO audit_events (seq, id, org_id, at, actor_kind, actor_id, action, target, source, result, detail, prev_hash, hash)
			VALUES (?, ?, 'org_1', 1, 'user', 'usr_1', 'x.y', ?, '', 'success', ?, NULL, X'01')`, i+1, "evt_"+string(rune('a'+i)), r.target, r.detail); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatalf("migrate up: %v", err)
	}
	for i, r := range rows {
		var got, changes string
		if err := db.QueryRowContext(ctx, `SELECT client_id, changes FROM audit_events WHERE seq = ?`, i+1).Scan(&got, &changes); err != nil {
			t.Fatal(err)
		}
		if got != r.want || changes != "" {
			t.Errorf("event %s %s: client_id %q, changes %q; want %q and none", r.target, r.detail, got, changes, r.want)
		}
	}
}
