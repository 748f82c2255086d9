package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"keywarden/internal/store/sqlstore"
)

// Listening connection timing.
const (
	// DefaultListenerCheck is how long a listening connection may stay
	// silent before it proves it still works, so that a dead one (a
	// peer or network that drops packets without a reset) is noticed and
	// replaced within a few seconds.
	DefaultListenerCheck = 2 * time.Second
	// DefaultListenerTimeout bounds that check, and each reconnection.
	DefaultListenerTimeout = 2 * time.Second
	// Reconnection waits start at retryMin and double up to retryMax.
	retryMin = 100 * time.Millisecond
	retryMax = 5 * time.Second
)

// Options tune a store; the zero value takes the defaults.
type Options struct {
	// ListenerCheck and ListenerTimeout: see DefaultListenerCheck and
	// DefaultListenerTimeout.
	ListenerCheck   time.Duration
	ListenerTimeout time.Duration
}

// bus is NOTIFY and LISTEN. Notify runs pg_notify in the sender's
// transaction, which PostgreSQL delivers when it commits and drops when it
// rolls back. Each Listen holds a connection of its own, outside the pool:
// a pooled connection would have to leave the pool for good anyway, and
// return it listening if it ever went back.
type bus struct {
	config         *pgx.ConnConfig
	check, timeout time.Duration
}

func newBus(dsn string, o Options) (*bus, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if cfg.RuntimeParams["application_name"] == "" {
		cfg.RuntimeParams["application_name"] = "keywarden listener"
	}
	b := &bus{config: cfg, check: o.ListenerCheck, timeout: o.ListenerTimeout}
	if b.check <= 0 {
		b.check = DefaultListenerCheck
	}
	if b.timeout <= 0 {
		b.timeout = DefaultListenerTimeout
	}
	// A connection attempt that hangs (a black-holed network) fails after
	// the timeout, and Listen tries again.
	if cfg.ConnectTimeout <= 0 || cfg.ConnectTimeout > b.timeout {
		cfg.ConnectTimeout = b.timeout
	}
	return b, nil
}

func (b *bus) Notify(ctx context.Context, s sqlstore.Conn, channel, payload string) error {
	_, err := s.Exec(ctx, "SELECT pg_notify(?, ?)", channel, payload)
	return err
}

func (b *bus) Listen(ctx context.Context, channel string, fn func(payload string), onError func(error)) {
	wait := retryMin
	for {
		listened, err := b.listen(ctx, channel, fn)
		if ctx.Err() != nil {
			return
		}
		if listened {
			wait = retryMin
		}
		if onError != nil {
			onError(fmt.Errorf("postgres: listen on %s (reconnecting in %v): %w", channel, wait, err))
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, retryMax)
	}
}

// listen connects, listens on channel and hands fn what arrives until the
// connection fails or ctx ends. It reports whether it got as far as
// listening.
func (b *bus) listen(ctx context.Context, channel string, fn func(payload string)) (bool, error) {
	cctx, cancel := context.WithTimeout(ctx, b.timeout)
	conn, err := pgx.ConnectConfig(cctx, b.config)
	cancel()
	if err != nil {
		return false, err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		conn.Close(cctx)
	}()
	lctx, cancel := context.WithTimeout(ctx, b.timeout)
	_, err = conn.Exec(lctx, "LISTEN "+pgx.Identifier{channel}.Sanitize())
	cancel()
	if err != nil {
		return false, err
	}
	fn("")
	for {
		wctx, cancel := context.WithTimeout(ctx, b.check)
		n, err := conn.WaitForNotification(wctx)
		idle := errors.Is(wctx.Err(), context.DeadlineExceeded)
		cancel()
		switch {
		case err == nil:
			fn(n.Payload)
		case ctx.Err() != nil:
			return true, ctx.Err()
		case idle:
			// Silent for the check interval. A timed-out wait leaves
			// the connection usable; a dead one fails the round trip
			// within the timeout (TCP alone may take many minutes to
			// give up on a peer that stopped answering).
			pctx, cancel := context.WithTimeout(ctx, b.timeout)
			err := conn.Ping(pctx)
			cancel()
			if err != nil {
				return true, fmt.Errorf("liveness check: no answer within %v: %w", b.timeout, err)
			}
		default:
			return true, err
		}
	}
}
