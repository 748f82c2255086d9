package account

import (
	"context"
	"errors"
	"strings"
	"time"

	"keywarden/internal/audit"
	"keywarden/internal/domain"
	"keywarden/internal/metrics"
	"keywarden/internal/ratelimit"
	"keywarden/internal/secretvalue"
	"keywarden/internal/slowhash"
	"keywarden/internal/store"
)

// LoginInput is what a person types to log in.
type LoginInput struct {
	Email        string
	Password     string
	Organization domain.OrgID // needed only when the email exists in several organisations
	TOTPCode     string
	RecoveryCode string
	Source       string
	UserAgent    string
	// Channel is where the login came from, for the metrics
	// (ChannelConsole, ChannelAPI).
	Channel string
}

// Login channels.
const (
	ChannelConsole = metrics.ChannelConsole
	ChannelAPI     = metrics.ChannelAPI
)

// ErrMFARequired means the password was right and a TOTP or recovery code
// is needed (or was wrong).
var ErrMFARequired = errors.New("a TOTP code or recovery code is required")

// LoginRateLimitedError means too many failed logins, password or MFA
// guesses; retry after RetryAfter.
type LoginRateLimitedError = domain.RateLimitedError

// NewSession is a session with its bearer value, shown once.
type NewSession struct {
	Session domain.Session
	User    domain.User
	Token   secretvalue.Plaintext
}

// login is Login without its metrics. Its rate limits are taken before the
// password check and refunded when the attempt was not a failure, so
// concurrent wrong passwords are counted as they start (issue 9, rule 6):
// per email at the address, per address, and per email from any address
// the account has not logged in from recently (rule 8; docs/security.md,
// "Guessing limits").
func (s *Service) login(ctx context.Context, in LoginInput) (NewSession, error) {
	now := s.clock()
	email := strings.ToLower(strings.TrimSpace(in.Email))
	known := email + "|" + in.Source
	keys := []ratelimit.Key{{Limiter: s.limitLogin, Key: known}, {Limiter: s.limitAddr, Key: in.Source}}
	if !s.known.Has(known, now) {
		keys = append(keys, ratelimit.Key{Limiter: s.limitGuess, Key: email})
	}
	taken, blocked, wait := ratelimit.TakeAll(now, keys...)
	if blocked >= 0 {
		s.metrics.RateLimited([]metrics.Limit{metrics.LimitLoginAccount, metrics.LimitLoginAddress, metrics.LimitLoginGuesses}[blocked])
		return NewSession{}, &LoginRateLimitedError{RetryAfter: wait}
	}
	n, failed, err := s.checkLogin(ctx, in, email, now)
	var busy *domain.BusyError
	switch {
	case errors.As(err, &busy):
		// Not evaluated, but an attempt on the account all the same: its
		// guessing slot stays taken, so one account's guesser cannot hold
		// the gate full.
		taken.Refund(s.limitGuess)
	case !failed:
		taken.Refund() // a success, a request for the second factor, or not evaluated
	}
	if err == nil {
		s.known.Add(known, now)
	}
	return n, err
}

