-- +goose Up
-- Indexes the metrics' aggregate queries read instead of the tables: the
-- outbox backlog (count, and the oldest pending message as the first
-- entry of its status), the secrets that expire soon and the disabled
-- webhook endpoints (partial: only the rows counted).
CREATE INDEX webhook_messages_waiting ON webhook_messages (status, retry_from);
CREATE INDEX secrets_expiring ON secrets (expires_at) WHERE revoked_at IS NULL AND expires_at IS NOT NULL;
CREATE INDEX webhook_endpoints_disabled ON webhook_endpoints (client_id) WHERE disabled_at IS NOT NULL;

-- +goose Down
DROP INDEX webhook_endpoints_disabled;
DROP INDEX secrets_expiring;
DROP INDEX webhook_messages_waiting;
