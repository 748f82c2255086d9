package apiv1

import "time"

// Overview is the body of GET /v1/overview: the organisation's credential
// health, each item naming what to fix.
type Overview struct {
	GeneratedAt time.Time `json:"generated_at"`
	// ExpiringWithin counts active secrets expiring within 1, 7 and 14
	// days (keys "1d", "7d", "14d"); Expiring lists them (up to 20).
	ExpiringWithin map[string]int   `json:"expiring_within"`
	Expiring       []OverviewSecret `json:"expiring"`
	// UnusedDays is the threshold of Unused: active secrets not used for
	// that long (never-used ones count from their creation).
	UnusedDays     int              `json:"unused_days"`
	UnusedCount    int              `json:"unused_count"`
	Unused         []OverviewSecret `json:"unused"`
	NoSecretCount  int              `json:"clients_without_secret_count"`
	NoActiveSecret []OverviewClient `json:"clients_without_secret"`
	// FailingWebhooks are endpoints failing or disabled.
	FailingWebhooks []OverviewClient   `json:"failing_webhooks"`
	Rotations       []OverviewRotation `json:"rotations_in_progress"`
	// Users: enabled users without MFA, without a personal credential, and
	// with one that should be rotated (older than 90 days or expiring
	// within 14).
	UsersWithoutMFA        []OverviewUser `json:"users_without_mfa"`
	UsersWithoutCredential []OverviewUser `json:"users_without_credential"`
	UsersToRotate          []OverviewUser `json:"users_credential_to_rotate"`
	// FailedAuthentications counts failed authentications and logins in
	// the last 24 hours against the daily average of the week before.
	FailedAuthentications FailedAuthentications `json:"failed_authentications"`
	// Leaks are the values leak reports confirmed in the last 30 days,
	// newest first (up to 20): what leaked, where, and what was done.
	Leaks []Leak `json:"leaks"`
	// LegacyPasswordUsers are the users who may still log in at POST
	// /v1/auth/login with their console password (seed 000's migration)
	// until LegacyPasswordUntil (absent: the migration is off). Each is
	// fixed by the user generating a personal credential (My account →
	// Credentials) or changing their password.
	LegacyPasswordUsers []OverviewUser `json:"users_on_legacy_password"`
	LegacyPasswordUntil *time.Time     `json:"legacy_password_until,omitempty"`
	// CredentialRequired are the users who do not comply with the
	// policy's require_personal_credential: "missing" (no active
	// credential), "lifetime" (it never expires or outlives the role's
	// maximum), "rotate" (it must be replaced by rotate_by) or "overdue"
	// (rotate_by has passed).
	CredentialRequired []OverviewCompliance `json:"users_credential_required"`
}

// OverviewCompliance is a user who does not comply with the personal
// credential requirement, and why.
type OverviewCompliance struct {
	UserID   string     `json:"user_id"`
	Email    string     `json:"email"`
	State    string     `json:"state"`
	RotateBy *time.Time `json:"rotate_by,omitempty"`
}

// OverviewSecret is a secret named in the overview.
type OverviewSecret struct {
	SecretID    string     `json:"secret_id"`
	ClientID    string     `json:"client_id"`
	ClientName  string     `json:"client_name"`
	Description string     `json:"description"`
	ExpiresAt   *time.Time `json:"expires_at,omitempty"`
	LastUsedAt  *time.Time `json:"last_used_at,omitempty"`
}

// OverviewClient is a client named in the overview.
type OverviewClient struct {
	ClientID string    `json:"client_id"`
	Name     string    `json:"name"`
	Since    time.Time `json:"since"`
	Detail   string    `json:"detail,omitempty"`
}

// OverviewRotation is a rotation in progress.
type OverviewRotation struct {
	RotationID   string    `json:"rotation_id"`
	ClientID     string    `json:"client_id"`
	State        string    `json:"state"`
	SafeToRevoke bool      `json:"safe_to_revoke"`
	StartedAt    time.Time `json:"started_at"`
}

// OverviewUser is a user named in the overview.
type OverviewUser struct {
	UserID string `json:"user_id"`
	Email  string `json:"email"`
}

// FailedAuthentications is the overview's failure figure.
type FailedAuthentications struct {
	Last24Hours        int     `json:"last_24_hours"`
	DailyAverageBefore float64 `json:"daily_average_week_before"`
	Spike              bool    `json:"spike"`
}
