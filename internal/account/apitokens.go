package account

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"keywarden/internal/audit"
	"keywarden/internal/domain"
	"keywarden/internal/secretvalue"
	"keywarden/internal/store"
)

// Limits on admin API tokens.
const (
	// MaxActiveAPITokens is how many unexpired, unrevoked tokens a user
	// may hold at once.
	MaxActiveAPITokens = 25
	// MaxAPITokenNameLen is the longest name, in characters.
	MaxAPITokenNameLen = 100
	// MaxRotationOverlap is the longest time a rotated token keeps
	// working next to its replacement.
	MaxRotationOverlap = 24 * time.Hour
	// EndedAPITokenRetention is how long revoked and expired tokens stay
	// listed before the background jobs delete them (the audit log keeps
	// their history).
	EndedAPITokenRetention = 30 * 24 * time.Hour
)

// DeleteEndedAPITokens removes the tokens revoked or expired more than
// EndedAPITokenRetention ago, so that a user's list stays short however
// often their tokens rotate.
func (s *Service) DeleteEndedAPITokens(ctx context.Context) (int, error) {
	return s.store.DeleteAPITokensEndedBefore(ctx, s.clock().Add(-EndedAPITokenRetention))
}

// APITokenInput is what a new API token gets: a name, and an expiry
// within the organisation's policy for the user's role (nil: the longest
// it allows). API tokens always expire.
type APITokenInput struct {
	Name      string
	ExpiresAt *time.Time
}

// NewAPIToken is a token just created, with its value: the only time the
// value exists in plain text.
type NewAPIToken struct {
	Token domain.APIToken
	Value secretvalue.Plaintext
}

func validateAPITokenInput(in APITokenInput) error {
	var v domain.ValidationError
	v.Text("name", in.Name, true, MaxAPITokenNameLen)
	return v.Err()
}

// newAPIToken makes a token for user under pol at now.
func (s *Service) newAPIToken(pol domain.Policy, user domain.User, name string, expires *time.Time, now time.Time) (NewAPIToken, error) {
	exp, err := pol.ResolveExpiry("expires_at", user.Role, now, expires, false)
	if err != nil {
		return NewAPIToken{}, err
	}
	value := secretvalue.Generate(secretvalue.PrefixAPIToken)
	return NewAPIToken{Value: value, Token: domain.APIToken{
		ID: domain.NewAPITokenID(), OrgID: user.OrgID, UserID: user.ID, Name: name,
		Verifier: secretvalue.Verifier(s.verifierKey, value), Digest: secretvalue.Digest(value), Hint: value.Hint(), CreatedAt: now, ExpiresAt: exp,
	}}, nil
}

// CreateAPIToken gives the actor a new API token. The user's row is held
// while the active tokens are counted, so that racing creates cannot pass
// MaxActiveAPITokens.
func (s *Service) CreateAPIToken(ctx context.Context, by domain.Actor, in APITokenInput) (NewAPIToken, error) {
	if err := validateAPITokenInput(in); err != nil {
		return NewAPIToken{}, err
	}
	var out NewAPIToken
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		u, err := tx.LockUser(ctx, by.OrgID, by.UserID())
		if err != nil {
			return err
		}
		org, err := tx.GetOrg(ctx, by.OrgID)
		if err != nil {
			return err
		}
		now := s.clock()
		tokens, err := tx.ListAPITokens(ctx, by.OrgID, u.ID)
		if err != nil {
			return err
		}
		active := 0
		for _, t := range tokens {
			if t.State(now) == domain.APITokenActive {
				active++
			}
		}
		if active >= MaxActiveAPITokens {
			return domain.Conflict(fmt.Sprintf("you hold %d active API tokens, the most allowed; revoke one first", MaxActiveAPITokens))
		}
		if out, err = s.newAPIToken(org.Policy, u, in.Name, in.ExpiresAt, now); err != nil {
			return err
		}
		if err := tx.CreateAPIToken(ctx, out.Token); err != nil {
			return fmt.Errorf("create api token: %w", err)
		}
		return s.audit.Append(ctx, tx, audit.Entry{Actor: by, Action: "api_token.create", Target: string(out.Token.ID),
			Detail: apiTokenDetail(out.Token)})
	})
	if err != nil {
		return NewAPIToken{}, err
	}
	return out, nil
}

func apiTokenDetail(t domain.APIToken) map[string]string {
	d := map[string]string{"name": t.Name, "hint": t.Hint}
	if t.ExpiresAt != nil {
		d["expires_at"] = t.ExpiresAt.Format(time.RFC3339)
	}
	return d
}

