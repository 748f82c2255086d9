package token

import (
	"context"
	"errors"
	"fmt"
	"time"

	"keywarden/internal/audit"
	"keywarden/internal/domain"
	"keywarden/internal/keyring"
	"keywarden/internal/metrics"
	"keywarden/internal/secretvalue"
	"keywarden/internal/store"
	"keywarden/internal/webhook"
)

// DefaultRefreshTTL is how long a refresh token is valid.
const DefaultRefreshTTL = time.Hour

// Refresh issues and redeems one-time refresh tokens.
type Refresh struct {
	store       store.Store
	audit       *audit.Log
	deny        *DenyList
	verifierKey []byte
	ttl         time.Duration
	now         func() time.Time
	events      *webhook.Outbox
	metrics     *metrics.Metrics
}

// RefreshOptions configure Refresh.
type RefreshOptions struct {
	Store    store.Store
	Audit    *audit.Log
	DenyList *DenyList
	Keyring  *keyring.Keyring
	TTL      time.Duration // DefaultRefreshTTL when zero
	Now      func() time.Time
	// Webhooks receives refresh_token.issued events (nil: none are sent).
	Webhooks *webhook.Outbox
	// Metrics counts reuse detections (none when nil).
	Metrics *metrics.Metrics
}

// NewRefresh returns a Refresh.
func NewRefresh(o RefreshOptions) *Refresh {
	r := &Refresh{store: o.Store, audit: o.Audit, deny: o.DenyList, verifierKey: o.Keyring.Derive(keyring.PurposeSecretVerifier), ttl: o.TTL, now: o.Now, events: o.Webhooks, metrics: o.Metrics}
	if r.ttl == 0 {
		r.ttl = DefaultRefreshTTL
	}
	if r.now == nil {
		r.now = time.Now
	}
	return r
}

func (r *Refresh) clock() time.Time { return r.now().UTC().Truncate(time.Microsecond) }

// NewRefreshToken is a refresh token with its value, shown once.
type NewRefreshToken struct {
	Token domain.RefreshToken
	Value secretvalue.Plaintext
}

// Create generates a refresh token for a client of the actor's organisation.
func (r *Refresh) Create(ctx context.Context, by domain.Actor, clientID domain.ClientID) (NewRefreshToken, error) {
	var out NewRefreshToken
	err := r.store.InTx(ctx, func(tx store.Tx) error {
		if !clientID.Valid() {
			return domain.ErrNotFound
		}
		if _, err := tx.GetClient(ctx, by.OrgID, clientID); err != nil {
			return err
		}
		var err error
		out, err = r.issue(ctx, tx, by.OrgID, clientID, domain.NewRefreshFamilyID(), by.ID)
		if err != nil {
			return err
		}
		if err := r.audit.Append(ctx, tx, audit.Entry{Actor: by, Action: "refresh_token.create", Target: string(out.Token.ID),
			Detail: map[string]string{"client_id": string(clientID), "expires_at": out.Token.ExpiresAt.Format(time.RFC3339)}}); err != nil {
			return err
		}
		return r.events.Enqueue(ctx, tx, webhook.RefreshTokenIssued(out.Token))
	})
	return out, err
}

func (r *Refresh) issue(ctx context.Context, tx store.Tx, org domain.OrgID, clientID domain.ClientID, family domain.RefreshFamilyID, by string) (NewRefreshToken, error) {
	now := r.clock()
	v := secretvalue.Generate(secretvalue.PrefixRefreshToken)
	t := domain.RefreshToken{
		ID: domain.NewRefreshTokenID(), OrgID: org, ClientID: clientID, Family: family,
		Verifier: secretvalue.Verifier(r.verifierKey, v), Hint: v.Hint(), CreatedAt: now, CreatedBy: by,
		ExpiresAt: now.Add(r.ttl),
	}
	if err := tx.CreateRefreshToken(ctx, t); err != nil {
		return NewRefreshToken{}, fmt.Errorf("create refresh token: %w", err)
	}
	return NewRefreshToken{Token: t, Value: v}, nil
}

// List returns a page of a client's refresh tokens, newest first, and the
// cursor of the next page ("" after the last).
func (r *Refresh) List(ctx context.Context, by domain.Actor, clientID domain.ClientID, page domain.Page) ([]domain.RefreshToken, string, error) {
	if !clientID.Valid() {
		return nil, "", domain.ErrNotFound
	}
	if _, err := r.store.GetClient(ctx, by.OrgID, clientID); err != nil {
		return nil, "", err
	}
	return r.store.ListRefreshTokens(ctx, by.OrgID, clientID, page)
}

// ErrInvalidGrant is the one answer for a refresh token that cannot be
// used: unknown, another client's, expired, revoked, or used before.
var ErrInvalidGrant = errors.New("invalid refresh token")

