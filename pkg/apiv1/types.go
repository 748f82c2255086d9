package apiv1

import (
	"encoding/json"
	"time"
)

// Client is an API client as the API shows it.
type Client struct {
	ClientID        string    `json:"client_id"`
	Name            string    `json:"name"`
	Description     string    `json:"description"`
	Scopes          []string  `json:"scopes"`
	TokenTTLSeconds int       `json:"token_ttl_seconds"`
	WebhookURL      string    `json:"webhook_url"`
	Status          string    `json:"status"` // "active" or "disabled"
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
	// WebhookEvents are the event types (or "group.*") the webhook
	// endpoint receives; empty means every event.
	WebhookEvents []string `json:"webhook_events"`
	// LastUsedAt is the last time any of its secrets authenticated
	// (absent: never).
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	// ActiveSecrets and NextExpiryAt (the earliest expiry of an active
	// secret) come in lists only.
	ActiveSecrets *int       `json:"active_secrets,omitempty"`
	NextExpiryAt  *time.Time `json:"next_expiry_at,omitempty"`
}

// CreateClient is the body of POST /v1/clients.
type CreateClient struct {
	Name            string   `json:"name"`
	Description     string   `json:"description,omitempty"`
	Scopes          []string `json:"scopes,omitempty"`
	TokenTTLSeconds int      `json:"token_ttl_seconds,omitempty"`
	WebhookURL      string   `json:"webhook_url,omitempty"`
	// WebhookEvents selects the events the endpoint receives (absent or
	// empty: every event).
	WebhookEvents []string `json:"webhook_events,omitempty"`
}

// UpdateClient is the body of PATCH /v1/clients/{client_id}; absent fields
// stay as they are.
type UpdateClient struct {
	Name            *string   `json:"name,omitempty"`
	Description     *string   `json:"description,omitempty"`
	Scopes          *[]string `json:"scopes,omitempty"`
	TokenTTLSeconds *int      `json:"token_ttl_seconds,omitempty"`
	WebhookURL      *string   `json:"webhook_url,omitempty"`
	Disabled        *bool     `json:"disabled,omitempty"`
	// WebhookEvents replaces the event selection; [] means every event.
	WebhookEvents *[]string `json:"webhook_events,omitempty"`
}

// ClientList is a page of clients.
type ClientList struct {
	Items      []Client `json:"items"`
	NextCursor string   `json:"next_cursor,omitempty"`
}

// Secret is a client secret as the API shows it: never its value.
type Secret struct {
	ID           string     `json:"id"`
	ClientID     string     `json:"client_id"`
	Description  string     `json:"description"`
	Hint         string     `json:"hint"`   // last four characters
	Masked       string     `json:"masked"` // e.g. "kws_…a1B2"
	Origin       string     `json:"origin"` // "generated" or "supplied"
	Status       string     `json:"status"` // "active", "expired" or "revoked"
	New          bool       `json:"new"`    // the newest of two or more active secrets
	CreatedAt    time.Time  `json:"created_at"`
	CreatedBy    string     `json:"created_by"`
	ExpiresAt    *time.Time `json:"expires_at"`
	RevokedAt    *time.Time `json:"revoked_at"`
	LastUsedAt   *time.Time `json:"last_used_at"`
	LastUsedFrom string     `json:"last_used_from,omitempty"`
	// AllowedCIDRs, when not empty, are the only networks the secret
	// authenticates from.
	AllowedCIDRs []string `json:"allowed_cidrs"`
	// KeepTokens is set on a secret revoked gracefully: its access tokens
	// run out on their own instead of dying with it.
	KeepTokens bool `json:"keep_tokens"`
}

// CreatedSecret is a new secret with its value, returned once.
type CreatedSecret struct {
	Secret
	Value string `json:"secret"`
}

// CreateSecret is the body of POST /v1/clients/{client_id}/secrets.
type CreateSecret struct {
	Description  string     `json:"description"`
	ExpiresAt    *time.Time `json:"expires_at,omitempty"` // absent: the policy's maximum
	NeverExpires bool       `json:"never_expires,omitempty"`
	Value        *string    `json:"value,omitempty"` // absent: generate one
	AllowedCIDRs []string   `json:"allowed_cidrs,omitempty"`
}

