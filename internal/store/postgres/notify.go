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
	// idleCheck is how long a listening connection may stay silent before
	// it is pinged, so that a dead one is noticed (and replaced) soon.
	idleCheck = 30 * time.Second
	// pingTimeout bounds that ping.
	pingTimeout = 10 * time.Second
	// Reconnection waits start at retryMin and double up to retryMax.
	retryMin = 100 * time.Millisecond
	retryMax = 5 * time.Second
)

// bus is NOTIFY and LISTEN. Notify runs pg_notify in the sender's
// transaction, which PostgreSQL delivers when it commits and drops when it
// rolls back. Each Listen holds a connection of its own, outside the pool:
// a pooled connection would have to leave the pool for good anyway, and
// return it listening if it ever went back.
type bus struct {
	config *pgx.ConnConfig
}

func newBus(dsn string) (*bus, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if cfg.RuntimeParams["application_name"] == "" {
		cfg.RuntimeParams["application_name"] = "keywarden listener"
	}
	return &bus{config: cfg}, nil
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
	conn, err := pgx.ConnectConfig(ctx, b.config)
	if err != nil {
		return false, err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		conn.Close(cctx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
		return false, err
	}
	fn("")
	for {
		wctx, cancel := context.WithTimeout(ctx, idleCheck)
		n, err := conn.WaitForNotification(wctx)
		idle := errors.Is(wctx.Err(), context.DeadlineExceeded)
		cancel()
		switch {
		case err == nil:
			fn(n.Payload)
		case ctx.Err() != nil:
			return true, ctx.Err()
		case idle:
			// Silent for idleCheck. A timed-out wait leaves the
			// connection usable; a dead one fails the ping.
			pctx, cancel := context.WithTimeout(ctx, pingTimeout)
			err := conn.Ping(pctx)
			cancel()
			if err != nil {
				return true, fmt.Errorf("ping: %w", err)
			}
		default:
			return true, err
		}
	}
}
