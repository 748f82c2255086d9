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
    secret_sealed          BYTEA NOT NULL,
    secret_created_at      BIGINT NOT NULL,
    previous_secret_sealed BYTEA,
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
-- attempts, replay and retention are shared.
ALTER TABLE webhook_messages ALTER COLUMN client_id DROP NOT NULL;
ALTER TABLE webhook_messages ADD COLUMN endpoint_id TEXT REFERENCES org_webhook_endpoints (id) ON DELETE CASCADE;
ALTER TABLE webhook_messages ADD CONSTRAINT webhook_messages_one_target CHECK ((client_id IS NULL) <> (endpoint_id IS NULL));
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
DELETE FROM webhook_messages WHERE endpoint_id IS NOT NULL;
DROP INDEX webhook_messages_endpoint_status_page;
DROP INDEX webhook_messages_endpoint_page;
ALTER TABLE webhook_messages DROP CONSTRAINT webhook_messages_one_target;
ALTER TABLE webhook_messages DROP COLUMN endpoint_id;
ALTER TABLE webhook_messages ALTER COLUMN client_id SET NOT NULL;
DROP INDEX org_webhook_endpoints_org;
DROP TABLE org_webhook_endpoints;
