package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"keywarden/internal/domain"
)

func (s *Store) CreateOrg(ctx context.Context, o domain.Organization) error {
	policy, err := json.Marshal(o.Policy)
	if err != nil {
		return err
	}
	_, err = s.exec(ctx, `INSERT INTO organizations (id, name, policy, created_at) VALUES (?, ?, ?, ?)`,
		o.ID, o.Name, string(policy), micros(o.CreatedAt))
	return s.conflict(err, "organization exists")
}

func (s *Store) GetOrg(ctx context.Context, id string) (domain.Organization, error) {
	var o domain.Organization
	var policy string
	var created int64
	err := s.queryRow(ctx, `SELECT id, name, policy, created_at FROM organizations WHERE id = ?`, id).
		Scan(&o.ID, &o.Name, &policy, &created)
	if err != nil {
		return o, notFound(err)
	}
	o.CreatedAt = fromMicros(created)
	if err := json.Unmarshal([]byte(policy), &o.Policy); err != nil {
		return o, fmt.Errorf("organization %s: policy: %w", id, err)
	}
	return o, nil
}

func (s *Store) UpdatePolicy(ctx context.Context, id string, p domain.Policy) error {
	policy, err := json.Marshal(p)
	if err != nil {
		return err
	}
	return mustAffect(s.exec(ctx, `UPDATE organizations SET policy = ? WHERE id = ?`, string(policy), id))
}

func (s *Store) CreateUser(ctx context.Context, u domain.User) error {
	_, err := s.exec(ctx, `INSERT INTO users (id, org_id, email, role, password_hash, must_change_password, created_at, disabled_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.OrgID, u.Email, string(u.Role), u.PasswordHash, boolInt(u.MustChangePassword), micros(u.CreatedAt), nullMicros(u.DisabledAt))
	return s.conflict(err, "a user with this email exists in the organization")
}

func (s *Store) GetUser(ctx context.Context, org, id string) (domain.User, error) {
	var u domain.User
	var role string
	var must int
	var created int64
	var disabled sql.NullInt64
	err := s.queryRow(ctx, `SELECT id, org_id, email, role, password_hash, must_change_password, created_at, disabled_at
		FROM users WHERE org_id = ? AND id = ?`, org, id).
		Scan(&u.ID, &u.OrgID, &u.Email, &role, &u.PasswordHash, &must, &created, &disabled)
	if err != nil {
		return u, notFound(err)
	}
	u.Role, u.MustChangePassword, u.CreatedAt, u.DisabledAt = domain.Role(role), must != 0, fromMicros(created), fromNullMicros(disabled)
	return u, nil
}

func (s *Store) CreateAPIToken(ctx context.Context, t domain.APIToken) error {
	_, err := s.exec(ctx, `INSERT INTO api_tokens (id, org_id, user_id, description, verifier, hint, created_at, expires_at, revoked_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.ID, t.OrgID, t.UserID, t.Description, t.Verifier, t.Hint, micros(t.CreatedAt), nullMicros(t.ExpiresAt), nullMicros(t.RevokedAt))
	return s.conflict(err, "token exists")
}

func (s *Store) APITokenByVerifier(ctx context.Context, verifier []byte) (domain.APIToken, error) {
	var t domain.APIToken
	var created int64
	var expires, revoked sql.NullInt64
	err := s.queryRow(ctx, `SELECT id, org_id, user_id, description, verifier, hint, created_at, expires_at, revoked_at
		FROM api_tokens WHERE verifier = ?`, verifier).
		Scan(&t.ID, &t.OrgID, &t.UserID, &t.Description, &t.Verifier, &t.Hint, &created, &expires, &revoked)
	if err != nil {
		return t, notFound(err)
	}
	t.CreatedAt, t.ExpiresAt, t.RevokedAt = fromMicros(created), fromNullMicros(expires), fromNullMicros(revoked)
	return t, nil
}
