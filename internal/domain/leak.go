package domain

import "time"

// PrefixLeak is the ID prefix of a recorded leak.
const PrefixLeak = "lk_"

// LeakKind is what kind of value leaked.
type LeakKind string

// The kinds of values a leak report can name.
const (
	LeakSecret       LeakKind = "secret"        // a client secret or a personal credential's secret (kws_)
	LeakRefreshToken LeakKind = "refresh_token" // kwr_
	LeakAPIToken     LeakKind = "api_token"     // kwt_
	LeakSession      LeakKind = "session"       // kwu_
)

// LeakResponse is what Keywarden did about a leak.
type LeakResponse string

// Responses to a leak: the organisation's policy picks revoke or
// quarantine for secrets; every other kind is revoked.
const (
	LeakRevoked     LeakResponse = "revoked"
	LeakQuarantined LeakResponse = "quarantined"
)

// Leak responses an organisation's policy can choose for secrets.
const (
	LeakPolicyRevoke     = "revoke"
	LeakPolicyQuarantine = "quarantine"
)

// Leak is a live value of an organisation that a report said was exposed,
// and what was done about it. A value is recorded once: the first report
// responds, later ones only count.
type Leak struct {
	ID       string
	OrgID    OrgID
	ClientID ClientID // the secret's or refresh token's client; "" otherwise
	UserID   UserID   // the API token's or session's user; "" otherwise
	Kind     LeakKind
	TargetID string // the secret, refresh token, API token or session
	Hint     string // the value's last four characters
	// SourceURL and Source say where the value was found, as the reporter
	// said (for GitHub: the file's URL and "content", "commit", …).
	SourceURL  string
	Source     string
	Reporter   string // "github", or the reporting actor ("user:usr_…", "leak-reporter")
	ReportedAt time.Time
	Response   LeakResponse
	// QuarantineUntil is when a quarantined secret expires.
	QuarantineUntil *time.Time
}
