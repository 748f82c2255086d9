package webhook

import (
	"time"

	"keywarden/internal/domain"
)

// leakData is the data of secret.leaked and credential.leaked.
type leakData struct {
	secretData
	LeakID          string     `json:"leak_id"`
	SourceURL       string     `json:"source_url,omitempty"`
	Source          string     `json:"source,omitempty"`
	Reporter        string     `json:"reporter"`
	ReportedAt      time.Time  `json:"reported_at"`
	Response        string     `json:"response"`                   // "revoked" or "quarantined"
	QuarantineUntil *time.Time `json:"quarantine_until,omitempty"` // when a quarantined secret expires
	UserID          string     `json:"user_id,omitempty"`          // credential.leaked: the credential's owner
}

// SecretLeaked is secret.leaked: a leak report named x's value and
// Keywarden responded as l says (x is the secret after the response). For
// a personal credential (owner set) the type is credential.leaked.
func SecretLeaked(x domain.Secret, l domain.Leak, owner domain.UserID) Event {
	d := leakData{secretData: describeSecret(x), LeakID: l.ID, SourceURL: l.SourceURL, Source: l.Source, Reporter: l.Reporter,
		ReportedAt: l.ReportedAt.UTC(), Response: string(l.Response), QuarantineUntil: utc(l.QuarantineUntil), UserID: string(owner)}
	d.RevokedAt = utc(x.RevokedAt)
	typ := TypeSecretLeaked
	if owner != "" {
		typ = TypeCredentialLeaked
	}
	return Event{Type: typ, OrgID: x.OrgID, ClientID: x.ClientID, At: l.ReportedAt, Data: d}
}
