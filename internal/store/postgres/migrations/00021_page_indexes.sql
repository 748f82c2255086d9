-- +goose Up
-- Keyset pages of a client's (a user's) rows, ordered by (time, id): each
-- index holds the whole sort key, so that a page is an index range read of
-- the page's rows on both engines (no sort, no scan from the start). The
-- indexes they replace were prefixes of these.
CREATE INDEX secrets_client_page ON secrets (client_id, created_at, id);
DROP INDEX secrets_client;
CREATE INDEX rotations_client_page ON rotations (client_id, started_at, id);
DROP INDEX rotations_client;
CREATE INDEX refresh_tokens_client_page ON refresh_tokens (client_id, created_at, id);
DROP INDEX refresh_tokens_client;
CREATE INDEX sessions_user_open_page ON sessions (user_id, created_at, id) WHERE ended_at IS NULL;
CREATE INDEX webhook_messages_client_page ON webhook_messages (client_id, created_at, id);
CREATE INDEX webhook_messages_client_status_page ON webhook_messages (client_id, status, created_at, id);
DROP INDEX webhook_messages_client;
-- A client's active secrets (the "New" marker, rotations, limits): the
-- few unrevoked ones, not its history.
CREATE INDEX secrets_client_unrevoked ON secrets (client_id, created_at, id) WHERE revoked_at IS NULL;
-- Expiry notices: the unrevoked secrets by expiry, in the order the
-- scheduler pages them.
CREATE INDEX secrets_unrevoked_expiry ON secrets (expires_at, id) WHERE revoked_at IS NULL AND expires_at IS NOT NULL;

-- +goose Down
DROP INDEX secrets_client_unrevoked;
DROP INDEX secrets_unrevoked_expiry;
CREATE INDEX webhook_messages_client ON webhook_messages (client_id, created_at);
DROP INDEX webhook_messages_client_status_page;
DROP INDEX webhook_messages_client_page;
DROP INDEX sessions_user_open_page;
CREATE INDEX refresh_tokens_client ON refresh_tokens (client_id, created_at);
DROP INDEX refresh_tokens_client_page;
CREATE INDEX rotations_client ON rotations (client_id, started_at);
DROP INDEX rotations_client_page;
CREATE INDEX secrets_client ON secrets (client_id, created_at);
DROP INDEX secrets_client_page;
