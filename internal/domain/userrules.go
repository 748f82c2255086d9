package domain

import (
	"fmt"
	"time"
)

// Who may revoke a personal credential (Policy.PersonalRevocation).
// Disabling or deleting a user kills their credential in every mode.
const (
	// RevocationSuperAdmins: the owner, and a super admin anyone's.
	RevocationSuperAdmins = "super_admins"
	// RevocationOwner: only the owner revokes their own (seed 001).
	RevocationOwner = "owner"
)

// Bounds of the seeds' user rules.
const (
	// MaxLegacyPasswordDays is how far ahead the legacy password login
	// may be allowed to run: it is a migration, not a way of working.
	MaxLegacyPasswordDays = 366
	// MaxRotateByDays is how far ahead a rotate-by date may be.
	MaxRotateByDays = 366
)

// LegacyPasswordSecret is the secret ID of access tokens that a legacy
// password login minted: no secret row stands behind them, and no
// generated ID looks like it.
const LegacyPasswordSecret SecretID = "legacy_password"

// EffectivePersonalRevocation is PersonalRevocation with the default
// filled in.
func (p Policy) EffectivePersonalRevocation() string {
	if p.PersonalRevocation == "" {
		return RevocationSuperAdmins
	}
	return p.PersonalRevocation
}

// MayRevokePersonal reports whether actor may revoke the personal
// credential of owner under p (the role check is authz's: only super
// admins revoke others' at all).
func (p Policy) MayRevokePersonal(actor, owner UserID) error {
	if actor != owner && p.EffectivePersonalRevocation() == RevocationOwner {
		return Forbidden("your organisation's policy lets only its owner revoke a personal credential; " +
			"disable or delete the user to offboard them (that kills the credential and its tokens)")
	}
	return nil
}

// LegacyPasswordAllowed reports whether u may log in at POST
// /v1/auth/login with their console password as the secret at now (seed
// 000's migration): the organisation opened it, u was created before its
// date, the end date has not passed, and u has neither changed their
// password nor generated a personal credential since (LegacyPasswordEndedAt).
// A user who is disabled, has a one-time password, has MFA on (their
// password alone is not their login) or may not hold a personal
// credential is not allowed.
func (p Policy) LegacyPasswordAllowed(u User, now time.Time) bool {
	return p.LegacyPasswordLogin && p.LegacyPasswordCreatedBefore != nil && p.LegacyPasswordUntil != nil &&
		now.Before(*p.LegacyPasswordUntil) && u.CreatedAt.Before(*p.LegacyPasswordCreatedBefore) &&
		u.LegacyPasswordEndedAt == nil && u.DisabledAt == nil && !u.MustChangePassword && !u.MFAEnabled &&
		p.MayHoldPersonal(u)
}

// MayHoldPersonal reports whether the policy lets u hold a personal
// credential at all.
func (p Policy) MayHoldPersonal(u User) bool {
	switch {
	case p.PersonalCredentials == CredentialsSuperAdmins && u.Role != RoleSuperAdmin:
		return false
	case p.RefuseCredentialsWithMFA && u.MFAEnabled:
		return false
	}
	return true
}

// Compliance is where a user stands against RequirePersonalCredential.
type Compliance string

// Compliance states; ComplianceOK ("") needs nothing.
const (
	ComplianceOK Compliance = ""
	// ComplianceMissing: no active personal credential.
	ComplianceMissing Compliance = "missing"
	// ComplianceLifetime: the active credential never expires or lives
	// longer than the role's maximum.
	ComplianceLifetime Compliance = "lifetime"
	// ComplianceRotate: the credential predates the rotate-by date's
	// setting and must be replaced by that date.
	ComplianceRotate Compliance = "rotate"
	// ComplianceOverdue: as ComplianceRotate, but the date has passed.
	// (The rotate-by date and the events are ignored while
	// RequirePersonalCredential is off.)
	ComplianceOverdue Compliance = "overdue"
)

// ActiveCredential is what compliance needs of a user's active personal
// credential.
type ActiveCredential struct {
	CreatedAt time.Time
	ExpiresAt *time.Time
}

