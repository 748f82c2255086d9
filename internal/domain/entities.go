package domain

import "time"

// Organization is a tenant. Nothing crosses organisations.
type Organization struct {
	ID        OrgID
	Name      string
	Policy    Policy
	CreatedAt time.Time
}

// User is a person with a console login in one organisation.
type User struct {
	ID           UserID
	OrgID        OrgID
	Email        string
	Role         Role
	PasswordHash string // argon2id, PHC string
	// MustChangePassword is set for a one-time password (init, invitations).
	MustChangePassword bool
	CreatedAt          time.Time
	DisabledAt         *time.Time
	PasswordChangedAt  *time.Time
	// TOTPSealed is the TOTP secret under AES-256-GCM: set when enrolment
	// starts, used once MFAEnabled is set by a confirming code.
	TOTPSealed []byte
	MFAEnabled bool
	// TOTPLastStep is the last TOTP time step accepted: a code is good once.
	TOTPLastStep int64
	// RecoveryCodes are keyed hashes (hex) of the unused recovery codes.
	RecoveryCodes []string
	// LegacyPasswordEndedAt is when the user's seed-000 legacy password
	// login ended for good: their first password change or personal
	// credential (Policy.LegacyPasswordAllowed).
	LegacyPasswordEndedAt *time.Time
	// IdentityProvider and IdentitySubject link the user to their identity
	// at an OpenID Connect provider (both empty for a local user): a
	// federated user (docs/oidc.md). The link stays when the provider is
	// deleted.
	IdentityProvider IdentityProviderID
	IdentitySubject  string
}

// Federated reports whether the user signs in through an identity
// provider.
func (u User) Federated() bool { return u.IdentityProvider != "" }

// Session is a console or API login of a user.
type Session struct {
	ID        SessionID
	OrgID     OrgID
	UserID    UserID
	Verifier  []byte
	CreatedAt time.Time
	ExpiresAt time.Time
	EndedAt   *time.Time
	Source    string
	UserAgent string
	// IdentityProvider is the provider the session was opened through (""
	// for a password login).
	IdentityProvider IdentityProviderID
}

// APIToken is a bearer token for the admin API that acts as its user.
// Only its keyed verifier is stored.
type APIToken struct {
	ID     APITokenID
	OrgID  OrgID
	UserID UserID
	// Name says what the token is for; the one keyword init creates is
	// named BootstrapTokenName.
	Name     string
	Verifier []byte
	// Digest is SHA-256 of the value, as for Secret.Digest; write-only.
	Digest    []byte
	Hint      string
	CreatedAt time.Time
	// ExpiresAt is nil only for tokens from before tokens expired.
	ExpiresAt *time.Time
	RevokedAt *time.Time
	// LastUsedAt and LastUsedFrom are written in batches, so they lag the
	// last request by up to the flush interval.
	LastUsedAt   *time.Time
	LastUsedFrom string
	// ReplacedBy is set on a token that was rotated: the token that took
	// its place. A token is rotated once.
	ReplacedBy APITokenID
}

// BootstrapTokenName names the API token that init creates.
const BootstrapTokenName = "bootstrap (keywarden init)"

// APITokenState is where an API token stands.
type APITokenState string

const (
	APITokenActive  APITokenState = "active"
	APITokenExpired APITokenState = "expired"
	APITokenRevoked APITokenState = "revoked"
)

// State returns the token's state at now.
func (t APIToken) State(now time.Time) APITokenState {
	switch {
	case t.RevokedAt != nil && !now.Before(*t.RevokedAt):
		return APITokenRevoked
	case t.ExpiresAt != nil && !now.Before(*t.ExpiresAt):
		return APITokenExpired
	}
	return APITokenActive
}

// APITokenUse is one successful request with an API token.
type APITokenUse struct {
	TokenID APITokenID
	At      time.Time
	From    string
}

