package domain

import (
	"fmt"
	"slices"
	"time"
)

// Who may hold personal credentials.
const (
	CredentialsEveryone    = "everyone"
	CredentialsSuperAdmins = "super_admins"
)

// Policy is an organisation's rules for secrets and tokens. Super admins edit it.
type Policy struct {
	// MaxSecretLifetimeDays is the longest expiry, in days from now, that a
	// user of each role may give a secret.
	MaxSecretLifetimeDays map[Role]int `json:"max_secret_lifetime_days"`
	// AllowNeverExpire lets client secrets be created without an expiry.
	AllowNeverExpire bool `json:"allow_never_expire"`
	// PersonalCredentials is CredentialsEveryone or CredentialsSuperAdmins.
	PersonalCredentials string `json:"personal_credentials"`
	// RefuseCredentialsWithMFA refuses personal credentials of users who
	// have MFA enabled.
	RefuseCredentialsWithMFA bool `json:"refuse_credentials_with_mfa"`
	// AccessTokenTTLSeconds is the default access-token lifetime.
	AccessTokenTTLSeconds int `json:"access_token_ttl_seconds"`
	// RequireMFA makes every user enrol TOTP before using the console or
	// the API with a session.
	RequireMFA bool `json:"require_mfa"`
	// LeakResponse is what a confirmed leak of a live secret does:
	// LeakPolicyRevoke ("" too: the default) or LeakPolicyQuarantine.
	LeakResponse string `json:"leak_response,omitempty"`
	// LeakQuarantineHours is how long a quarantined secret keeps working
	// (1 to MaxLeakQuarantineHours; 0: DefaultLeakQuarantineHours).
	LeakQuarantineHours int `json:"leak_quarantine_hours,omitempty"`

	// Seeds' rules for users (userrules.go).

	// PersonalRevocation says who may revoke a personal credential:
	// RevocationSuperAdmins ("" too: the default) or RevocationOwner.
	PersonalRevocation string `json:"personal_revocation,omitempty"`
	// LegacyPasswordLogin opens seed 000's migration: users created
	// before LegacyPasswordCreatedBefore may use their console password
	// as the secret at POST /v1/auth/login until LegacyPasswordUntil.
	LegacyPasswordLogin         bool       `json:"legacy_password_login,omitempty"`
	LegacyPasswordCreatedBefore *time.Time `json:"legacy_password_created_before,omitempty"`
	LegacyPasswordUntil         *time.Time `json:"legacy_password_until,omitempty"`
	// RequirePersonalCredential requires an active personal credential of
	// every enabled user who may hold one, within the role's maximum
	// lifetime (seed 000).
	RequirePersonalCredential bool `json:"require_personal_credential,omitempty"`
	// PersonalCredentialRotateBy is when credentials created before
	// PersonalCredentialRotateFrom (set by the service when the date is
	// set) must have been replaced.
	PersonalCredentialRotateBy   *time.Time `json:"personal_credential_rotate_by,omitempty"`
	PersonalCredentialRotateFrom *time.Time `json:"personal_credential_rotate_from,omitempty"`
	// CredentialRequiredEvents sends user.credential_required to the
	// organisation's webhook endpoints, once per user and period.
	CredentialRequiredEvents bool `json:"credential_required_events,omitempty"`
	// LocalLoginDisabled refuses password sign-in (console, POST
	// /v1/sessions, CLI) to everyone but the BreakGlassUsers: the
	// organisation signs in through its identity providers (docs/oidc.md).
	LocalLoginDisabled bool `json:"local_login_disabled,omitempty"`
	// BreakGlassUsers are super admins who keep password sign-in when
	// LocalLoginDisabled is set, for when the identity provider is down.
	BreakGlassUsers []UserID `json:"break_glass_users,omitempty"`
	// AllowFederatedPersonalCredentials lets users who sign in through an
	// identity provider hold personal credentials (seed 001 refuses them:
	// off by default).
	AllowFederatedPersonalCredentials bool `json:"allow_federated_personal_credentials,omitempty"`
}

// RefusesFederatedCredential reports whether p refuses u a personal
// credential because u signs in through an identity provider (seed 001:
// "it is not possible to generate client credentials using federated
// logins"), unless AllowFederatedPersonalCredentials is set.
func (p Policy) RefusesFederatedCredential(u User) bool {
	return u.Federated() && !p.AllowFederatedPersonalCredentials
}

// PasswordLoginAllowed reports whether user id may sign in with a
// password under p.
func (p Policy) PasswordLoginAllowed(id UserID, role Role) bool {
	return !p.LocalLoginDisabled || (role == RoleSuperAdmin && slices.Contains(p.BreakGlassUsers, id))
}

// Quarantine bounds: a leaked secret is never left working for long.
const (
	DefaultLeakQuarantineHours = 24
	MaxLeakQuarantineHours     = 7 * 24
)

