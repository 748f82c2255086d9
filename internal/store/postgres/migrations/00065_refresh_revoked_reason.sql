-- +goose Up
-- Why a refresh token was revoked: 'reuse' (presented again after its one
-- use: the whole family is revoked), 'client' (the client revoked it,
-- RFC 7009), 'revoke_all' (the breach response). Empty for tokens revoked
-- before this column existed, and for tokens not revoked.
ALTER TABLE refresh_tokens ADD COLUMN revoked_reason TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE refresh_tokens DROP COLUMN revoked_reason;
