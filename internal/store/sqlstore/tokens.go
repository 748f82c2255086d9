package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"keywarden/internal/domain"
)

// Signing keys.

func (s *conn) CreateSigningKey(ctx context.Context, k domain.SigningKey) error {
	_, err := s.exec(ctx, `INSERT INTO signing_keys (id, algorithm, sealed, public_jwk, created_at, active_from, retired_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`,
		k.ID, k.Algorithm, k.Sealed, k.PublicJWK, micros(k.CreatedAt), micros(k.ActiveFrom), nullMicros(k.RetiredAt))
	return s.conflict(err, "signing key exists")
}

func (s *conn) ListSigningKeys(ctx context.Context) ([]domain.SigningKey, error) {
	rows, err := s.query(ctx, `SELECT id, algorithm, sealed, public_jwk, created_at, active_from, retired_at
		FROM signing_keys ORDER BY active_from, created_at, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []domain.SigningKey
	for rows.Next() {
		var k domain.SigningKey
		var created, active int64
		var retired sql.NullInt64
		if err := rows.Scan(&k.ID, &k.Algorithm, &k.Sealed, &k.PublicJWK, &created, &active, &retired); err != nil {
			return nil, err
		}
		k.CreatedAt, k.ActiveFrom, k.RetiredAt = fromMicros(created), fromMicros(active), fromNullMicros(retired)
		out = append(out, k)
	}
	return out, rows.Err()
}

func (s *conn) RetireSigningKey(ctx context.Context, id string, at time.Time) error {
	return mustAffect(s.exec(ctx, `UPDATE signing_keys SET retired_at = ? WHERE id = ? AND retired_at IS NULL`, micros(at), id))
}

// Refresh tokens.

const refreshColumns = `id, org_id, client_id, family, verifier, hint, created_at, created_by, expires_at, used_at, revoked_at, issued_jti, issued_exp, revoked_reason`

func scanRefresh(row interface{ Scan(...any) error }) (domain.RefreshToken, error) {
	var t domain.RefreshToken
	var created, expires int64
	var used, revoked, issuedExp sql.NullInt64
	if err := row.Scan(&t.ID, &t.OrgID, &t.ClientID, &t.Family, &t.Verifier, &t.Hint, &created, &t.CreatedBy, &expires,
		&used, &revoked, &t.IssuedJTI, &issuedExp, &t.RevokedReason); err != nil {
		return t, notFound(err)
	}
	t.CreatedAt, t.ExpiresAt = fromMicros(created), fromMicros(expires)
	t.UsedAt, t.RevokedAt, t.IssuedExp = fromNullMicros(used), fromNullMicros(revoked), fromNullMicros(issuedExp)
	return t, nil
}

func (s *conn) collectRefresh(ctx context.Context, query string, args ...any) ([]domain.RefreshToken, error) {
	rows, err := s.query(ctx, query, args...)
	return collect(rows, err, scanRefresh)
}

func (s *conn) CreateRefreshToken(ctx context.Context, t domain.RefreshToken) error {
	_, err := s.exec(ctx, `INSERT INTO refresh_tokens (`+refreshColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.ID, t.OrgID, t.ClientID, t.Family, t.Verifier, t.Hint, micros(t.CreatedAt), t.CreatedBy, micros(t.ExpiresAt),
		nullMicros(t.UsedAt), nullMicros(t.RevokedAt), t.IssuedJTI, nullMicros(t.IssuedExp), t.RevokedReason)
	return s.conflict(err, "refresh token exists")
}

func (s *conn) RefreshTokenByVerifier(ctx context.Context, verifier []byte) (domain.RefreshToken, error) {
	return scanRefresh(s.queryRow(ctx, `SELECT `+refreshColumns+` FROM refresh_tokens WHERE verifier = ?`, verifier))
}

func (s *conn) UseRefreshToken(ctx context.Context, id domain.RefreshTokenID, at time.Time, jti string, exp time.Time) error {
	err := mustAffect(s.exec(ctx, `UPDATE refresh_tokens SET used_at = ?, issued_jti = ?, issued_exp = ?
		WHERE id = ? AND used_at IS NULL AND revoked_at IS NULL`, micros(at), jti, micros(exp), id))
	if err == domain.ErrNotFound {
		return domain.Conflict("refresh token already used or revoked")
	}
	return err
}

func (s *conn) ListRefreshFamily(ctx context.Context, family domain.RefreshFamilyID) ([]domain.RefreshToken, error) {
	return s.collectRefresh(ctx, `SELECT `+refreshColumns+` FROM refresh_tokens WHERE family = ? ORDER BY created_at, id`, family)
}

func rowsAffected(res sql.Result, err error) (int, error) {
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

func (s *conn) RevokeRefreshFamily(ctx context.Context, family domain.RefreshFamilyID, at time.Time, reason domain.RefreshRevokeReason) (int, error) {
	return rowsAffected(s.exec(ctx, `UPDATE refresh_tokens SET revoked_at = ?, revoked_reason = ? WHERE family = ? AND revoked_at IS NULL`, micros(at), reason, family))
}

func (s *conn) RevokeClientRefreshTokens(ctx context.Context, org domain.OrgID, clientID domain.ClientID, at time.Time, reason domain.RefreshRevokeReason) (int, error) {
	return rowsAffected(s.exec(ctx, `UPDATE refresh_tokens SET revoked_at = ?, revoked_reason = ? WHERE org_id = ? AND client_id = ? AND revoked_at IS NULL`, micros(at), reason, org, clientID))
}

func (s *conn) DeleteRefreshTokensBefore(ctx context.Context, t time.Time) (int, error) {
	return rowsAffected(s.exec(ctx, `DELETE FROM refresh_tokens WHERE expires_at < ?`, micros(t)))
}

// Revoked access tokens.

func (s *conn) AddRevokedToken(ctx context.Context, t domain.RevokedToken) error {
	_, err := s.exec(ctx, `INSERT INTO revoked_tokens (jti, org_id, client_id, expires_at, revoked_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (jti) DO NOTHING`, t.JTI, t.OrgID, t.ClientID, micros(t.ExpiresAt), micros(t.RevokedAt))
	return err
}

func (s *conn) ListRevokedTokens(ctx context.Context, t time.Time) ([]domain.RevokedToken, error) {
	return s.revokedTokens(ctx, `SELECT jti, org_id, client_id, expires_at, revoked_at FROM revoked_tokens WHERE expires_at > ?`, micros(t))
}

func (s *conn) ListRevokedTokensSince(ctx context.Context, since, t time.Time) ([]domain.RevokedToken, error) {
	return s.revokedTokens(ctx, `SELECT jti, org_id, client_id, expires_at, revoked_at FROM revoked_tokens WHERE revoked_at >= ? AND expires_at > ?`,
		micros(since), micros(t))
}

func (s *conn) revokedTokens(ctx context.Context, query string, args ...any) ([]domain.RevokedToken, error) {
	rows, err := s.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []domain.RevokedToken
	for rows.Next() {
		var r domain.RevokedToken
		var exp, rev int64
		if err := rows.Scan(&r.JTI, &r.OrgID, &r.ClientID, &exp, &rev); err != nil {
			return nil, err
		}
		r.ExpiresAt, r.RevokedAt = fromMicros(exp), fromMicros(rev)
		out = append(out, r)
	}
	return out, rows.Err()
}

func (s *conn) DeleteRevokedTokensBefore(ctx context.Context, t time.Time) (int, error) {
	return rowsAffected(s.exec(ctx, `DELETE FROM revoked_tokens WHERE expires_at < ?`, micros(t)))
}

// Rotations.

const rotationColumns = `id, org_id, client_id, new_secret_id, old_secret_ids, started_at, started_by, auto_complete, quiet_seconds, keep_tokens, completed_at, completed_by`

func scanRotation(row interface{ Scan(...any) error }) (domain.Rotation, error) {
	var r domain.Rotation
	var old string
	var started int64
	var auto, keep int
	var completed sql.NullInt64
	if err := row.Scan(&r.ID, &r.OrgID, &r.ClientID, &r.NewSecretID, &old, &started, &r.StartedBy, &auto, &r.QuietSeconds, &keep,
		&completed, &r.CompletedBy); err != nil {
		return r, notFound(err)
	}
	if err := json.Unmarshal([]byte(old), &r.OldSecretIDs); err != nil {
		return r, fmt.Errorf("rotation %s: %w", r.ID, err)
	}
	r.StartedAt, r.AutoComplete, r.KeepTokens, r.CompletedAt = fromMicros(started), auto != 0, keep != 0, fromNullMicros(completed)
	return r, nil
}

func (s *conn) collectRotations(ctx context.Context, query string, args ...any) ([]domain.Rotation, error) {
	rows, err := s.query(ctx, query, args...)
	return collect(rows, err, scanRotation)
}

func (s *conn) CreateRotation(ctx context.Context, r domain.Rotation) error {
	old, err := json.Marshal(r.OldSecretIDs)
	if err != nil {
		return err
	}
	if r.OldSecretIDs == nil {
		old = []byte("[]")
	}
	_, err = s.exec(ctx, `INSERT INTO rotations (`+rotationColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.OrgID, r.ClientID, r.NewSecretID, string(old), micros(r.StartedAt), r.StartedBy, boolInt(r.AutoComplete), r.QuietSeconds,
		boolInt(r.KeepTokens), nullMicros(r.CompletedAt), r.CompletedBy)
	return s.conflict(err, "rotation exists")
}

func (s *conn) GetRotation(ctx context.Context, org domain.OrgID, id domain.RotationID) (domain.Rotation, error) {
	return scanRotation(s.queryRow(ctx, `SELECT `+rotationColumns+` FROM rotations WHERE org_id = ? AND id = ?`, org, id))
}

func (s *conn) ListOpenAutoRotations(ctx context.Context) ([]domain.Rotation, error) {
	return s.collectRotations(ctx, `SELECT `+rotationColumns+` FROM rotations WHERE completed_at IS NULL AND auto_complete = 1 ORDER BY started_at`)
}

func (s *conn) CompleteRotation(ctx context.Context, org domain.OrgID, id domain.RotationID, at time.Time, by string) error {
	err := mustAffect(s.exec(ctx, `UPDATE rotations SET completed_at = ?, completed_by = ? WHERE org_id = ? AND id = ? AND completed_at IS NULL`,
		micros(at), by, org, id))
	if err == domain.ErrNotFound {
		if _, gerr := s.GetRotation(ctx, org, id); gerr != nil {
			return gerr
		}
		return domain.Conflict("the rotation is already completed")
	}
	return err
}
