package domain

import (
	"encoding/base64"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Cursor is a position in a list ordered by (time, ID).
type Cursor struct {
	At time.Time
	ID string
}

// Encode returns the opaque form handed to API callers.
func (c Cursor) Encode() string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.At.UnixMicro(), 10) + "|" + c.ID))
}

// DecodeCursor parses a cursor made by Encode. A malformed cursor is a
// validation error on the "cursor" field.
func DecodeCursor(s string) (Cursor, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return Cursor{}, Invalid("cursor", "is not a cursor this server issued")
	}
	at, id, ok := strings.Cut(string(raw), "|")
	micros, err := strconv.ParseInt(at, 10, 64)
	// The ID goes into a query: PostgreSQL answers text that is not UTF-8,
	// or holds NUL, with an error, not with "no rows".
	if !ok || err != nil || id == "" || !utf8.ValidString(id) || strings.ContainsFunc(id, unicode.IsControl) {
		return Cursor{}, Invalid("cursor", "is not a cursor this server issued")
	}
	return Cursor{At: time.UnixMicro(micros).UTC(), ID: id}, nil
}

// EncodeSeq and DecodeSeq make cursors for lists ordered by sequence number.
func EncodeSeq(seq int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("s" + strconv.FormatInt(seq, 10)))
}

func DecodeSeq(s string) (int64, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil && len(raw) > 1 && raw[0] == 's' {
		if n, err := strconv.ParseInt(string(raw[1:]), 10, 64); err == nil && n > 0 {
			return n, nil
		}
	}
	return 0, Invalid("cursor", "is not a cursor this server issued")
}

// Page asks for one page of a list: up to Limit items after the opaque
// cursor After ("" for the first page).
type Page struct {
	After string
	Limit int
}

// Page size limits.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

// Size returns the page size to use.
func (p Page) Size() int {
	switch {
	case p.Limit <= 0:
		return DefaultLimit
	case p.Limit > MaxLimit:
		return MaxLimit
	}
	return p.Limit
}

// AuditFilter narrows ListAudit. Empty fields match everything.
type AuditFilter struct {
	Action  string // exact, or a prefix ending in "." (e.g. "secret.")
	ActorID string
	Target  string
	// ClientID keeps the events about the client and everything it holds
	// (AuditEvent.Client).
	ClientID ClientID
	Since    time.Time
	Until    time.Time
	Page     Page
}
