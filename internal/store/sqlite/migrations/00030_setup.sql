-- +goose Up
-- First run: the one-time links that let the console create the first
-- organisation. Only the keyed verifier of a link's token is kept; a link
-- is consumed by a conditional update (used_at from NULL), so of two
-- browsers that open it at once one wins.
CREATE TABLE setup_tokens (
    verifier   BLOB PRIMARY KEY,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);

-- The installation's one row: when (and by which organisation) it was set
-- up. Claiming it is a conditional update of this row, so the first
-- organisation is created once however many setups (on however many
-- nodes) race. An installation that already holds organisations was set
-- up by its first one.
CREATE TABLE installation (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    set_up_at BIGINT,
    org_id    TEXT NOT NULL DEFAULT ''
);
INSERT INTO installation (id, set_up_at, org_id)
    SELECT 1, (SELECT MIN(created_at) FROM organizations),
           COALESCE((SELECT id FROM organizations ORDER BY created_at, id LIMIT 1), '');

-- +goose Down
DROP TABLE installation;
DROP TABLE setup_tokens;
