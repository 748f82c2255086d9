package domain

import "time"

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
	Detail   map[string]string
	PrevHash []byte
	Hash     []byte
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
