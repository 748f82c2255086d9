package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"keywarden/internal/domain"
)

// Data is every read and write of Keywarden's data: what a Store does on
// its own and a Tx does inside a transaction. Every method is one atomic
// step: a read–change–write of an entity is an UpdateX method (the row is
// locked while fn runs) or a conditional update, never a read followed by
// a write of the whole row.
type Data interface {
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
	Setup
	Stats
	Notifier
}

// Store is implemented by every backend. Times are kept in UTC with
// microsecond precision; callers compare them with time.Time.Equal.
type Store interface {
	Data
	Listener
	DataKeys

	// InTx runs fn in one transaction and commits it when fn returns nil.
	// It may run fn again after a serialization failure or a deadlock, so
	// fn must not have effects outside tx (collect them and apply them
	// after InTx returns). On PostgreSQL the transaction runs at READ
	// COMMITTED: what fn reads is not locked unless it reads through a Tx
	// lock or an UpdateX method.
	InTx(ctx context.Context, fn func(tx Tx) error) error
	// Ping checks that the database answers.
	Ping(ctx context.Context) error
	// PoolStats reports the connection pool (connections in use and
	// idle, waits for one), for the metrics.
	PoolStats() sql.DBStats
	Close() error
}

// Tx is what code inside a transaction gets: the data, and locks that hold
// until the transaction ends. It cannot open another transaction, listen,
// ping or close the store.
type Tx interface {
	Data
	Locks
}

// Locks hold rows until the transaction commits or rolls back, so that a
// rule that spans several rows (a limit on a client's secrets, the last
// super admin) holds when transactions race: the second waits for the
// first and then sees what it did. Take locks before other writes of the
// transaction (the audit append last), in the order organisation, user,
// client, to keep transactions from waiting on each other in a circle;
// a deadlock that happens anyway is retried by InTx.
type Locks interface {
	// LockSuperAdmins holds the organisation's set of super admins and
	// returns how many of them are enabled. Every change that can lower
	// that number (a demotion, a disable, a deletion) takes it first.
	LockSuperAdmins(ctx context.Context, org domain.OrgID) (int, error)
	// LockUser reads a user and holds the row: the personal credential a
	// user may hold once, and a login's last checks, are decided under it.
	LockUser(ctx context.Context, org domain.OrgID, id domain.UserID) (domain.User, error)
	// LockClient reads a client and holds the row: a change of the set of
	// its secrets (a new secret, a rotation, revoke-all) takes it first, so
	// that the limit of active secrets holds under concurrent creates.
	LockClient(ctx context.Context, org domain.OrgID, id domain.ClientID) (domain.Client, error)
}

// ErrNoChange, returned by the fn of an UpdateX method, leaves the row as
// it is: UpdateX returns the row as read and nil.
var ErrNoChange = errors.New("store: no change")

// Organizations are tenants.
type Organizations interface {
	CreateOrg(ctx context.Context, o domain.Organization) error
	GetOrg(ctx context.Context, id domain.OrgID) (domain.Organization, error)
	// UpdatePolicy locks the organisation, hands fn its policy and stores
	// what fn leaves (see ErrNoChange).
	UpdatePolicy(ctx context.Context, id domain.OrgID, fn func(p *domain.Policy) error) (domain.Policy, error)
}

// Users are console and API users.
type Users interface {
	// CreateUser fails with domain.ErrConflict when the email is taken in
	// the organisation.
	CreateUser(ctx context.Context, u domain.User) error
	GetUser(ctx context.Context, org domain.OrgID, id domain.UserID) (domain.User, error)
	// ListUsers returns an organisation's users, oldest first.
	ListUsers(ctx context.Context, org domain.OrgID) ([]domain.User, error)
	// UsersByEmail finds the users with an email in every organisation
	// (login happens before the organisation is known).
	UsersByEmail(ctx context.Context, email string) ([]domain.User, error)
	// UpdateUser locks the user, hands fn the user as stored and stores
	// what fn leaves of role, password, disabled-at and MFA fields (see
	// ErrNoChange). fn may run again when the transaction is retried.
	UpdateUser(ctx context.Context, org domain.OrgID, id domain.UserID, fn func(u *domain.User) error) (domain.User, error)
	// ConsumeTOTPStep records step as the last TOTP time step the user's
	// MFA accepted if it is later than the one recorded, and reports
	// whether it did: a code is good once (RFC 6238 §5.2), however many
	// logins present it at once.
	ConsumeTOTPStep(ctx context.Context, org domain.OrgID, id domain.UserID, step int64) (bool, error)
	// ConsumeRecoveryCode removes verifier from the user's unused
	// recovery codes and reports whether it was there, and how many
	// remain: each code admits one login, however many race.
	ConsumeRecoveryCode(ctx context.Context, org domain.OrgID, id domain.UserID, verifier string) (remaining int, ok bool, err error)
	// DeleteUser removes a user with their sessions, API tokens and
	// personal credential.
	DeleteUser(ctx context.Context, org domain.OrgID, id domain.UserID) error

	CreateSession(ctx context.Context, x domain.Session) error
	SessionByVerifier(ctx context.Context, verifier []byte) (domain.Session, error)
	// ListSessions returns a user's open, unexpired sessions, newest first.
	ListSessions(ctx context.Context, org domain.OrgID, userID domain.UserID, now time.Time) ([]domain.Session, error)
	// EndSession ends an open session (ErrNotFound if none).
	EndSession(ctx context.Context, org domain.OrgID, id domain.SessionID, at time.Time) error
	EndUserSessions(ctx context.Context, org domain.OrgID, userID domain.UserID, at time.Time) (int, error)
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
	GetClient(ctx context.Context, org domain.OrgID, id domain.ClientID) (domain.Client, error)
	// LookupClient finds a client by its public ID alone, for protocol
	// endpoints where the organisation is not yet known.
	LookupClient(ctx context.Context, id domain.ClientID) (domain.Client, error)
	// PersonalClient returns a user's personal credential client.
	PersonalClient(ctx context.Context, org domain.OrgID, userID domain.UserID) (domain.Client, error)
	// ListClients returns clients in creation order, a page at a time;
	// personal credentials are not listed.
	ListClients(ctx context.Context, org domain.OrgID, page domain.Page) ([]domain.Client, string, error)
	// SearchClients returns a page of the clients q matches (never
	// personal credentials), in q's order, with their active-secret figures
	// and last use: filters and order run in the store at any size.
	SearchClients(ctx context.Context, org domain.OrgID, q domain.ClientQuery) ([]domain.ClientSummary, string, error)
	// Health returns the organisation's credential health for the
	// overview, in a fixed number of queries whatever its size.
	Health(ctx context.Context, org domain.OrgID, q domain.HealthQuery) (domain.Health, error)
	// UpdateClient locks the client, hands fn the client as stored and
	// stores what fn leaves of name, description, scopes, token TTL,
	// webhook URL and events, disabled, tokens-revoked-at and updated-at
	// (see ErrNoChange).
	UpdateClient(ctx context.Context, org domain.OrgID, id domain.ClientID, fn func(c *domain.Client) error) (domain.Client, error)
	// DeleteClient removes the client and, with it, its secrets.
	DeleteClient(ctx context.Context, org domain.OrgID, id domain.ClientID) error
}

