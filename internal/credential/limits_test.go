package credential_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"keywarden/internal/credential"
	"keywarden/internal/domain"
	"keywarden/internal/secretvalue"
	"keywarden/internal/slowhash"
	"keywarden/internal/store"
	"keywarden/internal/store/enginetest"
	"keywarden/internal/store/sqlite"
	"keywarden/internal/testkit"
)

// outcomes counts how racing authentications ended: evaluated failures,
// rate-limit refusals, anything else (an error the test reports).
type outcomes struct{ failed, limited, ok atomic.Int32 }

func (o *outcomes) add(t *testing.T, err error) {
	var limited *credential.RateLimitedError
	switch {
	case err == nil:
		o.ok.Add(1)
	case errors.Is(err, credential.ErrBadCredentials):
		o.failed.Add(1)
	case errors.As(err, &limited):
		if limited.RetryAfter < time.Second {
			t.Errorf("Retry-After %v", limited.RetryAfter)
		}
		o.limited.Add(1)
	default:
		t.Errorf("authenticate: %v", err)
	}
}

const supplied = "a supplied secret of the old system, 24+ chars"

// TestSuppliedSecretBurstIsEvaluatedWithinTheLimit races 40 wrong supplied
// secrets from one address: no more than the limit are checked with
// argon2id (issue 9, rule 6; the old code checked every one of them, then
// charged the limit).
func TestSuppliedSecretBurstIsEvaluatedWithinTheLimit(t *testing.T) {
	enginetest.Run(t, func(t *testing.T, open func(*testing.T) store.Store) {
		e := newEnvOn(t, open(t))
		c := e.client(t)
		s := supplied
		e.secret(t, c.ID, credential.SecretInput{Value: &s})
		var o outcomes
		testkit.Race(40, func(i int) {
			_, err := e.svc.Authenticate(t.Context(), c.ID, fmt.Sprintf("wrong guess number %02d of many", i), "192.0.2.9")
			o.add(t, err)
		})
		if o.failed.Load() != credential.ClientFailureBurst || o.limited.Load() != 40-credential.ClientFailureBurst {
			t.Errorf("40 racing wrong secrets: %d evaluated, %d refused; want %d evaluated (the limit)", o.failed.Load(), o.limited.Load(), credential.ClientFailureBurst)
		}
		if got := e.hashes.Turns(); got != credential.ClientFailureBurst {
			t.Errorf("%d slow-hash turns, want %d", got, credential.ClientFailureBurst)
		}
	})
}

// TestClientGuessingFromSixtyAddresses spreads guesses of a supplied
// secret over 60 addresses: the client's guessing limit allows
// ClientGuessBurst, then ClientGuessesPerHour (issue 9, rule 8). The
// client itself keeps working from the address it succeeded from, and any
// generated secret from anywhere.
func TestClientGuessingFromSixtyAddresses(t *testing.T) {
	enginetest.Run(t, func(t *testing.T, open func(*testing.T) store.Store) {
		e := newEnvOn(t, open(t))
		ctx := t.Context()
		c := e.client(t)
		s := supplied
		e.secret(t, c.ID, credential.SecretInput{Value: &s})
		gen := e.secret(t, c.ID, credential.SecretInput{})
		if _, err := e.svc.Authenticate(ctx, c.ID, supplied, "198.51.100.1"); err != nil {
			t.Fatal(err) // the real client, from its usual address
		}
		guess := func() *outcomes {
			var o outcomes
			testkit.Race(60, func(i int) {
				for k := range 3 {
					_, err := e.svc.Authenticate(ctx, c.ID, fmt.Sprintf("guess %d from address %d, long", k, i), fmt.Sprintf("10.1.%d.1", i))
					o.add(t, err)
				}
			})
			return &o
		}
		if o := guess(); o.failed.Load() != credential.ClientGuessBurst {
			t.Errorf("180 guesses from 60 addresses: %d evaluated, want %d", o.failed.Load(), credential.ClientGuessBurst)
		}
		e.clock.Add(time.Hour)
		if o := guess(); o.failed.Load() != credential.ClientGuessesPerHour {
			t.Errorf("the next hour: %d evaluated, want %d", o.failed.Load(), credential.ClientGuessesPerHour)
		}
		if _, err := e.svc.Authenticate(ctx, c.ID, supplied, "198.51.100.1"); err != nil {
			t.Errorf("the real client from its known address during the attack: %v", err)
		}
		if _, err := e.svc.Authenticate(ctx, c.ID, gen.Value.Reveal(), "203.0.113.50"); err != nil {
			t.Errorf("a generated secret from a new address during the attack: %v", err)
		}
		var limited *credential.RateLimitedError
		if _, err := e.svc.Authenticate(ctx, c.ID, supplied, "203.0.113.51"); !errors.As(err, &limited) || limited.RetryAfter > time.Hour/credential.ClientGuessesPerHour {
			t.Errorf("the supplied secret from a new address during the attack: %v; want a wait of at most %v", err, time.Hour/credential.ClientGuessesPerHour)
		}
	})
}