// UpdateSecret is the body of PATCH /v1/clients/{client_id}/secrets/{id}.
type UpdateSecret struct {
	Description  *string    `json:"description,omitempty"`
	ExpiresAt    *time.Time `json:"expires_at,omitempty"`
	NeverExpires bool       `json:"never_expires,omitempty"`
	AllowedCIDRs *[]string  `json:"allowed_cidrs,omitempty"`
}

// SecretList is a client's secrets, oldest first.
type SecretList struct {
	Items      []Secret `json:"items"`
	NextCursor string   `json:"next_cursor,omitempty"`
}

// Rotate is the body of POST /v1/clients/{client_id}/secrets/rotate.
type Rotate struct {
	Description  string     `json:"description,omitempty"`
	ExpiresAt    *time.Time `json:"expires_at,omitempty"`
	GraceSeconds *int       `json:"grace_seconds,omitempty"`
	// AutoComplete revokes the old secrets by itself once they are idle.
	AutoComplete bool `json:"auto_complete,omitempty"`
	// QuietSeconds is how long the old secrets must go unused, after the
	// new one has authenticated, to count as idle (default 3600).
	QuietSeconds *int `json:"quiet_seconds,omitempty"`
	// KeepTokens makes completion (automatic or by hand) revoke the old
	// secrets gracefully: their access tokens run out on their own.
	KeepTokens bool `json:"keep_tokens,omitempty"`
	// Replace abandons a rotation still open (its new secret is revoked)
	// instead of answering 409.
	Replace bool `json:"replace,omitempty"`
}

// RotateResult is the answer to a rotate: the new secret (with its value,
// once), the secrets that were active before it, and the rotation record.
type RotateResult struct {
	CreatedSecret
	Previous []Secret       `json:"previous"`
	Rotation RotationStatus `json:"rotation"`
}

// RotationStatus is a tracked rotation.
type RotationStatus struct {
	ID           string     `json:"id"`
	ClientID     string     `json:"client_id"`
	State        string     `json:"state"` // started, new_secret_in_use, old_secret_idle, completed, abandoned
	SafeToRevoke bool       `json:"safe_to_revoke"`
	NewSecret    Secret     `json:"new_secret"`
	OldSecrets   []Secret   `json:"old_secrets"`
	StartedAt    time.Time  `json:"started_at"`
	StartedBy    string     `json:"started_by"`
	AutoComplete bool       `json:"auto_complete"`
	QuietSeconds int        `json:"quiet_seconds"`
	KeepTokens   bool       `json:"keep_tokens"`
	CompletedAt  *time.Time `json:"completed_at"`
	CompletedBy  string     `json:"completed_by,omitempty"`
}

// RotationList is a client's rotations, newest first.
type RotationList struct {
	Items      []RotationStatus `json:"items"`
	NextCursor string           `json:"next_cursor,omitempty"`
}

// CompleteRotation is the body of POST …/rotations/{id}/complete.
type CompleteRotation struct {
	// KeepTokens lets the old secrets' access tokens run out (graceful);
	// by default they die with the secrets.
	KeepTokens bool `json:"keep_tokens,omitempty"`
	// Force completes even while an old secret is still in use.
	Force bool `json:"force,omitempty"`
}

// RefreshToken is a refresh token as the API shows it: never its value.
type RefreshToken struct {
	ID        string     `json:"id"`
	ClientID  string     `json:"client_id"`
	Hint      string     `json:"hint"`
	Status    string     `json:"status"` // active, used, expired, revoked
	CreatedAt time.Time  `json:"created_at"`
	CreatedBy string     `json:"created_by"`
	ExpiresAt time.Time  `json:"expires_at"`
	UsedAt    *time.Time `json:"used_at"`
	RevokedAt *time.Time `json:"revoked_at"`
	// RevokedReason says why a revoked token was: reuse, client,
	// revoke_all or leaked.
	RevokedReason string `json:"revoked_reason,omitempty"`
}

// CreatedRefreshToken is a new refresh token with its value, returned once.
type CreatedRefreshToken struct {
	RefreshToken
	Value string `json:"refresh_token"`
}

