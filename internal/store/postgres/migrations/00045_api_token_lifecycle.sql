-- +goose Up
-- Admin API tokens get a lifecycle: a name, batched last use, and the token
-- a rotation replaced them with. The token init created is named as the
-- bootstrap token; tokens from before keep no expiry until rotated.
ALTER TABLE api_tokens RENAME COLUMN description TO name;
UPDATE api_tokens SET name = 'bootstrap (keywarden init)' WHERE name = 'created by keywarden init';
ALTER TABLE api_tokens ADD COLUMN last_used_at BIGINT;
ALTER TABLE api_tokens ADD COLUMN last_used_from TEXT NOT NULL DEFAULT '';
ALTER TABLE api_tokens ADD COLUMN replaced_by TEXT NOT NULL DEFAULT '';
CREATE INDEX api_tokens_by_user ON api_tokens (org_id, user_id, created_at);

-- +goose Down
DROP INDEX api_tokens_by_user;
ALTER TABLE api_tokens DROP COLUMN replaced_by;
ALTER TABLE api_tokens DROP COLUMN last_used_from;
ALTER TABLE api_tokens DROP COLUMN last_used_at;
UPDATE api_tokens SET name = 'created by keywarden init' WHERE name = 'bootstrap (keywarden init)';
ALTER TABLE api_tokens RENAME COLUMN name TO description;