// TestUnknownClientsCostWhatKnownOnesDo counts slow-hash turns and
// argon2id checks: a value that is not a generated secret costs one turn
// whether the client exists, has supplied secrets or not (issue 9, rule
// 7), but only a comparison with a real supplied secret computes a hash;
// the others hold their turn without the work, so made-up clients cannot
// be turned into CPU load (rule 9; the old code ran argon2id for each). A
// generated value costs neither.
func TestUnknownClientsCostWhatKnownOnesDo(t *testing.T) {
	e := newEnv(t)
	withSupplied, plain := e.client(t), e.client(t)
	s := supplied
	e.secret(t, withSupplied.ID, credential.SecretInput{Value: &s})
	e.secret(t, plain.ID, credential.SecretInput{})
	wrongGenerated := secretvalue.Generate(secretvalue.PrefixClientSecret).Reveal()
	tests := []struct {
		name          string
		client        domain.ClientID
		secret        string
		turns, argon2 int64
	}{
		// First, so that the gate has measured a real check.
		{"client with a supplied secret, same last four characters", withSupplied.ID, "x" + supplied, 1, 1},
		{"unknown client, supplied-shaped value", domain.NewClientID(), "not a generated secret at all", 1, 0},
		{"malformed client ID, supplied-shaped value", "nope", "not a generated secret at all", 1, 0},
		{"client without supplied secrets", plain.ID, "not a generated secret at all", 1, 0},
		{"client with a supplied secret", withSupplied.ID, "not a generated secret at all", 1, 0},
		{"unknown client, generated-shaped value", domain.NewClientID(), wrongGenerated, 0, 0},
		{"known client, generated-shaped value", withSupplied.ID, wrongGenerated, 0, 0},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			turns, checks := e.hashes.Turns(), e.hashes.Checks()
			_, err := e.svc.Authenticate(t.Context(), tc.client, tc.secret, fmt.Sprintf("192.0.2.%d", i+1))
			if !errors.Is(err, credential.ErrBadCredentials) {
				t.Fatalf("err = %v", err)
			}
			if got := e.hashes.Turns() - turns; got != tc.turns {
				t.Errorf("%d slow-hash turns, want %d", got, tc.turns)
			}
			if got := e.hashes.Checks() - checks; got != tc.argon2 {
				t.Errorf("%d argon2id checks, want %d", got, tc.argon2)
			}
		})
	}
}

// TestUnknownClientFloodComputesNoHashes races 200 made-up clients with
// supplied-shaped secrets from 200 addresses: the first calibrates the
// gate with one real check, the rest only hold turns (issue 9, rule 9).
func TestUnknownClientFloodComputesNoHashes(t *testing.T) {
	e := newEnv(t)
	testkit.Race(200, func(i int) {
		_, err := e.svc.Authenticate(t.Context(), domain.NewClientID(), fmt.Sprintf("made-up supplied secret %03d", i), fmt.Sprintf("198.18.%d.%d", i/250, i%250+1))
		var busy *domain.BusyError
		if !errors.Is(err, credential.ErrBadCredentials) && !errors.As(err, &busy) {
			t.Errorf("err = %v", err)
		}
	})
	if got := e.hashes.Checks(); got > int64(e.hashes.Concurrency()) {
		t.Errorf("%d argon2id checks for 200 made-up clients; want at most %d (the calibration of each slot)", got, e.hashes.Concurrency())
	}
	if e.hashes.Turns() == 0 {
		t.Error("no slow-hash turns: unknown clients must cost what known ones do")
	}
}

