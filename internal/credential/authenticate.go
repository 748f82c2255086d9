package credential

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"time"

	"keywarden/internal/domain"
	"keywarden/internal/metrics"
	"keywarden/internal/ratelimit"
	"keywarden/internal/secretvalue"
	"keywarden/internal/slowhash"
)

// ErrBadCredentials is the one answer for every failed client
// authentication: unknown client, wrong, expired or revoked secret,
// disabled client, disallowed source. The audit log records which.
var ErrBadCredentials = errors.New("client authentication failed")

// RateLimitedError means the client ID at this address, or the address,
// failed too often; it may try again after RetryAfter.
type RateLimitedError = domain.RateLimitedError

// Authenticate checks a client ID and secret presented from source (an IP
// address). It reads from an in-memory cache that every change invalidates
// and writes nothing to the store: a success is batched (see FlushUsage), a
// failure aggregated (see FlushFailures).
//
// The rate limits are taken before the check and refunded when it
// succeeds, so concurrent failures are counted as they start (issue 9,
// rule 6): per address, per client at the address, and, for a value that
// would be checked with argon2id, per client from any address unless the
// client succeeded from this address before (docs/security.md, "Guessing
// limits"). A check the slow-hash gate refuses is a *domain.BusyError and
// costs no limit.
func (s *Service) Authenticate(ctx context.Context, clientID domain.ClientID, secret, source string) (domain.ClientAuth, error) {
	now := s.clock()
	known := string(clientID) + "|" + source
	a := attempt{known: known,
		keys:   []ratelimit.Key{{Limiter: s.limitAddr, Key: "a|" + source}, {Limiter: s.limitClient, Key: "c|" + known}},
		limits: []metrics.Limit{metrics.LimitClientAddress, metrics.LimitClient, metrics.LimitClientGuesses}}
	if s.guessing(secret, known, now) {
		a.keys = append(a.keys, ratelimit.Key{Limiter: s.limitGuess, Key: "g|" + string(clientID)})
	}
	return s.attempt(ctx, a, source, now, func() (outcome, error) {
		auth, reason, secretID, org, err := s.authenticate(ctx, clientID, secret, source, now)
		return outcome{auth: auth, reason: reason, secret: secretID, org: org, client: clientID}, err
	})
}

// guessing reports whether secret would be checked with argon2id from an
// address the account (known, "account|address") has not succeeded from:
// such attempts also count against the account's guessing limit. A
// generated value has 240 bits: guessing it is hopeless, and its check is
// one keyed hash.
func (s *Service) guessing(secret, known string, now time.Time) bool {
	return !secretvalue.LooksGenerated(secretvalue.PrefixClientSecret, secret) && !s.known.Has(known, now)
}

// attempt is one authentication's rate limits: the keys it takes a slot
// of, the metric of each, and the "account|address" it remembers on
// success.
type attempt struct {
	keys   []ratelimit.Key
	limits []metrics.Limit
	known  string
}

// outcome is what a check decided; a non-empty reason is a failure, told
// only to the audit log.
type outcome struct {
	auth   domain.ClientAuth
	reason string
	secret domain.SecretID
	key    domain.ClientKeyID // private_key_jwt: the key that verified
	org    domain.OrgID
	client domain.ClientID
	// audited: the failure is in the audit log already (a legacy
	// password login's, one event each like a console login's).
	audited bool
}

