-- +goose Up
-- Audit streams an organisation configures through the API (an
-- installation's --audit-stream destinations leave these NULL): its name
-- (unique in the organisation), URL and format, and the token sent to the
-- receiver, sealed with the keyring (AES-256-GCM), never in the clear.
ALTER TABLE audit_streams ADD COLUMN name TEXT;
ALTER TABLE audit_streams ADD COLUMN url TEXT;
ALTER TABLE audit_streams ADD COLUMN format TEXT;
ALTER TABLE audit_streams ADD COLUMN token_sealed BYTEA;
CREATE UNIQUE INDEX audit_streams_org_name ON audit_streams (org_id, name);

-- +goose Down
DROP INDEX audit_streams_org_name;
ALTER TABLE audit_streams DROP COLUMN token_sealed;
ALTER TABLE audit_streams DROP COLUMN format;
ALTER TABLE audit_streams DROP COLUMN url;
ALTER TABLE audit_streams DROP COLUMN name;
