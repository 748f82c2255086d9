package token

import (
	"context"
	"errors"
	"strings"
	"time"

	"keywarden/internal/domain"
	"keywarden/internal/dpop"
	"keywarden/internal/secretvalue"
)

// Grant types the token endpoint serves (RFC 6749 §4.4 and §6).
const (
	GrantClientCredentials = "client_credentials"
	GrantRefreshToken      = "refresh_token"
)

// Request is what a client asks the token endpoint for.
type Request struct {
	Grant string // GrantClientCredentials or GrantRefreshToken
	// Scope is the requested scope (RFC 6749 §3.3); without HasScope the
	// client gets every scope it is allowed.
	Scope    string
	HasScope bool
	// RefreshToken is the token a refresh_token grant presents.
	RefreshToken string
	Source       string // the client's address, for the audit log
	// Proof is the request's verified DPoP proof, if it had one: the
	// access token is bound to its key, and its jti is used up.
	Proof *dpop.Proof
}

// Issued is a token response (RFC 6749 §5.1).
type Issued struct {
	AccessToken string
	ExpiresIn   int // seconds
	Scope       string
	// RefreshToken is the successor of a redeemed refresh token ("" for
	// client_credentials); shown once.
	RefreshToken string
	Claims       Claims
}

// ErrUnsupportedGrant means the grant type is none the server serves.
var ErrUnsupportedGrant = errors.New("unsupported grant type")

// ScopeError is a requested scope the client may not have (invalid_scope).
type ScopeError struct{ Description string }

func (e *ScopeError) Error() string { return "invalid scope: " + e.Description }

// Signer signs claims into a compact JWS (Keys).
type Signer interface {
	Mint(c Claims) (string, error)
}

// Backing says whether what an access token stands for still holds: its
// client and secret and, for a personal credential, its user
// (credential.Service).
type Backing interface {
	TokenActive(ctx context.Context, org domain.OrgID, client domain.ClientID, secret domain.SecretID, key domain.ClientKeyID, issuedAt int64) (active bool, user domain.UserID, err error)
}

// ProofStore remembers used DPoP proofs across nodes (the store).
type ProofStore interface {
	// ConsumeProof records the client's proof jti until expires and
	// reports whether it was new; a jti seen before is refused.
	ConsumeProof(ctx context.Context, client domain.ClientID, jti string, expires, now time.Time) (bool, error)
}

// Issuer owns issuance end to end: from an authenticated client and what
// it asks for, it decides the scope and lifetime, builds the claims, rotates
// the refresh token and signs, in an order that leaves nothing half done.
// It also answers whether a token is active (introspection and the admin
// API's personal-credential tokens) and revokes tokens (RFC 7009).
type Issuer struct {
	signer  Signer
	keys    *Keys
	deny    *DenyList
	refresh *Refresh
	backing Backing
	proofs  ProofStore
	issuer  func() string
	now     func() time.Time
}

// IssuerOptions are the Issuer's dependencies.
type IssuerOptions struct {
	Keys     *Keys
	DenyList *DenyList
	Refresh  *Refresh
	Backing  Backing
	Proofs   ProofStore
	// Issuer returns the issuer URL (iss and aud of every token).
	Issuer func() string
	// Signer signs; Keys when nil.
	Signer Signer
	Now    func() time.Time
}

// NewIssuer returns an Issuer.
func NewIssuer(o IssuerOptions) *Issuer {
	i := &Issuer{signer: o.Signer, keys: o.Keys, deny: o.DenyList, refresh: o.Refresh, backing: o.Backing, proofs: o.Proofs, issuer: o.Issuer, now: o.Now}
	if i.signer == nil {
		i.signer = o.Keys
	}
	if i.now == nil {
		i.now = time.Now
	}
	return i
}

// Issue answers a token request of auth. For a refresh_token grant the
// refresh token's use, its successor and the signed access token commit
// together (Refresh.redeem).
func (i *Issuer) Issue(ctx context.Context, auth domain.ClientAuth, req Request) (Issued, error) {
	if req.Grant != GrantClientCredentials && req.Grant != GrantRefreshToken {
		return Issued{}, ErrUnsupportedGrant
	}
	scope, err := grantScope(auth.Client.Scopes, req.Scope, req.HasScope)
	if err != nil {
		return Issued{}, err
	}
	c := i.claims(auth, scope)
	if req.Proof != nil {
		// A proof is used once, on any node (RFC 9449 §11.1), and only
		// once the client is known: strangers cannot fill the store.
		fresh, err := i.proofs.ConsumeProof(ctx, auth.Client.ID, req.Proof.JTI, req.Proof.Expires, i.now())
		if err != nil {
			return Issued{}, err
		}
		if !fresh {
			return Issued{}, &dpop.Error{Code: "invalid_dpop_proof", Reason: "the DPoP proof was used before: make a new one for each request"}
		}
		c.Cnf = &Confirmation{JKT: req.Proof.JKT}
	}
	out := Issued{ExpiresIn: auth.TokenTTL(), Scope: scope, Claims: c}
	if req.Grant == GrantRefreshToken {
		access, next, err := i.refresh.redeem(ctx, auth.Client, req.RefreshToken, req.Source, c, i.signer.Mint)
		if err != nil {
			return Issued{}, err
		}
		out.AccessToken, out.RefreshToken = access, next.Value.Reveal()
		return out, nil
	}
	if out.AccessToken, err = i.signer.Mint(c); err != nil {
		return Issued{}, err
	}
	return out, nil
}