// attempt takes a's slots, runs check, and settles: a success refunds the
// slots and is batched as a use, a failure keeps them and is aggregated
// for the audit log, and a check that did not decide (the gate was full,
// the store failed) refunds them, but for the account's guessing slot when
// the gate was full.
func (s *Service) attempt(ctx context.Context, a attempt, source string, now time.Time, check func() (outcome, error)) (domain.ClientAuth, error) {
	taken, blocked, wait := ratelimit.TakeAll(now, a.keys...)
	if blocked >= 0 {
		s.metrics.RateLimited(a.limits[blocked])
		return domain.ClientAuth{}, &RateLimitedError{RetryAfter: wait}
	}
	o, err := check()
	var busy *domain.BusyError
	switch {
	case errors.As(err, &busy):
		// Not evaluated, so not a failure; but an attempt on the account
		// all the same: the guessing slot stays taken, so that a guesser
		// cannot hold the gate full with one account's attempts.
		taken.Refund(s.limitGuess, s.passwords)
		return domain.ClientAuth{}, err
	case err != nil:
		taken.Refund()
		return domain.ClientAuth{}, err
	case o.reason == "":
		taken.Refund()
		s.known.Add(a.known, now)
		if o.secret != domain.LegacyPasswordSecret { // audited in its own transaction (legacy.go)
			s.usage.record(usageKey{org: o.org, client: o.client, secret: o.secret, key: o.key}, now, source)
		}
		return o.auth, nil
	}
	if !o.audited {
		s.failures.record(o.org, o.client, o.secret, source, o.reason, now)
	}
	return domain.ClientAuth{}, ErrBadCredentials
}

// authenticate decides the outcome. A non-empty reason is a failure, told
// only to the audit log.
func (s *Service) authenticate(ctx context.Context, clientID domain.ClientID, secret, source string, now time.Time) (auth domain.ClientAuth, reason string, secretID domain.SecretID, org domain.OrgID, err error) {
	if !clientID.Authenticates() {
		return domain.ClientAuth{}, "unknown client", "", "", s.dummyCheck(ctx, secret)
	}
	e, err := s.cache.get(ctx, clientID)
	if errors.Is(err, domain.ErrNotFound) {
		return domain.ClientAuth{}, "unknown client", "", "", s.dummyCheck(ctx, secret)
	}
	if err != nil {
		return domain.ClientAuth{}, "", "", "", err
	}
	org = e.client.OrgID
	x, reason, err := s.match(ctx, e, secret, now)
	if err != nil {
		return domain.ClientAuth{}, "", "", "", err
	}
	if reason != "" {
		return domain.ClientAuth{}, reason, x.ID, org, nil
	}
	switch {
	case x.State(now) == domain.SecretRevoked:
		return domain.ClientAuth{}, "secret revoked", x.ID, org, nil
	case x.State(now) == domain.SecretExpired:
		return domain.ClientAuth{}, "secret expired", x.ID, org, nil
	case e.client.Disabled:
		return domain.ClientAuth{}, "client disabled", x.ID, org, nil
	case !allowedSource(x.AllowedCIDRs, source):
		return domain.ClientAuth{}, "source address not allowed for this secret", x.ID, org, nil
	}
	if refusal := e.ownerRefusal(); refusal != "" {
		return domain.ClientAuth{}, refusal, x.ID, org, nil
	}
	auth = domain.ClientAuth{Client: e.client, SecretID: x.ID, OrgTokenTTL: e.orgTTL}
	if e.owner != nil {
		auth.Owner = e.owner.ID
	}
	return auth, "", x.ID, org, nil
}

// match finds the secret whose value was presented. A generated value
// costs one keyed hash; any other value one argon2id check through the
// gate: against the active supplied secrets whose hint (last four
// characters) it shares, or, when none does, against a dummy hash of the
// same parameters, so the cost tells nothing about which supplied secrets
// exist (a hint collision costs one check more).
func (s *Service) match(ctx context.Context, e *clientEntry, value string, now time.Time) (domain.Secret, string, error) {
	if value == "" {
		return domain.Secret{}, "no secret presented", nil
	}
	if secretvalue.LooksGenerated(secretvalue.PrefixClientSecret, value) {
		p, err := secretvalue.Parse(secretvalue.PrefixClientSecret, value)
		if err != nil {
			return domain.Secret{}, "malformed secret (checksum)", nil
		}
		i, ok := e.byVerifier(secretvalue.Verifier(s.verifierKey, p))
		if !ok {
			return domain.Secret{}, "wrong secret", nil
		}
		return e.secrets[i], "", nil
	}
	memo := s.cache.memo(value)
	e.mu.Lock()
	id, ok := e.suppliedOK[memo]
	e.mu.Unlock()
	if ok {
		if x, found := e.secret(id); found {
			return x, "", nil
		}
	}
	p := secretvalue.FromRequest(value)
	checked := false
	for _, x := range e.secrets {
		if x.Origin != domain.OriginSupplied || x.State(now) != domain.SecretActive || (x.Hint != "" && x.Hint != p.Hint()) {
			continue
		}
		checked = true
		var match bool
		if err := s.slow(ctx, func() { match = secretvalue.VerifySupplied(x.Hash, p) }); err != nil {
			return domain.Secret{}, "", err
		}
		if match {
			e.rememberSupplied(memo, x.ID)
			return x, "", nil
		}
	}
	if !checked {
		if err := s.dummyCheck(ctx, value); err != nil {
			return domain.Secret{}, "", err
		}
	}
	return domain.Secret{}, "wrong secret", nil
}