// TestPersonalLoginAnswersTheSameForEveryEmail sends the same wrong
// secrets for an email with a personal credential, one without, and one
// no user has: the answers (401 ×10, then 429) and the slow-hash turns are
// the same for all three (issue 9, smaller hole).
func TestPersonalLoginAnswersTheSameForEveryEmail(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	if _, err := e.svc.CreatePersonal(ctx, e.admin, credential.PersonalInput{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.accts.InviteUser(ctx, e.admin, "dev@acme.test", domain.RoleDeveloper); err != nil {
		t.Fatal(err)
	}
	type answer struct {
		kind  string
		turns int64
	}
	run := func(email, source string) []answer {
		var out []answer
		for i := range credential.ClientFailureBurst + 2 {
			before := e.hashes.Turns()
			secret := fmt.Sprintf("wrong secret %d, long enough to be one", i)
			if i%2 == 1 {
				secret = secretvalue.Generate(secretvalue.PrefixClientSecret).Reveal()
			}
			_, err := e.svc.AuthenticatePersonal(ctx, email, "", secret, source)
			var limited *credential.RateLimitedError
			kind := "other: " + fmt.Sprint(err)
			switch {
			case errors.Is(err, credential.ErrBadCredentials):
				kind = "bad credentials"
			case errors.As(err, &limited):
				kind = "rate limited " + strconv.Itoa(int(limited.RetryAfter.Seconds()))
			}
			out = append(out, answer{kind, e.hashes.Turns() - before})
		}
		return out
	}
	with := run("admin@acme.test", "192.0.2.1")
	for _, other := range []string{"dev@acme.test", "nobody@acme.test"} {
		got := run(other, "192.0.2.1")
		if fmt.Sprint(got) != fmt.Sprint(with) {
			t.Errorf("%s answers %v\nan email with a credential %v", other, got, with)
		}
	}
	if with[0].kind != "bad credentials" || with[0].turns != 1 || !strings.HasPrefix(with[len(with)-1].kind, "rate limited") {
		t.Errorf("answers %v: want bad credentials with one check first, a rate limit last", with)
	}
}

// TestFailuresAreAggregated makes 300 failed authentications of one client
// from 60 addresses and 50 of unknown clients: nothing is written until the
// flush, which writes one audit event for the client (counts, reasons,
// addresses) and logs the unknown clients' per address (issue 9, rule 9).
func TestFailuresAreAggregated(t *testing.T) {
	enginetest.Run(t, func(t *testing.T, open func(*testing.T) store.Store) {
		e := newEnvOn(t, open(t))
		ctx := t.Context()
		c := e.client(t)
		x := e.secret(t, c.ID, credential.SecretInput{})
		if _, err := e.svc.RevokeSecret(ctx, e.admin, c.ID, x.Secret.ID, false); err != nil {
			t.Fatal(err)
		}
		countFailures := func() int {
			events, _, err := e.audit.List(ctx, e.admin.OrgID, domain.AuditFilter{Action: "client.authenticate"})
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, ev := range events {
				if ev.Result == domain.ResultFailure {
					n++
				}
			}
			return n
		}
		testkit.Race(60, func(i int) {
			for k := range 5 {
				secret := secretvalue.Generate(secretvalue.PrefixClientSecret).Reveal()
				if k == 0 {
					secret = x.Value.Reveal() // revoked
				}
				e.svc.Authenticate(ctx, c.ID, secret, fmt.Sprintf("10.2.%d.1", i))
			}
		})
		for i := range 50 {
			e.svc.Authenticate(ctx, domain.NewClientID(), secretvalue.Generate(secretvalue.PrefixClientSecret).Reveal(), fmt.Sprintf("10.3.0.%d", i%2))
		}
		if n := countFailures(); n != 0 {
			t.Fatalf("%d failure events before the flush, want 0 (no write per failure)", n)
		}
		var logged bytes.Buffer
		if err := e.svc.FlushFailures(ctx, slog.New(slog.NewTextHandler(&logged, nil))); err != nil {
			t.Fatal(err)
		}
		events, _, err := e.audit.List(ctx, e.admin.OrgID, domain.AuditFilter{Action: "client.authenticate"})
		if err != nil {
			t.Fatal(err)
		}
		var got []domain.AuditEvent
		for _, ev := range events {
			if ev.Result == domain.ResultFailure {
				got = append(got, ev)
			}
		}
		if len(got) != 1 {
			t.Fatalf("%d failure events after the flush, want 1 (all in one minute)", len(got))
		}
		d := got[0].Detail
		if d["count"] != "300" || d["reasons"] != "secret revoked: 60; wrong secret: 240" ||
			len(strings.Split(d["addresses"], ", ")) != 16 || d["failures_from_others"] != "220" || got[0].Target != string(c.ID) {
			t.Errorf("aggregated event %v, want count 300, both reasons counted, 16 addresses listed and the 220 failures of the others counted", d)
		}
		lines := strings.Count(logged.String(), "failed client authentications with no organization")
		if lines != 2 || !strings.Contains(logged.String(), "count=25") || !strings.Contains(logged.String(), "source=10.3.0.1") {
			t.Errorf("unknown clients' failures logged as:\n%s\nwant one line per address with its count", logged.String())
		}
		if err := e.svc.FlushFailures(ctx, slog.New(slog.DiscardHandler)); err != nil || countFailures() != 1 {
			t.Errorf("a second flush wrote again (%v)", err)
		}
	})
}

// TestBusyGateStillCountsGuesses fills the slow-hash gate: guesses of a
// client's supplied secret from new addresses are refused with a
// BusyError, cost no per-address slot, but use up the client's guessing
// limit, so one client's guesser cannot hold the gate full.
func TestBusyGateStillCountsGuesses(t *testing.T) {
	g := slowhash.New(slowhash.Options{Concurrency: 1, Queue: -1})
	st, err := sqlite.Open(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := newEnvOn(t, st, func(o *credential.Options) { o.Hashes = g })
	c := e.client(t)
	s := supplied
	e.secret(t, c.ID, credential.SecretInput{Value: &s})
	hold, held, done := make(chan struct{}), make(chan struct{}), make(chan struct{})
	go func() { g.Do(t.Context(), func() { close(held); <-hold }); close(done) }()
	<-held
	var busy, limited int
	for i := range credential.ClientGuessBurst + 5 {
		_, err := e.svc.Authenticate(t.Context(), c.ID, "a guess while the gate is full", fmt.Sprintf("10.4.0.%d", i))
		var be *domain.BusyError
		var le *credential.RateLimitedError
		switch {
		case errors.As(err, &be):
			busy++
		case errors.As(err, &le):
			limited++
		default:
			t.Errorf("attempt %d: %v", i, err)
		}
	}
	close(hold)
	<-done
	if busy != credential.ClientGuessBurst || limited != 5 {
		t.Errorf("with the gate full: %d busy, %d rate limited; want %d busy, then the guessing limit", busy, limited, credential.ClientGuessBurst)
	}
	// The per-address slots were refunded: a generated secret's failures
	// from the first address are still evaluated.
	if _, err := e.svc.Authenticate(t.Context(), c.ID, secretvalue.Generate(secretvalue.PrefixClientSecret).Reveal(), "10.4.0.0"); !errors.Is(err, credential.ErrBadCredentials) {
		t.Errorf("a generated value from an address refused only as busy: %v, want evaluated", err)
	}
}
