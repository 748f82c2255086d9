-- +goose Up
-- When a user's seed-000 legacy password login ended for good (their
-- first password change or personal credential; docs/security.md,
-- "Legacy password login"). Users who already hold a personal credential
-- have ended it: the backfill takes their first credential's time.
ALTER TABLE users ADD COLUMN legacy_password_ended_at BIGINT;
UPDATE users SET legacy_password_ended_at = (
    SELECT MIN(s.created_at) FROM clients c JOIN secrets s ON s.client_id = c.id
    WHERE c.owner_user_id = users.id
);

-- +goose Down
ALTER TABLE users DROP COLUMN legacy_password_ended_at;
