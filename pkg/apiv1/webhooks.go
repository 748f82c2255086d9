package apiv1

import (
	"encoding/json"
	"time"
)

// WebhookEndpoint is a client's webhook endpoint and its health.
type WebhookEndpoint struct {
	ClientID string   `json:"client_id"`
	URL      string   `json:"url"`    // "" when the client has none
	Events   []string `json:"events"` // [] means every event
	// Status is "none" (no URL), "active", "failing" (deliveries fail;
	// disabled if it lasts) or "disabled" (failed too long; enable it).
	Status       string     `json:"status"`
	FailingSince *time.Time `json:"failing_since"`
	// RetriesExhaustedAt is when a delivery of the current failing streak
	// first ran out of retries (null while none has).
	RetriesExhaustedAt *time.Time `json:"retries_exhausted_at"`
	DisabledAt         *time.Time `json:"disabled_at"`
	DisabledReason     string     `json:"disabled_reason,omitempty"`
	// Replayable counts (up to 1000) the deliveries that failed since the
	// failing streak began at ReplaySince: what a replay since then would
	// send again. In the answer to an enable they describe the streak the
	// enable ended; Replayed is how many the enable replayed.
	Replayable  int        `json:"replayable"`
	ReplaySince *time.Time `json:"replay_since"`
	Replayed    int        `json:"replayed,omitempty"`
}

// EnableWebhook is the optional body of an enable.
type EnableWebhook struct {
	// Replay replays the deliveries that failed since the endpoint began
	// failing.
	Replay bool `json:"replay,omitempty"`
}

// ReplayWebhook asks for a client's deliveries since a time to be sent
// again, with their webhook-ids.
type ReplayWebhook struct {
	Since time.Time `json:"since"`
	// Which is "failed" (the default) or "all" (delivered ones too).
	Which string `json:"which,omitempty"`
}

// WebhookReplay is what a replay did: how many deliveries are due again,
// and whether more are left (call again with the same since).
type WebhookReplay struct {
	Replayed int  `json:"replayed"`
	More     bool `json:"more"`
}

// WebhookDelivery is one event for a client's endpoint (ClientID) or an
// organisation endpoint (EndpointID): its delivery state. ID is the
// webhook-id header of every attempt.
type WebhookDelivery struct {
	ID         string    `json:"id"`
	ClientID   string    `json:"client_id,omitempty"`
	EndpointID string    `json:"endpoint_id,omitempty"`
	EventType  string    `json:"event_type"`
	Status     string    `json:"status"` // pending, delivered or failed
	CreatedAt  time.Time `json:"created_at"`
	Attempts   int       `json:"attempts"`
	// NextAttemptAt is when the next attempt is due (null once delivered
	// or failed).
	NextAttemptAt  *time.Time `json:"next_attempt_at"`
	LastAttemptAt  *time.Time `json:"last_attempt_at"`
	LastStatusCode int        `json:"last_status_code"` // 0: none, or no HTTP answer
	LastError      string     `json:"last_error,omitempty"`
	DeliveredAt    *time.Time `json:"delivered_at"`
	// PayloadDeletedAt is when retention or an operator deleted the
	// payload and the response excerpts (null while kept).
	PayloadDeletedAt *time.Time `json:"payload_deleted_at"`
}

// WebhookDeliveryList is a page of deliveries, newest first.
type WebhookDeliveryList struct {
	Items      []WebhookDelivery `json:"items"`
	NextCursor string            `json:"next_cursor,omitempty"`
}

// WebhookDeliveryDetail is a delivery with its payload and attempt log.
type WebhookDeliveryDetail struct {
	WebhookDelivery
	// Payload is the body every attempt sends; null once deleted.
	Payload    json.RawMessage  `json:"payload"`
	AttemptLog []WebhookAttempt `json:"attempt_log"`
}

// WebhookAttempt is one delivery attempt.
type WebhookAttempt struct {
	ID              string    `json:"id"`
	At              time.Time `json:"at"`
	URL             string    `json:"url"`
	StatusCode      int       `json:"status_code"` // 0 when no HTTP answer arrived
	LatencyMS       int64     `json:"latency_ms"`
	Error           string    `json:"error,omitempty"`
	ResponseExcerpt string    `json:"response_excerpt,omitempty"`
}