// RefreshTokenList is a client's refresh tokens, newest first.
type RefreshTokenList struct {
	Items      []RefreshToken `json:"items"`
	NextCursor string         `json:"next_cursor,omitempty"`
}

// SigningKey is a published token-signing key.
type SigningKey struct {
	ID         string    `json:"kid"`
	Algorithm  string    `json:"alg"`
	CreatedAt  time.Time `json:"created_at"`
	ActiveFrom time.Time `json:"active_from"`
	Signing    bool      `json:"signing"` // the key that signs new tokens now
}

// SigningKeyList is the published keys, oldest first.
type SigningKeyList struct {
	Items []SigningKey `json:"items"`
}

// RotateKeys is the body of POST /v1/keys/rotate.
type RotateKeys struct {
	// DelaySeconds is how long the new key is published before it signs
	// (default: the server's --key-activation-delay).
	DelaySeconds *int `json:"delay_seconds,omitempty"`
}

// RevokeAll is the answer to POST /v1/clients/{client_id}/revoke-all.
type RevokeAll struct {
	ClientID string `json:"client_id"`
	Revoked  int    `json:"revoked"`
}

// Policy is an organisation's policy.
type Policy struct {
	RequireMFA               bool           `json:"require_mfa"`
	MaxSecretLifetimeDays    map[string]int `json:"max_secret_lifetime_days"`
	AllowNeverExpire         bool           `json:"allow_never_expire"`
	PersonalCredentials      string         `json:"personal_credentials"`
	RefuseCredentialsWithMFA bool           `json:"refuse_credentials_with_mfa"`
	AccessTokenTTLSeconds    int            `json:"access_token_ttl_seconds"`
	// LeakResponse is what a confirmed leak of a live secret does:
	// "revoke" or "quarantine" (docs/leaks.md).
	LeakResponse string `json:"leak_response"`
	// LeakQuarantineHours is how long a quarantined secret keeps working.
	LeakQuarantineHours int `json:"leak_quarantine_hours"`
	// PersonalRevocation is who may revoke a personal credential:
	// "super_admins" (the owner, and a super admin anyone's) or "owner"
	// (seed 001: only the owner). Disabling or deleting a user kills their
	// credential in both.
	PersonalRevocation string `json:"personal_revocation"`
	// LegacyPasswordLogin is seed 000's migration: users created before
	// LegacyPasswordCreatedBefore may use their console password as the
	// secret at POST /v1/auth/login until LegacyPasswordUntil, or until
	// they change their password or generate a personal credential.
	LegacyPasswordLogin         bool       `json:"legacy_password_login"`
	LegacyPasswordCreatedBefore *time.Time `json:"legacy_password_created_before,omitempty"`
	LegacyPasswordUntil         *time.Time `json:"legacy_password_until,omitempty"`
	// RequirePersonalCredential requires an active personal credential,
	// within the role's maximum lifetime, of every enabled user who may
	// hold one; credentials created before PersonalCredentialRotateFrom
	// must be replaced by PersonalCredentialRotateBy.
	RequirePersonalCredential    bool       `json:"require_personal_credential"`
	PersonalCredentialRotateBy   *time.Time `json:"personal_credential_rotate_by,omitempty"`
	PersonalCredentialRotateFrom *time.Time `json:"personal_credential_rotate_from,omitempty"`
	// CredentialRequiredEvents sends user.credential_required to the
	// organisation's webhook endpoints.
	CredentialRequiredEvents bool `json:"credential_required_events"`
	// LocalLoginDisabled refuses password sign-in to all but the
	// BreakGlassUsers (docs/oidc.md).
	LocalLoginDisabled bool     `json:"local_login_disabled"`
	BreakGlassUsers    []string `json:"break_glass_users"`
	// AllowFederatedPersonalCredentials lets users who sign in through an
	// identity provider hold personal credentials (off: seed 001).
	AllowFederatedPersonalCredentials bool `json:"allow_federated_personal_credentials"`
}

