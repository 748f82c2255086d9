package domain

import (
	"strings"
	"time"
)

// Audit results.
const (
	ResultSuccess = "success"
	ResultFailure = "failure"
)

// AuditEvent is one append-only record. Seq orders the chain; Hash covers
// every other field and PrevHash, so an edited, deleted or reordered row
// breaks the chain.
type AuditEvent struct {
	Seq       int64
	ID        string
	OrgID     OrgID
	At        time.Time
	ActorKind ActorKind
	ActorID   string
	Action    string // e.g. "secret.create", "client.authenticate"
	Target    string // e.g. the client ID or secret ID; never a secret value
	Source    string
	Result    string
	// Detail holds extra, non-secret facts (e.g. a failure reason).
	Detail map[string]string
	// Changes are the fields the action changed, before and after, in
	// the order the action lists them; empty for events that changed no
	// named field.
	Changes  []AuditChange
	PrevHash []byte
	Hash     []byte
	// ClientID is the client the event is about, as stored beside the
	// event for the client's activity (AuditEvent.Client derives it; the
	// hash does not cover it, so verification checks that it is what the
	// hashed fields say).
	ClientID ClientID
}

// AuditChange is one field an action changed: its value before and
// after, as text (never a secret value).
type AuditChange struct {
	Field  string `json:"field"`
	Before string `json:"before"`
	After  string `json:"after"`
}

// Client is the client an event is about, derived from hashed fields
// only: the target when it is a client (or personal credential), else the
// client_id the detail names. Events about a client's secrets, rotations,
// refresh tokens and deliveries name it in their detail.
//
// The test is the ID's prefix only, as migration 00066 backfills it in SQL.
func (e AuditEvent) Client() ClientID {
	isClient := func(s string) bool { return strings.HasPrefix(s, PrefixClient) || strings.HasPrefix(s, PrefixPersonal) }
	if isClient(e.Target) {
		return ClientID(e.Target)
	}
	if id := e.Detail["client_id"]; isClient(id) {
		return ClientID(id)
	}
	return ""
}

// AuditName is what an ID in an audit event refers to, for people: a
// client's name, a secret's description, a user's email. ClientID is the
// client a secret or rotation belongs to (for links).
type AuditName struct {
	Kind     string   `json:"kind"` // "client", "secret", "user", "api_token", "rotation"
	Name     string   `json:"name"`
	ClientID ClientID `json:"client_id,omitempty"`
}

// AuditArchive marks where the kept chain starts after retention removed
// older events: the last removed event's sequence number and hash, under a
// MAC only Keywarden can make (package audit). The first kept event links
// to Hash.
type AuditArchive struct {
	Seq        int64
	Hash       []byte
	ArchivedAt time.Time
	MAC        []byte
}

// AuditChainState is the chain as one snapshot sees it.
type AuditChainState struct {
	HeadSeq  int64
	HeadHash []byte
	// Archive is nil while nothing was archived.
	Archive *AuditArchive
}

// AuditStream is an audit stream an organisation configured: where its
// events go (see package auditstream). TokenSealed is the receiver's token
// sealed with the keyring (nil without one); Delivered is the stream's
// position in the chain.
type AuditStream struct {
	ID          string
	OrgID       OrgID
	Name        string
	URL         string
	Format      string
	TokenSealed []byte
	Delivered   int64
	CreatedAt   time.Time
	// DeliveredAt is when the stream last moved forward (nil: never).
	DeliveredAt *time.Time
	// Failures counts the rounds in a row that failed (0 once a batch is
	// delivered again); LastError and LastErrorAt are the last failure's,
	// kept after a recovery ("" and nil: it never failed).
	Failures    int
	LastError   string
	LastErrorAt *time.Time
}
