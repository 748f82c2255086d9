-- +goose Up
-- The last TOTP time step a user logged in with: RFC 6238 §5.2 says a
-- code must not be accepted twice.
ALTER TABLE users ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE users DROP COLUMN totp_last_step;
