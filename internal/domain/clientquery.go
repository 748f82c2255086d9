package domain

import (
	"encoding/base64"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ClientSort is the order of a client search.
type ClientSort string

const (
	SortCreated  ClientSort = "created"
	SortName     ClientSort = "name"
	SortLastUsed ClientSort = "last_used"
)

// ClientQuery is a search of an organisation's clients, run in the store:
// every filter is optional.
type ClientQuery struct {
	// Text matches the name, the client ID or the description, case
	// insensitively (ASCII), as a substring.
	Text string
	// Disabled, when set, keeps only disabled (true) or active clients.
	Disabled *bool
	// HasActiveSecret, when set, keeps clients with (true) or without an
	// active secret at Now.
	HasActiveSecret *bool
	// UnusedSince keeps clients not used since then (and created before
	// it): "unused for N days" is Now minus N days.
	UnusedSince *time.Time
	// UnusedDays, when above 0, sets UnusedSince to Now minus that many
	// days.
	UnusedDays int
	// ExpiringBefore keeps clients with an active secret that expires
	// before then.
	ExpiringBefore *time.Time
	Sort           ClientSort // SortCreated when empty
	Desc           bool
	Now            time.Time
	Page           Page
}

// ClientSummary is a client as a list shows it, with figures of its
// secrets at the query's Now.
type ClientSummary struct {
	Client
	ActiveSecrets int
	// NextExpiry is the earliest expiry of an active secret.
	NextExpiry *time.Time
}

// ClientCursor is a position in a client search: the sort key's value
// (a name, or Unix microseconds) and the client ID.
type ClientCursor struct {
	Sort ClientSort
	Key  string
	ID   string
}

// Encode returns the opaque form handed to callers.
func (c ClientCursor) Encode() string {
	return base64.RawURLEncoding.EncodeToString([]byte("c" + string(c.Sort) + "|" + c.ID + "|" + c.Key))
}

// DecodeClientCursor parses a cursor made by Encode for the sort s.
func DecodeClientCursor(s string, sort ClientSort) (ClientCursor, error) {
	bad := Invalid("cursor", "is not a cursor this server issued for this sort order")
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(raw) < 2 || raw[0] != 'c' || !utf8.Valid(raw) {
		return ClientCursor{}, bad
	}
	parts := strings.SplitN(string(raw[1:]), "|", 3)
	if len(parts) != 3 || ClientSort(parts[0]) != sort || !ValidID(PrefixClient, parts[1]) || strings.ContainsRune(parts[2], 0) {
		return ClientCursor{}, bad
	}
	if sort != SortName {
		if _, err := strconv.ParseInt(parts[2], 10, 64); err != nil {
			return ClientCursor{}, bad
		}
	}
	return ClientCursor{Sort: sort, ID: parts[1], Key: parts[2]}, nil
}
