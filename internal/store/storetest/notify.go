package storetest

import (
	"context"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"keywarden/internal/store"
)

// notifyWait bounds how long a test waits for a notification that must
// arrive.
const notifyWait = 10 * time.Second

// newChannel returns a channel name no other test uses: PostgreSQL's
// channels belong to the whole database, which parallel tests share.
func newChannel() string { return "kwtest_" + hex.EncodeToString(randomBytes(8)) }

// listener is a running Listen call.
type listener struct {
	payloads chan string   // what fn received, "" left out
	starts   chan struct{} // one per fn("")
	done     chan error    // Listen's result
	cancel   context.CancelFunc
}

// listen starts Listen on channel and waits until it listens. It stops at
// cleanup, failing the test unless Listen returns nil in time.
func listen(t *testing.T, s store.Store, channel string) *listener {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	l := &listener{payloads: make(chan string, 1000), starts: make(chan struct{}, 100), done: make(chan error, 1), cancel: cancel}
	go func() {
		l.done <- s.Listen(ctx, channel, func(payload string) {
			if payload == "" {
				l.starts <- struct{}{}
				return
			}
			l.payloads <- payload
		}, func(err error) { t.Logf("Listen(%s): %v", channel, err) })
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-l.done:
			if err != nil {
				t.Errorf("Listen(%s) = %v after its context ended, want nil", channel, err)
			}
		case <-time.After(notifyWait):
			t.Errorf("Listen(%s) did not return within %v of its context ending", channel, notifyWait)
		}
	})
	select {
	case <-l.starts:
	case err := <-l.done:
		t.Fatalf("Listen(%s) returned %v before listening", channel, err)
	case <-time.After(notifyWait):
		t.Fatalf("Listen(%s) did not call fn(\"\") within %v", channel, notifyWait)
	}
	return l
}

// next returns the next payload, failing the test if none comes in time.
func (l *listener) next(t *testing.T) string {
	t.Helper()
	select {
	case p := <-l.payloads:
		return p
	case <-time.After(notifyWait):
		t.Fatalf("no notification within %v", notifyWait)
		return ""
	}
}

