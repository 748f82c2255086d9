package credential

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"keywarden/internal/domain"
	"keywarden/internal/metrics"
	"keywarden/internal/ratelimit"
)

// The rules of client assertions (private_key_jwt: RFC 7523 §3, OpenID
// Connect Core §9), documented in docs/oauth.md ("Key authentication").
const (
	// AssertionType is the one client_assertion_type accepted (RFC 7523 §2.2).
	AssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
	// MaxAssertionLifetime is how far ahead of now an assertion's exp may
	// be (plus AssertionClockSkew): an assertion is for one request, and
	// its jti is remembered until exp.
	MaxAssertionLifetime = 5 * time.Minute
	// AssertionClockSkew is the clock difference tolerated between client
	// and server, for exp, nbf and iat.
	AssertionClockSkew = 30 * time.Second
	// MaxJTILen bounds an assertion's jti.
	MaxJTILen = 256
)

// assertionAlgorithms are the JWS algorithms a client assertion may be
// signed with: what KeyAlgorithms names. "none" and HMAC are not among
// them, so go-jose refuses them before any key is looked at.
var assertionAlgorithms = []jose.SignatureAlgorithm{jose.ES256, jose.ES384, jose.EdDSA, jose.RS256, jose.PS256}

// AssertionInput is a private_key_jwt authentication as presented.
type AssertionInput struct {
	// ClientID is the request's client_id parameter ("" when absent);
	// when present it must be the assertion's sub.
	ClientID domain.ClientID
	// Assertion is the client_assertion: a JWS compact serialisation.
	Assertion string
	// Audiences are the values aud may have: the issuer and the token
	// endpoint's URL.
	Audiences []string
	// Source is the client's IP address.
	Source string
}

// AuthenticateAssertion checks a client assertion (private_key_jwt): a
// JWT signed with one of the client's registered keys, whose iss and sub
// are the client's ID, whose aud is the issuer or the token endpoint (one
// value), whose exp is at most MaxAssertionLifetime ahead, and whose jti
// this server has not accepted before its exp, across all nodes (the one
// store write of the check, made last, so that only an assertion that
// passes everything else consumes its jti). Keys come from the client
// cache (no store read when it is warm).
//
// Rate limits, failure aggregation and last-used batching are those of
// Authenticate: per address and per client at the address (a signature
// cannot be guessed, so there is no guessing limit). Every failure is
// ErrBadCredentials; the audit log records the precise reason.
func (s *Service) AuthenticateAssertion(ctx context.Context, in AssertionInput) (domain.ClientAuth, error) {
	now := s.clock()
	tok, parseErr := jwt.ParseSigned(in.Assertion, assertionAlgorithms)
	var claimed jwt.Claims
	if parseErr == nil && len(tok.Headers) == 1 {
		parseErr = tok.UnsafeClaimsWithoutVerification(&claimed)
	}
	// The client the request names: the parameter, else the (unverified)
	// sub; the limits are keyed by it, as Authenticate's by the client_id.
	clientID := in.ClientID
	switch {
	case clientID != "":
	case parseErr == nil:
		clientID = domain.ClientID(claimed.Subject)
	default:
		clientID = unverifiedSubject(in.Assertion)
	}
	known := string(clientID) + "|" + in.Source
	a := attempt{known: known,
		keys:   []ratelimit.Key{{Limiter: s.limitAddr, Key: "a|" + in.Source}, {Limiter: s.limitClient, Key: "c|" + known}},
		limits: []metrics.Limit{metrics.LimitClientAddress, metrics.LimitClient}}
	return s.attempt(ctx, a, in.Source, now, func() (outcome, error) {
		if parseErr != nil || len(tok.Headers) != 1 {
			// Audited for the client it names, when there is one, as a wrong
			// secret is.
			o := outcome{reason: "client assertion: " + malformedReason(in.Assertion), client: clientID}
			if clientID.Valid() {
				e, err := s.cache.get(ctx, clientID)
				if err != nil && !errors.Is(err, domain.ErrNotFound) {
					return outcome{}, err
				}
				if err == nil {
					o.org = e.client.OrgID
				}
			}
			return o, nil
		}
		return s.checkAssertion(ctx, in, tok, claimed, clientID, now)
	})
}

