-- +goose Up
-- The jti of every client assertion accepted (private_key_jwt), kept
-- until the assertion's exp: the primary key makes a jti usable once per
-- client across all nodes (RFC 7523 §3, item 7). The deny-list job
-- deletes the expired rows.
CREATE TABLE client_assertions (
    client_id  TEXT NOT NULL,
    jti        TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (client_id, jti)
);
CREATE INDEX client_assertions_expiry ON client_assertions (expires_at);

-- +goose Down
DROP INDEX client_assertions_expiry;
DROP TABLE client_assertions;
