package credential

import (
	"context"
	"errors"
	"fmt"
	"time"

	"keywarden/internal/audit"
	"keywarden/internal/domain"
	"keywarden/internal/secretvalue"
	"keywarden/internal/store"
)

// Seed 000's migration: a user created before the organisation's chosen
// date may present their console password as the secret at POST
// /v1/auth/login until they change their password or generate a personal
// credential, or the policy's end date passes (domain.Policy.LegacyPasswordAllowed).

// errLegacyRefused rolls back a legacy login whose user changed under it.
var errLegacyRefused = errors.New("legacy password login refused")

// legacyLogin checks secret against u's password hash, through the same
// slow-hash gate as every password check: an eligible email costs one
// argon2id check whether the password is right or wrong, and an
// ineligible one the dummy check that costs the same time. A match is
// confirmed in a transaction that holds u's row, the row a password change
// or a new personal credential updates: if either committed first (the
// hash differs or the migration ended), the login fails, so the old
// password never works after the change commits. The success is audited
// there (auth.login, method legacy_password), and the user's personal
// client, which the token names, is created if it does not exist yet (with
// no secret: it holds the credential the user generates later).
func (s *Service) legacyLogin(ctx context.Context, pol domain.Policy, u domain.User, secret, source string, now time.Time) (outcome, error) {
	var match bool
	if err := s.slow(ctx, func() { match = secretvalue.VerifySupplied(u.PasswordHash, secretvalue.FromRequest(secret)) }); err != nil {
		return outcome{}, err
	}
	if !match {
		return s.legacyFailure(ctx, u, source, "wrong password")
	}
	var c domain.Client
	err := s.inTx(ctx, func(tx store.Tx) error {
		cur, err := tx.LockUser(ctx, u.OrgID, u.ID)
		if err != nil {
			return err
		}
		org, err := tx.GetOrg(ctx, u.OrgID)
		if err != nil {
			return err
		}
		pol = org.Policy
		if cur.PasswordHash != u.PasswordHash || !pol.LegacyPasswordAllowed(cur, s.clock()) {
			return errLegacyRefused
		}
		c, err = tx.PersonalClient(ctx, u.OrgID, u.ID)
		if errors.Is(err, domain.ErrNotFound) {
			c = newPersonalClient(cur, now)
			if err := tx.CreateClient(ctx, c); err != nil {
				return fmt.Errorf("create personal client: %w", err)
			}
		} else if err != nil {
			return err
		}
		return s.audit.Append(ctx, tx, audit.Entry{Actor: domain.UserActor(u.OrgID, u.ID, u.Role, source), Action: "auth.login", Target: string(u.ID),
			Detail: map[string]string{"method": "legacy_password", "client_id": string(c.ID),
				"until": pol.LegacyPasswordUntil.UTC().Format(time.RFC3339)}})
	})
	switch {
	case errors.Is(err, errLegacyRefused):
		return s.legacyFailure(ctx, u, source, "the password changed or the migration ended during the login")
	case err != nil:
		return outcome{}, err
	}
	auth := domain.ClientAuth{Client: c, SecretID: domain.LegacyPasswordSecret, Owner: u.ID, OrgTokenTTL: pol.AccessTokenTTLSeconds}
	return outcome{auth: auth, secret: domain.LegacyPasswordSecret, org: u.OrgID, client: c.ID}, nil
}

// legacyFailure audits a failed legacy password login as one auth.login
// failure of u, as a console login's failure is (bounded by the gate and
// the limits), and returns its outcome.
func (s *Service) legacyFailure(ctx context.Context, u domain.User, source, reason string) (outcome, error) {
	if err := s.audit.Record(ctx, audit.Entry{Actor: domain.UserActor(u.OrgID, u.ID, "", source), Action: "auth.login", Target: string(u.ID),
		Result: domain.ResultFailure, Detail: map[string]string{"method": "legacy_password", "reason": reason}}); err != nil {
		return outcome{}, err
	}
	return outcome{reason: "legacy password login: " + reason, org: u.OrgID, audited: true}, nil
}

// newPersonalClient is u's personal client, without a secret yet.
func newPersonalClient(u domain.User, now time.Time) domain.Client {
	return domain.Client{ID: domain.NewPersonalClientID(), OrgID: u.OrgID, Name: "Personal credential of " + u.Email,
		Scopes: []string{}, CreatedAt: now, UpdatedAt: now, OwnerUserID: u.ID}
}

// endLegacyPassword ends u's legacy password login for good, in the
// transaction that generates their personal credential (u's row is
// locked), and audits it. It does nothing if it had ended.
func (s *Service) endLegacyPassword(ctx context.Context, tx store.Tx, by domain.Actor, u domain.User, now time.Time) error {
	if u.LegacyPasswordEndedAt != nil {
		return nil
	}
	if _, err := tx.UpdateUser(ctx, u.OrgID, u.ID, func(x *domain.User) error {
		if x.LegacyPasswordEndedAt != nil {
			return store.ErrNoChange
		}
		x.LegacyPasswordEndedAt = &now
		return nil
	}); err != nil {
		return err
	}
	return s.audit.Append(ctx, tx, audit.Entry{Actor: by, Action: "user.legacy_password_end", Target: string(u.ID),
		Detail: map[string]string{"reason": "personal_credential"}})
}
