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
	ClientKeys
	ClientAssertions
	AuditLog
	SigningKeys
	RefreshTokens
	RevokedTokens
	Rotations
	Webhooks
	Setup
	Stats
	Notifier
	AuditStreams
	Leaks
	IdentityProviders
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
	// ListSessions returns a user's open, unexpired sessions, newest first
	// (for changes to all of them inside a transaction; lists are paged:
	// PageSessions).
	ListSessions(ctx context.Context, org domain.OrgID, userID domain.UserID, now time.Time) ([]domain.Session, error)
	// PageSessions returns a page of a user's open, unexpired sessions,
	// newest first, and the cursor of the next page ("" after the last).
	PageSessions(ctx context.Context, org domain.OrgID, userID domain.UserID, now time.Time, page domain.Page) ([]domain.Session, string, error)
	// EndSession ends an open session (ErrNotFound if none).
	EndSession(ctx context.Context, org domain.OrgID, id domain.SessionID, at time.Time) error
	EndUserSessions(ctx context.Context, org domain.OrgID, userID domain.UserID, at time.Time) (int, error)
	DeleteSessionsBefore(ctx context.Context, t time.Time) (int, error)
}

// APITokens are admin API bearer tokens of users.
type APITokens interface {
	CreateAPIToken(ctx context.Context, t domain.APIToken) error
	// APITokenByVerifier finds a token by the keyed HMAC of its value.
	APITokenByVerifier(ctx context.Context, verifier []byte) (domain.APIToken, error)
	GetAPIToken(ctx context.Context, org domain.OrgID, id domain.APITokenID) (domain.APIToken, error)
	// ListAPITokens returns a user's tokens, newest first.
	ListAPITokens(ctx context.Context, org domain.OrgID, userID domain.UserID) ([]domain.APIToken, error)
	// UpdateAPIToken locks the token, hands fn the token as stored and
	// stores what fn leaves of name, expiry, revoked-at and replaced-by
	// (see ErrNoChange). A revoked token never changes: domain.ErrConflict.
	UpdateAPIToken(ctx context.Context, org domain.OrgID, id domain.APITokenID, fn func(t *domain.APIToken) error) (domain.APIToken, error)
	// TouchAPITokens stores a batch of uses in one transaction; a later
	// time never loses to an earlier one.
	TouchAPITokens(ctx context.Context, uses []domain.APITokenUse) error
	// DeleteAPITokensEndedBefore removes the tokens revoked or expired
	// before t and returns how many.
	DeleteAPITokensEndedBefore(ctx context.Context, t time.Time) (int, error)
}

