package apiv1

import "time"

// ReportLeaks is the body of POST /v1/leaks: values found exposed, with
// where they were found.
type ReportLeaks struct {
	Values []LeakedValue `json:"values"`
}

// LeakedValue is one reported value, or its fingerprint: the hex SHA-256
// of the value, for a reporter that should not send the value on. Give
// exactly one.
type LeakedValue struct {
	Value       string `json:"value,omitempty"`
	Fingerprint string `json:"fingerprint,omitempty"`
	SourceURL   string `json:"source_url,omitempty"`
	Source      string `json:"source,omitempty"`
}

// LeakReportResult answers POST /v1/leaks: a label per value, in order.
// Labels: revoked, quarantined (this report shut a live value down),
// already_reported, inactive (revoked or expired before), unknown (not a
// value of this installation), invalid (not a Keywarden value at all).
type LeakReportResult struct {
	Labels []string `json:"labels"`
}

// Leak is one recorded leak of the organisation.
type Leak struct {
	ID              string     `json:"id"`
	Kind            string     `json:"kind"` // secret, refresh_token, api_token, session
	TargetID        string     `json:"target_id"`
	ClientID        string     `json:"client_id,omitempty"`
	UserID          string     `json:"user_id,omitempty"`
	Hint            string     `json:"hint,omitempty"`
	SourceURL       string     `json:"source_url,omitempty"`
	Source          string     `json:"source,omitempty"`
	Reporter        string     `json:"reporter"`
	ReportedAt      time.Time  `json:"reported_at"`
	Response        string     `json:"response"` // revoked or quarantined
	QuarantineUntil *time.Time `json:"quarantine_until,omitempty"`
}

// LeakList is the body of GET /v1/leaks.
type LeakList struct {
	Items []Leak `json:"items"`
}
