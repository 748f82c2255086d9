package sqlite

import (
	"database/sql"
	"testing"

	"github.com/pressly/goose/v3"
)

// migratedTo opens a store in a temporary directory migrated up to
// version, and its migration provider to go on.
func migratedTo(t *testing.T, version int64) (*sql.DB, *goose.Provider) {
	t.Helper()
	db, err := openDB(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	p, err := provider(db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(t.Context(), version); err != nil {
		t.Fatalf("migrate to %d: %v", version, err)
	}
	return db, p
}

// TestOrgWebhookMigrationKeepsTheLog: migration 00058 rebuilds
// webhook_messages (SQLite cannot drop a NOT NULL); a log written before
// it keeps every message and every attempt, the attempts' foreign key
// still cascades, and foreign_key_check finds nothing.
func TestOrgWebhookMigrationKeepsTheLog(t *testing.T) {
	ctx := t.Context()
	db, p := migratedTo(t, 57)
	for _, q := range []string{
		`INSERT INTO organizations (id, name, policy, created_at) VALUES ('org_1', 'Acme', '{}', 1)`,
		`INSERT INTO clients (id, org_id, name, description, scopes, token_ttl, webhook_url, disabled, created_at, updated_at)
			VALUES ('kwc_1', 'org_1', 'billing', '', '[]', 0, 'https://hooks.example', 0, 1, 1)`,
		`INSERT INTO webhook_messages (id, org_id, client_id, event_type, payload, created_at, status, attempts, retry_count, retry_from,
			next_attempt_at, last_attempt_at, last_status_code, last_error, delivered_at, claim_id, payload_deleted_at)
			VALUES ('msg_1', 'org_1', 'kwc_1', 'secret.created', '{}', 5, 'failed', 2, 2, 5, NULL, 7, 500, 'HTTP 500', NULL, '', NULL),
			       ('msg_2', 'org_1', 'kwc_1', 'secret.created', '{}', 6, 'delivered', 1, 1, 6, NULL, 8, 200, '', 8, '', NULL)`,
		`INSERT INTO webhook_attempts (id, message_id, org_id, client_id, attempted_at, url, status_code, latency_us, error, response_excerpt)
			VALUES ('att_1', 'msg_1', 'org_1', 'kwc_1', 6, 'https://hooks.example', 500, 10, 'HTTP 500', 'no'),
			       ('att_2', 'msg_1', 'org_1', 'kwc_1', 7, 'https://hooks.example', 500, 10, 'HTTP 500', 'no'),
			       ('att_3', 'msg_2', 'org_1', 'kwc_1', 8, 'https://hooks.example', 200, 10, '', 'ok')`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatalf("migrate up: %v", err)
	}
	count := func(q string) int {
		t.Helper()
		var n int
		if err := db.QueryRowContext(ctx, q).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return n
	}
	if n := count(`SELECT COUNT(*) FROM webhook_messages WHERE client_id = 'kwc_1' AND endpoint_id IS NULL`); n != 2 {
		t.Errorf("%d messages after the migration, want 2", n)
	}
	if n := count(`SELECT COUNT(*) FROM webhook_attempts`); n != 3 {
		t.Errorf("%d attempts after the migration, want 3", n)
	}
	rows, err := db.QueryContext(ctx, `PRAGMA foreign_key_check`)
	if err != nil {
		t.Fatal(err)
	}
	if rows.Next() {
		t.Error("foreign_key_check reports a violation after the migration")
	}
	rows.Close()
	if _, err := db.ExecContext(ctx, `DELETE FROM webhook_messages WHERE id = 'msg_1'`); err != nil {
		t.Fatal(err)
	}
	if n := count(`SELECT COUNT(*) FROM webhook_attempts`); n != 1 {
		t.Errorf("%d attempts after deleting a message, want 1 (the cascade)", n)
	}
	if n := count(`SELECT COUNT(*) FROM sqlite_master WHERE name IN ('webhook_messages_new', 'webhook_attempts_keep')`); n != 0 {
		t.Errorf("%d helper tables left behind", n)
	}
	// And down again: the client's messages stay, with their attempts.
	if _, err := p.DownTo(ctx, 57); err != nil {
		t.Fatalf("migrate down to 57: %v", err)
	}
	if n := count(`SELECT COUNT(*) FROM webhook_attempts`); n != 1 {
		t.Errorf("%d attempts after migrating down, want 1", n)
	}
}