// Clients are API clients.
type Clients interface {
	CreateClient(ctx context.Context, c domain.Client) error
	GetClient(ctx context.Context, org domain.OrgID, id domain.ClientID) (domain.Client, error)
	// LookupClient finds a client by its public ID alone, for protocol
	// endpoints where the organisation is not yet known.
	LookupClient(ctx context.Context, id domain.ClientID) (domain.Client, error)
	// LoadClientAuth returns what the token path keeps of a client found
	// by its public ID alone: the client, its organisation's policy and its
	// secrets, oldest first, in one query (one round trip on a cache
	// miss). An unknown ID is domain.ErrNotFound.
	LoadClientAuth(ctx context.Context, id domain.ClientID) (ClientAuthData, error)
	// ImportClients inserts clients and their secrets in one transaction
	// of multi-row statements (for migrations and seeding: callers send
	// batches of a few thousand); an ID that exists already is
	// domain.ErrConflict and leaves the whole batch out. It sends no change
	// notice: the caller announces the import.
	ImportClients(ctx context.Context, clients []ImportedClient) error
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

// ClientAuthData is a client with what authenticating it needs.
type ClientAuthData struct {
	Client  domain.Client
	Policy  domain.Policy
	Secrets []domain.Secret
	Keys    []domain.ClientKey // oldest first
}

// ImportedClient is one client of ImportClients with its secrets.
type ImportedClient struct {
	Client  domain.Client
	Secrets []domain.Secret
}

// Secrets are client secrets.
type Secrets interface {
	CreateSecret(ctx context.Context, s domain.Secret) error
	GetSecret(ctx context.Context, org domain.OrgID, id domain.SecretID) (domain.Secret, error)
	// ListSecrets returns a client's secrets, oldest first.
	ListSecrets(ctx context.Context, org domain.OrgID, clientID domain.ClientID) ([]domain.Secret, error)
	// PageSecrets returns a page of a client's secrets, oldest first, and
	// the cursor of the next page ("" after the last).
	PageSecrets(ctx context.Context, org domain.OrgID, clientID domain.ClientID, page domain.Page) ([]domain.Secret, string, error)
	// ListActiveSecrets returns a client's unrevoked secrets that have
	// not expired at now, in no particular order (at most a few: the
	// service caps the active secrets of a client).
	ListActiveSecrets(ctx context.Context, org domain.OrgID, clientID domain.ClientID, now time.Time) ([]domain.Secret, error)
	// SecretsByID returns the organisation's secrets among ids (those
	// that exist), oldest first.
	SecretsByID(ctx context.Context, org domain.OrgID, ids []domain.SecretID) ([]domain.Secret, error)
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
	// TouchLastUsed stores a batch of uses in one transaction, locking the
	// rows in ID order (callers send batches of a few hundred); a later
	// time never loses to an earlier one.
	TouchLastUsed(ctx context.Context, uses []domain.SecretUse) error
}

// ClientKeys are clients' public keys (private_key_jwt).
type ClientKeys interface {
	// CreateClientKey stores k; a kid the client already has is
	// domain.ErrConflict.
	CreateClientKey(ctx context.Context, k domain.ClientKey) error
	GetClientKey(ctx context.Context, org domain.OrgID, id domain.ClientKeyID) (domain.ClientKey, error)
	// ListClientKeys returns a client's keys, oldest first.
	ListClientKeys(ctx context.Context, org domain.OrgID, clientID domain.ClientID) ([]domain.ClientKey, error)
	// UpdateClientKey locks the key, hands fn the key as stored and stores
	// what fn leaves of description and expiry (see ErrNoChange). A
	// revoked key never changes: domain.ErrConflict.
	UpdateClientKey(ctx context.Context, org domain.OrgID, id domain.ClientKeyID, fn func(k *domain.ClientKey) error) (domain.ClientKey, error)
	// RevokeClientKey sets revoked-at unless the key is already revoked,
	// and reports whether this call revoked it.
	RevokeClientKey(ctx context.Context, org domain.OrgID, id domain.ClientKeyID, at time.Time) (bool, error)
	// RevokeClientKeys revokes every unrevoked key of a client and
	// returns how many it revoked.
	RevokeClientKeys(ctx context.Context, org domain.OrgID, clientID domain.ClientID, at time.Time) (int, error)
	// TouchKeysLastUsed stores a batch of key uses in one transaction; a
	// later time never loses to an earlier one.
	TouchKeysLastUsed(ctx context.Context, uses []domain.ClientKeyUse) error
}

// ClientAssertions remember the IDs (jti) of accepted client assertions
// until they expire, so that each is accepted once across all nodes.
type ClientAssertions interface {
	// ConsumeAssertionID records (client, jti) until expires and reports
	// whether this call did: false when it was recorded before and has
	// not expired at now (a replay). A recorded one that has expired is
	// taken over (a conditional update), so a purge that has not run yet
	// never blocks a reuse that is allowed.
	ConsumeAssertionID(ctx context.Context, client domain.ClientID, jti string, expires, now time.Time) (bool, error)
	// DeleteAssertionIDsBefore removes the entries that expired before t.
	DeleteAssertionIDsBefore(ctx context.Context, t time.Time) (int, error)
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
	// AuditNames names the organisation's clients, secrets, users, API
	// tokens and rotations among ids, for people reading events; IDs of
	// other kinds, other organisations or deleted objects are left out.
	AuditNames(ctx context.Context, org domain.OrgID, ids []string) (map[string]domain.AuditName, error)
	// ScanAudit returns up to limit events of every organisation with Seq
	// greater than after, in chain order.
	ScanAudit(ctx context.Context, after int64, limit int) ([]domain.AuditEvent, error)
	// ReadAuditSnapshot hands fn the chain's state and a reader of its
	// events, both from one consistent snapshot (a read-only REPEATABLE
	// READ transaction on PostgreSQL, a read transaction on SQLite):
	// appends that commit meanwhile are not seen, so the head and the
	// events always agree. events streams every event with Seq greater
	// than after, up to the snapshot's head, in chain order, one at a time.
	ReadAuditSnapshot(ctx context.Context, fn func(st domain.AuditChainState, events func(after int64, each func(domain.AuditEvent) error) error) error) error
	// ArchiveAudit removes every event with Seq up to a.Seq and stores a
	// as the archive mark, in one transaction. It fails with
	// domain.ErrConflict when a does not move the mark forward or a.Seq is
	// past the head.
	ArchiveAudit(ctx context.Context, a domain.AuditArchive) (int64, error)
}

// AuditStreams are the positions of the audit streams in the chain (the
// audit log is their outbox) and the leases that let one node at a time
// send each.
type AuditStreams interface {
	// EnsureAuditStream creates stream id of org ("" for the whole
	// installation) at position after unless it exists; an existing
	// stream keeps its position.
	EnsureAuditStream(ctx context.Context, id string, org domain.OrgID, after int64, now time.Time) error
	// ClaimAuditStream gives owner the stream's lease until until, if no
	// other owner holds one that is still valid at now, and returns its
	// position; ok is false when another owner holds it.
	ClaimAuditStream(ctx context.Context, id, owner string, now, until time.Time) (delivered int64, ok bool, err error)
	// AdvanceAuditStream moves the stream from position from to to, if
	// owner still holds its lease and nobody moved it meanwhile
	// (domain.ErrConflict otherwise).
	AdvanceAuditStream(ctx context.Context, id, owner string, from, to int64, now time.Time) error
	// FailAuditStream records a failed round of the stream: it counts one
	// more failure in a row (AdvanceAuditStream resets the count) and
	// stores msg and now as the last error, if owner holds the lease
	// (domain.ErrConflict otherwise).
	FailAuditStream(ctx context.Context, id, owner, msg string, now time.Time) error
	// ReleaseAuditStream ends owner's lease, if it holds one.
	ReleaseAuditStream(ctx context.Context, id, owner string) error
	// SlowestAuditStream returns the smallest position of the streams
	// whose ids are given (ok false when there are none): retention
	// removes nothing past it.
	SlowestAuditStream(ctx context.Context, ids []string) (delivered int64, ok bool, err error)
	// CreateAuditStream stores an organisation's stream at position
	// as.Delivered; domain.ErrConflict when the organisation has a stream
	// of that name.
	CreateAuditStream(ctx context.Context, as domain.AuditStream) error
	// ListAuditStreams returns the organisation's streams by name, with
	// their positions and health; org "" returns every organisation's (not
	// the installation's --audit-stream destinations).
	ListAuditStreams(ctx context.Context, org domain.OrgID) ([]domain.AuditStream, error)
	// DeleteAuditStream removes the organisation's stream
	// (domain.ErrNotFound when it has no such stream).
	DeleteAuditStream(ctx context.Context, org domain.OrgID, id string) error
	// ScanOrgAudit returns up to limit of the organisation's events with
	// Seq greater than after, in chain order.
	ScanOrgAudit(ctx context.Context, org domain.OrgID, after int64, limit int) ([]domain.AuditEvent, error)
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
	// ListRefreshTokens returns a page of a client's refresh tokens,
	// newest first, and the cursor of the next page ("" after the last).
	ListRefreshTokens(ctx context.Context, org domain.OrgID, clientID domain.ClientID, page domain.Page) ([]domain.RefreshToken, string, error)
	// UseRefreshToken marks an unused, unrevoked token used and records the
	// access token it issued; it fails with domain.ErrConflict when the
	// token was used or revoked in the meantime.
	UseRefreshToken(ctx context.Context, id domain.RefreshTokenID, at time.Time, jti string, exp time.Time) error
	// ListRefreshFamily returns every token of a family.
	ListRefreshFamily(ctx context.Context, family domain.RefreshFamilyID) ([]domain.RefreshToken, error)
	// RevokeRefreshFamily revokes every unrevoked token of a family,
	// recording why.
	RevokeRefreshFamily(ctx context.Context, family domain.RefreshFamilyID, at time.Time, reason domain.RefreshRevokeReason) (int, error)
	// RevokeClientRefreshTokens revokes every unrevoked token of a client,
	// recording why.
	RevokeClientRefreshTokens(ctx context.Context, org domain.OrgID, clientID domain.ClientID, at time.Time, reason domain.RefreshRevokeReason) (int, error)
	// DeleteRefreshTokensBefore removes tokens that expired before t.
	DeleteRefreshTokensBefore(ctx context.Context, t time.Time) (int, error)
}

// RevokedTokens is the access-token deny list.
type RevokedTokens interface {
	// AddRevokedToken puts a token on the list; adding it twice is not an error.
	AddRevokedToken(ctx context.Context, t domain.RevokedToken) error
	// ListRevokedTokens returns the entries that expire after t.
	ListRevokedTokens(ctx context.Context, t time.Time) ([]domain.RevokedToken, error)
	// ListRevokedTokensSince returns the entries revoked at or after since
	// that expire after t: what a node that synced at since has to add
	// (an index range on the revocation time, not a scan of the list).
	ListRevokedTokensSince(ctx context.Context, since, t time.Time) ([]domain.RevokedToken, error)
	// DeleteRevokedTokensBefore removes entries that expired before t.
	DeleteRevokedTokensBefore(ctx context.Context, t time.Time) (int, error)
}

// Rotations track secret rotations.
type Rotations interface {
	CreateRotation(ctx context.Context, r domain.Rotation) error
	GetRotation(ctx context.Context, org domain.OrgID, id domain.RotationID) (domain.Rotation, error)
	// ListRotations returns a page of a client's rotations, newest first,
	// and the cursor of the next page ("" after the last).
	ListRotations(ctx context.Context, org domain.OrgID, clientID domain.ClientID, page domain.Page) ([]domain.Rotation, string, error)
	// ListOpenAutoRotations returns every uncompleted rotation with
	// auto-complete on, across organisations, for the completion job.
	ListOpenAutoRotations(ctx context.Context) ([]domain.Rotation, error)
	// CompleteRotation marks an open rotation completed; ErrConflict when
	// it already was.
	CompleteRotation(ctx context.Context, org domain.OrgID, id domain.RotationID, at time.Time, by string) error
}

// Leaks are the leaked values that reports confirmed (docs/leaks.md).
type Leaks interface {
	// RecordLeak stores l unless a leak of the same kind and target is
	// recorded, and reports whether this call stored it; when not, it
	// counts one more report on the recorded leak. Call it in the
	// transaction that responds to the leak: of racing reports, one
	// responds.
	RecordLeak(ctx context.Context, l domain.Leak) (bool, error)
	// ListLeaks returns an organisation's leaks, newest first, up to
	// limit; a clientID narrows them to one client's.
	ListLeaks(ctx context.Context, org domain.OrgID, clientID domain.ClientID, limit int) ([]domain.Leak, error)
	// RecordLeakReport records the digest of a signed report and reports
	// whether this call recorded it (false: the same report came before).
	RecordLeakReport(ctx context.Context, digest []byte, at time.Time) (bool, error)
	// VerifierByDigest finds the keyed verifier, and the kind, of a
	// generated value by its SHA-256 (recorded by CreateSecret,
	// ImportClients and CreateAPIToken from Secret.Digest and
	// APIToken.Digest); domain.ErrNotFound when none was recorded.
	VerifierByDigest(ctx context.Context, digest []byte) (domain.LeakKind, []byte, error)
}

// IdentityProviders are organisations' OpenID Connect providers and the
// one-time state of federated sign-ins (docs/oidc.md).
type IdentityProviders interface {
	// CreateIdentityProvider fails with domain.ErrConflict when the
	// organisation has a provider of that name.
	CreateIdentityProvider(ctx context.Context, p domain.IdentityProvider) error
	GetIdentityProvider(ctx context.Context, org domain.OrgID, id domain.IdentityProviderID) (domain.IdentityProvider, error)
	// ListIdentityProviders returns an organisation's providers by name.
	ListIdentityProviders(ctx context.Context, org domain.OrgID) ([]domain.IdentityProvider, error)
	// UpdateIdentityProvider locks the provider, hands fn the provider as
	// stored and stores what fn leaves of every field but its ID,
	// organisation and creation time (see ErrNoChange).
	UpdateIdentityProvider(ctx context.Context, org domain.OrgID, id domain.IdentityProviderID, fn func(p *domain.IdentityProvider) error) (domain.IdentityProvider, error)
	DeleteIdentityProvider(ctx context.Context, org domain.OrgID, id domain.IdentityProviderID) error
	// UserByIdentity finds the user of org linked to subject at provider.
	UserByIdentity(ctx context.Context, org domain.OrgID, provider domain.IdentityProviderID, subject string) (domain.User, error)
	// ConsumeOIDCState records the digest of a sign-in's state, good
	// until expires, and reports whether this call recorded it (false:
	// the state was used before, on any node). It forgets digests that
	// expired.
	ConsumeOIDCState(ctx context.Context, digest []byte, expires, now time.Time) (bool, error)
}