// UpdatePolicy is the body of PATCH /v1/policy; absent fields stay.
type UpdatePolicy struct {
	RequireMFA               *bool          `json:"require_mfa,omitempty"`
	MaxSecretLifetimeDays    map[string]int `json:"max_secret_lifetime_days,omitempty"`
	AllowNeverExpire         *bool          `json:"allow_never_expire,omitempty"`
	PersonalCredentials      *string        `json:"personal_credentials,omitempty"`
	RefuseCredentialsWithMFA *bool          `json:"refuse_credentials_with_mfa,omitempty"`
	AccessTokenTTLSeconds    *int           `json:"access_token_ttl_seconds,omitempty"`
	LeakResponse             *string        `json:"leak_response,omitempty"`
	LeakQuarantineHours      *int           `json:"leak_quarantine_hours,omitempty"`
	PersonalRevocation       *string        `json:"personal_revocation,omitempty"`
	LegacyPasswordLogin      *bool          `json:"legacy_password_login,omitempty"`
	// The dates are RFC 3339 times; "" clears one.
	LegacyPasswordCreatedBefore *string `json:"legacy_password_created_before,omitempty"`
	LegacyPasswordUntil         *string `json:"legacy_password_until,omitempty"`
	RequirePersonalCredential   *bool   `json:"require_personal_credential,omitempty"`
	PersonalCredentialRotateBy  *string `json:"personal_credential_rotate_by,omitempty"`
	CredentialRequiredEvents    *bool   `json:"credential_required_events,omitempty"`
	LocalLoginDisabled          *bool   `json:"local_login_disabled,omitempty"`
	// BreakGlassUsers replaces the list ([] empties it).
	BreakGlassUsers                   *[]string `json:"break_glass_users,omitempty"`
	AllowFederatedPersonalCredentials *bool     `json:"allow_federated_personal_credentials,omitempty"`
}

// AuditEvent is one audit record.
type AuditEvent struct {
	Seq       int64             `json:"seq"`
	ID        string            `json:"id"`
	At        time.Time         `json:"at"`
	ActorKind string            `json:"actor_kind"`
	ActorID   string            `json:"actor_id"`
	Action    string            `json:"action"`
	Target    string            `json:"target"`
	Source    string            `json:"source"`
	Result    string            `json:"result"`
	Detail    map[string]string `json:"detail,omitempty"`
	// Changes are the fields the action changed, before and after.
	Changes []AuditChange `json:"changes,omitempty"`
	// Names names the IDs the event holds (actor, target, IDs in the
	// detail) that still exist: a client's name, a secret's description,
	// a user's email.
	Names map[string]AuditName `json:"names,omitempty"`
}

// AuditChange is one field an action changed.
type AuditChange struct {
	Field  string `json:"field"`
	Before string `json:"before"`
	After  string `json:"after"`
}

// AuditName is what an ID in an event refers to.
type AuditName struct {
	Kind     string `json:"kind"`
	Name     string `json:"name"`
	ClientID string `json:"client_id,omitempty"`
}

// AuditList is a page of audit events, newest first.
type AuditList struct {
	Items      []AuditEvent `json:"items"`
	NextCursor string       `json:"next_cursor,omitempty"`
}

// Health is the body of /healthz and /readyz.
type Health struct {
	Status string `json:"status"`
}

// Problem is an RFC 9457 problem details body.
type Problem struct {
	Type     string       `json:"type"`
	Title    string       `json:"title"`
	Status   int          `json:"status"`
	Detail   string       `json:"detail,omitempty"`
	Instance string       `json:"instance,omitempty"` // the request ID, also in the log line
	Errors   []FieldError `json:"errors,omitempty"`
}

// FieldError names one invalid input field.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (p *Problem) Error() string {
	s := p.Title
	if p.Detail != "" {
		s += ": " + p.Detail
	}
	for _, f := range p.Errors {
		if f.Field != "" {
			s += "; " + f.Field + " " + f.Message
		} else {
			s += "; " + f.Message
		}
	}
	return s
}

