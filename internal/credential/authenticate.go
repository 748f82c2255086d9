package credential

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"time"

	"keywarden/internal/audit"
	"keywarden/internal/domain"
	"keywarden/internal/metrics"
	"keywarden/internal/secretvalue"
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
// and writes nothing to the store on success: the use is batched (see
// FlushUsage).
func (s *Service) Authenticate(ctx context.Context, clientID domain.ClientID, secret, source string) (domain.ClientAuth, error) {
	now := s.clock()
	addrKey, clientKey := "a|"+source, "c|"+string(clientID)+"|"+source
	if wait, blocked := s.limitAddr.Blocked(addrKey, now); blocked {
		s.metrics.RateLimited(metrics.LimitClientAddress)
		return domain.ClientAuth{}, &RateLimitedError{RetryAfter: wait}
	}
	if wait, blocked := s.limitClient.Blocked(clientKey, now); blocked {
		s.metrics.RateLimited(metrics.LimitClient)
		return domain.ClientAuth{}, &RateLimitedError{RetryAfter: wait}
	}
	auth, reason, secretID, org, err := s.authenticate(ctx, clientID, secret, source, now)
	if err != nil {
		return domain.ClientAuth{}, err
	}
	if reason == "" {
		s.usage.record(org, clientID, secretID, now, source)
		return auth, nil
	}
	s.limitAddr.Fail(addrKey, now)
	s.limitClient.Fail(clientKey, now)
	detail := map[string]string{"reason": reason}
	if secretID != "" {
		detail["secret_id"] = string(secretID)
	}
	if _, blocked := s.limitClient.Blocked(clientKey, now); blocked {
		detail["rate_limited"] = "further attempts from this address are refused for a while"
	}
	actor := domain.ClientActor(org, clientID, source)
	if err := s.audit.Record(ctx, audit.Entry{Actor: actor, Action: "client.authenticate", Target: string(clientID),
		Result: domain.ResultFailure, Detail: detail}); err != nil {
		return domain.ClientAuth{}, err
	}
	return domain.ClientAuth{}, ErrBadCredentials
}

// authenticate decides the outcome. A non-empty reason is a failure, told
// only to the audit log.
func (s *Service) authenticate(ctx context.Context, clientID domain.ClientID, secret, source string, now time.Time) (auth domain.ClientAuth, reason string, secretID domain.SecretID, org domain.OrgID, err error) {
	if !clientID.Authenticates() {
		return domain.ClientAuth{}, "unknown client", "", "", nil
	}
	e, err := s.cache.get(ctx, clientID)
	if errors.Is(err, domain.ErrNotFound) {
		return domain.ClientAuth{}, "unknown client", "", "", nil
	}
	if err != nil {
		return domain.ClientAuth{}, "", "", "", err
	}
	org = e.client.OrgID
	x, reason := s.match(e, secret, now)
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
		return domain.ClientAuth{}, "source address " + source + " not allowed for this secret", x.ID, org, nil
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

// match finds the secret whose value was presented.
func (s *Service) match(e *clientEntry, value string, now time.Time) (domain.Secret, string) {
	if value == "" {
		return domain.Secret{}, "no secret presented"
	}
	if secretvalue.LooksGenerated(secretvalue.PrefixClientSecret, value) {
		p, err := secretvalue.Parse(secretvalue.PrefixClientSecret, value)
		if err != nil {
			return domain.Secret{}, "malformed secret (checksum)"
		}
		i, ok := e.byVerifier(secretvalue.Verifier(s.verifierKey, p))
		if !ok {
			return domain.Secret{}, "wrong secret"
		}
		return e.secrets[i], ""
	}
	memo := s.cache.memo(value)
	e.mu.Lock()
	id, ok := e.suppliedOK[memo]
	e.mu.Unlock()
	if ok {
		if x, found := e.secret(id); found {
			return x, ""
		}
	}
	p := secretvalue.FromRequest(value)
	for _, x := range e.secrets {
		if x.Origin != domain.OriginSupplied || x.State(now) != domain.SecretActive {
			continue
		}
		if secretvalue.VerifySupplied(x.Hash, p) {
			e.rememberSupplied(memo, x.ID)
			return x, ""
		}
	}
	return domain.Secret{}, "wrong secret"
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
func (s *Service) TokenActive(ctx context.Context, org domain.OrgID, clientID domain.ClientID, secretID domain.SecretID, issuedAt int64) (active bool, user domain.UserID, err error) {
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
	x, ok := e.secret(secretID)
	if !ok || !x.TokensValid(s.clock()) {
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
// validation error when the email is ambiguous, or a rate limit).
func (s *Service) AuthenticatePersonal(ctx context.Context, email string, organization domain.OrgID, secret, source string) (domain.ClientAuth, error) {
	users, err := s.store.UsersByEmail(ctx, strings.ToLower(strings.TrimSpace(email)))
	if err != nil {
		return domain.ClientAuth{}, err
	}
	var found []domain.User
	for _, u := range users {
		if organization == "" || u.OrgID == organization {
			found = append(found, u)
		}
	}
	switch {
	case len(found) > 1:
		return domain.ClientAuth{}, domain.Invalid("organization", "this email belongs to several organizations; give the organization ID")
	case len(found) == 0 || found[0].DisabledAt != nil:
		return domain.ClientAuth{}, ErrBadCredentials
	}
	c, err := s.store.PersonalClient(ctx, found[0].OrgID, found[0].ID)
	if errors.Is(err, domain.ErrNotFound) {
		return domain.ClientAuth{}, ErrBadCredentials
	}
	if err != nil {
		return domain.ClientAuth{}, err
	}
	return s.Authenticate(ctx, c.ID, secret, source)
}