// malformedReason says why an assertion did not parse: not a JWS, or
// signed with an algorithm that is never accepted.
func malformedReason(assertion string) string {
	if sig, err := jose.ParseSignedCompact(assertion, []jose.SignatureAlgorithm{jose.HS256, jose.HS384, jose.HS512}); err == nil && len(sig.Signatures) == 1 {
		return fmt.Sprintf("alg %s refused (HMAC); sign with one of ES256, ES384, EdDSA, RS256, PS256", sig.Signatures[0].Header.Algorithm)
	}
	if unsignedJWT(assertion) {
		return `alg "none" refused; sign with one of ES256, ES384, EdDSA, RS256, PS256`
	}
	return "not a signed JWT (JWS compact serialisation, one signature) with an accepted alg (ES256, ES384, EdDSA, RS256, PS256)"
}

// unsignedJWT reports whether s looks like an unsecured JWT (alg "none",
// RFC 7519 §6): go-jose parses none of them, so its header is read here,
// for the audit log only.
func unsignedJWT(s string) bool {
	h, _, ok := cutDot(s)
	if !ok {
		return false
	}
	var header struct {
		Alg string `json:"alg"`
	}
	return decodeSegment(h, &header) == nil && (header.Alg == "none" || header.Alg == "None" || header.Alg == "NONE")
}

// unverifiedSubject reads the sub of an assertion that did not parse (an
// unsecured or HMAC-signed JWT), to audit the refusal for the client it
// names; nothing else is taken from it.
func unverifiedSubject(s string) domain.ClientID {
	_, rest, ok := cutDot(s)
	if !ok {
		return ""
	}
	payload, _, ok := cutDot(rest)
	if !ok {
		return ""
	}
	var claims struct {
		Sub string `json:"sub"`
	}
	if decodeSegment(payload, &claims) != nil || !domain.ClientID(claims.Sub).Valid() {
		return ""
	}
	return domain.ClientID(claims.Sub)
}

// checkAssertion decides an assertion that parsed. A non-empty reason is
// a failure.
func (s *Service) checkAssertion(ctx context.Context, in AssertionInput, tok *jwt.JSONWebToken, claimed jwt.Claims, clientID domain.ClientID, now time.Time) (outcome, error) {
	fail := func(org domain.OrgID, reason string) (outcome, error) {
		return outcome{reason: "client assertion: " + reason, org: org, client: clientID}, nil
	}
	if in.ClientID != "" && string(in.ClientID) != claimed.Subject {
		return fail("", "sub differs from the client_id parameter")
	}
	if !clientID.Valid() {
		return fail("", "sub is not a client ID (unknown client)")
	}
	e, err := s.cache.get(ctx, clientID)
	if errors.Is(err, domain.ErrNotFound) {
		return fail("", "unknown client")
	}
	if err != nil {
		return outcome{}, err
	}
	org := e.client.OrgID
	h := tok.Headers[0]
	var candidates []candidate
	idx, reason := e.keysFor(h.KeyID, h.Algorithm, now)
	for _, j := range idx {
		candidates = append(candidates, candidate{key: e.parsed[j].key, owner: j})
	}
	if reason != "" {
		// Not among the registered JWKs: the client's JWK Sets, if any.
		found, jreason := s.jwksCandidates(ctx, e, h.KeyID, h.Algorithm, now)
		if len(found) == 0 {
			if jreason != "" {
				reason = jreason
			}
			return fail(org, reason)
		}
		candidates = found
	}
	var c jwt.Claims
	i := -1
	for _, cand := range candidates {
		if tok.Claims(cand.key, &c) == nil {
			i = cand.owner
			break
		}
	}
	if i < 0 {
		return fail(org, "signature does not verify with the client's key")
	}
	k := e.keys[i]
	failKey := func(reason string) (outcome, error) {
		return outcome{reason: "client assertion: " + reason, org: org, client: clientID, key: k.ID}, nil
	}
	switch k.State(now) {
	case domain.SecretRevoked:
		return failKey("key revoked")
	case domain.SecretExpired:
		return failKey("key expired")
	}
	if reason := assertionClaimsReason(c, clientID, in.Audiences, now); reason != "" {
		return failKey(reason)
	}
	if e.client.Disabled {
		return failKey("client disabled")
	}
	if refusal := e.ownerRefusal(); refusal != "" {
		return failKey(refusal)
	}
	// Last: the jti is consumed only by an assertion that passed the rest,
	// and kept until its exp plus the skew, when it would be refused as
	// expired anyway.
	fresh, err := s.store.ConsumeAssertionID(ctx, clientID, c.ID, c.Expiry.Time().Add(AssertionClockSkew), now)
	if err != nil {
		return outcome{}, err
	}
	if !fresh {
		return failKey("jti replayed (this assertion was already used)")
	}
	return outcome{auth: domain.ClientAuth{Client: e.client, KeyID: k.ID, OrgTokenTTL: e.orgTTL}, org: org, client: clientID, key: k.ID}, nil
}

