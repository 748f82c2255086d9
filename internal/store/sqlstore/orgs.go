package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"keywarden/internal/domain"
	"keywarden/internal/store"
)

func (s *conn) CreateOrg(ctx context.Context, o domain.Organization) error {
	policy, err := json.Marshal(o.Policy)
	if err != nil {
		return err
	}
	_, err = s.exec(ctx, `INSERT INTO organizations (id, name, policy, created_at) VALUES (?, ?, ?, ?)`,
		o.ID, o.Name, string(policy), micros(o.CreatedAt))
	return s.conflict(err, "organization exists")
}

func (s *conn) GetOrg(ctx context.Context, id domain.OrgID) (domain.Organization, error) {
	return s.getOrg(ctx, id, "")
}

func (s *conn) getOrg(ctx context.Context, id domain.OrgID, lock string) (domain.Organization, error) {
	var o domain.Organization
	var policy string
	var created int64
	err := s.queryRow(ctx, `SELECT id, name, policy, created_at FROM organizations WHERE id = ?`+lock, id).
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

func (s *conn) UpdatePolicy(ctx context.Context, id domain.OrgID, fn func(*domain.Policy) error) (domain.Policy, error) {
	return update(ctx, s, func(c *conn) (domain.Policy, error) {
		o, err := c.getOrg(ctx, id, c.lock())
		return o.Policy, err
	}, fn, func(c *conn, p domain.Policy) error {
		policy, err := json.Marshal(p)
		if err != nil {
			return err
		}
		return mustAffect(c.exec(ctx, `UPDATE organizations SET policy = ? WHERE id = ?`, string(policy), id))
	})
}

const userColumns = `id, org_id, email, role, password_hash, must_change_password, created_at, disabled_at,
	password_changed_at, totp_sealed, mfa_enabled, recovery_codes, totp_last_step, legacy_password_ended_at, idp_id, idp_subject`

func scanUser(row interface{ Scan(...any) error }) (domain.User, error) {
	var u domain.User
	var role, codes string
	var must, mfa int
	var created int64
	var disabled, changed, legacyEnded sql.NullInt64
	if err := row.Scan(&u.ID, &u.OrgID, &u.Email, &role, &u.PasswordHash, &must, &created, &disabled,
		&changed, &u.TOTPSealed, &mfa, &codes, &u.TOTPLastStep, &legacyEnded, &u.IdentityProvider, &u.IdentitySubject); err != nil {
		return u, notFound(err)
	}
	u.LegacyPasswordEndedAt = fromNullMicros(legacyEnded)
	u.Role, u.MustChangePassword, u.CreatedAt, u.DisabledAt = domain.Role(role), must != 0, fromMicros(created), fromNullMicros(disabled)
	u.PasswordChangedAt, u.MFAEnabled = fromNullMicros(changed), mfa != 0
	if codes != "" {
		u.RecoveryCodes = strings.Split(codes, ",")
	}
	return u, nil
}

func (s *conn) collectUsers(ctx context.Context, query string, args ...any) ([]domain.User, error) {
	rows, err := s.query(ctx, query, args...)
	return collect(rows, err, scanUser)
}

func (s *conn) CreateUser(ctx context.Context, u domain.User) error {
	_, err := s.exec(ctx, `INSERT INTO users (`+userColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.OrgID, u.Email, string(u.Role), u.PasswordHash, boolInt(u.MustChangePassword), micros(u.CreatedAt), nullMicros(u.DisabledAt),
		nullMicros(u.PasswordChangedAt), u.TOTPSealed, boolInt(u.MFAEnabled), strings.Join(u.RecoveryCodes, ","), u.TOTPLastStep,
		nullMicros(u.LegacyPasswordEndedAt), string(u.IdentityProvider), u.IdentitySubject)
	return s.conflict(err, "a user with this email exists in the organization")
}

func (s *conn) GetUser(ctx context.Context, org domain.OrgID, id domain.UserID) (domain.User, error) {
	return scanUser(s.queryRow(ctx, `SELECT `+userColumns+` FROM users WHERE org_id = ? AND id = ?`, org, id))
}

func (s *conn) ListUsers(ctx context.Context, org domain.OrgID) ([]domain.User, error) {
	return s.collectUsers(ctx, `SELECT `+userColumns+` FROM users WHERE org_id = ? ORDER BY created_at, id`, org)
}

func (s *conn) UsersByEmail(ctx context.Context, email string) ([]domain.User, error) {
	return s.collectUsers(ctx, `SELECT `+userColumns+` FROM users WHERE email = ? ORDER BY created_at, id`, email)
}

func (s *conn) UpdateUser(ctx context.Context, org domain.OrgID, id domain.UserID, fn func(*domain.User) error) (domain.User, error) {
	return update(ctx, s, func(c *conn) (domain.User, error) {
		return c.lockUser(ctx, org, id)
	}, fn, func(c *conn, u domain.User) error {
		return mustAffect(c.exec(ctx, `UPDATE users SET role = ?, password_hash = ?, must_change_password = ?, disabled_at = ?,
			password_changed_at = ?, totp_sealed = ?, mfa_enabled = ?, recovery_codes = ?, totp_last_step = ?,
			legacy_password_ended_at = ?, idp_id = ?, idp_subject = ? WHERE org_id = ? AND id = ?`,
			string(u.Role), u.PasswordHash, boolInt(u.MustChangePassword), nullMicros(u.DisabledAt), nullMicros(u.PasswordChangedAt),
			u.TOTPSealed, boolInt(u.MFAEnabled), strings.Join(u.RecoveryCodes, ","), u.TOTPLastStep, nullMicros(u.LegacyPasswordEndedAt),
			string(u.IdentityProvider), u.IdentitySubject, org, id))
	})
}

func (s *conn) lockUser(ctx context.Context, org domain.OrgID, id domain.UserID) (domain.User, error) {
	return scanUser(s.queryRow(ctx, `SELECT `+userColumns+` FROM users WHERE org_id = ? AND id = ?`+s.lock(), org, id))
}

func (s *conn) ConsumeTOTPStep(ctx context.Context, org domain.OrgID, id domain.UserID, step int64) (bool, error) {
	n, err := rowsAffected(s.exec(ctx, `UPDATE users SET totp_last_step = ? WHERE org_id = ? AND id = ? AND mfa_enabled = 1 AND totp_last_step < ?`,
		step, org, id, step))
	return n == 1, err
}

func (s *conn) ConsumeRecoveryCode(ctx context.Context, org domain.OrgID, id domain.UserID, verifier string) (int, bool, error) {
	remaining, found := 0, false
	_, err := update(ctx, s, func(c *conn) (domain.User, error) {
		return c.lockUser(ctx, org, id)
	}, func(u *domain.User) error {
		i := slices.Index(u.RecoveryCodes, verifier)
		if i < 0 || verifier == "" {
			remaining, found = len(u.RecoveryCodes), false
			return store.ErrNoChange
		}
		u.RecoveryCodes = slices.Delete(slices.Clone(u.RecoveryCodes), i, i+1)
		remaining, found = len(u.RecoveryCodes), true
		return nil
	}, func(c *conn, u domain.User) error {
		return mustAffect(c.exec(ctx, `UPDATE users SET recovery_codes = ? WHERE org_id = ? AND id = ?`, strings.Join(u.RecoveryCodes, ","), org, id))
	})
	return remaining, found, err
}

// LockUser implements store.Locks.
func (t *Tx) LockUser(ctx context.Context, org domain.OrgID, id domain.UserID) (domain.User, error) {
	return t.lockUser(ctx, org, id)
}

// LockSuperAdmins implements store.Locks: the organisation's row stands
// for the set of its super admins (a row lock on PostgreSQL; SQLite's
// transaction already holds the write lock). The count is read after the
// lock is held, so it sees every change committed by an earlier holder.
func (t *Tx) LockSuperAdmins(ctx context.Context, org domain.OrgID) (int, error) {
	if _, err := t.getOrg(ctx, org, t.lock()); err != nil {
		return 0, err
	}
	var n int
	err := t.queryRow(ctx, `SELECT COUNT(*) FROM users WHERE org_id = ? AND role = ? AND disabled_at IS NULL`, org, string(domain.RoleSuperAdmin)).Scan(&n)
	return n, err
}

func (s *conn) DeleteUser(ctx context.Context, org domain.OrgID, id domain.UserID) error {
	return mustAffect(s.exec(ctx, `DELETE FROM users WHERE org_id = ? AND id = ?`, org, id))
}

const sessionColumns = `id, org_id, user_id, verifier, created_at, expires_at, ended_at, source, user_agent, idp_id`

func scanSession(row interface{ Scan(...any) error }) (domain.Session, error) {
	var x domain.Session
	var created, expires int64
	var ended sql.NullInt64
	if err := row.Scan(&x.ID, &x.OrgID, &x.UserID, &x.Verifier, &created, &expires, &ended, &x.Source, &x.UserAgent, &x.IdentityProvider); err != nil {
		return x, notFound(err)
	}
	x.CreatedAt, x.ExpiresAt, x.EndedAt = fromMicros(created), fromMicros(expires), fromNullMicros(ended)
	return x, nil
}

func (s *conn) CreateSession(ctx context.Context, x domain.Session) error {
	_, err := s.exec(ctx, `INSERT INTO sessions (`+sessionColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		x.ID, x.OrgID, x.UserID, x.Verifier, micros(x.CreatedAt), micros(x.ExpiresAt), nullMicros(x.EndedAt), x.Source, x.UserAgent,
		string(x.IdentityProvider))
	return s.conflict(err, "session exists")
}

func (s *conn) SessionByVerifier(ctx context.Context, verifier []byte) (domain.Session, error) {
	return scanSession(s.queryRow(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE verifier = ?`, verifier))
}

func (s *conn) ListSessions(ctx context.Context, org domain.OrgID, userID domain.UserID, now time.Time) ([]domain.Session, error) {
	rows, err := s.query(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE org_id = ? AND user_id = ? AND ended_at IS NULL AND expires_at > ?
		ORDER BY created_at DESC, id DESC`, org, userID, micros(now))
	return collect(rows, err, scanSession)
}

func (s *conn) EndSession(ctx context.Context, org domain.OrgID, id domain.SessionID, at time.Time) error {
	return mustAffect(s.exec(ctx, `UPDATE sessions SET ended_at = ? WHERE org_id = ? AND id = ? AND ended_at IS NULL`, micros(at), org, id))
}

func (s *conn) EndUserSessions(ctx context.Context, org domain.OrgID, userID domain.UserID, at time.Time) (int, error) {
	return rowsAffected(s.exec(ctx, `UPDATE sessions SET ended_at = ? WHERE org_id = ? AND user_id = ? AND ended_at IS NULL`, micros(at), org, userID))
}

func (s *conn) DeleteSessionsBefore(ctx context.Context, t time.Time) (int, error) {
	return rowsAffected(s.exec(ctx, `DELETE FROM sessions WHERE expires_at < ?`, micros(t)))
}