// redeem uses a refresh token presented by an authenticated client and
// returns the access token sign makes of c, with the successor refresh
// token, all in one transaction: the use records c's jti and expiry (so
// that a replay can revoke the access token), and signing comes before the
// commit, so a failure to sign leaves the refresh token unused and
// nothing half done. A token used a second time (or by two redemptions at
// once) revokes its whole family and every access token the family
// issued. The Issuer calls it.
func (r *Refresh) redeem(ctx context.Context, client domain.Client, value, source string, c Claims, sign func(Claims) (string, error)) (string, NewRefreshToken, error) {
	p, err := secretvalue.Parse(secretvalue.PrefixRefreshToken, value)
	if err != nil {
		return "", NewRefreshToken{}, ErrInvalidGrant
	}
	actor := domain.ClientActor(client.OrgID, client.ID, source)
	var access string
	var out NewRefreshToken
	var reason string
	err = r.store.InTx(ctx, func(tx store.Tx) error {
		reason = ""
		t, err := tx.RefreshTokenByVerifier(ctx, secretvalue.Verifier(r.verifierKey, p))
		if errors.Is(err, domain.ErrNotFound) {
			reason = "unknown refresh token"
			return nil
		}
		if err != nil {
			return err
		}
		now := r.clock()
		switch {
		case t.ClientID != client.ID:
			reason = "refresh token of another client"
		case t.RevokedAt != nil:
			reason = "refresh token revoked"
		case t.UsedAt != nil:
			reason = reasonReused
			return r.revokeFamily(ctx, tx, actor, t, now, domain.RefreshReuse)
		case !now.Before(t.ExpiresAt):
			reason = "refresh token expired"
		}
		if reason != "" {
			return nil
		}
		if access, err = sign(c); err != nil {
			return err // rolls back: the refresh token stays unused
		}
		switch err := tx.UseRefreshToken(ctx, t.ID, now, c.JTI, time.Unix(c.Expiry, 0)); {
		case errors.Is(err, domain.ErrConflict):
			// A concurrent redemption used it first: this is a reuse.
			reason = reasonReused
			return r.revokeFamily(ctx, tx, actor, t, now, domain.RefreshReuse)
		case err != nil:
			return err
		}
		if out, err = r.issue(ctx, tx, t.OrgID, t.ClientID, t.Family, string(client.ID)); err != nil {
			return err
		}
		return r.audit.Append(ctx, tx, audit.Entry{Actor: actor, Action: "refresh_token.use", Target: string(t.ID),
			Detail: map[string]string{"client_id": string(client.ID), "successor": string(out.Token.ID)}})
	})
	if err != nil {
		return "", NewRefreshToken{}, err
	}
	if reason == reasonReused {
		r.metrics.RefreshTokenReused() // committed: the family is revoked
	}
	if reason != "" {
		if err := r.audit.Record(ctx, audit.Entry{Actor: actor, Action: "refresh_token.use", Target: string(client.ID),
			Result: domain.ResultFailure, Detail: map[string]string{"reason": reason}}); err != nil {
			return "", NewRefreshToken{}, err
		}
		return "", NewRefreshToken{}, ErrInvalidGrant
	}
	return access, out, nil
}

// reasonReused is the audited reason of a reuse.
const reasonReused = "refresh token reused: its family is revoked"

// revokeFamily revokes every token of t's family for reason and
// deny-lists the access tokens they issued.
func (r *Refresh) revokeFamily(ctx context.Context, tx store.Tx, by domain.Actor, t domain.RefreshToken, now time.Time, reason domain.RefreshRevokeReason) error {
	family, err := tx.ListRefreshFamily(ctx, t.Family)
	if err != nil {
		return err
	}
	for _, f := range family {
		if f.IssuedJTI != "" && f.IssuedExp != nil && f.IssuedExp.After(now) {
			if err := r.deny.Add(ctx, tx, domain.RevokedToken{JTI: f.IssuedJTI, OrgID: f.OrgID, ClientID: f.ClientID, ExpiresAt: *f.IssuedExp, RevokedAt: now}); err != nil {
				return err
			}
		}
	}
	n, err := tx.RevokeRefreshFamily(ctx, t.Family, now, reason)
	if err != nil {
		return err
	}
	why := "reuse detected"
	switch reason {
	case domain.RefreshRevokedByClient:
		why = "revoked by the client"
	case domain.RefreshLeaked:
		why = "leaked: a leak report named a token of the family"
	}
	return r.audit.Append(ctx, tx, audit.Entry{Actor: by, Action: "refresh_token.revoke_family", Target: string(t.Family),
		Result: domain.ResultSuccess, Detail: map[string]string{"client_id": string(t.ClientID), "reason": why, "revoked": fmt.Sprint(n)}})
}

// Revoke revokes the refresh token with value if it belongs to client
// (RFC 7009): its family and the access tokens it issued. An unknown token
// is not an error.
func (r *Refresh) Revoke(ctx context.Context, client domain.Client, value, source string) error {
	p, err := secretvalue.Parse(secretvalue.PrefixRefreshToken, value)
	if err != nil {
		return nil
	}
	actor := domain.ClientActor(client.OrgID, client.ID, source)
	return r.store.InTx(ctx, func(tx store.Tx) error {
		t, err := tx.RefreshTokenByVerifier(ctx, secretvalue.Verifier(r.verifierKey, p))
		if errors.Is(err, domain.ErrNotFound) || (err == nil && t.ClientID != client.ID) {
			return nil // RFC 7009 §2.2: an invalid token is not an error
		}
		if err != nil {
			return err
		}
		return r.revokeFamily(ctx, tx, actor, t, r.clock(), domain.RefreshRevokedByClient)
	})
}

// DeleteExpired removes refresh tokens that expired over a day ago.
func (r *Refresh) DeleteExpired(ctx context.Context) (int, error) {
	return r.store.DeleteRefreshTokensBefore(ctx, r.clock().Add(-24*time.Hour))
}