// User is a person in the organisation.
type User struct {
	ID                 string     `json:"id"`
	Email              string     `json:"email"`
	Role               string     `json:"role"`
	Status             string     `json:"status"` // active or disabled
	MFAEnabled         bool       `json:"mfa_enabled"`
	MustChangePassword bool       `json:"must_change_password"`
	CreatedAt          time.Time  `json:"created_at"`
	DisabledAt         *time.Time `json:"disabled_at"`
	// SignIn is how the user signs in: "local" (a password) or the ID of
	// the identity provider they are linked to (docs/oidc.md).
	SignIn string `json:"sign_in"`
}

// UserList is the organisation's users.
type UserList struct {
	Items []User `json:"items"`
}

// InviteUser is the body of POST /v1/users.
type InviteUser struct {
	Email string `json:"email"`
	Role  string `json:"role"`
}

// InvitedUser is a new user with their one-time password, shown once.
type InvitedUser struct {
	User
	OneTimePassword string `json:"one_time_password"`
}

// UpdateUser is the body of PATCH /v1/users/{id}.
type UpdateUser struct {
	Role     *string `json:"role,omitempty"`
	Disabled *bool   `json:"disabled,omitempty"`
}

// Me is the caller's own account.
type Me struct {
	User
	OrganizationID string `json:"organization_id"`
	Organization   string `json:"organization"`
	// Restricted, when set, says what the caller must do before anything
	// else (change a one-time password, enrol MFA).
	Restricted string `json:"restricted,omitempty"`
}

// ChangePassword is the body of POST /v1/me/password.
type ChangePassword struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

// Login is the body of POST /v1/sessions.
type Login struct {
	Email        string `json:"email"`
	Password     string `json:"password"`
	Organization string `json:"organization,omitempty"`
	TOTPCode     string `json:"totp_code,omitempty"`
	RecoveryCode string `json:"recovery_code,omitempty"`
}

// Session is a login session (never its token).
type Session struct {
	ID        string    `json:"id"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	Source    string    `json:"source"`
	UserAgent string    `json:"user_agent"`
	Current   bool      `json:"current"`
}

// SessionList is the caller's open sessions.
type SessionList struct {
	Items      []Session `json:"items"`
	NextCursor string    `json:"next_cursor,omitempty"`
}

// NewSession is the answer to a login: the bearer token, shown once.
type NewSession struct {
	Token   string  `json:"token"`
	Session Session `json:"session"`
	User    User    `json:"user"`
}

// MFAEnrolment is a started TOTP enrolment.
type MFAEnrolment struct {
	Secret     string `json:"secret"`
	OTPAuthURI string `json:"otpauth_uri"`
	// QRCodePNG is the otpauth URI as a PNG QR code, base64.
	QRCodePNG string `json:"qr_code_png"`
}

// MFACode is a body carrying a TOTP or recovery code.
type MFACode struct {
	Code string `json:"code"`
}

// RecoveryCodes are shown once when MFA is turned on.
type RecoveryCodes struct {
	RecoveryCodes []string `json:"recovery_codes"`
}

// PersonalCredential is a user's personal credential (never the value).
type PersonalCredential struct {
	ClientID string   `json:"client_id"`
	UserID   string   `json:"user_id"`
	Active   *Secret  `json:"active"`
	Secrets  []Secret `json:"secrets"`
}

// CreatePersonalCredential is the body of POST /v1/me/credential.
type CreatePersonalCredential struct {
	Description  string     `json:"description,omitempty"`
	ExpiresAt    *time.Time `json:"expires_at,omitempty"`
	NeverExpires bool       `json:"never_expires,omitempty"`
}

// RotatePersonalCredential is the body of POST /v1/me/credential/rotate.
type RotatePersonalCredential struct {
	CreatePersonalCredential
	// GraceSeconds is how long the old secret keeps working (default 3600).
	GraceSeconds *int `json:"grace_seconds,omitempty"`
}

// CreatedPersonalCredential carries the value, shown once.
type CreatedPersonalCredential struct {
	ClientID  string     `json:"client_id"`
	Secret    string     `json:"client_secret"`
	SecretID  string     `json:"secret_id"`
	Hint      string     `json:"hint"`
	ExpiresAt *time.Time `json:"expires_at"`
}

// APIToken is an admin API token of the caller (never its value).
type APIToken struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Hint string `json:"hint"`
	// Status is "active", "expired" or "revoked".
	Status       string     `json:"status"`
	CreatedAt    time.Time  `json:"created_at"`
	ExpiresAt    *time.Time `json:"expires_at"`
	RevokedAt    *time.Time `json:"revoked_at"`
	LastUsedAt   *time.Time `json:"last_used_at"`
	LastUsedFrom string     `json:"last_used_from"`
	// ReplacedBy is the ID of the token a rotation replaced this one with.
	ReplacedBy string `json:"replaced_by"`
	// Bootstrap marks the token that keywarden init created.
	Bootstrap bool `json:"bootstrap"`
	// Current is whether this request came through this token.
	Current bool `json:"current"`
}

// APITokenList is the caller's API tokens, newest first.
type APITokenList struct {
	Items []APIToken `json:"items"`
}

// CreateAPIToken is the body of POST /v1/api-tokens.
type CreateAPIToken struct {
	Name      string     `json:"name"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// RotateAPIToken is the optional body of POST /v1/api-tokens/{id}/rotate.
type RotateAPIToken struct {
	// OverlapSeconds is how long the old token keeps working (default 0:
	// revoked at once; at most 86400).
	OverlapSeconds *int       `json:"overlap_seconds,omitempty"`
	ExpiresAt      *time.Time `json:"expires_at,omitempty"`
}

// CreatedAPIToken carries a new token's value, shown once.
type CreatedAPIToken struct {
	Token    string   `json:"token"`
	APIToken APIToken `json:"api_token"`
}

// PasswordLogin is the body of POST /v1/auth/login: seed 000's shape, the
// personal credential's secret in the password field.
type PasswordLogin struct {
	Email        string `json:"email"`
	Password     string `json:"password"`
	Organization string `json:"organization,omitempty"`
}

// AccessToken is an OAuth-style token answer.
type AccessToken struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
}