// Secrets are client secrets.
type Secrets interface {
	CreateSecret(ctx context.Context, s domain.Secret) error
	GetSecret(ctx context.Context, org domain.OrgID, id domain.SecretID) (domain.Secret, error)
	// ListSecrets returns a client's secrets, oldest first.
	ListSecrets(ctx context.Context, org domain.OrgID, clientID domain.ClientID) ([]domain.Secret, error)
	// SecretByVerifier finds a generated secret by the keyed HMAC of its
	// value (a unique column): one indexed read, never a scan.
	SecretByVerifier(ctx context.Context, verifier []byte) (domain.Secret, error)
	// UpdateSecret locks the secret, hands fn the secret as stored and
	// stores what fn leaves of description, expiry and allowed CIDRs (see
	// ErrNoChange). A revoked secret never changes: domain.ErrConflict.
	UpdateSecret(ctx context.Context, org domain.OrgID, id domain.SecretID, fn func(x *domain.Secret) error) (domain.Secret, error)
	// RevokeSecret sets revoked-at (and the token mode, see
	// domain.Secret.KeepTokens) unless the secret is already revoked, and
	// reports whether this call revoked it; a revoked secret never comes
	// back.
	RevokeSecret(ctx context.Context, org domain.OrgID, id domain.SecretID, at time.Time, keepTokens bool) (bool, error)
	// RevokeClientSecrets revokes every unrevoked secret of a client (their
	// tokens die) and returns how many it revoked.
	RevokeClientSecrets(ctx context.Context, org domain.OrgID, clientID domain.ClientID, at time.Time) (int, error)
	// TouchLastUsed stores a batch of uses in one transaction; a later time
	// never loses to an earlier one.
	TouchLastUsed(ctx context.Context, uses []domain.SecretUse) error
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
	ListAudit(ctx context.Context, org domain.OrgID, f domain.AuditFilter) ([]domain.AuditEvent, string, error)
	// ScanAudit returns up to limit events of every organisation with Seq
	// greater than after, in chain order.
	ScanAudit(ctx context.Context, after int64, limit int) ([]domain.AuditEvent, error)
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
	ListRefreshTokens(ctx context.Context, org domain.OrgID, clientID domain.ClientID) ([]domain.RefreshToken, error)
	// UseRefreshToken marks an unused, unrevoked token used and records the
	// access token it issued; it fails with domain.ErrConflict when the
	// token was used or revoked in the meantime.
	UseRefreshToken(ctx context.Context, id domain.RefreshTokenID, at time.Time, jti string, exp time.Time) error
	// ListRefreshFamily returns every token of a family.
	ListRefreshFamily(ctx context.Context, family domain.RefreshFamilyID) ([]domain.RefreshToken, error)
	// RevokeRefreshFamily revokes every unrevoked token of a family.
	RevokeRefreshFamily(ctx context.Context, family domain.RefreshFamilyID, at time.Time) (int, error)
	// RevokeClientRefreshTokens revokes every unrevoked token of a client.
	RevokeClientRefreshTokens(ctx context.Context, org domain.OrgID, clientID domain.ClientID, at time.Time) (int, error)
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
	GetRotation(ctx context.Context, org domain.OrgID, id domain.RotationID) (domain.Rotation, error)
	// ListRotations returns a client's rotations, newest first.
	ListRotations(ctx context.Context, org domain.OrgID, clientID domain.ClientID) ([]domain.Rotation, error)
	// ListOpenAutoRotations returns every uncompleted rotation with
	// auto-complete on, across organisations, for the completion job.
	ListOpenAutoRotations(ctx context.Context) ([]domain.Rotation, error)
	// CompleteRotation marks an open rotation completed; ErrConflict when
	// it already was.
	CompleteRotation(ctx context.Context, org domain.OrgID, id domain.RotationID, at time.Time, by string) error
}
