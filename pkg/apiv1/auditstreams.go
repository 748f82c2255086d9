package apiv1

import "time"

// AuditStream is one of the organisation's audit streams: where its audit
// log is sent, and how far the stream has got. The receiver's token is
// never returned (HasToken says whether there is one).
type AuditStream struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// URL is https:// or http:// (format ndjson or hec), or syslog+tls://
	// or syslog+tcp://host:port (format syslog).
	URL       string    `json:"url"`
	Format    string    `json:"format"`
	HasToken  bool      `json:"has_token"`
	CreatedAt time.Time `json:"created_at"`
	// DeliveredSeq is the sequence number of the last event delivered:
	// every event of the organisation up to it has been received.
	DeliveredSeq int64 `json:"delivered_seq"`
	// LatestSeq is the sequence number of the organisation's newest event
	// (0 when it has none). The stream is caught up when UndeliveredSince is nil.
	LatestSeq int64 `json:"latest_seq"`
	// UndeliveredSince is the time of the oldest event not delivered yet
	// (nil when the stream is caught up): how far behind the stream is.
	UndeliveredSince *time.Time `json:"undelivered_since"`
	// DeliveredAt is when the stream last delivered a batch (nil: never).
	DeliveredAt *time.Time `json:"delivered_at"`
	// Status is "ok", or "failing" while Failures > 0.
	Status string `json:"status"`
	// Failures counts the attempts in a row that failed (0 once a batch
	// is delivered again).
	Failures int `json:"failures"`
	// LastError and LastErrorAt are the last failure's, kept after a
	// recovery ("" and nil when the stream never failed).
	LastError   string     `json:"last_error"`
	LastErrorAt *time.Time `json:"last_error_at"`
}

// AuditStreamList is the organisation's audit streams, by name.
type AuditStreamList struct {
	Items []AuditStream `json:"items"`
}

// CreateAuditStream is the body of POST /v1/audit/streams.
type CreateAuditStream struct {
	Name string `json:"name"`
	URL  string `json:"url"`
	// Format is ndjson (the default for http and https), hec (Splunk HTTP
	// Event Collector) or syslog (the only one, and the default, for
	// syslog+tcp and syslog+tls).
	Format string `json:"format,omitempty"`
	// Token is sent to the receiver (Authorization: Bearer for ndjson,
	// Splunk for hec); stored sealed and never returned.
	Token string `json:"token,omitempty"`
}
