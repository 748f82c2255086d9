package account

import (
	"context"
	"errors"
	"fmt"

	"keywarden/internal/audit"
	"keywarden/internal/domain"
	"keywarden/internal/metrics"
	"keywarden/internal/secretvalue"
	"keywarden/internal/store"
)

// NewUser is an invited user with their one-time password, shown once.
type NewUser struct {
	User     domain.User
	Password secretvalue.Plaintext
}

// InviteUser creates a user with a role and a one-time password that must
// be changed at first login.
func (s *Service) InviteUser(ctx context.Context, by domain.Actor, email string, role domain.Role) (NewUser, error) {
	var v domain.ValidationError
	email, err := normalizeEmail(email)
	if err != nil {
		v.Add("email", err.Error())
	}
	if !role.Valid() {
		v.Add("role", "must be super_admin, admin, developer or member")
	}
	if err := v.Err(); err != nil {
		return NewUser{}, err
	}
	pw := secretvalue.GeneratePassword()
	u := domain.User{ID: domain.NewUserID(), OrgID: by.OrgID, Email: email, Role: role,
		PasswordHash: secretvalue.HashSupplied(pw), MustChangePassword: true, CreatedAt: s.clock()}
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		if err := tx.CreateUser(ctx, u); err != nil {
			return fmt.Errorf("create user: %w", err)
		}
		return s.audit.Append(ctx, tx, audit.Entry{Actor: by, Action: "user.invite", Target: string(u.ID),
			Detail: map[string]string{"email": email, "role": string(role)}})
	})
	return NewUser{User: u, Password: pw}, err
}

// ListUsers returns the organisation's users.
func (s *Service) ListUsers(ctx context.Context, by domain.Actor) ([]domain.User, error) {
	return s.store.ListUsers(ctx, by.OrgID)
}

// GetUser returns one user of the organisation.
func (s *Service) GetUser(ctx context.Context, by domain.Actor, id domain.UserID) (domain.User, error) {
	if !id.Valid() {
		return domain.User{}, domain.ErrNotFound
	}
	return s.store.GetUser(ctx, by.OrgID, id)
}

// UserPatch changes a user; nil fields stay.
type UserPatch struct {
	Role     *domain.Role
	Disabled *bool
}

// errLastSuperAdmin protects the organisation from locking itself out.
var errLastSuperAdmin = domain.Conflict("this is the organisation's last active super admin; promote another user first")

// UpdateUser changes a user's role or status. Disabling a user ends their
// sessions and kills their personal credential and its tokens at once. A
// change that could leave the organisation without an enabled super admin
// holds the organisation's super admins (store.Locks) while it decides,
// so two super admins demoting each other cannot both succeed.
func (s *Service) UpdateUser(ctx context.Context, by domain.Actor, id domain.UserID, p UserPatch) (domain.User, error) {
	if !id.Valid() {
		return domain.User{}, domain.ErrNotFound
	}
	if p.Role != nil && !p.Role.Valid() {
		if _, err := s.store.GetUser(ctx, by.OrgID, id); err != nil {
			return domain.User{}, err // the user's 404 first
		}
		return domain.User{}, domain.Invalid("role", "must be super_admin, admin, developer or member")
	}
	lowers := (p.Role != nil && *p.Role != domain.RoleSuperAdmin) || (p.Disabled != nil && *p.Disabled)
	var u domain.User
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		superAdmins := 0
		if lowers {
			var err error
			if superAdmins, err = tx.LockSuperAdmins(ctx, by.OrgID); err != nil {
				return err
			}
		}
		var before domain.User
		var err error
		u, err = tx.UpdateUser(ctx, by.OrgID, id, func(u *domain.User) error {
			before = *u
			demote := p.Role != nil && *p.Role != domain.RoleSuperAdmin && u.Role == domain.RoleSuperAdmin
			disable := p.Disabled != nil && *p.Disabled && u.DisabledAt == nil
			if (demote || disable) && u.Role == domain.RoleSuperAdmin && u.DisabledAt == nil && superAdmins <= 1 {
				return errLastSuperAdmin
			}
			if p.Role != nil {
				u.Role = *p.Role
			}
			if p.Disabled != nil {
				switch now := s.clock(); {
				case *p.Disabled && u.DisabledAt == nil:
					u.DisabledAt = &now
				case !*p.Disabled:
					u.DisabledAt = nil
				}
			}
			if u.Role == before.Role && (u.DisabledAt == nil) == (before.DisabledAt == nil) {
				return store.ErrNoChange
			}
			return nil
		})
		if err != nil {
			return err
		}
		if u.Role != before.Role {
			if err := s.audit.Append(ctx, tx, audit.Entry{Actor: by, Action: "user.role_change", Target: string(u.ID),
				Detail:  map[string]string{"from": string(before.Role), "to": string(u.Role), "email": u.Email},
				Changes: []domain.AuditChange{audit.Change("role", string(before.Role), string(u.Role))}}); err != nil {
				return err
			}
		}
		switch {
		case u.DisabledAt != nil && before.DisabledAt == nil:
			return s.offboardInTx(ctx, tx, by, u, "user.disable")
		case u.DisabledAt == nil && before.DisabledAt != nil:
			return s.audit.Append(ctx, tx, audit.Entry{Actor: by, Action: "user.enable", Target: string(u.ID)})
		}
		return nil
	})
	if err != nil {
		return domain.User{}, err
	}
	if s.onUserChange != nil {
		s.onUserChange(by.OrgID)
	}
	return u, nil
}

