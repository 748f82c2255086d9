-- +goose Up
-- Client-level last use, kept by the last-used flush (the latest use of
-- any of the client's secrets), so that the clients list filters "unused
-- for N days" and sorts by last use in the store, with an index per sort
-- order (NULL, never used, sorts first).
ALTER TABLE clients ADD COLUMN last_used_at BIGINT;
UPDATE clients SET last_used_at = (SELECT MAX(s.last_used_at) FROM secrets s WHERE s.client_id = clients.id);
CREATE INDEX clients_org_last_used ON clients (org_id, (COALESCE(last_used_at, 0)), id);
CREATE INDEX clients_org_name ON clients (org_id, (lower(name)), id);

-- +goose Down
DROP INDEX clients_org_name;
DROP INDEX clients_org_last_used;
ALTER TABLE clients DROP COLUMN last_used_at;
