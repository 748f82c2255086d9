-- +goose Up
-- Leaked values (docs/leaks.md): one row per live value a report named,
-- written by the first report in the transaction that revokes or
-- quarantines it; the unique target makes a value respond once however
-- many reports race.
CREATE TABLE leaks (
    id               TEXT PRIMARY KEY,
    org_id           TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    client_id        TEXT NOT NULL DEFAULT '',
    user_id          TEXT NOT NULL DEFAULT '',
    kind             TEXT NOT NULL,
    target_id        TEXT NOT NULL,
    hint             TEXT NOT NULL DEFAULT '',
    source_url       TEXT NOT NULL DEFAULT '',
    source           TEXT NOT NULL DEFAULT '',
    reporter         TEXT NOT NULL,
    reported_at      BIGINT NOT NULL,
    response         TEXT NOT NULL,
    quarantine_until BIGINT,
    reports          INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX leaks_target ON leaks (kind, target_id);
CREATE INDEX leaks_org ON leaks (org_id, reported_at);
CREATE INDEX leaks_client ON leaks (client_id, reported_at) WHERE client_id <> '';

-- Signed reports already received (GitHub's partner program signs the
-- body but carries no timestamp or nonce): a replay of a body and
-- signature is refused. digest is SHA-256 of the signature and the body.
CREATE TABLE leak_report_digests (
    digest      BLOB PRIMARY KEY,
    received_at BIGINT NOT NULL
);

-- +goose Down
DROP TABLE leak_report_digests;
DROP INDEX leaks_client;
DROP INDEX leaks_org;
DROP INDEX leaks_target;
DROP TABLE leaks;
