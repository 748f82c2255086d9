-- +goose Up
ALTER TABLE secrets ADD COLUMN allowed_cidrs TEXT NOT NULL DEFAULT '';
ALTER TABLE secrets ADD COLUMN keep_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE clients ADD COLUMN tokens_revoked_at BIGINT;

CREATE TABLE signing_keys (
    id          TEXT PRIMARY KEY,
    algorithm   TEXT NOT NULL,
    sealed      BYTEA NOT NULL,
    public_jwk  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    active_from BIGINT NOT NULL,
    retired_at  BIGINT
);

CREATE TABLE refresh_tokens (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    client_id  TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    family     TEXT NOT NULL,
    verifier   BYTEA NOT NULL UNIQUE,
    hint       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT,
    revoked_at BIGINT,
    issued_jti TEXT NOT NULL,
    issued_exp BIGINT
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family);
CREATE INDEX refresh_tokens_client ON refresh_tokens (client_id, created_at);

CREATE TABLE revoked_tokens (
    jti        TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL,
    client_id  TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT NOT NULL
);
CREATE INDEX revoked_tokens_expiry ON revoked_tokens (expires_at);

CREATE TABLE rotations (
    id             TEXT PRIMARY KEY,
    org_id         TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    client_id      TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    new_secret_id  TEXT NOT NULL,
    old_secret_ids TEXT NOT NULL,
    started_at     BIGINT NOT NULL,
    started_by     TEXT NOT NULL,
    auto_complete  INTEGER NOT NULL,
    quiet_seconds  INTEGER NOT NULL,
    keep_tokens    INTEGER NOT NULL,
    completed_at   BIGINT,
    completed_by   TEXT NOT NULL
);
CREATE INDEX rotations_client ON rotations (client_id, started_at);

-- +goose Down
DROP TABLE rotations;
DROP TABLE revoked_tokens;
DROP TABLE refresh_tokens;
DROP TABLE signing_keys;
ALTER TABLE clients DROP COLUMN tokens_revoked_at;
ALTER TABLE secrets DROP COLUMN keep_tokens;
ALTER TABLE secrets DROP COLUMN allowed_cidrs;
