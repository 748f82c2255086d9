-- +goose Up
-- Ed25519 keys that sign a client's webhooks with Standard Webhooks v1a
-- (optional per client: none, no v1a). The private key is sealed with the
-- keyring (AES-256-GCM, the key's ID as associated data), never stored in
-- the clear; the public key is published. A retired key signs no more.
CREATE TABLE webhook_signing_keys (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    client_id  TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    public_key TEXT NOT NULL,
    sealed     BLOB NOT NULL,
    created_at BIGINT NOT NULL,
    retired_at BIGINT
);
CREATE INDEX webhook_signing_keys_client ON webhook_signing_keys (client_id, created_at);

-- +goose Down
DROP INDEX webhook_signing_keys_client;
DROP TABLE webhook_signing_keys;
