package credential

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"keywarden/internal/audit"
	"keywarden/internal/domain"
	"keywarden/internal/store"
	"keywarden/internal/webhook"
)

// RotationView is a rotation with its derived state and its client's
// secrets (by ID), with the client's "New" marker at Now.
type RotationView struct {
	Rotation domain.Rotation
	State    domain.RotationState
	// SafeToRevoke says the old secrets are idle: revoking them now breaks
	// no caller that has moved to the new secret.
	SafeToRevoke bool
	Secrets      map[domain.SecretID]domain.Secret
	NewID        domain.SecretID
	Now          time.Time
}

// secretsByID is a client's secrets indexed for rotation views.
type secretsByID struct {
	byID  map[domain.SecretID]domain.Secret
	newID domain.SecretID
	now   time.Time
}

// rotationSecrets reads the secrets that rots name and the client's active
// secrets (for its "New" marker): two indexed reads bounded by the page,
// however many secrets and rotations the client has had.
func (s *Service) rotationSecrets(ctx context.Context, tx store.Data, org domain.OrgID, clientID domain.ClientID, rots ...domain.Rotation) (secretsByID, error) {
	var ids []domain.SecretID
	for _, r := range rots {
		ids = append(ids, r.NewSecretID)
		ids = append(ids, r.OldSecretIDs...)
	}
	list, err := tx.SecretsByID(ctx, org, ids)
	if err != nil {
		return secretsByID{}, err
	}
	now := s.clock()
	active, err := tx.ListActiveSecrets(ctx, org, clientID, now)
	if err != nil {
		return secretsByID{}, err
	}
	out := secretsByID{byID: make(map[domain.SecretID]domain.Secret, len(list)), newID: domain.NewestActive(active, now), now: now}
	for _, x := range list {
		if x.ClientID == clientID {
			out.byID[x.ID] = x
		}
	}
	return out, nil
}

func (cs secretsByID) view(r domain.Rotation) RotationView {
	state := r.State(cs.now, cs.byID)
	return RotationView{Rotation: r, State: state, SafeToRevoke: state == domain.RotationOldIdle, Secrets: cs.byID, NewID: cs.newID, Now: cs.now}
}

func (s *Service) view(ctx context.Context, tx store.Data, r domain.Rotation) (RotationView, error) {
	cs, err := s.rotationSecrets(ctx, tx, r.OrgID, r.ClientID, r)
	if err != nil {
		return RotationView{}, err
	}
	return cs.view(r), nil
}

// ListRotations returns a page of a client's rotations, newest first, and
// the cursor of the next page: three indexed reads (the rotations, the
// secrets they name, the client's active secrets), each bounded by the
// page size, however many rotations and secrets the client has had.
func (s *Service) ListRotations(ctx context.Context, by domain.Actor, clientID domain.ClientID, page domain.Page) ([]RotationView, string, error) {
	if _, err := getClient(ctx, s.store, by.OrgID, clientID); err != nil {
		return nil, "", err
	}
	list, next, err := s.store.ListRotations(ctx, by.OrgID, clientID, page)
	if err != nil {
		return nil, "", err
	}
	cs, err := s.rotationSecrets(ctx, s.store, by.OrgID, clientID, list...)
	if err != nil {
		return nil, "", err
	}
	out := make([]RotationView, 0, len(list))
	for _, r := range list {
		out = append(out, cs.view(r))
	}
	return out, next, nil
}

// GetRotation returns one rotation of a client.
func (s *Service) GetRotation(ctx context.Context, by domain.Actor, clientID domain.ClientID, id domain.RotationID) (RotationView, error) {
	r, err := getRotation(ctx, s.store, by.OrgID, clientID, id)
	if err != nil {
		return RotationView{}, err
	}
	return s.view(ctx, s.store, r)
}

func getRotation(ctx context.Context, tx store.Data, org domain.OrgID, clientID domain.ClientID, id domain.RotationID) (domain.Rotation, error) {
	if !id.Valid() || !clientID.Valid() {
		return domain.Rotation{}, domain.ErrNotFound
	}
	r, err := tx.GetRotation(ctx, org, id)
	if err != nil {
		return r, err
	}
	if r.ClientID != clientID {
		return domain.Rotation{}, domain.ErrNotFound
	}
	return r, nil
}

