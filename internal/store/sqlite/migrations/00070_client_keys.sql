-- +goose Up
-- Public keys a client authenticates with (private_key_jwt, RFC 7523
-- §2.2, docs/oauth.md): one row per key, its public JWK as registered
-- (never private material). A key is a credential like a secret: it
-- expires within policy, is revoked (its access tokens die, they carry
-- its ID as key_id), and records its last use. kid is unique per client.
CREATE TABLE client_keys (
    id             TEXT PRIMARY KEY,
    org_id         TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    client_id      TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    kid            TEXT NOT NULL,
    alg            TEXT NOT NULL,
    public_jwk     TEXT NOT NULL,
    thumbprint     TEXT NOT NULL,
    description    TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    created_by     TEXT NOT NULL,
    expires_at     BIGINT,
    revoked_at     BIGINT,
    last_used_at   BIGINT,
    last_used_from TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX client_keys_kid ON client_keys (client_id, kid);
CREATE INDEX client_keys_client ON client_keys (client_id, created_at);

-- +goose Down
DROP INDEX client_keys_client;
DROP INDEX client_keys_kid;
DROP TABLE client_keys;
