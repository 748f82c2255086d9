-- +goose Up
-- A client's active secrets are its unrevoked ones that never expire or
-- expire later: two ranges of (client, expiry) among the unrevoked, so that
-- expired secrets left unrevoked (a rotation's grace period ran out) are
-- not read again each time (they replace 00021's index by creation time).
DROP INDEX secrets_client_unrevoked;
CREATE INDEX secrets_client_live ON secrets (client_id, expires_at) WHERE revoked_at IS NULL;

-- +goose Down
DROP INDEX secrets_client_live;
CREATE INDEX secrets_client_unrevoked ON secrets (client_id, created_at, id) WHERE revoked_at IS NULL;