func (s *Service) offboardInTx(ctx context.Context, tx store.Tx, by domain.Actor, u domain.User, action string) error {
	if _, err := tx.EndUserSessions(ctx, u.OrgID, u.ID, s.clock()); err != nil {
		return err
	}
	if s.offboard != nil {
		if err := s.offboard(ctx, tx, by, u.ID); err != nil {
			return err
		}
	}
	return s.audit.Append(ctx, tx, audit.Entry{Actor: by, Action: action, Target: string(u.ID), Detail: map[string]string{"email": u.Email}})
}

// DeleteUser removes a user, their sessions, API tokens and personal
// credential (whose tokens stop working at once).
func (s *Service) DeleteUser(ctx context.Context, by domain.Actor, id domain.UserID) error {
	if !id.Valid() {
		return domain.ErrNotFound
	}
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		superAdmins, err := tx.LockSuperAdmins(ctx, by.OrgID)
		if err != nil {
			return err
		}
		u, err := tx.LockUser(ctx, by.OrgID, id)
		if err != nil {
			return err
		}
		if u.Role == domain.RoleSuperAdmin && u.DisabledAt == nil && superAdmins <= 1 {
			return errLastSuperAdmin
		}
		if err := s.offboardInTx(ctx, tx, by, u, "user.delete"); err != nil {
			return err
		}
		return tx.DeleteUser(ctx, by.OrgID, id)
	})
	if err == nil && s.onUserChange != nil {
		s.onUserChange(by.OrgID)
	}
	return err
}

// Me returns the actor's own user.
func (s *Service) Me(ctx context.Context, by domain.Actor) (domain.User, error) {
	return s.store.GetUser(ctx, by.OrgID, by.UserID())
}

// Profile is who the actor is: their user and organisation.
type Profile struct {
	User domain.User
	Org  domain.Organization
}

// Profile returns the actor's user and organisation.
func (s *Service) Profile(ctx context.Context, by domain.Actor) (Profile, error) {
	u, err := s.store.GetUser(ctx, by.OrgID, by.UserID())
	if err != nil {
		return Profile{}, err
	}
	org, err := s.store.GetOrg(ctx, by.OrgID)
	return Profile{User: u, Org: org}, err
}

// ErrWrongPassword means the current password given to ChangePassword
// was wrong.
var ErrWrongPassword = errors.New("the current password is wrong")

// ChangePassword sets a new password after checking the current one. It
// lifts the one-time-password restriction and ends the user's other
// sessions. The slow hashing runs before the transaction; the change
// applies only if the password is still the one checked, so a password
// (an invited user's one-time password, say) is replaced once however
// many requests race with it.
func (s *Service) ChangePassword(ctx context.Context, by domain.Actor, current, next string) error {
	var v domain.ValidationError
	newPw, err := secretvalue.Supplied(next, secretvalue.MinPasswordLength)
	if err != nil {
		v.Add("new_password", err.Error())
	}
	if current == next {
		v.Add("new_password", "must differ from the current password")
	}
	if err := v.Err(); err != nil {
		return err
	}
	// Whoever holds a session must not be able to guess the password.
	limitKey, now := "password|"+string(by.ID), s.clock()
	if wait, ok := s.limitLogin.Take(limitKey, now); !ok {
		s.metrics.RateLimited(metrics.LimitPasswordChange)
		return &LoginRateLimitedError{RetryAfter: wait}
	}
	u, err := s.store.GetUser(ctx, by.OrgID, by.UserID())
	if err != nil {
		s.limitLogin.Refund(limitKey, now)
		return err
	}
	match, err := s.verify(ctx, u.PasswordHash, current)
	if err != nil {
		s.limitLogin.Refund(limitKey, now)
		return err
	}
	if !match {
		if err := s.audit.Record(ctx, audit.Entry{Actor: by, Action: "user.password_change", Target: by.ID,
			Result: domain.ResultFailure, Detail: map[string]string{"reason": "wrong current password"}}); err != nil {
			return err
		}
		return domain.Invalid("current_password", "is wrong")
	}
	s.limitLogin.Refund(limitKey, now)
	checked, hash := u.PasswordHash, secretvalue.HashSupplied(newPw)
	legacyEnded := false
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		now := s.clock()
		legacyEnded = false
		u, err := tx.UpdateUser(ctx, by.OrgID, by.UserID(), func(u *domain.User) error {
			if u.PasswordHash != checked {
				return domain.Conflict("the password was changed meanwhile; sign in again with the new one")
			}
			// Seed 000: changing one's password ends the legacy password
			// login for good, in this transaction, under the row's lock
			// that a legacy login takes too. Replacing a one-time password
			// is choosing one's password, not changing it.
			if u.LegacyPasswordEndedAt == nil && !u.MustChangePassword {
				u.LegacyPasswordEndedAt, legacyEnded = &now, true
			}
			u.PasswordHash, u.MustChangePassword, u.PasswordChangedAt = hash, false, &now
			return nil
		})
		if err != nil {
			return err
		}
		if legacyEnded {
			if err := s.audit.Append(ctx, tx, audit.Entry{Actor: by, Action: "user.legacy_password_end", Target: string(u.ID),
				Detail: map[string]string{"reason": "password_change"}}); err != nil {
				return err
			}
		}
		sessions, err := tx.ListSessions(ctx, u.OrgID, u.ID, now)
		if err != nil {
			return err
		}
		for _, x := range sessions {
			if x.ID != by.SessionID {
				if err := tx.EndSession(ctx, u.OrgID, x.ID, now); err != nil {
					return err
				}
			}
		}
		return s.audit.Append(ctx, tx, audit.Entry{Actor: by, Action: "user.password_change", Target: string(u.ID)})
	})
	if err == nil && legacyEnded && s.onUserChange != nil {
		s.onUserChange(by.OrgID) // the legacy login's tokens stop at once
	}
	return err
}
