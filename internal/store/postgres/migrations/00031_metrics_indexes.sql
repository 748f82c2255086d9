-- +goose Up
-- Indexes the metrics' aggregate queries read instead of the tables: the
-- outbox backlog (count and oldest pending message), the secrets that
-- expire soon, the disabled webhook endpoints. Each holds only the rows
-- the query counts.
CREATE INDEX webhook_messages_pending ON webhook_messages (retry_from) WHERE status = 'pending';
CREATE INDEX secrets_expiring ON secrets (expires_at) WHERE revoked_at IS NULL AND expires_at IS NOT NULL;
CREATE INDEX webhook_endpoints_disabled ON webhook_endpoints (client_id) WHERE disabled_at IS NOT NULL;

-- +goose Down
DROP INDEX webhook_endpoints_disabled;
DROP INDEX secrets_expiring;
DROP INDEX webhook_messages_pending;
