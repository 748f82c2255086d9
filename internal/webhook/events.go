package webhook

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"keywarden/internal/domain"
)

// Event types. docs/webhooks.md describes each payload.
const (
	TypeSecretCreated      = "secret.created"
	TypeSecretExpiring     = "secret.expiring"
	TypeSecretExpired      = "secret.expired"
	TypeSecretRevoked      = "secret.revoked"
	TypeRefreshTokenIssued = "refresh_token.issued"
	TypeClientUpdated      = "client.updated"
	TypeClientDisabled     = "client.disabled"
	TypeCredentialRevoked  = "credential.revoked"
	TypeSecretLeaked       = "secret.leaked"
	TypeCredentialLeaked   = "credential.leaked"
	TypeKeyCreated         = "key.created"
	TypeKeyRevoked         = "key.revoked"
	// The health stages of an endpoint and the expiry summary go to
	// organisation endpoints only (see OrgOnly).
	TypeEndpointFailing   = "webhook.endpoint_failing"
	TypeEndpointExhausted = "webhook.endpoint_exhausted"
	TypeEndpointDisabled  = "webhook.endpoint_disabled"
	TypeEndpointRecovered = "webhook.endpoint_recovered"
	TypeExpiringSummary   = "secrets.expiring_summary"
	// TypeCredentialRequired: a user does not comply with the policy's
	// personal credential requirement (organisation endpoints only).
	TypeCredentialRequired = "user.credential_required"
)

// Types lists the event types a client's endpoint may select.
func Types() []string {
	return []string{TypeSecretCreated, TypeSecretExpiring, TypeSecretExpired, TypeSecretRevoked,
		TypeRefreshTokenIssued, TypeClientUpdated, TypeClientDisabled, TypeCredentialRevoked, TypeSecretLeaked, TypeCredentialLeaked,
		TypeKeyCreated, TypeKeyRevoked}
}

// OrgTypes lists every event type: those of Types, and those only
// organisation endpoints receive.
func OrgTypes() []string {
	return append(Types(),
		TypeEndpointFailing, TypeEndpointExhausted, TypeEndpointDisabled, TypeEndpointRecovered, TypeExpiringSummary,
		TypeCredentialRequired)
}

// Why a secret was revoked (secret.revoked's data.reason).
const (
	ReasonRevoked           = "revoked"            // one secret, by someone
	ReasonRotationCompleted = "rotation_completed" // a rotation retired it
	ReasonRevokeAll         = "revoke_all"         // the breach response revoked every secret
	ReasonLeaked            = "leaked"             // a leak report named its value (docs/leaks.md)
	ReasonRotationReplaced  = "rotation_replaced"  // a new rotation replaced the one it started
)

// PrefixMessage starts every webhook-id.
const PrefixMessage = "msg_"

// Event is one thing that happened in an organisation. The client's
// endpoint (when ClientID is set and OrgOnly is not) and every endpoint
// of the organisation whose selection wants it receive it as the JSON
// payload {"type", "timestamp", "data"}.
type Event struct {
	Type     string
	OrgID    domain.OrgID
	ClientID domain.ClientID // "" for an event about no client (a user's, the organisation's)
	At       time.Time
	Data     any // marshalled as "data"; never holds a secret value
	// OrgOnly keeps the event from the client's own endpoint: only
	// organisation endpoints receive it.
	OrgOnly bool
	// NotTo names an organisation endpoint that must not receive the
	// event: the one whose health stage it tells (it would report its own
	// failure to itself, in a loop).
	NotTo string
}

