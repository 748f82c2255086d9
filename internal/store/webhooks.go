package store

import (
	"context"
	"time"

	"keywarden/internal/domain"
)

// Webhooks is the webhook outbox, its delivery log, the health of each
// client's endpoint, the organisations' own endpoints, and the gates that
// send each expiry notice (and each organisation's summary) once.
type Webhooks interface {
	// CreateWebhookMessage writes an outbox row; it belongs in the
	// transaction of the change the event describes.
	CreateWebhookMessage(ctx context.Context, m domain.WebhookMessage) error
	GetWebhookMessage(ctx context.Context, org domain.OrgID, id string) (domain.WebhookMessage, error)
	// ListWebhookMessages returns a client's messages, newest first.
	ListWebhookMessages(ctx context.Context, org domain.OrgID, clientID domain.ClientID, f domain.WebhookFilter) ([]domain.WebhookMessage, string, error)
	// ClaimWebhookMessages takes up to limit pending messages that are due
	// at now, across organisations, for one delivery attempt each: their
	// next attempt moves to until (the lease) and their claim ID becomes
	// claimID. Several nodes may claim at once; each message goes to one of
	// them (PostgreSQL skips rows another node has locked, SQLite takes
	// turns on its write lock).
	ClaimWebhookMessages(ctx context.Context, now, until time.Time, claimID string, limit int) ([]domain.WebhookMessage, error)
	// FinishWebhookMessage stores the outcome of a claimed message (status,
	// counters, next attempt, last result) and releases the claim. It
	// fails with domain.ErrConflict when claimID no longer holds the
	// message: the lease ran out, or someone asked for a redelivery.
	FinishWebhookMessage(ctx context.Context, m domain.WebhookMessage, claimID string) error
	// RedeliverWebhookMessage makes a message pending and due at at, with a
	// fresh retry window from at, whatever its state; domain.ErrNotFound
	// when there is no such message or its payload was deleted.
	RedeliverWebhookMessage(ctx context.Context, org domain.OrgID, id string, at time.Time) error
	// ReplayWebhookMessages makes up to limit of a client's messages
	// created at or after since, whose payload is kept, pending again — the failed ones, or with
	// all every delivered and failed one — oldest first, the i-th (from 0)
	// due at at + i×spacing, each with a fresh retry window, and returns
	// how many it replayed. Pending messages are left alone, so replaying
	// twice does not multiply them.
	ReplayWebhookMessages(ctx context.Context, org domain.OrgID, clientID domain.ClientID, since time.Time, all bool,
		at time.Time, spacing time.Duration, limit int) (int, error)
	// CountFailedWebhookMessages counts a client's failed messages
	// created at or after since, up to limit.
	CountFailedWebhookMessages(ctx context.Context, org domain.OrgID, clientID domain.ClientID, since time.Time, limit int) (int, error)
	// DeleteWebhookPayloadsBefore deletes the payloads of up to limit
	// delivered and failed messages created before t, and the response
	// excerpts of attempts made before t, keeping the rest; the messages
	// get PayloadDeletedAt at. It returns how many messages it changed.
	DeleteWebhookPayloadsBefore(ctx context.Context, t, at time.Time, limit int) (int, error)
	// DeleteWebhookPayload deletes one message's payload and its attempts'
	// excerpts now; a pending message fails ("the payload was deleted").
	// domain.ErrNotFound when there is no such message.
	DeleteWebhookPayload(ctx context.Context, org domain.OrgID, id string, at time.Time) error
	// DeleteWebhookMessagesBefore removes delivered and failed messages
	// (with their attempts) created before t.
	DeleteWebhookMessagesBefore(ctx context.Context, t time.Time) (int, error)

	AddWebhookAttempt(ctx context.Context, a domain.WebhookAttempt) error
	// ListWebhookAttempts returns a message's attempts, oldest first.
	ListWebhookAttempts(ctx context.Context, org domain.OrgID, messageID string) ([]domain.WebhookAttempt, error)

	// GetWebhookEndpoint returns the health record of a client's endpoint
	// (domain.ErrNotFound when it has none yet).
	GetWebhookEndpoint(ctx context.Context, org domain.OrgID, clientID domain.ClientID) (domain.WebhookEndpoint, error)
	// UpdateWebhookEndpoint locks a client's health record, creating it
	// (for url, healthy) when there is none, hands fn the record and
	// stores what fn leaves (see ErrNoChange).
	UpdateWebhookEndpoint(ctx context.Context, org domain.OrgID, clientID domain.ClientID, url string, at time.Time,
		fn func(e *domain.WebhookEndpoint) error) (domain.WebhookEndpoint, error)
	// DisableWebhookEndpoint disables the client's endpoint with url if it
	// is not disabled yet, and reports whether this call disabled it: of
	// two nodes that decide at once, one wins.
	DisableWebhookEndpoint(ctx context.Context, org domain.OrgID, clientID domain.ClientID, url string, at time.Time, reason string) (bool, error)

	// CreateWebhookSigningKey stores a client's new v1a signing key.
	CreateWebhookSigningKey(ctx context.Context, k domain.WebhookSigningKey) error
	// ListWebhookSigningKeys returns a client's signing keys, retired ones
	// too, oldest first.
	ListWebhookSigningKeys(ctx context.Context, org domain.OrgID, clientID domain.ClientID) ([]domain.WebhookSigningKey, error)
	// RetireWebhookSigningKey retires a key that is not retired yet and
	// reports whether this call did; domain.ErrNotFound when the client
	// has no such key.
	RetireWebhookSigningKey(ctx context.Context, org domain.OrgID, clientID domain.ClientID, id string, at time.Time) (bool, error)

	// CreateOrgWebhookEndpoint stores an organisation's new endpoint.
	CreateOrgWebhookEndpoint(ctx context.Context, e domain.OrgWebhookEndpoint) error
	// GetOrgWebhookEndpoint returns one endpoint of the organisation
	// (domain.ErrNotFound when it has no such endpoint).
	GetOrgWebhookEndpoint(ctx context.Context, org domain.OrgID, id string) (domain.OrgWebhookEndpoint, error)
	// ListOrgWebhookEndpoints returns the organisation's endpoints, oldest
	// first (a few: the service caps them).
	ListOrgWebhookEndpoints(ctx context.Context, org domain.OrgID) ([]domain.OrgWebhookEndpoint, error)
	// UpdateOrgWebhookEndpoint locks an endpoint, hands fn the endpoint as
	// stored and stores what fn leaves of every field but its ID,
	// organisation and creation time (see ErrNoChange).
	UpdateOrgWebhookEndpoint(ctx context.Context, org domain.OrgID, id string, fn func(e *domain.OrgWebhookEndpoint) error) (domain.OrgWebhookEndpoint, error)
	// DeleteOrgWebhookEndpoint removes an endpoint and its messages;
	// domain.ErrNotFound when there is no such endpoint.
	DeleteOrgWebhookEndpoint(ctx context.Context, org domain.OrgID, id string) error
	// ListOrgWebhookOrgs returns, across organisations, the IDs of the
	// organisations that have at least one enabled endpoint, in ID order:
	// up to limit after after ("" for the first page).
	ListOrgWebhookOrgs(ctx context.Context, after domain.OrgID, limit int) ([]domain.OrgID, error)
	// ListEndpointWebhookMessages returns an organisation endpoint's
	// messages, newest first.
	ListEndpointWebhookMessages(ctx context.Context, org domain.OrgID, endpointID string, f domain.WebhookFilter) ([]domain.WebhookMessage, string, error)
	// ReplayEndpointWebhookMessages is ReplayWebhookMessages for an
	// organisation endpoint's messages.
	ReplayEndpointWebhookMessages(ctx context.Context, org domain.OrgID, endpointID string, since time.Time, all bool,
		at time.Time, spacing time.Duration, limit int) (int, error)
	// CountFailedEndpointWebhookMessages is CountFailedWebhookMessages for
	// an organisation endpoint's messages.
	CountFailedEndpointWebhookMessages(ctx context.Context, org domain.OrgID, endpointID string, since time.Time, limit int) (int, error)
	// RecordWebhookOrgNotice records that an organisation-wide notice for
	// a period was handled and reports whether this call recorded it
	// (false: somebody else sends it).
	RecordWebhookOrgNotice(ctx context.Context, n domain.WebhookOrgNotice) (bool, error)
	// ListOrgExpiringSecrets returns up to limit unrevoked secrets of one
	// organisation whose expiry lies in (from, to], by expiry and ID.
	ListOrgExpiringSecrets(ctx context.Context, org domain.OrgID, from, to time.Time, limit int) ([]domain.Secret, error)

	// RecordWebhookNotice records that a notice about a secret's expiry was
	// handled and reports whether this call recorded it (false: it was
	// already there, so somebody else sends it).
	RecordWebhookNotice(ctx context.Context, n domain.WebhookNotice) (bool, error)
	// ListExpiringSecrets returns unrevoked secrets, across organisations,
	// whose expiry lies in [from, to] and that have no "expired" notice for
	// that expiry yet, ordered by expiry and ID: up to limit after the
	// cursor ("" for the first page; for the next, the Cursor of the last
	// secret's expiry and ID, encoded).
	ListExpiringSecrets(ctx context.Context, from, to time.Time, after string, limit int) ([]domain.Secret, error)
	// ListUnnoticedSecrets returns unrevoked secrets, across
	// organisations, whose expiry lies in (from, to] and that have no
	// notice named notice for that expiry yet, ordered by expiry and ID:
	// up to limit after the cursor (as ListExpiringSecrets). It reads an
	// index range of the expiry and one key per secret, and writes
	// nothing: a pass over secrets already noticed is read-only.
	ListUnnoticedSecrets(ctx context.Context, notice string, from, to time.Time, after string, limit int) ([]domain.Secret, error)
	// ListSecretsDueNotice returns secrets, across organisations, whose
	// next expiry notice is due at now (scheduled at or before it),
	// ordered by that time and ID: up to limit after the cursor ("" for
	// the first page), and the cursor of the next page ("" after the
	// last). The store schedules a secret's first notice
	// (domain.FirstNoticeAt) when it creates the secret or changes its
	// expiry, and none once it is revoked; ScheduleSecretNotice moves it
	// on. It reads an index range that is empty while nothing is due.
	ListSecretsDueNotice(ctx context.Context, now time.Time, after string, limit int) ([]domain.Secret, string, error)
	// ScheduleSecretNotice sets when the next expiry notice of a secret is
	// due (nil: none), provided it is unrevoked and still expires at
	// expiresAt; it reports whether it did (false: revoked, deleted or
	// its expiry changed, which rescheduled it).
	ScheduleSecretNotice(ctx context.Context, org domain.OrgID, id domain.SecretID, expiresAt time.Time, next *time.Time) (bool, error)
}
