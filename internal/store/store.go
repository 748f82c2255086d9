package store

import (
	"context"
	"time"

	"keywarden/internal/domain"
)

// Store is implemented by every backend. Times are kept in UTC with
// microsecond precision; callers compare them with time.Time.Equal.
type Store interface {
	Organizations
	Users
	APITokens
	Clients
	Secrets
	AuditLog
	SigningKeys
	RefreshTokens
	RevokedTokens
	Rotations
	Webhooks
	Notifier
	DataKeys

	// InTx runs fn in one transaction and commits it when fn returns nil.
	// It may run fn again after a serialization failure, so fn must not
	// have effects outside tx. InTx on a transaction's Store just calls fn.
	InTx(ctx context.Context, fn func(tx Store) error) error
	// Ping checks that the database answers.
	Ping(ctx context.Context) error
	Close() error
}

// Organizations are tenants.
type Organizations interface {
	CreateOrg(ctx context.Context, o domain.Organization) error
	GetOrg(ctx context.Context, id string) (domain.Organization, error)
	UpdatePolicy(ctx context.Context, id string, p domain.Policy) error
}

// Users are console and API users.
type Users interface {
	// CreateUser fails with domain.ErrConflict when the email is taken in
	// the organisation.
	CreateUser(ctx context.Context, u domain.User) error
	GetUser(ctx context.Context, org, id string) (domain.User, error)
	// ListUsers returns an organisation's users, oldest first.
	ListUsers(ctx context.Context, org string) ([]domain.User, error)
	// UsersByEmail finds the users with an email in every organisation
	// (login happens before the organisation is known).
	UsersByEmail(ctx context.Context, email string) ([]domain.User, error)
	// UpdateUser stores role, password, disabled-at and MFA fields.
	UpdateUser(ctx context.Context, u domain.User) error
	// DeleteUser removes a user with their sessions, API tokens and
	// personal credential.
	DeleteUser(ctx context.Context, org, id string) error
	// CountActiveSuperAdmins counts enabled super admins.
	CountActiveSuperAdmins(ctx context.Context, org string) (int, error)

	CreateSession(ctx context.Context, x domain.Session) error
	SessionByVerifier(ctx context.Context, verifier []byte) (domain.Session, error)
	// ListSessions returns a user's open, unexpired sessions, newest first.
	ListSessions(ctx context.Context, org, userID string, now time.Time) ([]domain.Session, error)
	// EndSession ends an open session (ErrNotFound if none).
	EndSession(ctx context.Context, org, id string, at time.Time) error
	EndUserSessions(ctx context.Context, org, userID string, at time.Time) (int, error)
	DeleteSessionsBefore(ctx context.Context, t time.Time) (int, error)
}

// APITokens are long-lived admin API bearer tokens.
type APITokens interface {
	CreateAPIToken(ctx context.Context, t domain.APIToken) error
	// APITokenByVerifier finds a token by the keyed HMAC of its value.
	APITokenByVerifier(ctx context.Context, verifier []byte) (domain.APIToken, error)
}

// Clients are API clients.
type Clients interface {
	CreateClient(ctx context.Context, c domain.Client) error
	GetClient(ctx context.Context, org, id string) (domain.Client, error)
	// LookupClient finds a client by its public ID alone, for protocol
	// endpoints where the organisation is not yet known.
	LookupClient(ctx context.Context, id string) (domain.Client, error)
	// PersonalClient returns a user's personal credential client.
	PersonalClient(ctx context.Context, org, userID string) (domain.Client, error)
	// ListClients returns clients in creation order, a page at a time;
	// personal credentials are not listed.
	ListClients(ctx context.Context, org string, page Page) ([]domain.Client, string, error)
	// UpdateClient stores name, description, scopes, token TTL, webhook
	// URL, disabled, tokens-revoked-at and updated-at.
	UpdateClient(ctx context.Context, c domain.Client) error
	// DeleteClient removes the client and, with it, its secrets.
	DeleteClient(ctx context.Context, org, id string) error
}

// Secrets are client secrets.
type Secrets interface {
	CreateSecret(ctx context.Context, s domain.Secret) error
	GetSecret(ctx context.Context, org, id string) (domain.Secret, error)
	// ListSecrets returns a client's secrets, oldest first.
	ListSecrets(ctx context.Context, org, clientID string) ([]domain.Secret, error)
	// SecretByVerifier finds a generated secret by the keyed HMAC of its
	// value (a unique column): one indexed read, never a scan.
	SecretByVerifier(ctx context.Context, verifier []byte) (domain.Secret, error)
	// UpdateSecret stores description, expiry and allowed CIDRs of an
	// unrevoked secret.
	UpdateSecret(ctx context.Context, s domain.Secret) error
	// RevokeSecret sets revoked-at (and the token mode, see
	// domain.Secret.KeepTokens) unless the secret is already revoked; a
	// revoked secret never comes back.
	RevokeSecret(ctx context.Context, org, id string, at time.Time, keepTokens bool) error
	// RevokeClientSecrets revokes every unrevoked secret of a client (their
	// tokens die) and returns how many it revoked.
	RevokeClientSecrets(ctx context.Context, org, clientID string, at time.Time) (int, error)
	// TouchLastUsed stores a batch of uses in one transaction; a later time
	// never loses to an earlier one.
	TouchLastUsed(ctx context.Context, uses []SecretUse) error
}

