package store

import (
	"context"
	"errors"
	"fmt"
)

// ChangesChannel is the channel on which a node announces a change to state
// that every node keeps in memory (clients and their secrets, the
// access-token deny list, the signing keys), so that every node, the
// sender included, drops or reloads its copy at once instead of after its
// cache lifetime. The packages that own the cached state own its payloads;
// a listener ignores payloads it does not know (a newer node's, during a
// rolling upgrade).
const ChangesChannel = "keywarden_changes"

// Limits of Notify's arguments (PostgreSQL's identifier length, and well
// below its 8000-byte payload limit).
const (
	MaxChannelLen = 63
	MaxPayloadLen = 4000
)

// Notifier carries small notifications between the nodes that share a
// database: PostgreSQL's NOTIFY and LISTEN; on SQLite, between the stores
// that one process opened on one database file.
//
// Delivery is at most once: a listener hears what is committed while it
// listens. Notifications are hints to drop or reload cached state, never
// the state itself, so a missed one costs only staleness until the cache's
// own lifetime ends.
type Notifier interface {
	// Notify sends payload to every listener on channel, this node's own
	// listeners too. On a Tx the listeners hear it when the transaction
	// commits, and never if it rolls back, so a change and its
	// announcement belong in one transaction. Identical notifications of
	// one transaction may be delivered once.
	Notify(ctx context.Context, channel, payload string) error
}

// Listener is the receiving end of Notifier; only a Store listens.
type Listener interface {
	// Listen calls fn with the payload of each notification on channel,
	// one at a time (notifications committed one after the other arrive in
	// that order), until ctx ends or the store closes; then it returns nil. It calls fn("") whenever it
	// starts listening, first and after reconnecting, because notifications
	// sent before may have been missed: the listener reloads what it
	// caches. Connection failures go to onError (when not nil) and Listen
	// reconnects with backoff. fn and onError run on Listen's goroutine,
	// never at once. Listen fails at once only for an invalid channel.
	Listen(ctx context.Context, channel string, fn func(payload string), onError func(error)) error
}

// ErrBadNotification reports an invalid channel name or payload.
var ErrBadNotification = errors.New("invalid notification")

// CheckChannel reports whether channel is a valid channel name: 1 to
// MaxChannelLen lower-case letters, digits and underscores, starting with a
// letter (the same identifier, unquoted or quoted, on every engine).
func CheckChannel(channel string) error {
	if channel == "" || len(channel) > MaxChannelLen {
		return fmt.Errorf("%w: channel %q must have 1 to %d characters", ErrBadNotification, channel, MaxChannelLen)
	}
	for i := range len(channel) {
		c := channel[i]
		if !(c >= 'a' && c <= 'z' || i > 0 && (c == '_' || c >= '0' && c <= '9')) {
			return fmt.Errorf("%w: channel %q must be lower-case letters, digits and underscores, starting with a letter", ErrBadNotification, channel)
		}
	}
	return nil
}

// CheckNotification reports whether Notify accepts channel and payload:
// a valid channel and a payload of 1 to MaxPayloadLen bytes ("" is what
// Listen hands fn when it starts listening).
func CheckNotification(channel, payload string) error {
	if err := CheckChannel(channel); err != nil {
		return err
	}
	if payload == "" || len(payload) > MaxPayloadLen {
		return fmt.Errorf("%w: payload must have 1 to %d bytes, has %d", ErrBadNotification, MaxPayloadLen, len(payload))
	}
	return nil
}
