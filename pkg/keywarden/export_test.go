package keywarden

import (
	"context"
	"time"
)

// WithSleep replaces the wait between attempts, so that tests control
// time instead of sleeping.
func WithSleep(f func(context.Context, time.Duration) error) Option {
	return func(c *Client) { c.sleep = f }
}

// WithClock replaces the clock that dates in Retry-After are read against.
func WithClock(now func() time.Time) Option {
	return func(c *Client) { c.now = now }
}

// SleepContext is the wait the client uses by default.
var SleepContext = sleepContext