// WebhookSigningKey is an Ed25519 key that signs a client's webhooks with
// Standard Webhooks v1a. PublicKey is "whpk_" + base64 of the raw key: all
// a receiver needs to verify.
type WebhookSigningKey struct {
	ID        string     `json:"id"`
	ClientID  string     `json:"client_id"`
	PublicKey string     `json:"public_key"`
	CreatedAt time.Time  `json:"created_at"`
	RetiredAt *time.Time `json:"retired_at"`
}

// WebhookSigningKeyList is a client's signing keys, oldest first.
type WebhookSigningKeyList struct {
	Items []WebhookSigningKey `json:"items"`
}

// WebhookKeySet is the public, JWKS-style set of a client's active
// webhook signing keys.
type WebhookKeySet struct {
	Keys []WebhookJWK `json:"keys"`
}

// WebhookJWK is one Ed25519 public key as a JSON Web Key (RFC 8037), with
// its Standard Webhooks form in PublicKey.
type WebhookJWK struct {
	KeyType   string `json:"kty"` // OKP
	Curve     string `json:"crv"` // Ed25519
	X         string `json:"x"`   // base64url of the raw key, no padding
	KeyID     string `json:"kid"`
	Use       string `json:"use"` // sig
	Algorithm string `json:"alg"` // EdDSA
	PublicKey string `json:"whpk"`
}

// OrgWebhookEndpoint is an organisation's own webhook endpoint: it
// receives the events of every client and user of the organisation that
// Events selects, and the events only organisation endpoints receive
// (webhook.endpoint_*, secrets.expiring_summary). Its signing secret is
// never shown again after creation or rotation.
type OrgWebhookEndpoint struct {
	ID          string   `json:"id"`
	URL         string   `json:"url"`
	Description string   `json:"description"`
	Events      []string `json:"events"` // [] means every event
	// Status is "active", "failing" or "disabled" (for failing, or by an
	// operator; PATCH it with disabled false to enable it).
	Status          string    `json:"status"`
	SecretCreatedAt time.Time `json:"secret_created_at"`
	// PreviousSecretUntil is when the secret a rotation replaced stops
	// signing (null when none signs).
	PreviousSecretUntil *time.Time `json:"previous_secret_until"`
	FailingSince        *time.Time `json:"failing_since"`
	RetriesExhaustedAt  *time.Time `json:"retries_exhausted_at"`
	DisabledAt          *time.Time `json:"disabled_at"`
	DisabledReason      string     `json:"disabled_reason,omitempty"`
	// Replayable and ReplaySince are as in WebhookEndpoint (the streak
	// starts when it began failing, or when it was disabled).
	Replayable  int        `json:"replayable"`
	ReplaySince *time.Time `json:"replay_since"`
	Replayed    int        `json:"replayed,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
}

// OrgWebhookEndpointList is the organisation's endpoints, oldest first.
type OrgWebhookEndpointList struct {
	Items []OrgWebhookEndpoint `json:"items"`
}

// CreatedOrgWebhookEndpoint is a new endpoint, or one whose secret was
// just rotated, with its signing secret ("whsec_…"): shown this once.
type CreatedOrgWebhookEndpoint struct {
	OrgWebhookEndpoint
	Secret string `json:"secret"`
}

// CreateOrgWebhookEndpoint registers an organisation endpoint.
type CreateOrgWebhookEndpoint struct {
	URL         string   `json:"url"`
	Description string   `json:"description,omitempty"`
	Events      []string `json:"events,omitempty"`
}

// UpdateOrgWebhookEndpoint changes an endpoint; absent fields stay.
// Disabled false enables a disabled endpoint; with Replay it replays the
// deliveries that failed meanwhile.
type UpdateOrgWebhookEndpoint struct {
	URL         *string   `json:"url,omitempty"`
	Description *string   `json:"description,omitempty"`
	Events      *[]string `json:"events,omitempty"`
	Disabled    *bool     `json:"disabled,omitempty"`
	Replay      bool      `json:"replay,omitempty"`
}

// RotateOrgWebhookSecret rotates an endpoint's signing secret. The
// previous secret keeps signing for OverlapSeconds (absent: a day; 0:
// not at all; at most 7 days).
type RotateOrgWebhookSecret struct {
	OverlapSeconds *int `json:"overlap_seconds,omitempty"`
}