// claims builds an access token's claims for auth (RFC 9068 §2.2).
func (i *Issuer) claims(auth domain.ClientAuth, scope string) Claims {
	iss, now := i.issuer(), i.now().Unix()
	return Claims{
		Issuer: iss, Audience: iss, Subject: auth.Subject(), IssuedAt: now, Expiry: now + int64(auth.TokenTTL()),
		JTI: NewJTI(), ClientID: auth.Client.ID, Scope: scope, SecretID: auth.SecretID, KeyID: auth.KeyID, OrgID: auth.Client.OrgID,
	}
}

// grantScope resolves the requested scope against the client's allowed
// scopes (RFC 6749 §3.3): absent means all of them; an empty scope token
// or one the client may not have is invalid_scope.
func grantScope(allowed []string, requested string, present bool) (string, error) {
	if !present {
		return strings.Join(allowed, " "), nil
	}
	var out []string
	seen := map[string]bool{}
	for _, s := range strings.Split(requested, " ") {
		switch {
		case s == "":
			return "", &ScopeError{Description: "scope must be scope tokens separated by single spaces"}
		case !contains(allowed, s):
			return "", &ScopeError{Description: "scope " + quote(s) + " is not allowed for this client"}
		case !seen[s]:
			seen[s] = true
			out = append(out, s)
		}
	}
	return strings.Join(out, " "), nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// quote quotes a scope for an error message, bounded so a huge one is not
// echoed.
func quote(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return `"` + s + `"`
}

// active is the one check of whether an access token is good now: signed
// by a published key, unexpired, not on the deny list, and still backed by
// its client, secret and (for a personal credential) user.
func (i *Issuer) active(ctx context.Context, tok string) (Claims, bool, domain.UserID, error) {
	c, err := i.keys.Parse(tok, i.now())
	if err != nil || i.deny.Contains(c.JTI) {
		return c, false, "", nil
	}
	ok, user, err := i.backing.TokenActive(ctx, c.OrgID, c.ClientID, c.SecretID, c.KeyID, c.IssuedAt)
	return c, ok, user, err
}

// Introspect answers for a token on behalf of a client of org (RFC 7662):
// another organisation's token is simply inactive.
func (i *Issuer) Introspect(ctx context.Context, org domain.OrgID, tok string) (Claims, bool, error) {
	c, ok, _, err := i.active(ctx, tok)
	if err != nil || !ok || c.OrgID != org {
		return Claims{}, false, err
	}
	return c, true, nil
}

// ErrNotActing means an access token does not act as a user: it is
// inactive, or a client's own.
var ErrNotActing = errors.New("the access token does not act as a user")

// ActingUser returns the user an active personal credential's access
// token acts as, for the admin API. proof is the request's verified DPoP
// proof (nil without): a DPoP-bound token acts only with a fresh proof by
// its key, and a Bearer token only without one (RFC 9449 §7).
func (i *Issuer) ActingUser(ctx context.Context, tok string, proof *dpop.Proof) (domain.OrgID, domain.UserID, error) {
	c, ok, user, err := i.active(ctx, tok)
	switch {
	case err != nil:
		return "", "", err
	case !ok || user == "":
		return "", "", ErrNotActing
	case (c.Cnf == nil) != (proof == nil), c.Cnf != nil && c.Cnf.JKT != proof.JKT:
		return "", "", ErrNotActing
	}
	if proof != nil {
		fresh, err := i.proofs.ConsumeProof(ctx, c.ClientID, proof.JTI, proof.Expires, i.now())
		if err != nil {
			return "", "", err
		}
		if !fresh {
			return "", "", ErrNotActing
		}
	}
	return c.OrgID, user, nil
}

// Revoke revokes a token that client presents (RFC 7009): a refresh token
// of its own with its family, or an access token of its own. Anything else
// is not an error and changes nothing (§2.2).
func (i *Issuer) Revoke(ctx context.Context, client domain.Client, tok, source string) error {
	if strings.HasPrefix(tok, secretvalue.PrefixRefreshToken) {
		return i.refresh.Revoke(ctx, client, tok, source)
	}
	c, err := i.keys.Parse(tok, i.now())
	if err != nil || c.ClientID != client.ID {
		return nil
	}
	return i.deny.Revoke(ctx, domain.ClientActor(client.OrgID, client.ID, source), c)
}