// payload is the body of a delivery.
type payload struct {
	Type      string    `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	Data      any       `json:"data"`
}

// Payload returns the JSON body that carries e.
func Payload(e Event) ([]byte, error) {
	b, err := json.Marshal(payload{Type: e.Type, Timestamp: e.At.UTC(), Data: e.Data})
	if err != nil {
		return nil, fmt.Errorf("webhook payload %s: %w", e.Type, err)
	}
	return b, nil
}

// secretData describes a secret by everything but its value.
type secretData struct {
	ClientID    domain.ClientID `json:"client_id"`
	SecretID    domain.SecretID `json:"secret_id"`
	Description string          `json:"description"`
	Hint        string          `json:"hint"` // the value's last four characters
	Origin      string          `json:"origin"`
	CreatedAt   time.Time       `json:"created_at"`
	ExpiresAt   *time.Time      `json:"expires_at"` // null: never expires
	RevokedAt   *time.Time      `json:"revoked_at,omitempty"`
	// DaysBefore is the notice of a secret.expiring event: 14, 7 or 1.
	DaysBefore int `json:"days_before,omitempty"`
	// Reason and AccessTokens describe a secret.revoked event.
	Reason       string `json:"reason,omitempty"`
	AccessTokens string `json:"access_tokens,omitempty"` // "revoked" or "kept"
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func describeSecret(x domain.Secret) secretData {
	return secretData{ClientID: x.ClientID, SecretID: x.ID, Description: x.Description, Hint: x.Hint,
		Origin: string(x.Origin), CreatedAt: x.CreatedAt.UTC(), ExpiresAt: utc(x.ExpiresAt)}
}

// SecretCreated is secret.created: a secret was added (also by a rotation).
func SecretCreated(x domain.Secret) Event {
	return Event{Type: TypeSecretCreated, OrgID: x.OrgID, ClientID: x.ClientID, At: x.CreatedAt, Data: describeSecret(x)}
}

// SecretExpiring is secret.expiring: the notice daysBefore (14, 7 or 1)
// days before the secret expires.
func SecretExpiring(x domain.Secret, daysBefore int, at time.Time) Event {
	d := describeSecret(x)
	d.DaysBefore = daysBefore
	return Event{Type: TypeSecretExpiring, OrgID: x.OrgID, ClientID: x.ClientID, At: at, Data: d}
}

// SecretExpired is secret.expired: the secret's expiry passed, and it
// authenticates nothing any more.
func SecretExpired(x domain.Secret, at time.Time) Event {
	return Event{Type: TypeSecretExpired, OrgID: x.OrgID, ClientID: x.ClientID, At: at, Data: describeSecret(x)}
}

// SecretRevoked is secret.revoked for one secret. x is the secret as it
// is after the revocation (RevokedAt and KeepTokens set); reason is one of
// the Reason constants.
func SecretRevoked(x domain.Secret, reason string) Event {
	d := describeSecret(x)
	d.RevokedAt, d.Reason, d.AccessTokens = utc(x.RevokedAt), reason, "revoked"
	if x.KeepTokens {
		d.AccessTokens = "kept"
	}
	at := time.Time{}
	if x.RevokedAt != nil {
		at = *x.RevokedAt
	}
	return Event{Type: TypeSecretRevoked, OrgID: x.OrgID, ClientID: x.ClientID, At: at, Data: d}
}

// SecretsRevoked returns one secret.revoked event for each of secrets that
// was unrevoked before at: what revoke-all revoked. Each is described as
// revoked at at, its access tokens with it.
func SecretsRevoked(secrets []domain.Secret, at time.Time, reason string) []Event {
	var out []Event
	for _, x := range secrets {
		if x.RevokedAt != nil {
			continue
		}
		x.RevokedAt, x.KeepTokens = &at, false
		out = append(out, SecretRevoked(x, reason))
	}
	return out
}

// keyData describes a client's public key (private_key_jwt).
type keyData struct {
	ClientID    domain.ClientID    `json:"client_id"`
	KeyID       domain.ClientKeyID `json:"key_id"`
	KID         string             `json:"kid"`
	Algorithm   string             `json:"alg"`
	Thumbprint  string             `json:"thumbprint"`         // RFC 7638, SHA-256, base64url
	JWKSURI     string             `json:"jwks_uri,omitempty"` // for an entry registered as a JWK Set URL
	Description string             `json:"description"`
	CreatedAt   time.Time          `json:"created_at"`
	ExpiresAt   *time.Time         `json:"expires_at"` // null: never expires
	RevokedAt   *time.Time         `json:"revoked_at,omitempty"`
	// Reason and AccessTokens describe a key.revoked event.
	Reason       string `json:"reason,omitempty"`
	AccessTokens string `json:"access_tokens,omitempty"` // always "revoked"
}

func describeKey(k domain.ClientKey) keyData {
	return keyData{ClientID: k.ClientID, KeyID: k.ID, KID: k.KID, Algorithm: k.Algorithm, Thumbprint: k.Thumbprint, JWKSURI: k.JWKSURI,
		Description: k.Description, CreatedAt: k.CreatedAt.UTC(), ExpiresAt: utc(k.ExpiresAt)}
}

// KeyCreated is key.created: a public key was registered for a client.
func KeyCreated(k domain.ClientKey) Event {
	return Event{Type: TypeKeyCreated, OrgID: k.OrgID, ClientID: k.ClientID, At: k.CreatedAt, Data: describeKey(k)}
}

// KeyRevoked is key.revoked: k (RevokedAt set) was revoked, and the access
// tokens it authenticated for with it; reason is one of the Reason
// constants (ReasonRevoked or ReasonRevokeAll).
func KeyRevoked(k domain.ClientKey, reason string) Event {
	d := describeKey(k)
	d.RevokedAt, d.Reason, d.AccessTokens = utc(k.RevokedAt), reason, "revoked"
	at := time.Time{}
	if k.RevokedAt != nil {
		at = *k.RevokedAt
	}
	return Event{Type: TypeKeyRevoked, OrgID: k.OrgID, ClientID: k.ClientID, At: at, Data: d}
}

type refreshData struct {
	ClientID       domain.ClientID       `json:"client_id"`
	RefreshTokenID domain.RefreshTokenID `json:"refresh_token_id"`
	Hint           string                `json:"hint"`
	CreatedBy      string                `json:"created_by"`
	CreatedAt      time.Time             `json:"created_at"`
	ExpiresAt      time.Time             `json:"expires_at"`
}

// RefreshTokenIssued is refresh_token.issued: someone generated a refresh
// token for the client (seed 003, step 4).
func RefreshTokenIssued(t domain.RefreshToken) Event {
	return Event{Type: TypeRefreshTokenIssued, OrgID: t.OrgID, ClientID: t.ClientID, At: t.CreatedAt, Data: refreshData{
		ClientID: t.ClientID, RefreshTokenID: t.ID, Hint: t.Hint, CreatedBy: t.CreatedBy, CreatedAt: t.CreatedAt.UTC(), ExpiresAt: t.ExpiresAt.UTC(),
	}}
}

type clientData struct {
	ClientID domain.ClientID `json:"client_id"`
	Name     string          `json:"name"`
	Status   string          `json:"status"` // "active" or "disabled"
	Fields   []string        `json:"fields"` // what changed
}

// ClientUpdated is client.disabled when fields include "disabled" and the
// client is now disabled, client.updated otherwise. c is the client after
// the change.
func ClientUpdated(c domain.Client, fields []string) Event {
	typ, status := TypeClientUpdated, "active"
	if c.Disabled {
		status = "disabled"
		if slices.Contains(fields, "disabled") {
			typ = TypeClientDisabled
		}
	}
	if fields == nil {
		fields = []string{}
	}
	return Event{Type: typ, OrgID: c.OrgID, ClientID: c.ID, At: c.UpdatedAt, Data: clientData{
		ClientID: c.ID, Name: c.Name, Status: status, Fields: fields,
	}}
}

type credentialData struct {
	ClientID  domain.ClientID `json:"client_id"`
	UserID    domain.UserID   `json:"user_id"`
	RevokedAt time.Time       `json:"revoked_at"`
	Secrets   []secretData    `json:"secrets"`
}

// CredentialRevoked is credential.revoked: a user's personal credential (c,
// a client with OwnerUserID) was revoked. secrets are the ones the
// revocation ended, as they were before it. It goes to c's own webhook
// endpoint, if it has one, and to the organisation's endpoints.
//
// The personal-credential code enqueues it in the revoking transaction:
//
//	err = events.Enqueue(ctx, tx, webhook.CredentialRevoked(c, active, now))
func CredentialRevoked(c domain.Client, secrets []domain.Secret, at time.Time) Event {
	d := credentialData{ClientID: c.ID, UserID: c.OwnerUserID, RevokedAt: at.UTC(), Secrets: []secretData{}}
	for _, x := range secrets {
		d.Secrets = append(d.Secrets, describeSecret(x))
	}
	return Event{Type: TypeCredentialRevoked, OrgID: c.OrgID, ClientID: c.ID, At: at, Data: d}
}

type healthData struct {
	// Endpoint is "client" (ClientID's endpoint) or "organization"
	// (EndpointID).
	Endpoint     string          `json:"endpoint"`
	ClientID     domain.ClientID `json:"client_id,omitempty"`
	EndpointID   string          `json:"endpoint_id,omitempty"`
	URL          string          `json:"url"`
	Stage        string          `json:"stage"`
	FailingSince time.Time       `json:"failing_since"`
	FailedFor    string          `json:"failed_for,omitempty"`
	LastError    string          `json:"last_error,omitempty"`
	DisabledAt   *time.Time      `json:"disabled_at,omitempty"`
}

// healthType is the event type of a health stage.
func healthType(stage string) string {
	switch stage {
	case StageFailing:
		return TypeEndpointFailing
	case StageExhausted:
		return TypeEndpointExhausted
	case StageDisabled:
		return TypeEndpointDisabled
	}
	return TypeEndpointRecovered
}

// EndpointHealth is webhook.endpoint_<stage>: an endpoint reached a
// health stage. It goes to organisation endpoints only, never to the
// endpoint it is about (notTo).
func EndpointHealth(org domain.OrgID, clientID domain.ClientID, endpointID, url, stage string, failingSince time.Time, lastError string, at time.Time) Event {
	d := healthData{Endpoint: "client", ClientID: clientID, EndpointID: endpointID, URL: url, Stage: stage,
		FailingSince: failingSince.UTC(), LastError: lastError}
	if endpointID != "" {
		d.Endpoint = "organization"
	}
	switch stage {
	case StageRecovered:
		d.FailedFor, d.LastError = at.Sub(failingSince).Round(time.Second).String(), ""
	case StageDisabled:
		d.DisabledAt = utc(&at)
	}
	return Event{Type: healthType(stage), OrgID: org, At: at, Data: d, OrgOnly: true, NotTo: endpointID}
}

// ExpiringSecret is one secret in an expiry summary.
type ExpiringSecret struct {
	ClientID    domain.ClientID `json:"client_id"`
	SecretID    domain.SecretID `json:"secret_id"`
	Description string          `json:"description"`
	Hint        string          `json:"hint"`
	ExpiresAt   time.Time       `json:"expires_at"`
}

// SummaryWindow is the secrets expiring within Days days (and not within
// a shorter window of the summary).
type SummaryWindow struct {
	Days    int              `json:"days"`
	Count   int              `json:"count"`
	Secrets []ExpiringSecret `json:"secrets"`
	// Truncated says Secrets lists only the first MaxSummarySecrets.
	Truncated bool `json:"truncated,omitempty"`
}

type summaryData struct {
	Period  time.Time       `json:"period"`
	Windows []SummaryWindow `json:"windows"`
}

// ExpiringSummary is secrets.expiring_summary: the organisation's secrets
// that expire within 1, 7 and 14 days, sent once a period.
func ExpiringSummary(org domain.OrgID, period time.Time, windows []SummaryWindow, at time.Time) Event {
	return Event{Type: TypeExpiringSummary, OrgID: org, At: at, Data: summaryData{Period: period.UTC(), Windows: windows}, OrgOnly: true}
}

type credentialRequiredData struct {
	UserID   domain.UserID `json:"user_id"`
	Email    string        `json:"email"`
	Role     domain.Role   `json:"role"`
	State    string        `json:"state"`
	RotateBy *time.Time    `json:"rotate_by,omitempty"`
	// MaxLifetimeDays is the longest expiry the user's role may give the
	// credential.
	MaxLifetimeDays int `json:"max_lifetime_days"`
}

// CredentialRequired is user.credential_required: u does not comply with
// the policy's personal credential requirement (state: missing, lifetime,
// rotate, overdue); sent once per user and period.
func CredentialRequired(u domain.User, state domain.Compliance, rotateBy *time.Time, maxDays int, at time.Time) Event {
	return Event{Type: TypeCredentialRequired, OrgID: u.OrgID, At: at, OrgOnly: true, Data: credentialRequiredData{UserID: u.ID,
		Email: u.Email, Role: u.Role, State: string(state), RotateBy: utc(rotateBy), MaxLifetimeDays: maxDays}}
}

// Wants reports whether an endpoint with the event selection filter
// receives events of type typ. An empty selection receives everything; an
// entry is an event type, "group.*" (e.g. "secret.*") or "*".
func Wants(filter []string, typ string) bool {
	if len(filter) == 0 {
		return true
	}
	for _, f := range filter {
		if f == "*" || f == typ || (strings.HasSuffix(f, ".*") && strings.HasPrefix(typ, strings.TrimSuffix(f, "*"))) {
			return true
		}
	}
	return false
}

// validSelector reports whether s is one of types, a group of them
// ("secret.*") or "*".
func validSelector(types []string, s string) bool {
	if s == "*" {
		return true
	}
	for _, t := range types {
		group, _, _ := strings.Cut(t, ".")
		if s == t || s == group+".*" {
			return true
		}
	}
	return false
}

// MaxSelectors bounds an event selection.
const MaxSelectors = 32

// NormalizeEvents checks a client endpoint's event selection for field
// and returns it without duplicates; problems go to v. An empty selection
// (every event) comes back nil.
func NormalizeEvents(v *domain.ValidationError, field string, events []string) []string {
	return normalizeEvents(Types(), v, field, events)
}

// NormalizeOrgEvents is NormalizeEvents for an organisation endpoint,
// which may select every type of OrgTypes.
func NormalizeOrgEvents(v *domain.ValidationError, field string, events []string) []string {
	return normalizeEvents(OrgTypes(), v, field, events)
}

func normalizeEvents(types []string, v *domain.ValidationError, field string, events []string) []string {
	if len(events) > MaxSelectors {
		v.Add(field, fmt.Sprintf("at most %d entries", MaxSelectors))
		return nil
	}
	var out []string
	for _, e := range events {
		e = strings.TrimSpace(e)
		if !validSelector(types, e) {
			v.Add(field, fmt.Sprintf("%q is not an event type; use one of %s, a group such as secret.*, or * (an empty list means every event)",
				e, strings.Join(types, ", ")))
			continue
		}
		if !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	return out
}
