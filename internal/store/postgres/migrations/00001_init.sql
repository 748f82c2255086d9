-- +goose Up
CREATE TABLE organizations (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    policy     TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE users (
    id                   TEXT PRIMARY KEY,
    org_id               TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    email                TEXT NOT NULL,
    role                 TEXT NOT NULL,
    password_hash        TEXT NOT NULL,
    must_change_password INTEGER NOT NULL,
    created_at           BIGINT NOT NULL,
    disabled_at          BIGINT,
    UNIQUE (org_id, email)
);

CREATE TABLE api_tokens (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    description TEXT NOT NULL,
    verifier    BYTEA NOT NULL UNIQUE,
    hint        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT,
    revoked_at  BIGINT
);

CREATE TABLE clients (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    scopes      TEXT NOT NULL,
    token_ttl   INTEGER NOT NULL,
    webhook_url TEXT NOT NULL,
    disabled    INTEGER NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX clients_org_order ON clients (org_id, created_at, id);

CREATE TABLE secrets (
    id             TEXT PRIMARY KEY,
    org_id         TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    client_id      TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    description    TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    created_by     TEXT NOT NULL,
    expires_at     BIGINT,
    revoked_at     BIGINT,
    last_used_at   BIGINT,
    last_used_from TEXT NOT NULL,
    hint           TEXT NOT NULL,
    origin         TEXT NOT NULL,
    verifier       BYTEA UNIQUE,
    hash           TEXT NOT NULL,
    sealed         BYTEA NOT NULL
);
CREATE INDEX secrets_client ON secrets (client_id, created_at);

-- The audit log has no foreign keys: it outlives what it describes.
CREATE TABLE audit_events (
    seq        BIGINT PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    org_id     TEXT NOT NULL,
    at         BIGINT NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_id   TEXT NOT NULL,
    action     TEXT NOT NULL,
    target     TEXT NOT NULL,
    source     TEXT NOT NULL,
    result     TEXT NOT NULL,
    detail     TEXT NOT NULL,
    prev_hash  BYTEA,
    hash       BYTEA NOT NULL
);
CREATE INDEX audit_org_seq ON audit_events (org_id, seq);

CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL,
    hash BYTEA
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, NULL);

-- +goose Down
DROP TABLE audit_head;
DROP TABLE audit_events;
DROP TABLE secrets;
DROP TABLE clients;
DROP TABLE api_tokens;
DROP TABLE users;
DROP TABLE organizations;