// CredentialCompliance decides where u, whose active personal credential
// is active (nil: none), stands at now. Users the rule does not apply to
// (disabled, or not allowed a personal credential) are ComplianceOK.
func (p Policy) CredentialCompliance(u User, active *ActiveCredential, now time.Time) Compliance {
	if !p.RequirePersonalCredential || u.DisabledAt != nil || !p.MayHoldPersonal(u) {
		return ComplianceOK
	}
	switch {
	case active == nil:
		return ComplianceMissing
	case active.ExpiresAt == nil || active.ExpiresAt.Sub(active.CreatedAt) > p.MaxLifetime(u.Role)+time.Second:
		return ComplianceLifetime
	case p.PersonalCredentialRotateBy != nil && p.PersonalCredentialRotateFrom != nil && active.CreatedAt.Before(*p.PersonalCredentialRotateFrom):
		if now.Before(*p.PersonalCredentialRotateBy) {
			return ComplianceRotate
		}
		return ComplianceOverdue
	}
	return ComplianceOK
}

// CompliancePeriod is the start of the period in which one
// user.credential_required event per user is sent: the rotate-by round
// (when its date was set), or, without one, the Unix epoch (the
// requirement itself: once per user).
func (p Policy) CompliancePeriod() time.Time {
	if p.PersonalCredentialRotateBy != nil && p.PersonalCredentialRotateFrom != nil {
		return p.PersonalCredentialRotateFrom.UTC()
	}
	return time.Unix(0, 0).UTC()
}

// validateUserRules adds the problems of the user rules' fields that do
// not depend on the time.
func (p Policy) validateUserRules(v *ValidationError) {
	switch p.PersonalRevocation {
	case "", RevocationSuperAdmins, RevocationOwner:
	default:
		v.Add("personal_revocation", `must be "super_admins" or "owner"`)
	}
	if p.LegacyPasswordLogin {
		if p.LegacyPasswordCreatedBefore == nil {
			v.Add("legacy_password_created_before", "is required when legacy_password_login is on")
		}
		if p.LegacyPasswordUntil == nil {
			v.Add("legacy_password_until", "is required when legacy_password_login is on")
		}
	}
	if p.LegacyPasswordCreatedBefore != nil && p.LegacyPasswordUntil != nil && !p.LegacyPasswordUntil.After(*p.LegacyPasswordCreatedBefore) {
		v.Add("legacy_password_until", "must be after legacy_password_created_before")
	}
}

// ValidateChange checks what a change from prev to p sets at now, beyond
// Validate: dates that are set or changed must make sense now (a legacy
// window that has not ended and is not too long, a migration of users who
// exist, a rotate-by date ahead). Dates left as they were are not
// re-judged, so that an ended window does not block other changes.
func (p Policy) ValidateChange(prev Policy, now time.Time) error {
	var v ValidationError
	changed := func(a, b *time.Time) bool { return (a == nil) != (b == nil) || a != nil && !a.Equal(*b) }
	if p.LegacyPasswordLogin && (!prev.LegacyPasswordLogin || changed(p.LegacyPasswordUntil, prev.LegacyPasswordUntil) ||
		changed(p.LegacyPasswordCreatedBefore, prev.LegacyPasswordCreatedBefore)) {
		if t := p.LegacyPasswordUntil; t != nil {
			switch {
			case !t.After(now):
				v.Add("legacy_password_until", "must be in the future")
			case t.After(now.AddDate(0, 0, MaxLegacyPasswordDays)):
				v.Add("legacy_password_until", fmt.Sprintf("must be within %d days: the legacy login is a migration", MaxLegacyPasswordDays))
			}
		}
		if t := p.LegacyPasswordCreatedBefore; t != nil && t.After(now) {
			v.Add("legacy_password_created_before", "must not be in the future: the migration is for users who exist")
		}
	}
	if t := p.PersonalCredentialRotateBy; t != nil && changed(t, prev.PersonalCredentialRotateBy) {
		switch {
		case !t.After(now):
			v.Add("personal_credential_rotate_by", "must be in the future")
		case t.After(now.AddDate(0, 0, MaxRotateByDays)):
			v.Add("personal_credential_rotate_by", fmt.Sprintf("must be within %d days", MaxRotateByDays))
		}
	}
	return v.Err()
}