// expect fails the test unless the next payloads are want, in order.
func (l *listener) expect(t *testing.T, who string, want ...string) {
	t.Helper()
	var got []string
	for range want {
		got = append(got, l.next(t))
		if !slices.Equal(got, want[:len(got)]) {
			break
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("%s heard %q, want %q", who, got, want)
	}
}

func mustNotify(t *testing.T, s store.Store, channel, payload string) {
	t.Helper()
	if err := s.Notify(t.Context(), channel, payload); err != nil {
		t.Fatalf("Notify(%s, %q): %v", channel, payload, err)
	}
}

// testNotifyDelivers sends notifications from sender outside a
// transaction, in a committed one and in a rolled-back one: receiver's
// listeners on the channel hear all but the rolled-back ones, in order, and
// a listener on another channel hears none of them. The closing "end"
// proves a negative: had the rolled-back notification been delivered, it
// would have come before.
func testNotifyDelivers(t *testing.T, sender, receiver store.Store) {
	ctx := t.Context()
	ch, other := newChannel(), newChannel()
	l1, l2 := listen(t, receiver, ch), listen(t, receiver, ch)
	lOther := listen(t, receiver, other)
	lSender := listen(t, sender, ch)

	mustNotify(t, sender, ch, "outside")
	err := sender.InTx(ctx, func(tx store.Tx) error {
		if err := tx.Notify(ctx, ch, "committed 1"); err != nil {
			return err
		}
		return tx.Notify(ctx, ch, "committed 2")
	})
	if err != nil {
		t.Fatalf("InTx with Notify: %v", err)
	}
	err = sender.InTx(ctx, func(tx store.Tx) error {
		if err := tx.Notify(ctx, ch, "rolled back"); err != nil {
			return err
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatalf("InTx = %v, want %v", err, errRollback)
	}
	mustNotify(t, sender, ch, "end")
	mustNotify(t, sender, other, "other")

	want := []string{"outside", "committed 1", "committed 2", "end"}
	l1.expect(t, "listener 1", want...)
	l2.expect(t, "listener 2", want...)
	lSender.expect(t, "the sender's listener", want...)
	lOther.expect(t, "the listener on another channel", "other")
}

// testNotifyWaitsForCommit checks that a transaction's notification is
// not heard while the transaction is open: a notification sent outside it
// in the meantime arrives first.
func testNotifyWaitsForCommit(t *testing.T, sender, receiver store.Store) {
	ctx := t.Context()
	ch := newChannel()
	l := listen(t, receiver, ch)
	err := sender.InTx(ctx, func(tx store.Tx) error {
		if err := tx.Notify(ctx, ch, "from the transaction"); err != nil {
			return err
		}
		mustNotify(t, sender, ch, "while it is open")
		if got := l.next(t); got != "while it is open" {
			t.Errorf("heard %q while the transaction was open, want only %q", got, "while it is open")
		}
		return nil
	})
	if err != nil {
		t.Fatalf("InTx: %v", err)
	}
	l.expect(t, "the listener after commit", "from the transaction")
}

func testNotifyRefusesBadInput(t *testing.T, s store.Store) {
	ctx := t.Context()
	for _, tc := range []struct {
		name, channel, payload string
	}{
		{"empty channel", "", "x"},
		{"upper case", "Keywarden", "x"},
		{"space", "a b", "x"},
		{"quote", `a"b`, "x"},
		{"leading digit", "1a", "x"},
		{"leading underscore", "_a", "x"},
		{"long channel", strings.Repeat("a", store.MaxChannelLen+1), "x"},
		{"empty payload", "a", ""},
		{"long payload", "a", strings.Repeat("x", store.MaxPayloadLen+1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.Notify(ctx, tc.channel, tc.payload); !errors.Is(err, store.ErrBadNotification) {
				t.Errorf("Notify(%q, %d bytes) = %v, want ErrBadNotification", tc.channel, len(tc.payload), err)
			}
			err := s.InTx(ctx, func(tx store.Tx) error { return tx.Notify(ctx, tc.channel, tc.payload) })
			if !errors.Is(err, store.ErrBadNotification) {
				t.Errorf("Notify in a transaction = %v, want ErrBadNotification", err)
			}
		})
	}
	for _, ch := range []string{"", "Bad", strings.Repeat("a", store.MaxChannelLen+1)} {
		// A bad channel fails at once, before fn is called.
		err := s.Listen(ctx, ch, func(string) { t.Errorf("Listen(%q) called fn", ch) }, nil)
		if !errors.Is(err, store.ErrBadNotification) {
			t.Errorf("Listen(%q) = %v, want ErrBadNotification", ch, err)
		}
	}
	// The longest payload and channel are fine.
	ch := (newChannel() + strings.Repeat("x", store.MaxChannelLen))[:store.MaxChannelLen]
	l := listen(t, s, ch)
	long := strings.Repeat("é", store.MaxPayloadLen/2)
	mustNotify(t, s, ch, long)
	if got := l.next(t); got != long {
		t.Errorf("heard %d bytes, want the %d sent", len(got), len(long))
	}
}

// testListenEndsWithStore checks that closing the store ends Listen, that
// Close may be called again, and that Listen on a closed store returns at
// once.
func testListenEndsWithStore(t *testing.T, s store.Store) {
	done := make(chan error, 1)
	started := make(chan struct{}, 1)
	go func() {
		done <- s.Listen(context.Background(), newChannel(), func(string) {
			select {
			case started <- struct{}{}:
			default:
			}
		}, nil)
	}()
	select {
	case <-started:
	case <-time.After(notifyWait):
		t.Fatalf("Listen did not start within %v", notifyWait)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Listen = %v after Close, want nil", err)
		}
	case <-time.After(notifyWait):
		t.Fatalf("Listen did not return within %v of Close", notifyWait)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
	late := make(chan error, 1)
	go func() { late <- s.Listen(context.Background(), newChannel(), func(string) {}, nil) }()
	select {
	case err := <-late:
		if err != nil {
			t.Errorf("Listen on a closed store = %v, want nil", err)
		}
	case <-time.After(notifyWait):
		t.Errorf("Listen on a closed store did not return")
	}
}

// testListenEndsWithContext checks that ending Listen's context ends it.
func testListenEndsWithContext(t *testing.T, s store.Store) {
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	started := make(chan struct{}, 1)
	go func() {
		done <- s.Listen(ctx, newChannel(), func(string) {
			select {
			case started <- struct{}{}:
			default:
			}
		}, nil)
	}()
	select {
	case <-started:
	case <-time.After(notifyWait):
		t.Fatalf("Listen did not start within %v", notifyWait)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Listen = %v after its context ended, want nil", err)
		}
	case <-time.After(notifyWait):
		t.Fatalf("Listen did not return within %v of its context ending", notifyWait)
	}
}
