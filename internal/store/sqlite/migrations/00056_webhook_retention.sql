-- +goose Up
-- Retention: a message's payload (and its attempts' response excerpts) is
-- deleted after --webhook-payload-retention, or at once by an operator;
-- the delivery metadata stays. payload_deleted_at says when.
ALTER TABLE webhook_messages ADD COLUMN payload_deleted_at BIGINT;
CREATE INDEX webhook_attempts_at ON webhook_attempts (attempted_at);

-- +goose Down
DROP INDEX webhook_attempts_at;
ALTER TABLE webhook_messages DROP COLUMN payload_deleted_at;
