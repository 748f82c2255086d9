package auditstream

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"keywarden/internal/domain"
)

// Record is what a receiver gets for one audit event: every field the
// chain hashes, the hash and the previous hash (hex).
type Record struct {
	Seq       int64             `json:"seq"`
	Hash      string            `json:"hash"`
	PrevHash  string            `json:"prev_hash"`
	ID        string            `json:"id"`
	OrgID     string            `json:"org_id"`
	At        time.Time         `json:"at"`
	ActorKind string            `json:"actor_kind"`
	ActorID   string            `json:"actor_id"`
	Action    string            `json:"action"`
	Target    string            `json:"target"`
	Source    string            `json:"source"`
	Result    string            `json:"result"`
	Detail    map[string]string `json:"detail,omitempty"`
	// Changes are hashed only when there are some (see package audit).
	Changes []domain.AuditChange `json:"changes,omitempty"`
}

// NewRecord returns e's record.
func NewRecord(e domain.AuditEvent) Record {
	return Record{Seq: e.Seq, Hash: hex.EncodeToString(e.Hash), PrevHash: hex.EncodeToString(e.PrevHash), ID: e.ID, OrgID: string(e.OrgID),
		At: e.At.UTC(), ActorKind: string(e.ActorKind), ActorID: e.ActorID, Action: e.Action, Target: e.Target, Source: e.Source,
		Result: e.Result, Detail: e.Detail, Changes: e.Changes}
}

// JSON is the record as one line of JSON (no newline).
func (r Record) JSON() []byte {
	b, err := json.Marshal(r)
	if err != nil { // a struct of strings and a time: cannot fail
		panic(err)
	}
	return b
}

// HEC is the record as a Splunk HTTP Event Collector event: the record is
// the event, its time the event's time, in seconds.
func (r Record) HEC() []byte {
	b, err := json.Marshal(struct {
		Time       string `json:"time"`
		Source     string `json:"source"`
		Sourcetype string `json:"sourcetype"`
		Event      Record `json:"event"`
	}{strconv.FormatFloat(float64(r.At.UnixMicro())/1e6, 'f', 6, 64), "keywarden", "keywarden:audit", r})
	if err != nil {
		panic(err)
	}
	return b
}

// Syslog facility 13 is "log audit" (RFC 5424 §6.2.1); severities:
// informational for a success, notice for a failure.
const (
	facilityAudit = 13
	sevInfo       = 6
	sevNotice     = 5
	// sdID names Keywarden's structured data; 32473 is the private
	// enterprise number RFC 5612 reserves for documentation, the usual
	// choice for software without one of its own.
	sdID = "keywarden@32473"
)

// Syslog is the record as an RFC 5424 message: PRI, version, timestamp,
// host, app name "keywarden", no process ID, MSGID the action, the chain
// fields as structured data, and the JSON record as the message.
func (r Record) Syslog(host string) []byte {
	sev := sevInfo
	if r.Result != domain.ResultSuccess {
		sev = sevNotice
	}
	var b strings.Builder
	fmt.Fprintf(&b, "<%d>1 %s %s keywarden - %s [%s seq=\"%d\" hash=\"%s\" prev_hash=\"%s\" org=\"%s\"] ",
		facilityAudit*8+sev, r.At.UTC().Format("2006-01-02T15:04:05.000000Z"), header(host, 255), header(r.Action, 32),
		sdID, r.Seq, r.Hash, r.PrevHash, sdParam(r.OrgID))
	b.Write(r.JSON())
	return []byte(b.String())
}

// header makes s a valid RFC 5424 header field: printable US-ASCII
// without spaces, at most n characters, "-" when empty.
func header(s string, n int) string {
	out := make([]byte, 0, min(len(s), n))
	for i := 0; i < len(s) && len(out) < n; i++ {
		if c := s[i]; c > 32 && c < 127 {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return "-"
	}
	return string(out)
}

// sdParam escapes a structured-data parameter value (RFC 5424 §6.3.3).
func sdParam(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, `]`, `\]`).Replace(s)
}

// octetCounted frames msg for syslog over a stream: its length in
// decimal, a space, the message (RFC 6587 §3.4.1, RFC 5425 §4.3).
func octetCounted(msg []byte) []byte {
	return append(strconv.AppendInt(nil, int64(len(msg)), 10), append([]byte{' '}, msg...)...)
}
