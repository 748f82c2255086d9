package account_test

import (
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"keywarden/internal/account"
	"keywarden/internal/domain"
	"keywarden/internal/slowhash"
	"keywarden/internal/store"
	"keywarden/internal/store/enginetest"
	"keywarden/internal/store/sqlite"
	"keywarden/internal/testkit"
)

// logins counts how racing logins ended.
type logins struct{ failed, limited, ok atomic.Int32 }

func (l *logins) add(t *testing.T, err error) {
	var limited *account.LoginRateLimitedError
	switch {
	case err == nil:
		l.ok.Add(1)
	case errors.Is(err, account.ErrBadCredentials):
		l.failed.Add(1)
	case errors.As(err, &limited):
		l.limited.Add(1)
	default:
		t.Errorf("login: %v", err)
	}
}

func withGate(g *slowhash.Gate) func(*account.Options) {
	return func(o *account.Options) { o.Hashes = g }
}

// TestLoginBurstIsEvaluatedWithinTheLimit races 40 wrong passwords from one
// address: only the limit's worth are checked (issue 9, rule 6; the old
// code checked all 40 against a limit of 5).
func TestLoginBurstIsEvaluatedWithinTheLimit(t *testing.T) {
	enginetest.Run(t, func(t *testing.T, open func(*testing.T) store.Store) {
		g := slowhash.New(slowhash.Options{Concurrency: 2, Queue: 100, MaxWait: time.Minute})
		e := newEnvOn(t, open(t), withGate(g))
		for _, email := range []string{"admin@acme.test", "nobody@acme.test"} {
			before := g.Turns()
			var l logins
			testkit.Race(40, func(i int) {
				_, err := e.svc.Login(t.Context(), account.LoginInput{Email: email, Password: fmt.Sprintf("wrong password %d", i), Source: "192.0.2.7"})
				l.add(t, err)
			})
			if l.failed.Load() != account.LoginFailureBurst || g.Turns()-before != account.LoginFailureBurst {
				t.Errorf("%s: 40 racing wrong passwords: %d evaluated, %d slow-hash turns, %d refused; want %d evaluated",
					email, l.failed.Load(), g.Turns()-before, l.limited.Load(), account.LoginFailureBurst)
			}
		}
	})
}

// TestLoginGuessingFromSixtyAddresses spreads password guesses for one
// account over 60 addresses: the account allows LoginGuessBurst, then
// LoginGuessesPerHour (issue 9, rule 8). The real user still logs in from
// the address they used before; from a new address they wait at most one
// refill interval.
func TestLoginGuessingFromSixtyAddresses(t *testing.T) {
	enginetest.Run(t, func(t *testing.T, open func(*testing.T) store.Store) {
		e := newEnvOn(t, open(t), withGate(slowhash.New(slowhash.Options{Concurrency: 2, Queue: 100, MaxWait: time.Minute})))
		ctx := t.Context()
		_, pw := e.member(t, "ada@acme.test", domain.RoleDeveloper)
		if _, err := e.svc.Login(ctx, account.LoginInput{Email: "ada@acme.test", Password: pw, Source: "198.51.100.1"}); err != nil {
			t.Fatal(err)
		}
		guess := func() *logins {
			var l logins
			testkit.Race(60, func(i int) {
				for k := range 3 {
					_, err := e.svc.Login(ctx, account.LoginInput{Email: "ada@acme.test", Password: fmt.Sprintf("guess %d-%d", i, k), Source: fmt.Sprintf("10.1.%d.1", i)})
					l.add(t, err)
				}
			})
			return &l
		}
		if l := guess(); l.failed.Load() != account.LoginGuessBurst {
			t.Errorf("180 guesses from 60 addresses: %d evaluated, want %d", l.failed.Load(), account.LoginGuessBurst)
		}
		e.clock.Add(time.Hour)
		if l := guess(); l.failed.Load() != account.LoginGuessesPerHour {
			t.Errorf("the next hour: %d evaluated, want %d", l.failed.Load(), account.LoginGuessesPerHour)
		}
		if _, err := e.svc.Login(ctx, account.LoginInput{Email: "ada@acme.test", Password: pw, Source: "198.51.100.1"}); err != nil {
			t.Errorf("ada from her usual address during the attack: %v", err)
		}
		var limited *account.LoginRateLimitedError
		_, err := e.svc.Login(ctx, account.LoginInput{Email: "ada@acme.test", Password: pw, Source: "203.0.113.9"})
		if !errors.As(err, &limited) || limited.RetryAfter > time.Hour/account.LoginGuessesPerHour {
			t.Fatalf("ada from a new address during the attack: %v; want a wait of at most %v", err, time.Hour/account.LoginGuessesPerHour)
		}
		e.clock.Add(limited.RetryAfter)
		if _, err := e.svc.Login(ctx, account.LoginInput{Email: "ada@acme.test", Password: pw, Source: "203.0.113.9"}); err != nil {
			t.Errorf("ada from the new address after the wait: %v", err)
		}
	})
}

// TestLoginBusyGateRefundsTheLimits fills the slow-hash gate: the login is
// refused with a BusyError and costs no slot of the per-address limits
// (the user logs in from there afterwards), only of the account's guessing
// limit.
func TestLoginBusyGateRefundsTheLimits(t *testing.T) {
	g := slowhash.New(slowhash.Options{Concurrency: 1, Queue: -1})
	st, err := sqlite.Open(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := newEnvOn(t, st, withGate(g))
	hold, held, done := make(chan struct{}), make(chan struct{}), make(chan struct{})
	go func() { g.Do(t.Context(), func() { close(held); <-hold }); close(done) }()
	<-held
	for range account.LoginFailureBurst + 3 {
		_, err := e.svc.Login(t.Context(), account.LoginInput{Email: "admin@acme.test", Password: "wrong password", Source: "192.0.2.8"})
		var busy *domain.BusyError
		if !errors.As(err, &busy) || busy.RetryAfter <= 0 {
			t.Fatalf("login with the gate full: %v, want a BusyError", err)
		}
	}
	close(hold)
	<-done
	if _, err := e.svc.Login(t.Context(), account.LoginInput{Email: "admin@acme.test", Password: e.boot.Password.Reveal(), Source: "192.0.2.8"}); err != nil {
		t.Errorf("login after the busy refusals: %v (they must not count as failures)", err)
	}
}
