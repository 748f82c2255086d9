-- +goose Up
-- Retention removes the oldest audit events; the mark keeps the last
-- removed event's sequence number and hash, authenticated, so that the
-- kept chain still verifies from there (at most one row).
CREATE TABLE audit_archive (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    seq         BIGINT NOT NULL,
    hash        BYTEA NOT NULL,
    archived_at BIGINT NOT NULL,
    mac         BYTEA NOT NULL
);

-- +goose Down
DROP TABLE audit_archive;
