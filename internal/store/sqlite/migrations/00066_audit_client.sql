-- +goose Up
-- Each event's client (domain.AuditEvent.Client: the target when it is a
-- client, else the client_id its detail names), so that a client's
-- activity is one index search; and the fields an action changed, before
-- and after. Both start empty; the backfill applies the same rule as the
-- code, by prefix, so that verification (which checks the column against
-- the hashed fields) agrees for old events too.
ALTER TABLE audit_events ADD COLUMN client_id TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN changes TEXT NOT NULL DEFAULT '';
UPDATE audit_events SET client_id = target
 WHERE substr(target, 1, 4) IN ('kwc_', 'kwp_');
-- (CASE: an empty detail is not JSON, and neither engine promises to
-- test detail <> '' first.)
UPDATE audit_events SET client_id = CASE WHEN detail <> '' THEN json_extract(detail, '$.client_id') END
 WHERE client_id = ''
   AND substr(COALESCE(CASE WHEN detail <> '' THEN json_extract(detail, '$.client_id') END, ''), 1, 4) IN ('kwc_', 'kwp_');
CREATE INDEX audit_org_client ON audit_events (org_id, client_id, seq);

-- +goose Down
DROP INDEX audit_org_client;
ALTER TABLE audit_events DROP COLUMN changes;
ALTER TABLE audit_events DROP COLUMN client_id;
