package domain

import "time"

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
