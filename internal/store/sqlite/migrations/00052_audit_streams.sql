-- +goose Up
-- Where each audit stream (internal/auditstream) is: the audit log is its
-- outbox, so a stream is a position in the chain (delivered_seq: every
-- event up to it was delivered) and the lease of the node sending it.
CREATE TABLE audit_streams (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL,
    delivered_seq BIGINT NOT NULL,
    lease_owner   TEXT NOT NULL,
    lease_until   BIGINT NOT NULL,
    delivered_at  BIGINT,
    created_at    BIGINT NOT NULL
);

-- +goose Down
DROP TABLE audit_streams;