// CompleteRotation revokes the rotation's old secrets now and closes it.
// With keepTokens, or when the rotation was started with it, the tokens
// they minted run out on their own. Unless
// force is set, it refuses while an old secret is still in use.
func (s *Service) CompleteRotation(ctx context.Context, by domain.Actor, clientID domain.ClientID, id domain.RotationID, keepTokens, force bool) (RotationView, error) {
	defer s.cache.Invalidate(clientID)
	var out RotationView
	err := s.inTx(ctx, func(tx store.Tx) error {
		r, err := getRotation(ctx, tx, by.OrgID, clientID, id)
		if err != nil {
			return err
		}
		if err := s.cache.announce(ctx, tx, clientID); err != nil {
			return err
		}
		v, err := s.view(ctx, tx, r)
		if err != nil {
			return err
		}
		switch {
		case v.State == domain.RotationCompleted:
			return domain.Conflict("the rotation is already completed")
		case v.State == domain.RotationAbandoned:
			return domain.Conflict("the rotation's new secret is no longer active; start a new rotation")
		case !force && v.State != domain.RotationOldIdle:
			return domain.Conflict(fmt.Sprintf("the rotation is %s: the old secret is not idle yet (complete with force to revoke it anyway)", v.State))
		}
		// A rotation started with keep_tokens completes gracefully
		// whichever way it is finished.
		out, err = s.complete(ctx, tx, by, r, keepTokens || r.KeepTokens, v.State)
		return err
	})
	return out, err
}

// complete closes r and revokes its old secrets in tx. Closing comes first
// and is conditional: of two completions (a user's and the job's, say) one
// wins and the other changes nothing.
func (s *Service) complete(ctx context.Context, tx store.Tx, by domain.Actor, r domain.Rotation, keepTokens bool, state domain.RotationState) (RotationView, error) {
	now := s.clock()
	if err := tx.CompleteRotation(ctx, r.OrgID, r.ID, now, by.ID); err != nil {
		return RotationView{}, err
	}
	var revoked []domain.Secret
	for _, id := range r.OldSecretIDs {
		done, err := tx.RevokeSecret(ctx, r.OrgID, id, now, keepTokens)
		if errors.Is(err, domain.ErrNotFound) || (err == nil && !done) {
			continue // deleted with its client, or already revoked
		}
		if err != nil {
			return RotationView{}, err
		}
		x, err := tx.GetSecret(ctx, r.OrgID, id)
		if err != nil {
			return RotationView{}, err
		}
		revoked = append(revoked, x)
	}
	ids := make([]string, len(revoked))
	for i, x := range revoked {
		ids[i] = string(x.ID)
		if err := s.audit.Append(ctx, tx, audit.Entry{Actor: by, Action: "secret.revoke", Target: string(x.ID),
			Detail: map[string]string{"client_id": string(r.ClientID), "rotation_id": string(r.ID), "tokens": tokenMode(keepTokens)}}); err != nil {
			return RotationView{}, err
		}
		if err := s.events.Enqueue(ctx, tx, webhook.SecretRevoked(x, webhook.ReasonRotationCompleted)); err != nil {
			return RotationView{}, err
		}
	}
	if err := s.audit.Append(ctx, tx, audit.Entry{Actor: by, Action: "rotation.complete", Target: string(r.ID),
		Detail: map[string]string{"client_id": string(r.ClientID), "revoked": strings.Join(ids, ","), "state_before": string(state)}}); err != nil {
		return RotationView{}, err
	}
	r.CompletedAt, r.CompletedBy = &now, by.ID
	return s.view(ctx, tx, r)
}

// AutoCompleteRotations completes every auto-complete rotation whose old
// secrets are idle, as the system actor. It returns how many it completed.
func (s *Service) AutoCompleteRotations(ctx context.Context) (int, error) {
	open, err := s.store.ListOpenAutoRotations(ctx)
	if err != nil {
		return 0, err
	}
	done := 0
	for _, r := range open {
		err := s.inTx(ctx, func(tx store.Tx) error {
			cur, err := tx.GetRotation(ctx, r.OrgID, r.ID)
			if err != nil || cur.CompletedAt != nil {
				return err
			}
			v, err := s.view(ctx, tx, cur)
			if err != nil || v.State != domain.RotationOldIdle {
				return err
			}
			if err := s.cache.announce(ctx, tx, r.ClientID); err != nil {
				return err
			}
			if _, err := s.complete(ctx, tx, domain.System(r.OrgID, "rotation-auto-complete"), cur, cur.KeepTokens, v.State); err != nil {
				return err
			}
			done++
			return nil
		})
		s.cache.Invalidate(r.ClientID)
		if err != nil {
			return done, fmt.Errorf("auto-complete rotation %s: %w", r.ID, err)
		}
	}
	return done, nil
}