// dummyCheck costs what checking value against a secret that does not
// exist would cost: a keyed hash for a generated value; for any other, a
// turn of the slow-hash gate held as long as an argon2id check takes
// (slowhash.Gate.Imitate), so unknown clients cost what known ones do in
// time (issue 9, rule 7) but made-up ones cannot buy CPU (rule 9).
func (s *Service) dummyCheck(ctx context.Context, value string) error {
	if value == "" {
		return nil
	}
	if secretvalue.LooksGenerated(secretvalue.PrefixClientSecret, value) {
		if p, err := secretvalue.Parse(secretvalue.PrefixClientSecret, value); err == nil {
			secretvalue.Verifier(s.verifierKey, p)
		}
		return nil
	}
	return s.gateErr(s.hashes.Imitate(ctx, func() {
		secretvalue.VerifySupplied(secretvalue.DummyHash(), secretvalue.FromRequest(value))
	}))
}

// slow runs an argon2id check through the gate; a full gate is a
// *domain.BusyError.
func (s *Service) slow(ctx context.Context, check func()) error {
	return s.gateErr(s.hashes.Do(ctx, check))
}

// gateErr maps the gate's refusal to a *domain.BusyError, counted.
func (s *Service) gateErr(err error) error {
	var busy *slowhash.BusyError
	if errors.As(err, &busy) {
		s.metrics.RateLimited(metrics.LimitHashing)
		return domain.Busy(busy.RetryAfter)
	}
	return err
}

func allowedSource(cidrs []string, source string) bool {
	if len(cidrs) == 0 {
		return true
	}
	addr, err := netip.ParseAddr(source)
	if err != nil {
		return false
	}
	addr = addr.Unmap()
	for _, c := range cidrs {
		if p, err := netip.ParsePrefix(c); err == nil && p.Contains(addr) {
			return true
		}
	}
	return false
}

// TokenActive decides whether an access token (already verified by its
// signature and expiry) is still good: its client exists in org, is
// enabled and was not revoked-all since the token was issued (iat has
// whole seconds, so a token of the revoke-all's own second is judged by its
// secret alone, which revoke-all revoked); its secret still allows its
// tokens; and for a personal credential, its user and the policy still
// allow it (user is then the user it acts as). It reads only the cache.
func (s *Service) TokenActive(ctx context.Context, org domain.OrgID, clientID domain.ClientID, secretID domain.SecretID, keyID domain.ClientKeyID, issuedAt int64) (active bool, user domain.UserID, err error) {
	if !clientID.Authenticates() {
		return false, "", nil
	}
	e, err := s.cache.get(ctx, clientID)
	if errors.Is(err, domain.ErrNotFound) {
		return false, "", nil
	}
	if err != nil {
		return false, "", err
	}
	cl := e.client
	if cl.OrgID != org || cl.Disabled || (cl.TokensRevokedAt != nil && issuedAt < cl.TokensRevokedAt.Unix()) || e.ownerRefusal() != "" {
		return false, "", nil
	}
	if secretID == domain.LegacyPasswordSecret {
		// A legacy password login's token lives as long as the user's
		// migration does: a password change, a personal credential, the
		// policy's end date or its switching off ends it (legacy.go).
		if e.owner == nil || !e.policy.LegacyPasswordAllowed(*e.owner, s.clock()) {
			return false, "", nil
		}
		return true, e.owner.ID, nil
	}
	if keyID != "" {
		// A private_key_jwt token: its key, which has no graceful revocation.
		k, ok := e.key(keyID)
		if !ok || !k.TokensValid(s.clock()) {
			return false, "", nil
		}
	} else if x, ok := e.secret(secretID); !ok || !x.TokensValid(s.clock()) {
		return false, "", nil
	}
	if e.owner != nil {
		user = e.owner.ID
	}
	return true, user, nil
}