// checkLogin checks a login whose limits are taken; failed says it was a
// failure (a wrong password or code, an unknown or disabled user).
func (s *Service) checkLogin(ctx context.Context, in LoginInput, email string, now time.Time) (NewSession, bool, error) {
	fail := func(u *domain.User, reason string, mfa bool) (NewSession, bool, error) {
		a := domain.Actor{Kind: domain.ActorUser, Source: in.Source}
		target := email
		if u != nil {
			a.OrgID, a.ID, target = u.OrgID, string(u.ID), string(u.ID)
		}
		action := "user.login"
		if mfa {
			action = "user.login_mfa"
		}
		if err := s.audit.Record(ctx, audit.Entry{Actor: a, Action: action, Target: target, Result: domain.ResultFailure,
			Detail: map[string]string{"reason": reason}}); err != nil {
			return NewSession{}, true, err
		}
		if mfa {
			return NewSession{}, true, ErrMFARequired
		}
		return NewSession{}, true, ErrBadCredentials
	}
	users, err := s.store.UsersByEmail(ctx, email)
	if err != nil {
		return NewSession{}, false, err
	}
	var candidates []domain.User
	for _, u := range users {
		if in.Organization == "" || u.OrgID == in.Organization {
			candidates = append(candidates, u)
		}
	}
	if len(candidates) != 1 {
		// An unknown email costs what a known one does, in time: a
		// gate turn held as long as a check takes, but no CPU.
		if err := s.gateErr(s.hashes.Imitate(ctx, func() {
			secretvalue.VerifySupplied(secretvalue.DummyHash(), secretvalue.FromRequest(in.Password))
		})); err != nil {
			return NewSession{}, false, err
		}
		if len(candidates) > 1 {
			return NewSession{}, true, domain.Invalid("organization", "this email belongs to several organizations; give the organization ID")
		}
		return fail(nil, "unknown email", false)
	}
	u := candidates[0]
	match, err := s.verify(ctx, u.PasswordHash, in.Password)
	if err != nil {
		return NewSession{}, false, err
	}
	if !match {
		return fail(&u, "wrong password", false)
	}
	if u.DisabledAt != nil {
		return fail(&u, "user disabled", false)
	}
	if u.MFAEnabled && in.TOTPCode == "" && in.RecoveryCode == "" {
		return NewSession{}, false, ErrMFARequired // the password was right: ask for the code, no failure yet
	}
	// The password was checked against u as read before the slow hash. The
	// session is opened only if, under the user's lock, the user is still
	// enabled with that password, and the second factor is consumed in the
	// same transaction: a racing disable, demotion or password change
	// either comes first (and the login fails) or comes after (and ends
	// this session with the others).
	x, tok := s.newSession(u, in.Source, in.UserAgent, now)
	var refused *loginRefusal
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		refused = nil
		cur, err := tx.LockUser(ctx, u.OrgID, u.ID)
		if err != nil {
			return err
		}
		org, err := tx.GetOrg(ctx, u.OrgID)
		if err != nil {
			return err
		}
		switch {
		case cur.DisabledAt != nil:
			refused = &loginRefusal{reason: "user disabled"}
		case !org.Policy.PasswordLoginAllowed(cur.ID, cur.Role):
			refused = &loginRefusal{reason: "password sign-in is turned off for the organisation", localOff: true}
		case cur.PasswordHash != u.PasswordHash:
			refused = &loginRefusal{reason: "password changed during the login"}
		case cur.MFAEnabled && in.TOTPCode == "" && in.RecoveryCode == "":
			refused = &loginRefusal{mfaRequired: true}
		case cur.MFAEnabled:
			ok, err := s.consumeSecondFactor(ctx, tx, cur, in.TOTPCode, in.RecoveryCode, now)
			if err != nil {
				return err
			}
			if !ok {
				refused = &loginRefusal{reason: "wrong TOTP or recovery code", mfa: true}
			}
		}
		if refused != nil {
			return refused // roll back: a code consumed for a refused login stays usable
		}
		u = cur
		if err := tx.CreateSession(ctx, x); err != nil {
			return err
		}
		detail := map[string]string{"session_id": string(x.ID)}
		if u.MFAEnabled {
			detail["mfa"] = "passed"
		}
		return s.audit.Append(ctx, tx, audit.Entry{Actor: domain.UserActor(u.OrgID, u.ID, "", in.Source),
			Action: "user.login", Target: string(u.ID), Detail: detail})
	})
	switch {
	case refused != nil && refused.mfaRequired:
		return NewSession{}, false, ErrMFARequired
	case refused != nil && refused.localOff:
		if _, _, err := fail(&u, refused.reason, false); err != nil && !errors.Is(err, ErrBadCredentials) {
			return NewSession{}, true, err
		}
		return NewSession{}, true, ErrLocalLoginDisabled
	case refused != nil:
		return fail(&u, refused.reason, refused.mfa)
	case err != nil:
		return NewSession{}, false, err
	}
	return NewSession{Session: x, User: u, Token: tok}, false, nil
}

// verify checks a password against its argon2id hash through the slow-hash
// gate; a full gate is a *domain.BusyError.
func (s *Service) verify(ctx context.Context, hash, password string) (bool, error) {
	var ok bool
	err := s.gateErr(s.hashes.Do(ctx, func() { ok = secretvalue.VerifySupplied(hash, secretvalue.FromRequest(password)) }))
	return ok, err
}

// gateErr maps the slow-hash gate's refusal to a *domain.BusyError, counted.
func (s *Service) gateErr(err error) error {
	var busy *slowhash.BusyError
	if errors.As(err, &busy) {
		s.metrics.RateLimited(metrics.LimitHashing)
		return domain.Busy(busy.RetryAfter)
	}
	return err
}

