package store

import (
	"context"
	"time"

	"keywarden/internal/domain"
)

// Webhooks is the webhook outbox, its delivery log, the health of each
// client's endpoint, and the gate that sends each expiry notice once.
type Webhooks interface {
	// CreateWebhookMessage writes an outbox row; it belongs in the
	// transaction of the change the event describes.
	CreateWebhookMessage(ctx context.Context, m WebhookMessage) error
	GetWebhookMessage(ctx context.Context, org, id string) (WebhookMessage, error)
	// ListWebhookMessages returns a client's messages, newest first.
	ListWebhookMessages(ctx context.Context, org, clientID string, f WebhookFilter) ([]WebhookMessage, string, error)
	// ClaimWebhookMessages takes up to limit pending messages that are due
	// at now, across organisations, for one delivery attempt each: their
	// next attempt moves to until (the lease) and their claim ID becomes
	// claimID. Several nodes may claim at once; each message goes to one of
	// them (PostgreSQL skips rows another node has locked, SQLite takes
	// turns on its write lock).
	ClaimWebhookMessages(ctx context.Context, now, until time.Time, claimID string, limit int) ([]WebhookMessage, error)
	// FinishWebhookMessage stores the outcome of a claimed message (status,
	// counters, next attempt, last result) and releases the claim. It
	// fails with domain.ErrConflict when claimID no longer holds the
	// message: the lease ran out, or someone asked for a redelivery.
	FinishWebhookMessage(ctx context.Context, m WebhookMessage, claimID string) error
	// RedeliverWebhookMessage makes a message pending and due at at, with a
	// fresh retry window from at, whatever its state.
	RedeliverWebhookMessage(ctx context.Context, org, id string, at time.Time) error
	// DeleteWebhookMessagesBefore removes delivered and failed messages
	// (with their attempts) created before t.
	DeleteWebhookMessagesBefore(ctx context.Context, t time.Time) (int, error)

	AddWebhookAttempt(ctx context.Context, a WebhookAttempt) error
	// ListWebhookAttempts returns a message's attempts, oldest first.
	ListWebhookAttempts(ctx context.Context, org, messageID string) ([]WebhookAttempt, error)

	// GetWebhookEndpoint returns the health record of a client's endpoint
	// (domain.ErrNotFound when it has none yet).
	GetWebhookEndpoint(ctx context.Context, org, clientID string) (WebhookEndpoint, error)
	// PutWebhookEndpoint creates or replaces a client's health record.
	PutWebhookEndpoint(ctx context.Context, e WebhookEndpoint) error
	// DisableWebhookEndpoint disables the client's endpoint with url if it
	// is not disabled yet, and reports whether this call disabled it: of
	// two nodes that decide at once, one wins.
	DisableWebhookEndpoint(ctx context.Context, org, clientID, url string, at time.Time, reason string) (bool, error)

	// RecordWebhookNotice records that a notice about a secret's expiry was
	// handled and reports whether this call recorded it (false: it was
	// already there, so somebody else sends it).
	RecordWebhookNotice(ctx context.Context, n WebhookNotice) (bool, error)
	// ListExpiringSecrets returns unrevoked secrets, across organisations,
	// whose expiry lies in [from, to] and that have no "expired" notice for
	// that expiry yet, ordered by expiry and ID: up to limit after the
	// cursor ("" for the first page; for the next, the Cursor of the last
	// secret's expiry and ID, encoded).
	ListExpiringSecrets(ctx context.Context, from, to time.Time, after string, limit int) ([]domain.Secret, error)
}

// Webhook message states.
const (
	WebhookPending   = "pending"   // waiting for its first or next attempt
	WebhookDelivered = "delivered" // a 2xx answer arrived
	WebhookFailed    = "failed"    // given up: retries ran out or the endpoint is gone
)

// WebhookMessage is one event for one client's endpoint. Its ID is the
// webhook-id every attempt carries, so receivers can drop duplicates.
type WebhookMessage struct {
	ID        string
	OrgID     string
	ClientID  string
	EventType string
	Payload   []byte // the exact body sent, JSON
	CreatedAt time.Time
	Status    string
	// Attempts counts every delivery attempt; RetryCount only those since
	// RetryFrom (creation, or the last manual redelivery), which set the
	// backoff and the retry window.
	Attempts       int
	RetryCount     int
	RetryFrom      time.Time
	NextAttemptAt  *time.Time // nil once delivered or failed
	LastAttemptAt  *time.Time
	LastStatusCode int    // 0: none yet, or no HTTP answer
	LastError      string // why the last attempt failed, or why the message waits
	DeliveredAt    *time.Time
}

// WebhookFilter narrows ListWebhookMessages.
type WebhookFilter struct {
	Status string // "" for every state
	Page   Page
}

// WebhookAttempt is one delivery attempt: the delivery log.
type WebhookAttempt struct {
	ID         string
	MessageID  string
	OrgID      string
	ClientID   string
	At         time.Time
	URL        string
	StatusCode int // 0 when no HTTP answer arrived
	Latency    time.Duration
	Error      string // network error, refusal or non-2xx summary; never a secret
	// ResponseExcerpt is the start of the answer's body, cleaned of
	// control characters.
	ResponseExcerpt string
}

// WebhookEndpoint is the health of a client's webhook endpoint. It follows
// the URL: a record for another URL than the client's current one does not
// apply.
type WebhookEndpoint struct {
	OrgID    string
	ClientID string
	URL      string
	// FailingSince is the first failure after the last success (nil while
	// healthy).
	FailingSince   *time.Time
	DisabledAt     *time.Time
	DisabledReason string
	UpdatedAt      time.Time
}

// WebhookNotice is the gate of one expiry notice of one secret.
type WebhookNotice struct {
	SecretID   string
	OrgID      string
	Notice     string // e.g. "expiring-14d", "expired"
	ExpiresAt  time.Time
	RecordedAt time.Time
}