// SecretUse is one successful authentication with a secret.
type SecretUse struct {
	SecretID string
	At       time.Time
	From     string
}

// AuditLog is the hash-chained, append-only event log. One chain covers the
// whole installation, so a deleted organisation cannot hide its history.
type AuditLog interface {
	// AuditHead returns the last event's sequence number and hash (0 and
	// nil for an empty log) and, inside a transaction, holds the chain until
	// commit so that appends are serialised.
	AuditHead(ctx context.Context) (int64, []byte, error)
	// AppendAudit inserts e, whose Seq must be the head's plus one, and
	// moves the head.
	AppendAudit(ctx context.Context, e domain.AuditEvent) error
	// ListAudit returns an organisation's events, newest first.
	ListAudit(ctx context.Context, org string, f AuditFilter) ([]domain.AuditEvent, string, error)
	// ScanAudit returns up to limit events of every organisation with Seq
	// greater than after, in chain order.
	ScanAudit(ctx context.Context, after int64, limit int) ([]domain.AuditEvent, error)
}

// AuditFilter narrows ListAudit. Empty fields match everything.
type AuditFilter struct {
	Action  string // exact, or a prefix ending in "." (e.g. "secret.")
	ActorID string
	Target  string
	Since   time.Time
	Until   time.Time
	Page    Page
}

// Page asks for one page of a list: up to Limit items after the opaque
// cursor After ("" for the first page).
type Page struct {
	After string
	Limit int
}

// Page size limits.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

// Size returns the page size to use.
func (p Page) Size() int {
	switch {
	case p.Limit <= 0:
		return DefaultLimit
	case p.Limit > MaxLimit:
		return MaxLimit
	}
	return p.Limit
}

// SigningKeys are the keys that sign access tokens.
type SigningKeys interface {
	CreateSigningKey(ctx context.Context, k domain.SigningKey) error
	// ListSigningKeys returns every key, retired ones too, in the order
	// they start signing (ties by creation time).
	ListSigningKeys(ctx context.Context) ([]domain.SigningKey, error)
	RetireSigningKey(ctx context.Context, id string, at time.Time) error
}

// RefreshTokens are one-time refresh tokens.
type RefreshTokens interface {
	CreateRefreshToken(ctx context.Context, t domain.RefreshToken) error
	RefreshTokenByVerifier(ctx context.Context, verifier []byte) (domain.RefreshToken, error)
	// ListRefreshTokens returns a client's refresh tokens, newest first.
	ListRefreshTokens(ctx context.Context, org, clientID string) ([]domain.RefreshToken, error)
	// UseRefreshToken marks an unused, unrevoked token used and records the
	// access token it issued; it fails with domain.ErrConflict when the
	// token was used or revoked in the meantime.
	UseRefreshToken(ctx context.Context, id string, at time.Time, jti string, exp time.Time) error
	// ListRefreshFamily returns every token of a family.
	ListRefreshFamily(ctx context.Context, family string) ([]domain.RefreshToken, error)
	// RevokeRefreshFamily revokes every unrevoked token of a family.
	RevokeRefreshFamily(ctx context.Context, family string, at time.Time) (int, error)
	// RevokeClientRefreshTokens revokes every unrevoked token of a client.
	RevokeClientRefreshTokens(ctx context.Context, org, clientID string, at time.Time) (int, error)
	// DeleteRefreshTokensBefore removes tokens that expired before t.
	DeleteRefreshTokensBefore(ctx context.Context, t time.Time) (int, error)
}

// RevokedTokens is the access-token deny list.
type RevokedTokens interface {
	// AddRevokedToken puts a token on the list; adding it twice is not an error.
	AddRevokedToken(ctx context.Context, t domain.RevokedToken) error
	// ListRevokedTokens returns the entries that expire after t.
	ListRevokedTokens(ctx context.Context, t time.Time) ([]domain.RevokedToken, error)
	// DeleteRevokedTokensBefore removes entries that expired before t.
	DeleteRevokedTokensBefore(ctx context.Context, t time.Time) (int, error)
}

// Rotations track secret rotations.
type Rotations interface {
	CreateRotation(ctx context.Context, r domain.Rotation) error
	GetRotation(ctx context.Context, org, id string) (domain.Rotation, error)
	// ListRotations returns a client's rotations, newest first.
	ListRotations(ctx context.Context, org, clientID string) ([]domain.Rotation, error)
	// ListOpenAutoRotations returns every uncompleted rotation with
	// auto-complete on, across organisations, for the completion job.
	ListOpenAutoRotations(ctx context.Context) ([]domain.Rotation, error)
	// CompleteRotation marks an open rotation completed; ErrConflict when
	// it already was.
	CompleteRotation(ctx context.Context, org, id string, at time.Time, by string) error
}
