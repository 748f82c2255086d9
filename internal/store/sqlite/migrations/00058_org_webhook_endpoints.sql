-- +goose Up
-- An organisation's own webhook endpoints: they receive the events of all
-- its clients and of its users (credential.revoked, webhook health, expiry
-- summaries). Each signs with a Standard Webhooks secret (whsec_) that
-- Keywarden generated, stored only sealed with the keyring (the endpoint's
-- ID as associated data). While a rotation overlaps, the previous secret
-- signs too, until previous_secret_until. The health columns are those of
-- webhook_endpoints; disabled_at is also set by an operator who disables
-- the endpoint.
CREATE TABLE org_webhook_endpoints (
    id                     TEXT PRIMARY KEY,
    org_id                 TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    url                    TEXT NOT NULL,
    description            TEXT NOT NULL,
    events                 TEXT NOT NULL,
    secret_sealed          BLOB NOT NULL,
    secret_created_at      BIGINT NOT NULL,
    previous_secret_sealed BLOB,
    previous_secret_until  BIGINT,
    failing_since          BIGINT,
    exhausted_at           BIGINT,
    disabled_at            BIGINT,
    disabled_reason        TEXT NOT NULL,
    created_at             BIGINT NOT NULL,
    updated_at             BIGINT NOT NULL
);
CREATE INDEX org_webhook_endpoints_org ON org_webhook_endpoints (org_id, created_at, id);

-- A message is for a client's endpoint (client_id) or for an
-- organisation endpoint (endpoint_id), never both: the outbox, claims,
-- attempts, replay and retention are shared. SQLite cannot drop a NOT
-- NULL, so the table is rebuilt. Dropping the old table would cascade to
-- webhook_attempts (foreign keys are on), so the attempts are kept aside
-- and put back; their foreign key names the table, which the rename makes
-- the new one.
CREATE TABLE webhook_messages_new (
    id                 TEXT PRIMARY KEY,
    org_id             TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    client_id          TEXT REFERENCES clients (id) ON DELETE CASCADE,
    endpoint_id        TEXT REFERENCES org_webhook_endpoints (id) ON DELETE CASCADE,
    event_type         TEXT NOT NULL,
    payload            TEXT NOT NULL,
    created_at         BIGINT NOT NULL,
    status             TEXT NOT NULL,
    attempts           INTEGER NOT NULL,
    retry_count        INTEGER NOT NULL,
    retry_from         BIGINT NOT NULL,
    next_attempt_at    BIGINT,
    last_attempt_at    BIGINT,
    last_status_code   INTEGER NOT NULL,
    last_error         TEXT NOT NULL,
    delivered_at       BIGINT,
    claim_id           TEXT NOT NULL,
    payload_deleted_at BIGINT,
    CHECK ((client_id IS NULL) <> (endpoint_id IS NULL))
);
INSERT INTO webhook_messages_new (id, org_id, client_id, endpoint_id, event_type, payload, created_at, status, attempts, retry_count,
    retry_from, next_attempt_at, last_attempt_at, last_status_code, last_error, delivered_at, claim_id, payload_deleted_at)
SELECT id, org_id, client_id, NULL, event_type, payload, created_at, status, attempts, retry_count,
    retry_from, next_attempt_at, last_attempt_at, last_status_code, last_error, delivered_at, claim_id, payload_deleted_at
FROM webhook_messages;
CREATE TABLE webhook_attempts_keep AS SELECT * FROM webhook_attempts;
DROP TABLE webhook_messages;
ALTER TABLE webhook_messages_new RENAME TO webhook_messages;
INSERT INTO webhook_attempts SELECT * FROM webhook_attempts_keep;
DROP TABLE webhook_attempts_keep;
CREATE INDEX webhook_messages_due ON webhook_messages (status, next_attempt_at);
CREATE INDEX webhook_messages_created ON webhook_messages (created_at);
CREATE INDEX webhook_messages_client_page ON webhook_messages (client_id, created_at, id);
CREATE INDEX webhook_messages_client_status_page ON webhook_messages (client_id, status, created_at, id);
CREATE INDEX webhook_messages_waiting ON webhook_messages (status, retry_from);
CREATE INDEX webhook_messages_endpoint_page ON webhook_messages (endpoint_id, created_at, id) WHERE endpoint_id IS NOT NULL;
CREATE INDEX webhook_messages_endpoint_status_page ON webhook_messages (endpoint_id, status, created_at, id) WHERE endpoint_id IS NOT NULL;

-- The gate of each organisation-wide notice (the expiry summary): one row
-- per (organisation, notice, period) makes it happen once, on however
-- many nodes the scheduler runs.
CREATE TABLE webhook_org_notices (
    org_id      TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    notice      TEXT NOT NULL,
    period      BIGINT NOT NULL,
    recorded_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, notice, period)
);

-- +goose Down
DROP TABLE webhook_org_notices;
CREATE TABLE webhook_messages_old (
    id               TEXT PRIMARY KEY,
    org_id           TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    client_id        TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    event_type       TEXT NOT NULL,
    payload          TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    status           TEXT NOT NULL,
    attempts         INTEGER NOT NULL,
    retry_count      INTEGER NOT NULL,
    retry_from       BIGINT NOT NULL,
    next_attempt_at  BIGINT,
    last_attempt_at  BIGINT,
    last_status_code INTEGER NOT NULL,
    last_error       TEXT NOT NULL,
    delivered_at     BIGINT,
    claim_id         TEXT NOT NULL,
    payload_deleted_at BIGINT
);
INSERT INTO webhook_messages_old SELECT id, org_id, client_id, event_type, payload, created_at, status, attempts, retry_count,
    retry_from, next_attempt_at, last_attempt_at, last_status_code, last_error, delivered_at, claim_id, payload_deleted_at
FROM webhook_messages WHERE client_id IS NOT NULL;
CREATE TABLE webhook_attempts_keep AS SELECT a.* FROM webhook_attempts a JOIN webhook_messages m ON m.id = a.message_id WHERE m.client_id IS NOT NULL;
DROP TABLE webhook_messages;
ALTER TABLE webhook_messages_old RENAME TO webhook_messages;
INSERT INTO webhook_attempts SELECT * FROM webhook_attempts_keep;
DROP TABLE webhook_attempts_keep;
CREATE INDEX webhook_messages_due ON webhook_messages (status, next_attempt_at);
CREATE INDEX webhook_messages_created ON webhook_messages (created_at);
CREATE INDEX webhook_messages_client_page ON webhook_messages (client_id, created_at, id);
CREATE INDEX webhook_messages_client_status_page ON webhook_messages (client_id, status, created_at, id);
CREATE INDEX webhook_messages_waiting ON webhook_messages (status, retry_from);
DROP INDEX org_webhook_endpoints_org;
DROP TABLE org_webhook_endpoints;
