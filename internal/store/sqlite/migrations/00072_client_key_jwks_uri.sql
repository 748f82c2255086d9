-- +goose Up
-- A client key may be a jwks_uri instead of one JWK (private_key_jwt): the
-- client's JWK Set, fetched through the SSRF-guarded client and cached;
-- kid, alg, public_jwk and thumbprint are then empty or describe the URI.
ALTER TABLE client_keys ADD COLUMN jwks_uri TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE client_keys DROP COLUMN jwks_uri;
