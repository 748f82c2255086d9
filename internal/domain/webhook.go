package domain

import "time"

// WebhookStatus is where a webhook message is in its delivery.
type WebhookStatus string

const (
	WebhookPending   WebhookStatus = "pending"   // waiting for its first or next attempt
	WebhookDelivered WebhookStatus = "delivered" // a 2xx answer arrived
	WebhookFailed    WebhookStatus = "failed"    // given up: retries ran out or the endpoint is gone
)

// WebhookMessage is one event for one endpoint: a client's (ClientID) or
// an organisation endpoint (EndpointID), never both. Its ID is the
// webhook-id every attempt carries, so receivers can drop duplicates.
type WebhookMessage struct {
	ID         string
	OrgID      OrgID
	ClientID   ClientID // "" for an organisation endpoint's message
	EndpointID string   // "" for a client endpoint's message
	EventType  string
	Payload    []byte // the exact body sent, JSON
	CreatedAt  time.Time
	Status     WebhookStatus
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
	// PayloadDeletedAt is when retention (or an operator) deleted the
	// payload and the attempts' response excerpts; the rest stays.
	PayloadDeletedAt *time.Time
}

// WebhookFilter narrows ListWebhookMessages.
type WebhookFilter struct {
	Status WebhookStatus // "" for every state
	Page   Page
}

// WebhookAttempt is one delivery attempt: the delivery log.
type WebhookAttempt struct {
	ID         string
	MessageID  string
	OrgID      OrgID
	ClientID   ClientID // "" for an organisation endpoint's attempt
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
	OrgID    OrgID
	ClientID ClientID
	URL      string
	// FailingSince is the first failure after the last success (nil while
	// healthy).
	FailingSince *time.Time
	// ExhaustedAt is when a delivery first ran out of retries since
	// FailingSince (nil while none has).
	ExhaustedAt    *time.Time
	DisabledAt     *time.Time
	DisabledReason string
	UpdatedAt      time.Time
}

// WebhookNotice is the gate of one expiry notice of one secret.
type WebhookNotice struct {
	SecretID   SecretID
	OrgID      OrgID
	Notice     string // e.g. "expiring-14d", "expired"
	ExpiresAt  time.Time
	RecordedAt time.Time
}

// WebhookSigningKey is an Ed25519 key that signs a client's webhooks with
// Standard Webhooks v1a. Sealed is the private key (its seed) sealed with
// the keyring; PublicKey is the raw public key, published.
type WebhookSigningKey struct {
	ID        string
	OrgID     OrgID
	ClientID  ClientID
	PublicKey []byte
	Sealed    []byte
	CreatedAt time.Time
	RetiredAt *time.Time // nil while it signs
}

// OrgWebhookEndpoint is an organisation's own webhook endpoint: it
// receives the events of every client and user of the organisation that
// its Events select. It signs with a Standard Webhooks secret
// ("whsec_…") Keywarden generated; SecretSealed is that secret sealed with
// the keyring (the endpoint's ID as associated data). After a rotation the
// previous secret (PreviousSealed) signs too until PreviousUntil. The
// health fields are those of WebhookEndpoint; DisabledAt is also set when
// an operator disables the endpoint.
type OrgWebhookEndpoint struct {
	ID              string
	OrgID           OrgID
	URL             string
	Description     string
	Events          []string // as a client's WebhookEvents; empty: every event
	SecretSealed    []byte
	SecretCreatedAt time.Time
	PreviousSealed  []byte     // nil when no rotation overlaps
	PreviousUntil   *time.Time // when the previous secret stops signing
	FailingSince    *time.Time
	ExhaustedAt     *time.Time
	DisabledAt      *time.Time
	DisabledReason  string
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// WebhookOrgNotice is the gate of one organisation-wide notice (an expiry
// summary) for one period.
type WebhookOrgNotice struct {
	OrgID      OrgID
	Notice     string    // e.g. "expiring-summary"
	Period     time.Time // the start of the period it covers
	RecordedAt time.Time
}
