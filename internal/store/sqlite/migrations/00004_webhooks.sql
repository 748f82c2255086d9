-- +goose Up
-- The events a client's webhook endpoint receives: a JSON array of event
-- types (or "group.*"); '' means every event.
ALTER TABLE clients ADD COLUMN webhook_events TEXT NOT NULL DEFAULT '';

-- The outbox: one row per event per client endpoint, written in the same
-- transaction as the change that caused it. A row is claimed by moving
-- next_attempt_at forward (a lease) and setting claim_id; only the claim
-- holder records the outcome, and an expired lease makes it due again, so
-- a node that dies mid-delivery loses nothing.
CREATE TABLE webhook_messages (
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
    claim_id         TEXT NOT NULL
);
CREATE INDEX webhook_messages_due ON webhook_messages (status, next_attempt_at);
CREATE INDEX webhook_messages_client ON webhook_messages (client_id, created_at);
CREATE INDEX webhook_messages_created ON webhook_messages (created_at);

-- The delivery log: one row per attempt.
CREATE TABLE webhook_attempts (
    id               TEXT PRIMARY KEY,
    message_id       TEXT NOT NULL REFERENCES webhook_messages (id) ON DELETE CASCADE,
    org_id           TEXT NOT NULL,
    client_id        TEXT NOT NULL,
    attempted_at     BIGINT NOT NULL,
    url              TEXT NOT NULL,
    status_code      INTEGER NOT NULL,
    latency_us       BIGINT NOT NULL,
    error            TEXT NOT NULL,
    response_excerpt TEXT NOT NULL
);
CREATE INDEX webhook_attempts_message ON webhook_attempts (message_id, attempted_at);

-- The health of each client's endpoint: when it started failing, and
-- whether it was disabled for failing too long.
CREATE TABLE webhook_endpoints (
    client_id       TEXT PRIMARY KEY REFERENCES clients (id) ON DELETE CASCADE,
    org_id          TEXT NOT NULL,
    url             TEXT NOT NULL,
    failing_since   BIGINT,
    disabled_at     BIGINT,
    disabled_reason TEXT NOT NULL,
    updated_at      BIGINT NOT NULL
);

-- The expiry notices already sent: the primary key is the gate that makes
-- each notice happen once, on however many nodes the scheduler runs. A new
-- expiry (an edited secret) arms the notices again.
CREATE TABLE webhook_notices (
    secret_id   TEXT NOT NULL REFERENCES secrets (id) ON DELETE CASCADE,
    notice      TEXT NOT NULL,
    expires_at  BIGINT NOT NULL,
    org_id      TEXT NOT NULL,
    recorded_at BIGINT NOT NULL,
    PRIMARY KEY (secret_id, notice, expires_at)
);
CREATE INDEX secrets_expiry ON secrets (expires_at);

-- +goose Down
DROP INDEX secrets_expiry;
DROP TABLE webhook_notices;
DROP TABLE webhook_endpoints;
DROP TABLE webhook_attempts;
DROP TABLE webhook_messages;
ALTER TABLE clients DROP COLUMN webhook_events;
