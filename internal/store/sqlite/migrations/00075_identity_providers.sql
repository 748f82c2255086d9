-- +goose Up
-- An organisation's OpenID Connect providers (docs/oidc.md). The client
-- secret is sealed under the data key (AES-256-GCM, the provider's ID as
-- associated data); scopes and allowed domains are space-separated lists;
-- group_roles is a JSON object from a group name to a role.
CREATE TABLE identity_providers (
    id                   TEXT PRIMARY KEY,
    org_id               TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name                 TEXT NOT NULL,
    issuer               TEXT NOT NULL,
    client_id            TEXT NOT NULL,
    client_secret_sealed BLOB,
    scopes               TEXT NOT NULL DEFAULT '',
    email_claim          TEXT NOT NULL DEFAULT 'email',
    allowed_domains      TEXT NOT NULL DEFAULT '',
    default_role         TEXT NOT NULL DEFAULT '',
    groups_claim         TEXT NOT NULL DEFAULT '',
    group_roles          TEXT NOT NULL DEFAULT '{}',
    disabled             INTEGER NOT NULL DEFAULT 0,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL
);
CREATE UNIQUE INDEX identity_providers_org_name ON identity_providers (org_id, name);

-- How a user signs in: a user linked to a provider has its ID and the
-- provider's subject for them (unique: one Keywarden user per federated
-- identity). Empty for local users. Kept when the provider is deleted.
ALTER TABLE users ADD COLUMN idp_id TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN idp_subject TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX users_idp_subject ON users (idp_id, idp_subject) WHERE idp_id <> '';

-- The provider a session was opened through ('' for a password login),
-- for RP-initiated logout.
ALTER TABLE sessions ADD COLUMN idp_id TEXT NOT NULL DEFAULT '';

-- The state values of federated sign-ins that completed: each is good
-- once, on every node.
CREATE TABLE oidc_states (
    digest     BLOB PRIMARY KEY,
    expires_at BIGINT NOT NULL
);

-- +goose Down
DROP TABLE oidc_states;
ALTER TABLE sessions DROP COLUMN idp_id;
DROP INDEX users_idp_subject;
ALTER TABLE users DROP COLUMN idp_subject;
ALTER TABLE users DROP COLUMN idp_id;
DROP TABLE identity_providers;
