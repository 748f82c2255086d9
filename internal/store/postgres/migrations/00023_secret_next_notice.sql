-- +goose Up
-- When each secret's next expiry notice is due (microseconds), NULL when
-- none is: the expiry scheduler reads only next_notice_at <= now, an index
-- range that is empty between notices, however many secrets expire soon.
-- Kept in the transaction that creates a secret, changes its expiry,
-- revokes it or records its notice.
ALTER TABLE secrets ADD COLUMN next_notice_at BIGINT;
-- Existing secrets: the first notice (14 days before expiry) for every
-- unrevoked secret that expires, or expired within the scheduler's 7-day
-- lookback; the first pass then records what is already recorded as a
-- no-op (notices are unique rows) and moves each secret to its next one.
UPDATE secrets SET next_notice_at = expires_at - 1209600000000
    WHERE revoked_at IS NULL AND expires_at IS NOT NULL AND expires_at > (extract(epoch FROM now()) * 1000000)::BIGINT - 604800000000;
CREATE INDEX secrets_next_notice ON secrets (next_notice_at, id) WHERE next_notice_at IS NOT NULL;

-- +goose Down
DROP INDEX secrets_next_notice;
ALTER TABLE secrets DROP COLUMN next_notice_at;
