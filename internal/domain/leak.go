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

// LeakReport is what a reporter said about one leaked value.
type LeakReport struct {
	SourceURL string
	Source    string
	// Reporter names who reported: "github", "user:usr_…", "leak-reporter".
	Reporter string
}

// LeakStatus is what a reported value turned out to be.
type LeakStatus string

// Outcomes of a leak report for one value.
const (
	LeakUnknown         LeakStatus = "unknown"          // not a value of this installation
	LeakRevokedNow      LeakStatus = "revoked"          // live; this report revoked it
	LeakQuarantinedNow  LeakStatus = "quarantined"      // live; this report quarantined it
	LeakAlreadyReported LeakStatus = "already_reported" // an earlier report responded
	LeakAlreadyRevoked  LeakStatus = "already_revoked"  // revoked before the report: nothing changed
	LeakAlreadyExpired  LeakStatus = "already_expired"  // expired before the report: nothing changed
)

// LeakOutcome is the answer for one reported value.
type LeakOutcome struct {
	Status LeakStatus
	Leak   Leak // set for revoked and quarantined
}

// LeakActor is who the audit log says responded to a leak.
func LeakActor(org OrgID) Actor { return System(org, "leak-response") }
