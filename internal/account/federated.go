package account

import (
	"context"
	"errors"
	"fmt"

	"keywarden/internal/audit"
	"keywarden/internal/domain"
	"keywarden/internal/secretvalue"
	"keywarden/internal/store"
)

// FederatedRefusedError is a federated sign-in that the provider vouched
// for but Keywarden refuses; Reason is shown to the person and audited.
type FederatedRefusedError struct{ Reason string }

func (e *FederatedRefusedError) Error() string { return "sign-in refused: " + e.Reason }

// ErrLocalLoginDisabled refuses a password sign-in in an organisation
// that turned password sign-in off (domain.Policy.LocalLoginDisabled) to a
// user who is not one of its break-glass super admins. It is only
// returned once the password was right.
var ErrLocalLoginDisabled = errors.New("password sign-in is turned off for your organisation: sign in through its identity provider")

// SignInFederated opens a session for the person an identity provider of
// the organisation vouched for (every check of the ID token passed). In
// one transaction, holding the user's row: the user linked to the
// identity; else the organisation's user with the verified email, linked
// now (unless linked to another identity); else a user provisioned with
// the role the provider's groups or default role give. A disabled user,
// an email linked elsewhere and a person with no role are refused with a
// *FederatedRefusedError; every outcome is audited (user.login, detail
// method=oidc). MFA: the provider's; Keywarden's TOTP is not asked.
func (s *Service) SignInFederated(ctx context.Context, p domain.IdentityProvider, id domain.FederatedIdentity, source, userAgent string) (NewSession, error) {
	now := s.clock()
	var n NewSession
	var refused *FederatedRefusedError
	var linked bool
	// A provisioned user gets the hash of a random value nobody knows (the
	// one an unknown email is checked against, made once per process), so
	// that a password sign-in costs what any other does and never succeeds.
	unusable := secretvalue.DummyHash()
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		refused, linked, n = nil, false, NewSession{}
		refuse := func(reason string) error {
			refused = &FederatedRefusedError{Reason: reason}
			return refused
		}
		u, err := tx.UserByIdentity(ctx, p.OrgID, p.ID, id.Subject)
		var provisioned bool
		switch {
		case err == nil:
			if u, err = tx.LockUser(ctx, u.OrgID, u.ID); err != nil {
				return err
			}
		case !errors.Is(err, domain.ErrNotFound):
			return err
		default:
			byEmail, err := tx.UsersByEmail(ctx, id.Email)
			if err != nil {
				return err
			}
			found := false
			for _, x := range byEmail {
				if x.OrgID == p.OrgID {
					u, found = x, true
				}
			}
			if found {
				if u, err = tx.LockUser(ctx, u.OrgID, u.ID); err != nil {
					return err
				}
				if u.Federated() {
					return refuse("this email belongs to a user who signs in through another identity")
				}
				u, err = tx.UpdateUser(ctx, u.OrgID, u.ID, func(x *domain.User) error {
					x.IdentityProvider, x.IdentitySubject = p.ID, id.Subject
					return nil
				})
				if err != nil {
					return err
				}
				linked = true
				if err := s.audit.Append(ctx, tx, audit.Entry{Actor: domain.UserActor(u.OrgID, u.ID, "", source), Action: "user.identity_link",
					Target: string(u.ID), Detail: map[string]string{"provider": string(p.ID), "email": id.Email}}); err != nil {
					return err
				}
				break
			}
			role, ok := p.RoleFor(id.Groups)
			if !ok {
				return refuse("no Keywarden role for you: the provider gives no default role and none of your groups maps to one")
			}
			u = domain.User{ID: domain.NewUserID(), OrgID: p.OrgID, Email: id.Email, Role: role, PasswordHash: unusable,
				CreatedAt: now, IdentityProvider: p.ID, IdentitySubject: id.Subject}
			if err := tx.CreateUser(ctx, u); err != nil {
				return fmt.Errorf("provision user: %w", err)
			}
			provisioned = true
			if err := s.audit.Append(ctx, tx, audit.Entry{Actor: domain.System(p.OrgID, "oidc"), Action: "user.provision",
				Target: string(u.ID), Detail: map[string]string{"provider": string(p.ID), "email": id.Email, "role": string(role)}}); err != nil {
				return err
			}
		}
		if u.DisabledAt != nil {
			return refuse("your Keywarden user is disabled")
		}
		x, tok := s.newSession(u, source, userAgent, now)
		x.IdentityProvider = p.ID
		if err := tx.CreateSession(ctx, x); err != nil {
			return err
		}
		detail := map[string]string{"session_id": string(x.ID), "method": "oidc", "provider": string(p.ID)}
		if provisioned {
			detail["provisioned"] = "true"
		}
		n = NewSession{Session: x, User: u, Token: tok}
		return s.audit.Append(ctx, tx, audit.Entry{Actor: domain.UserActor(u.OrgID, u.ID, "", source),
			Action: "user.login", Target: string(u.ID), Detail: detail})
	})
	if refused != nil {
		if err := s.FederatedSignInFailed(ctx, p, id.Email, refused.Reason, source); err != nil {
			return NewSession{}, err
		}
		return NewSession{}, refused
	}
	if err != nil {
		return NewSession{}, err
	}
	if linked && s.onUserChange != nil {
		s.onUserChange(p.OrgID) // personal credentials are checked against the link
	}
	return n, nil
}

// FederatedSignInFailed audits a federated sign-in that failed (a bad
// state, nonce or signature, a provider that is down, a refusal) with its
// reason. email is what the provider claimed, if anything.
func (s *Service) FederatedSignInFailed(ctx context.Context, p domain.IdentityProvider, email, reason, source string) error {
	detail := map[string]string{"method": "oidc", "provider": string(p.ID), "reason": reason}
	if email != "" {
		detail["email"] = email
	}
	return s.audit.Record(ctx, audit.Entry{Actor: domain.Actor{OrgID: p.OrgID, Kind: domain.ActorUser, Source: source},
		Action: "user.login", Target: string(p.ID), Result: domain.ResultFailure, Detail: detail})
}