// ListAPITokens returns the actor's own API tokens, newest first, with
// revoked and expired ones.
func (s *Service) ListAPITokens(ctx context.Context, by domain.Actor) ([]domain.APIToken, error) {
	return s.store.ListAPITokens(ctx, by.OrgID, by.UserID())
}

// CurrentAPIToken, in place of a token's ID, names the token the request
// came through.
const CurrentAPIToken domain.APITokenID = "current"

// GetAPIToken returns one of the actor's own API tokens (CurrentAPIToken:
// the one of this request); anyone else's is not found.
func (s *Service) GetAPIToken(ctx context.Context, by domain.Actor, id domain.APITokenID) (domain.APIToken, error) {
	if id == CurrentAPIToken {
		if by.APITokenID == "" {
			return domain.APIToken{}, domain.Invalid("id", "current names the API token of the request; this request came through none")
		}
		id = by.APITokenID
	}
	if !id.Valid() {
		return domain.APIToken{}, domain.ErrNotFound
	}
	t, err := s.store.GetAPIToken(ctx, by.OrgID, id)
	if err == nil && t.UserID != by.UserID() {
		return domain.APIToken{}, domain.ErrNotFound
	}
	return t, err
}

// ownToken refuses, inside UpdateAPIToken, a token of another user than
// owner: "not found", as for another organisation's (the callers checked
// it before; a token never changes hands, this keeps the rule next to the
// write).
func ownToken(owner domain.UserID, t *domain.APIToken) error {
	if t.UserID != owner {
		return domain.ErrNotFound
	}
	return nil
}

// RevokeAPIToken revokes one of the actor's tokens at once: every node
// reads the token from the store on each request, so none accepts it
// after the commit. Revoking a revoked token changes nothing and is not
// audited again.
func (s *Service) RevokeAPIToken(ctx context.Context, by domain.Actor, id domain.APITokenID) (domain.APIToken, error) {
	cur, err := s.GetAPIToken(ctx, by, id)
	if err != nil {
		return domain.APIToken{}, err
	}
	return s.revokeAPIToken(ctx, by, cur)
}

// ListUserAPITokens returns the API tokens of a user of the actor's
// organisation, newest first (an admin's view; never the values).
func (s *Service) ListUserAPITokens(ctx context.Context, by domain.Actor, userID domain.UserID) ([]domain.APIToken, error) {
	if _, err := s.GetUser(ctx, by, userID); err != nil {
		return nil, err
	}
	return s.store.ListAPITokens(ctx, by.OrgID, userID)
}

// RevokeUserAPIToken revokes a token of a user of the actor's
// organisation (a super admin's incident response), as RevokeAPIToken
// does the actor's own; a token of anyone else is not found.
func (s *Service) RevokeUserAPIToken(ctx context.Context, by domain.Actor, userID domain.UserID, id domain.APITokenID) (domain.APIToken, error) {
	if !userID.Valid() || !id.Valid() {
		return domain.APIToken{}, domain.ErrNotFound
	}
	cur, err := s.store.GetAPIToken(ctx, by.OrgID, id)
	if err != nil {
		return domain.APIToken{}, err
	}
	if cur.UserID != userID {
		return domain.APIToken{}, domain.ErrNotFound
	}
	return s.revokeAPIToken(ctx, by, cur)
}

// revokeAPIToken revokes cur, a token the caller found for by.
func (s *Service) revokeAPIToken(ctx context.Context, by domain.Actor, cur domain.APIToken) (domain.APIToken, error) {
	var out domain.APIToken
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		revoked := false
		t, err := tx.UpdateAPIToken(ctx, by.OrgID, cur.ID, func(t *domain.APIToken) error {
			if err := ownToken(cur.UserID, t); err != nil {
				return err
			}
			now := s.clock()
			t.RevokedAt, revoked = &now, true
			return nil
		})
		if errors.Is(err, domain.ErrConflict) { // already revoked
			out, err = tx.GetAPIToken(ctx, by.OrgID, cur.ID)
			return err
		}
		if err != nil {
			return err
		}
		out = t
		if !revoked {
			return nil
		}
		return s.audit.Append(ctx, tx, audit.Entry{Actor: by, Action: "api_token.revoke", Target: string(cur.ID),
			Detail: map[string]string{"name": t.Name, "hint": t.Hint, "user_id": string(t.UserID)}})
	})
	return out, err
}

// RotateInput replaces an API token: how long the old one keeps working
// (0: it is revoked at once; at most MaxRotationOverlap), and the new
// one's expiry (nil: the longest the policy allows).
type RotateInput struct {
	Overlap   time.Duration
	ExpiresAt *time.Time
}

