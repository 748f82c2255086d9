-- +goose Up
-- SHA-256 of each generated client secret and API token created from now
-- on, with its keyed verifier, so that a leak can be reported by
-- fingerprint (docs/leaks.md). A generated value has about 238 bits: its
-- digest cannot be turned back into it. Values created before this
-- migration have none and are reported by value.
CREATE TABLE value_digests (
    digest     BYTEA PRIMARY KEY,
    kind       TEXT NOT NULL,
    verifier   BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);

-- +goose Down
DROP TABLE value_digests;