// ClientKey is a public key a client authenticates with (private_key_jwt):
// a credential like a secret, with status, expiry and last use.
type ClientKey struct {
	ID         string          `json:"id"`
	ClientID   string          `json:"client_id"`
	KID        string          `json:"kid"`
	Alg        string          `json:"alg"`
	Thumbprint string          `json:"thumbprint"`    // RFC 7638, SHA-256, base64url
	JWK        json.RawMessage `json:"jwk,omitempty"` // the public key only; absent for a jwks_uri
	// JWKSURI is the client's JWK Set URL, for an entry registered with one.
	JWKSURI string `json:"jwks_uri,omitempty"`
	// Description says what the key is for.
	Description  string     `json:"description"`
	Status       string     `json:"status"` // "active", "expired" or "revoked"
	CreatedAt    time.Time  `json:"created_at"`
	CreatedBy    string     `json:"created_by"`
	ExpiresAt    *time.Time `json:"expires_at"`
	RevokedAt    *time.Time `json:"revoked_at"`
	LastUsedAt   *time.Time `json:"last_used_at"`
	LastUsedFrom string     `json:"last_used_from,omitempty"`
}

// CreateClientKey is the body of POST /v1/clients/{client_id}/keys.
type CreateClientKey struct {
	// JWK is the public key as a JSON Web Key object; private material
	// and symmetric keys are refused.
	JWK json.RawMessage `json:"jwk,omitempty"`
	// JWKSURI, instead of JWK: the https URL of the client's JWK Set,
	// fetched (through the server's SSRF guard) and cached.
	JWKSURI      string     `json:"jwks_uri,omitempty"`
	Description  string     `json:"description,omitempty"`
	ExpiresAt    *time.Time `json:"expires_at,omitempty"` // absent: the policy's maximum
	NeverExpires bool       `json:"never_expires,omitempty"`
}

// UpdateClientKey is the body of PATCH /v1/clients/{client_id}/keys/{id}.
type UpdateClientKey struct {
	Description  *string    `json:"description,omitempty"`
	ExpiresAt    *time.Time `json:"expires_at,omitempty"`
	NeverExpires bool       `json:"never_expires,omitempty"`
}

// ClientKeyList is a client's keys, oldest first.
type ClientKeyList struct {
	Items []ClientKey `json:"items"`
}