// RotateAPIToken replaces one of the actor's active tokens with a new one
// of the same name, whose value it returns once. The old token is revoked
// at once, or expires after the overlap, and names its replacement; a
// token is rotated once (a second rotation is a conflict, also when two
// race).
func (s *Service) RotateAPIToken(ctx context.Context, by domain.Actor, id domain.APITokenID, in RotateInput) (NewAPIToken, error) {
	if in.Overlap < 0 || in.Overlap > MaxRotationOverlap {
		return NewAPIToken{}, domain.Invalid("overlap_seconds", fmt.Sprintf("must be between 0 and %d", int(MaxRotationOverlap/time.Second)))
	}
	cur, err := s.GetAPIToken(ctx, by, id)
	if err != nil {
		return NewAPIToken{}, err
	}
	id = cur.ID
	var out NewAPIToken
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		u, err := tx.LockUser(ctx, by.OrgID, by.UserID())
		if err != nil {
			return err
		}
		org, err := tx.GetOrg(ctx, by.OrgID)
		if err != nil {
			return err
		}
		now := s.clock()
		old, err := tx.UpdateAPIToken(ctx, by.OrgID, id, func(t *domain.APIToken) error {
			if err := ownToken(by.UserID(), t); err != nil {
				return err
			}
			switch {
			case t.ReplacedBy != "":
				return domain.Conflict("the API token was already rotated; rotate its replacement " + string(t.ReplacedBy))
			case t.State(now) != domain.APITokenActive:
				return domain.Conflict("the API token is " + string(t.State(now)) + "; create a new one")
			}
			if out, err = s.newAPIToken(org.Policy, u, t.Name, in.ExpiresAt, now); err != nil {
				return err
			}
			t.ReplacedBy = out.Token.ID
			if in.Overlap == 0 {
				t.RevokedAt = &now
			} else if end := now.Add(in.Overlap); t.ExpiresAt == nil || end.Before(*t.ExpiresAt) {
				t.ExpiresAt = &end
			}
			return nil
		})
		if err != nil {
			return err
		}
		if err := tx.CreateAPIToken(ctx, out.Token); err != nil {
			return fmt.Errorf("create api token: %w", err)
		}
		d := apiTokenDetail(out.Token)
		d["replaced_by"], d["overlap_seconds"] = string(out.Token.ID), strconv.Itoa(int(in.Overlap/time.Second))
		d["old_hint"] = old.Hint
		return s.audit.Append(ctx, tx, audit.Entry{Actor: by, Action: "api_token.rotate", Target: string(id), Detail: d})
	})
	if err != nil {
		return NewAPIToken{}, err
	}
	return out, nil
}

// tokenUses batches the successful requests of API tokens in memory: the
// request path writes nothing; FlushAPITokenUse stores the latest use of
// each token.
type tokenUses struct {
	mu      sync.Mutex
	pending map[domain.APITokenID]domain.APITokenUse
}

func (u *tokenUses) record(id domain.APITokenID, at time.Time, from string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if cur, ok := u.pending[id]; ok && !at.After(cur.At) {
		return
	}
	if u.pending == nil {
		u.pending = map[domain.APITokenID]domain.APITokenUse{}
	}
	u.pending[id] = domain.APITokenUse{TokenID: id, At: at, From: from}
}

func (u *tokenUses) take() []domain.APITokenUse {
	u.mu.Lock()
	defer u.mu.Unlock()
	out := make([]domain.APITokenUse, 0, len(u.pending))
	for _, x := range u.pending {
		out = append(out, x)
	}
	u.pending = nil
	return out
}

// FlushAPITokenUse writes the batched last-used times of API tokens in
// one transaction; after a failure they wait for the next flush.
func (s *Service) FlushAPITokenUse(ctx context.Context) error {
	uses := s.tokenUses.take()
	if len(uses) == 0 {
		return nil
	}
	if err := s.store.TouchAPITokens(ctx, uses); err != nil {
		for _, x := range uses {
			s.tokenUses.record(x.TokenID, x.At, x.From)
		}
		return fmt.Errorf("api token last use: %w", err)
	}
	return nil
}

// RunAPITokenUseFlusher flushes every interval until ctx ends, then once
// more.
func (s *Service) RunAPITokenUseFlusher(ctx context.Context, interval time.Duration, onError func(error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			if err := s.FlushAPITokenUse(context.WithoutCancel(ctx)); err != nil {
				onError(err)
			}
			return
		case <-t.C:
			if err := s.FlushAPITokenUse(ctx); err != nil {
				onError(err)
			}
		}
	}
}
