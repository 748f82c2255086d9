package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

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

func (s *Store) GetOrg(ctx context.Context, id domain.OrgID) (domain.Organization, error) {
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

func (s *Store) UpdatePolicy(ctx context.Context, id domain.OrgID, p domain.Policy) error {
	policy, err := json.Marshal(p)
	if err != nil {
		return err
	}
	return mustAffect(s.exec(ctx, `UPDATE organizations SET policy = ? WHERE id = ?`, string(policy), id))
}

const userColumns = `id, org_id, email, role, password_hash, must_change_password, created_at, disabled_at,
	password_changed_at, totp_sealed, mfa_enabled, recovery_codes, totp_last_step`

func scanUser(row interface{ Scan(...any) error }) (domain.User, error) {
	var u domain.User
	var role, codes string
	var must, mfa int
	var created int64
	var disabled, changed sql.NullInt64
	if err := row.Scan(&u.ID, &u.OrgID, &u.Email, &role, &u.PasswordHash, &must, &created, &disabled,
		&changed, &u.TOTPSealed, &mfa, &codes, &u.TOTPLastStep); err != nil {
		return u, notFound(err)
	}
	u.Role, u.MustChangePassword, u.CreatedAt, u.DisabledAt = domain.Role(role), must != 0, fromMicros(created), fromNullMicros(disabled)
	u.PasswordChangedAt, u.MFAEnabled = fromNullMicros(changed), mfa != 0
	if codes != "" {
		u.RecoveryCodes = strings.Split(codes, ",")
	}
	return u, nil
}

func (s *Store) collectUsers(ctx context.Context, query string, args ...any) ([]domain.User, error) {
	rows, err := s.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []domain.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

func (s *Store) CreateUser(ctx context.Context, u domain.User) error {
	_, err := s.exec(ctx, `INSERT INTO users (`+userColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.OrgID, u.Email, string(u.Role), u.PasswordHash, boolInt(u.MustChangePassword), micros(u.CreatedAt), nullMicros(u.DisabledAt),
		nullMicros(u.PasswordChangedAt), u.TOTPSealed, boolInt(u.MFAEnabled), strings.Join(u.RecoveryCodes, ","), u.TOTPLastStep)
	return s.conflict(err, "a user with this email exists in the organization")
}

func (s *Store) GetUser(ctx context.Context, org domain.OrgID, id domain.UserID) (domain.User, error) {
	return scanUser(s.queryRow(ctx, `SELECT `+userColumns+` FROM users WHERE org_id = ? AND id = ?`, org, id))
}

func (s *Store) ListUsers(ctx context.Context, org domain.OrgID) ([]domain.User, error) {
	return s.collectUsers(ctx, `SELECT `+userColumns+` FROM users WHERE org_id = ? ORDER BY created_at, id`, org)
}

func (s *Store) UsersByEmail(ctx context.Context, email string) ([]domain.User, error) {
	return s.collectUsers(ctx, `SELECT `+userColumns+` FROM users WHERE email = ? ORDER BY created_at, id`, email)
}

func (s *Store) UpdateUser(ctx context.Context, u domain.User) error {
	return mustAffect(s.exec(ctx, `UPDATE users SET role = ?, password_hash = ?, must_change_password = ?, disabled_at = ?,
		password_changed_at = ?, totp_sealed = ?, mfa_enabled = ?, recovery_codes = ?, totp_last_step = ? WHERE org_id = ? AND id = ?`,
		string(u.Role), u.PasswordHash, boolInt(u.MustChangePassword), nullMicros(u.DisabledAt), nullMicros(u.PasswordChangedAt),
		u.TOTPSealed, boolInt(u.MFAEnabled), strings.Join(u.RecoveryCodes, ","), u.TOTPLastStep, u.OrgID, u.ID))
}

func (s *Store) DeleteUser(ctx context.Context, org domain.OrgID, id domain.UserID) error {
	return mustAffect(s.exec(ctx, `DELETE FROM users WHERE org_id = ? AND id = ?`, org, id))
}

func (s *Store) CountActiveSuperAdmins(ctx context.Context, org domain.OrgID) (int, error) {
	var n int
	err := s.queryRow(ctx, `SELECT COUNT(*) FROM users WHERE org_id = ? AND role = ? AND disabled_at IS NULL`, org, string(domain.RoleSuperAdmin)).Scan(&n)
	return n, err
}

const sessionColumns = `id, org_id, user_id, verifier, created_at, expires_at, ended_at, source, user_agent`

func scanSession(row interface{ Scan(...any) error }) (domain.Session, error) {
	var x domain.Session
	var created, expires int64
	var ended sql.NullInt64
	if err := row.Scan(&x.ID, &x.OrgID, &x.UserID, &x.Verifier, &created, &expires, &ended, &x.Source, &x.UserAgent); err != nil {
		return x, notFound(err)
	}
	x.CreatedAt, x.ExpiresAt, x.EndedAt = fromMicros(created), fromMicros(expires), fromNullMicros(ended)
	return x, nil
}

func (s *Store) CreateSession(ctx context.Context, x domain.Session) error {
	_, err := s.exec(ctx, `INSERT INTO sessions (`+sessionColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		x.ID, x.OrgID, x.UserID, x.Verifier, micros(x.CreatedAt), micros(x.ExpiresAt), nullMicros(x.EndedAt), x.Source, x.UserAgent)
	return s.conflict(err, "session exists")
}

func (s *Store) SessionByVerifier(ctx context.Context, verifier []byte) (domain.Session, error) {
	return scanSession(s.queryRow(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE verifier = ?`, verifier))
}

func (s *Store) ListSessions(ctx context.Context, org domain.OrgID, userID domain.UserID, now time.Time) ([]domain.Session, error) {
	rows, err := s.query(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE org_id = ? AND user_id = ? AND ended_at IS NULL AND expires_at > ?
		ORDER BY created_at DESC, id DESC`, org, userID, micros(now))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []domain.Session
	for rows.Next() {
		x, err := scanSession(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

func (s *Store) EndSession(ctx context.Context, org domain.OrgID, id domain.SessionID, at time.Time) error {
	return mustAffect(s.exec(ctx, `UPDATE sessions SET ended_at = ? WHERE org_id = ? AND id = ? AND ended_at IS NULL`, micros(at), org, id))
}

func (s *Store) EndUserSessions(ctx context.Context, org domain.OrgID, userID domain.UserID, at time.Time) (int, error) {
	return rowsAffected(s.exec(ctx, `UPDATE sessions SET ended_at = ? WHERE org_id = ? AND user_id = ? AND ended_at IS NULL`, micros(at), org, userID))
}

func (s *Store) DeleteSessionsBefore(ctx context.Context, t time.Time) (int, error) {
	return rowsAffected(s.exec(ctx, `DELETE FROM sessions WHERE expires_at < ?`, micros(t)))
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