// keysFor returns the indexes of the keys an assertion's header may name:
// the key of its kid, whose algorithm must be the header's; without a kid,
// every unrevoked, unexpired key of the header's algorithm (at most
// MaxActiveKeys, each tried in turn). A non-empty reason is a failure.
func (e *clientEntry) keysFor(kid, alg string, now time.Time) ([]int, string) {
	if kid != "" {
		for i, p := range e.parsed {
			if p.kid == kid {
				if p.alg != alg {
					return nil, fmt.Sprintf("alg %s does not match the key's alg %s", alg, p.alg)
				}
				return []int{i}, ""
			}
		}
		return nil, "unknown kid (no key of the client has it)"
	}
	var out []int
	for i, p := range e.parsed {
		if p.alg == alg && e.keys[i].State(now) == domain.SecretActive {
			out = append(out, i)
		}
	}
	if len(out) == 0 {
		return nil, "no kid, and the client has no active key for alg " + alg
	}
	return out, ""
}

// candidate is a public key an assertion may be signed with, and the
// index of the client key entry it belongs to (a JWK, or a jwks_uri).
type candidate struct {
	key   any
	owner int
}

// jwksCandidates looks the header's kid (or, without one, its alg) up in
// the JWK Sets of the client's active jwks_uri keys: from the cache, and
// when it is not there, fetched again at most once per JWKSMinRefresh. A
// non-empty reason says why none was found, when a set was looked at.
func (s *Service) jwksCandidates(ctx context.Context, e *clientEntry, kid, alg string, now time.Time) ([]candidate, string) {
	reason := ""
	for i, k := range e.keys {
		if k.JWKSURI == "" || k.State(now) != domain.SecretActive {
			continue
		}
		for _, refresh := range []bool{false, true} {
			keys, err := s.jwks.keys(ctx, k.JWKSURI, refresh)
			if err != nil {
				reason = "jwks_uri: " + err.Error()
				break
			}
			var out []candidate
			for _, p := range keys {
				if p.alg == alg && (kid == "" || p.kid == kid) {
					out = append(out, candidate{key: p.key, owner: i})
				}
			}
			if len(out) > 0 {
				return out, ""
			}
			reason = "unknown kid (not among the registered keys nor in the client's JWK Set)"
		}
	}
	return nil, reason
}

// cutDot splits a compact JWS at its first dot.
func cutDot(s string) (string, string, bool) { return strings.Cut(s, ".") }

// decodeSegment decodes one base64url JSON segment of a compact JWS.
func decodeSegment(seg string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// assertionClaimsReason checks the claims of a verified assertion (RFC
// 7523 §3): "" when they pass.
func assertionClaimsReason(c jwt.Claims, clientID domain.ClientID, audiences []string, now time.Time) string {
	switch {
	case c.Issuer != string(clientID):
		return "iss must be the client ID"
	case c.Subject != string(clientID):
		return "sub must be the client ID"
	case len(c.Audience) != 1:
		return "aud must be one value: the issuer or the token endpoint URL"
	case !slices.Contains(audiences, c.Audience[0]):
		return "aud is neither the issuer nor the token endpoint URL"
	case c.Expiry == nil:
		return "exp is missing"
	case !now.Before(c.Expiry.Time().Add(AssertionClockSkew)):
		return "expired (exp has passed)"
	case c.Expiry.Time().After(now.Add(MaxAssertionLifetime + AssertionClockSkew)):
		return fmt.Sprintf("exp is more than %s ahead", MaxAssertionLifetime)
	case c.NotBefore != nil && c.NotBefore.Time().After(now.Add(AssertionClockSkew)):
		return "nbf is in the future"
	case c.IssuedAt != nil && c.IssuedAt.Time().After(now.Add(AssertionClockSkew)):
		return "iat is in the future"
	case c.ID == "":
		return "jti is missing"
	case len(c.ID) > MaxJTILen:
		return fmt.Sprintf("jti is longer than %d characters", MaxJTILen)
	}
	return ""
}

// DeleteExpiredAssertionIDs forgets the jti of assertions past their exp
// (and the skew): they would be refused as expired anyway. The deny-list
// job runs it on every node; the delete is idempotent.
func (s *Service) DeleteExpiredAssertionIDs(ctx context.Context) (int, error) {
	return s.store.DeleteAssertionIDsBefore(ctx, s.clock())
}
