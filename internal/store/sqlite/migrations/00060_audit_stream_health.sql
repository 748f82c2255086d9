-- +goose Up
-- What an operator needs to see that an audit stream is stuck: how many
-- rounds in a row failed (0 once a batch is delivered again), and the last
-- failure's message and time (kept after a recovery). delivered_at
-- (migration 00052) is when the stream last moved forward.
ALTER TABLE audit_streams ADD COLUMN failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE audit_streams ADD COLUMN last_error TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_streams ADD COLUMN last_error_at BIGINT;

-- +goose Down
ALTER TABLE audit_streams DROP COLUMN last_error_at;
ALTER TABLE audit_streams DROP COLUMN last_error;
ALTER TABLE audit_streams DROP COLUMN failures;