// Client is an application that calls APIs.
type Client struct {
	ID          ClientID // the public client_id
	OrgID       OrgID
	Name        string
	Description string
	Scopes      []string
	// TokenTTL is the access-token lifetime in seconds; 0 means the
	// organisation's default.
	TokenTTL   int
	WebhookURL string
	Disabled   bool
	CreatedAt  time.Time
	UpdatedAt  time.Time
	// TokensRevokedAt is set by revoke-all: every token issued at or
	// before it is inactive.
	TokensRevokedAt *time.Time
	// OwnerUserID is set on a personal credential: the client acts as
	// that user. Personal clients never appear in client lists.
	OwnerUserID UserID
	// WebhookEvents are the event types (or "group.*") the webhook
	// endpoint receives; empty means every event.
	WebhookEvents []string
	// LastUsedAt is the last time any of its secrets authenticated (as
	// the last-used flush recorded it); only the store writes it.
	LastUsedAt *time.Time
}

// Actor is who performs an action: a user (through a session, API token or
// personal credential), a client, or the system itself.
type Actor struct {
	OrgID  OrgID
	Kind   ActorKind
	ID     string // user ID, client ID or job name (see UserID)
	Role   Role   // for users
	Source string // remote address, "" for local commands
	// SessionID is set when the actor came through a login session.
	SessionID SessionID
	// APITokenID is set when the actor came through an API token.
	APITokenID APITokenID
	// ViaCredential is set when the actor is a user acting through a
	// personal credential's access token: it may use the API with the
	// user's role, but not manage the user's own login (password, MFA,
	// sessions), so a leaked credential cannot take the account over.
	ViaCredential bool
	// Restricted, when set, says why this actor may only do what fixes it
	// (change a one-time password, enrol MFA) and nothing else.
	Restricted string
}

// ActorKind says what kind of thing an Actor is.
type ActorKind string

const (
	ActorUser   ActorKind = "user"
	ActorClient ActorKind = "client"
	ActorSystem ActorKind = "system"
)

// System returns the actor for background jobs and local commands.
func System(org OrgID, name string) Actor {
	return Actor{OrgID: org, Kind: ActorSystem, ID: name}
}

// UserActor returns the actor for a user of org.
func UserActor(org OrgID, id UserID, role Role, source string) Actor {
	return Actor{OrgID: org, Kind: ActorUser, ID: string(id), Role: role, Source: source}
}

// ClientActor returns the actor for a client of org (an empty org: a
// client that is not known).
func ClientActor(org OrgID, id ClientID, source string) Actor {
	return Actor{OrgID: org, Kind: ActorClient, ID: string(id), Source: source}
}

// UserID returns the user the actor is, or "" when it is not a user.
func (a Actor) UserID() UserID {
	if a.Kind != ActorUser {
		return ""
	}
	return UserID(a.ID)
}

// ClientAuth is a client that proved who it is: what the token issuer
// needs to know of it.
type ClientAuth struct {
	Client   Client
	SecretID SecretID // the secret that authenticated (never its value)
	// KeyID is the public key whose signed assertion authenticated
	// (private_key_jwt); SecretID is then "".
	KeyID ClientKeyID
	// Owner is the user a personal credential acts as ("" for a client).
	Owner UserID
	// OrgTokenTTL is the organisation's default access-token lifetime in
	// seconds (Policy.AccessTokenTTLSeconds).
	OrgTokenTTL int
}

// TokenTTL is the lifetime of the access tokens the client gets: its own,
// or its organisation's default.
func (a ClientAuth) TokenTTL() int {
	if a.Client.TokenTTL != 0 {
		return a.Client.TokenTTL
	}
	return a.OrgTokenTTL
}

// Subject is whom the client's tokens speak for: the user a personal
// credential acts as, else the client itself.
func (a ClientAuth) Subject() string {
	if a.Owner != "" {
		return string(a.Owner)
	}
	return string(a.Client.ID)
}
