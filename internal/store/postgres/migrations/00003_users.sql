-- +goose Up
ALTER TABLE users ADD COLUMN password_changed_at BIGINT;
ALTER TABLE users ADD COLUMN totp_sealed BYTEA;
ALTER TABLE users ADD COLUMN mfa_enabled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN recovery_codes TEXT NOT NULL DEFAULT '';
CREATE INDEX users_email ON users (email);

-- A personal credential is a client owned by a user; deleting the user
-- deletes it, its secrets and (by their absence) its tokens.
ALTER TABLE clients ADD COLUMN owner_user_id TEXT REFERENCES users (id) ON DELETE CASCADE;
CREATE UNIQUE INDEX clients_owner ON clients (owner_user_id);

CREATE TABLE sessions (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    verifier   BYTEA NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    ended_at   BIGINT,
    source     TEXT NOT NULL,
    user_agent TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id, created_at);

-- +goose Down
DROP TABLE sessions;
DROP INDEX clients_owner;
ALTER TABLE clients DROP COLUMN owner_user_id;
DROP INDEX users_email;
ALTER TABLE users DROP COLUMN recovery_codes;
ALTER TABLE users DROP COLUMN mfa_enabled;
ALTER TABLE users DROP COLUMN totp_sealed;
ALTER TABLE users DROP COLUMN password_changed_at;