// AuthenticatePersonal is seed 000's login: the email of the one enabled
// user with it (in organization, when given) and the secret of that user's
// personal credential. Anything wrong is ErrBadCredentials (or a
// validation error when the email is ambiguous, a rate limit, or a full
// slow-hash gate).
//
// Its limits are keyed by what the caller sent, the email, never by the
// credential behind it, and an email without a usable credential costs the
// check a credential would: so the answers and their timing are the same
// for emails with and without a personal credential. A failure with no
// credential behind it has no client to be audited against: it is logged
// with the unknown clients' (FlushFailures).
//
// A user whom the organisation's legacy password migration still allows
// (domain.Policy.LegacyPasswordAllowed) is checked against their console
// password instead (legacy.go), at the same cost.
func (s *Service) AuthenticatePersonal(ctx context.Context, email string, organization domain.OrgID, secret, source string) (domain.ClientAuth, error) {
	now := s.clock()
	email = strings.ToLower(strings.TrimSpace(email))
	known := "email:" + email + "|" + source
	a := attempt{known: known,
		keys:   []ratelimit.Key{{Limiter: s.limitAddr, Key: "a|" + source}, {Limiter: s.limitClient, Key: "e|" + known}},
		limits: []metrics.Limit{metrics.LimitClientAddress, metrics.LimitClient, metrics.LimitClientGuesses}}
	if s.guessing(secret, known, now) {
		a.keys = append(a.keys, ratelimit.Key{Limiter: s.limitGuess, Key: "ge|" + email})
		if s.passwords != nil {
			a.keys = append(a.keys, ratelimit.Key{Limiter: s.passwords, Key: email})
			a.limits = append(a.limits, metrics.LimitLoginGuesses)
		}
	}
	return s.attempt(ctx, a, source, now, func() (outcome, error) {
		users, err := s.store.UsersByEmail(ctx, email)
		if err != nil {
			return outcome{}, err
		}
		var found []domain.User
		for _, u := range users {
			if organization == "" || u.OrgID == organization {
				found = append(found, u)
			}
		}
		switch {
		case len(found) > 1:
			return outcome{}, domain.Invalid("organization", "this email belongs to several organizations; give the organization ID")
		case len(found) == 0:
			return outcome{reason: "personal login: unknown email"}, s.dummyCheck(ctx, secret)
		case found[0].DisabledAt != nil:
			return outcome{reason: "personal login: user disabled"}, s.dummyCheck(ctx, secret)
		}
		o, err := s.store.GetOrg(ctx, found[0].OrgID)
		if err != nil {
			return outcome{}, err
		}
		if o.Policy.LegacyPasswordAllowed(found[0], now) {
			return s.legacyLogin(ctx, o.Policy, found[0], secret, source, now)
		}
		c, err := s.store.PersonalClient(ctx, found[0].OrgID, found[0].ID)
		if errors.Is(err, domain.ErrNotFound) {
			return outcome{reason: "personal login: no personal credential"}, s.dummyCheck(ctx, secret)
		}
		if err != nil {
			return outcome{}, err
		}
		auth, reason, secretID, org, err := s.authenticate(ctx, c.ID, secret, source, now)
		return outcome{auth: auth, reason: reason, secret: secretID, org: org, client: c.ID}, err
	})
}