// newSession is a session of u opened at now, with its bearer value.
func (s *Service) newSession(u domain.User, source, userAgent string, now time.Time) (domain.Session, secretvalue.Plaintext) {
	tok := secretvalue.Generate(secretvalue.PrefixSession)
	return domain.Session{ID: domain.NewSessionID(), OrgID: u.OrgID, UserID: u.ID,
		Verifier: secretvalue.Verifier(s.verifierKey, tok), CreatedAt: now, ExpiresAt: now.Add(s.sessionTTL),
		Source: source, UserAgent: truncate(userAgent, 200)}, tok
}

// loginRefusal rolls back a login's transaction and says why.
type loginRefusal struct {
	reason      string
	mfa         bool // the second factor failed
	mfaRequired bool // MFA was turned on while the password was checked
	localOff    bool // the organisation turned password sign-in off
}

func (r *loginRefusal) Error() string { return "login refused: " + r.reason }

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// AuthenticateSession returns the actor for a session bearer value. A user
// who must change a one-time password, or enrol MFA the organisation
// requires, gets a restricted actor.
func (s *Service) AuthenticateSession(ctx context.Context, bearer, source string) (domain.Actor, error) {
	p, err := secretvalue.Parse(secretvalue.PrefixSession, bearer)
	if err != nil {
		return domain.Actor{}, ErrBadCredentials
	}
	x, err := s.store.SessionByVerifier(ctx, secretvalue.Verifier(s.verifierKey, p))
	if errors.Is(err, domain.ErrNotFound) {
		return domain.Actor{}, ErrBadCredentials
	}
	if err != nil {
		return domain.Actor{}, err
	}
	now := s.clock()
	if x.EndedAt != nil || !now.Before(x.ExpiresAt) {
		return domain.Actor{}, ErrBadCredentials
	}
	u, err := s.enabledUser(ctx, x.OrgID, x.UserID)
	if err != nil {
		return domain.Actor{}, err
	}
	a := domain.UserActor(u.OrgID, u.ID, u.Role, source)
	a.SessionID = x.ID
	switch {
	case u.MustChangePassword:
		a.Restricted = "change your one-time password first (POST /v1/me/password)"
	default:
		org, err := s.store.GetOrg(ctx, u.OrgID)
		if err != nil {
			return domain.Actor{}, err
		}
		// A federated session's second factor is the provider's
		// (docs/oidc.md): require_mfa asks it of password sign-ins.
		if org.Policy.RequireMFA && !u.MFAEnabled && x.IdentityProvider == "" {
			a.Restricted = "your organisation requires MFA: enrol first (POST /v1/me/mfa)"
		}
	}
	return a, nil
}

// ListSessions returns a page of the actor's open sessions, newest first,
// and the cursor of the next page ("" after the last).
func (s *Service) ListSessions(ctx context.Context, by domain.Actor, page domain.Page) ([]domain.Session, string, error) {
	return s.store.PageSessions(ctx, by.OrgID, by.UserID(), s.clock(), page)
}

// EndSession ends one of the actor's own sessions ("current" for the one
// in use: logout).
func (s *Service) EndSession(ctx context.Context, by domain.Actor, id domain.SessionID) error {
	if id == "current" {
		if by.SessionID == "" {
			return domain.Invalid("session", "this request did not come through a session")
		}
		id = by.SessionID
	}
	if !id.Valid() {
		return domain.ErrNotFound
	}
	return s.store.InTx(ctx, func(tx store.Tx) error {
		open, err := tx.ListSessions(ctx, by.OrgID, by.UserID(), s.clock())
		if err != nil {
			return err
		}
		found := false
		for _, x := range open {
			found = found || x.ID == id
		}
		if !found {
			return domain.ErrNotFound
		}
		if err := tx.EndSession(ctx, by.OrgID, id, s.clock()); err != nil {
			return err
		}
		return s.audit.Append(ctx, tx, audit.Entry{Actor: by, Action: "user.logout", Target: string(id)})
	})
}

// DeleteExpiredSessions removes sessions that expired over a day ago.
func (s *Service) DeleteExpiredSessions(ctx context.Context) (int, error) {
	return s.store.DeleteSessionsBefore(ctx, s.clock().Add(-24*time.Hour))
}
