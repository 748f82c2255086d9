package sqlstore

import (
	"context"
	"database/sql"
	"sync"

	"keywarden/internal/store"
)

// Conn is what a Bus's Notify gets of the Store or Tx that sends.
type Conn interface {
	// Exec runs a statement with "?" placeholders in the sender's
	// transaction, or on the database outside one.
	Exec(ctx context.Context, query string, args ...any) (sql.Result, error)
	// AfterCommit runs f once the sender's transaction has committed, and
	// never if it rolls back; outside a transaction it runs f at once.
	AfterCommit(f func())
}

// Bus is how an engine carries store.Notifier's notifications.
type Bus interface {
	// Notify sends a checked notification from s, in s's transaction when
	// it has one: listeners hear it once that commits.
	Notify(ctx context.Context, s Conn, channel, payload string) error
	// Listen is store.Notifier.Listen on a checked channel, returning when
	// ctx ends (the Store ends ctx when it closes).
	Listen(ctx context.Context, channel string, fn func(payload string), onError func(error))
}

// Notify implements store.Notifier.
func (s *conn) Notify(ctx context.Context, channel, payload string) error {
	if err := store.CheckNotification(channel, payload); err != nil {
		return err
	}
	return s.bus.Notify(ctx, s, channel, payload)
}

// Listen implements store.Notifier. Close ends every Listen and waits for
// it to return.
func (s *Store) Listen(ctx context.Context, channel string, fn func(payload string), onError func(error)) error {
	if err := store.CheckChannel(channel); err != nil {
		return err
	}
	if !s.life.enter() {
		return nil
	}
	defer s.life.wg.Done()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(s.life.ctx, cancel)
	defer stop()
	s.bus.Listen(ctx, channel, fn, onError)
	return nil
}

// Exec runs a statement with "?" placeholders in s's transaction, or on
// the database outside one, for backends' own statements.
func (s *conn) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return s.exec(ctx, query, args...)
}

// AfterCommit runs f once s's transaction has committed, and never if it
// rolls back; outside a transaction it runs f at once.
func (s *conn) AfterCommit(f func()) {
	if s.tx == nil {
		f()
		return
	}
	*s.afterCommit = append(*s.afterCommit, f)
}

// life is a Store's open/closed state, shared with its transactions' Stores.
type life struct {
	ctx    context.Context // ends when the Store closes
	cancel context.CancelFunc
	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup // running Listen calls
}

func newLife() *life {
	ctx, cancel := context.WithCancel(context.Background())
	return &life{ctx: ctx, cancel: cancel}
}

// enter registers a Listen call unless the Store is closed.
func (l *life) enter() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	l.wg.Add(1)
	return true
}

// close ends every Listen, waits for them, and reports whether this call
// closed the Store.
func (l *life) close() bool {
	l.mu.Lock()
	first := !l.closed
	l.closed = true
	l.mu.Unlock()
	l.cancel()
	l.wg.Wait()
	return first
}

// LocalBus is a Bus within one process: a notification reaches the
// listeners of every Store that shares the LocalBus, after the sending
// transaction commits. It cannot reach another process.
type LocalBus struct {
	mu   sync.Mutex
	subs map[string]map[*subscriber]struct{} // channel → listeners
}

// NewLocalBus returns an empty LocalBus.
func NewLocalBus() *LocalBus {
	return &LocalBus{subs: map[string]map[*subscriber]struct{}{}}
}

// subscriber is one Listen call's queue. The queue is unbounded so that a
// slow listener never holds up a committing transaction.
type subscriber struct {
	mu    sync.Mutex
	queue []string
	wake  chan struct{} // capacity 1: "the queue is not empty"
}

// Notify implements Bus.
func (b *LocalBus) Notify(_ context.Context, s Conn, channel, payload string) error {
	s.AfterCommit(func() { b.publish(channel, payload) })
	return nil
}

func (b *LocalBus) publish(channel, payload string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for sub := range b.subs[channel] {
		sub.mu.Lock()
		sub.queue = append(sub.queue, payload)
		sub.mu.Unlock()
		select {
		case sub.wake <- struct{}{}:
		default:
		}
	}
}

// Listen implements Bus. It never fails, so it never calls onError.
func (b *LocalBus) Listen(ctx context.Context, channel string, fn func(payload string), _ func(error)) {
	sub := &subscriber{wake: make(chan struct{}, 1)}
	b.mu.Lock()
	if b.subs[channel] == nil {
		b.subs[channel] = map[*subscriber]struct{}{}
	}
	b.subs[channel][sub] = struct{}{}
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		delete(b.subs[channel], sub)
		if len(b.subs[channel]) == 0 {
			delete(b.subs, channel)
		}
		b.mu.Unlock()
	}()
	fn("")
	for {
		select {
		case <-ctx.Done():
			return
		case <-sub.wake:
		}
		sub.mu.Lock()
		batch := sub.queue
		sub.queue = nil
		sub.mu.Unlock()
		for _, p := range batch {
			if ctx.Err() != nil {
				return
			}
			fn(p)
		}
	}
}
