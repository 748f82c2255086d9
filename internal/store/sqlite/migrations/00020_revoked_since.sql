-- +goose Up
-- The deny list's periodic catch-up reads what was revoked since its last
-- sync (ListRevokedTokensSince): an index range, not the whole list.
CREATE INDEX revoked_tokens_revoked ON revoked_tokens (revoked_at);

-- +goose Down
DROP INDEX revoked_tokens_revoked;
