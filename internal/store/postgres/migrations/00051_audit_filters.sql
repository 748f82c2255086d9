-- +goose Up
-- The audit list's filters, each an index search inside one organisation
-- that reads a page in sequence order (newest first): by action (exact, or
-- a prefix as a range), actor, target, and time.
CREATE INDEX audit_org_action ON audit_events (org_id, action COLLATE "C", seq);
CREATE INDEX audit_org_actor ON audit_events (org_id, actor_id, seq);
CREATE INDEX audit_org_target ON audit_events (org_id, target, seq);
CREATE INDEX audit_org_at ON audit_events (org_id, at);

-- +goose Down
DROP INDEX audit_org_at;
DROP INDEX audit_org_target;
DROP INDEX audit_org_actor;
DROP INDEX audit_org_action;
