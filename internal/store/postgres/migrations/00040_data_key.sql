-- +goose Up
-- Envelope encryption: every key Keywarden derives (verifier HMACs, the
-- audit chain, sealing) comes from one root data key, stored here wrapped
-- (AES-256-GCM) under each master key that may open it. Rotating the
-- master key adds a wrapping and removes the old one; nothing else changes.
CREATE TABLE data_key (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    -- pending: an installation from before envelope encryption, whose data
    -- key is its master key but not wrapped yet; master-key: such a key,
    -- wrapped; generated: a random key made on the first start.
    origin     TEXT NOT NULL CHECK (origin IN ('pending', 'master-key', 'generated')),
    created_at BIGINT NOT NULL
);
CREATE TABLE data_key_wrappings (
    -- the master key's check value (keyring.Master.Check)
    key_check  BYTEA PRIMARY KEY,
    wrapped    BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    opened_at  BIGINT NOT NULL
);
-- An installation that already holds data derived every key from its
-- master key: that key becomes the data key (adopted on the next start,
-- after a check against the audit chain), so that every verifier, sealed
-- value and audit hash stays valid. Everything derived from keys belongs
-- to an organisation, except audit events and signing keys.
INSERT INTO data_key (id, origin, created_at)
SELECT 1, 'pending', 0
WHERE EXISTS (SELECT 1 FROM organizations)
   OR EXISTS (SELECT 1 FROM audit_events)
   OR EXISTS (SELECT 1 FROM signing_keys);

-- +goose Down
DROP TABLE data_key_wrappings;
DROP TABLE data_key;
