-- +goose Up
-- When the first delivery of the endpoint's current failing streak ran out
-- of retries: the "retries exhausted" stage, told once per streak.
ALTER TABLE webhook_endpoints ADD COLUMN exhausted_at BIGINT;

-- +goose Down
ALTER TABLE webhook_endpoints DROP COLUMN exhausted_at;