// EffectiveLeakResponse is LeakResponse with the default filled in.
func (p Policy) EffectiveLeakResponse() string {
	if p.LeakResponse == "" {
		return LeakPolicyRevoke
	}
	return p.LeakResponse
}

// LeakQuarantine is how long a quarantined secret keeps working.
func (p Policy) LeakQuarantine() time.Duration {
	h := p.LeakQuarantineHours
	if h <= 0 {
		h = DefaultLeakQuarantineHours
	}
	return time.Duration(h) * time.Hour
}

// Limits on policy values.
const (
	MaxLifetimeDaysLimit = 3650 // ten years
	MinTokenTTLSeconds   = 60
	MaxTokenTTLSeconds   = 30 * 24 * 3600
)

// DefaultPolicy returns the policy a new organisation starts with: 90 days
// for super admins, admins and developers, one day for members, no
// never-expiring secrets, 24-hour access tokens.
func DefaultPolicy() Policy {
	return Policy{
		MaxSecretLifetimeDays: map[Role]int{
			RoleSuperAdmin: 90, RoleAdmin: 90, RoleDeveloper: 90, RoleMember: 1,
		},
		PersonalCredentials:   CredentialsEveryone,
		AccessTokenTTLSeconds: 86400,
	}
}

// Validate reports every problem with p.
func (p Policy) Validate() error {
	var v ValidationError
	for _, r := range Roles {
		d, ok := p.MaxSecretLifetimeDays[r]
		switch {
		case !ok:
			v.Add("max_secret_lifetime_days."+string(r), "is required")
		case d < 1 || d > MaxLifetimeDaysLimit:
			v.Add("max_secret_lifetime_days."+string(r), fmt.Sprintf("must be between 1 and %d days", MaxLifetimeDaysLimit))
		}
	}
	for r := range p.MaxSecretLifetimeDays {
		if !r.Valid() {
			v.Add("max_secret_lifetime_days."+string(r), "is not a role")
		}
	}
	if p.PersonalCredentials != CredentialsEveryone && p.PersonalCredentials != CredentialsSuperAdmins {
		v.Add("personal_credentials", `must be "everyone" or "super_admins"`)
	}
	if p.LeakResponse != "" && p.LeakResponse != LeakPolicyRevoke && p.LeakResponse != LeakPolicyQuarantine {
		v.Add("leak_response", `must be "revoke" or "quarantine"`)
	}
	if p.LeakQuarantineHours < 0 || p.LeakQuarantineHours > MaxLeakQuarantineHours {
		v.Add("leak_quarantine_hours", fmt.Sprintf("must be between 1 and %d hours", MaxLeakQuarantineHours))
	}
	p.validateUserRules(&v)
	if len(p.BreakGlassUsers) > 10 {
		v.Add("break_glass_users", "at most 10")
	}
	for _, id := range p.BreakGlassUsers {
		if !ValidID(PrefixUser, string(id)) {
			v.Add("break_glass_users", "each is a user ID (usr_…)")
			break
		}
	}
	if p.AccessTokenTTLSeconds < MinTokenTTLSeconds || p.AccessTokenTTLSeconds > MaxTokenTTLSeconds {
		v.Add("access_token_ttl_seconds", fmt.Sprintf("must be between %d and %d", MinTokenTTLSeconds, MaxTokenTTLSeconds))
	}
	return v.Err()
}

// MaxLifetime returns the longest lifetime role may give a secret.
func (p Policy) MaxLifetime(role Role) time.Duration {
	return time.Duration(p.MaxSecretLifetimeDays[role]) * 24 * time.Hour
}

// ResolveExpiry applies the policy to a requested expiry for a secret that a
// user of role creates or edits at now. A nil requested expiry with never
// false means "the longest the policy allows". field names the input in
// errors.
func (p Policy) ResolveExpiry(field string, role Role, now time.Time, requested *time.Time, never bool) (*time.Time, error) {
	limit := now.Add(p.MaxLifetime(role))
	if never {
		if requested != nil {
			return nil, Invalid(field, "give an expiry or never_expires, not both")
		}
		if !p.AllowNeverExpire {
			return nil, Invalid(field, fmt.Sprintf("the organisation's policy requires an expiry; the longest allowed for role %s is %s (until %s)",
				role, days(p.MaxSecretLifetimeDays[role]), limit.UTC().Format(time.RFC3339)))
		}
		return nil, nil
	}
	if requested == nil {
		t := limit.UTC().Truncate(time.Second)
		return &t, nil
	}
	t := requested.UTC()
	if !t.After(now) {
		return nil, Invalid(field, "must be in the future")
	}
	if t.After(limit) {
		return nil, Invalid(field, fmt.Sprintf("is beyond the organisation's policy: the longest allowed for role %s is %s (until %s)",
			role, days(p.MaxSecretLifetimeDays[role]), limit.UTC().Format(time.RFC3339)))
	}
	return &t, nil
}

func days(n int) string {
	if n == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}
