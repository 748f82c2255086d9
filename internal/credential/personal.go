package credential

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"keywarden/internal/audit"
	"keywarden/internal/domain"
	"keywarden/internal/secretvalue"
	"keywarden/internal/store"
	"keywarden/internal/webhook"
)

// Personal credentials (seeds 000 and 001): a user's own client ID and
// secret that act as the user. Each user has at most one personal client
// (kwp_…), created on first use, holding at most one active secret.

// PersonalView is a user's personal credential.
type PersonalView struct {
	Client  domain.Client
	Secrets []domain.Secret
	// Active is the secret in use, if any.
	Active *domain.Secret
}

// PersonalInput generates a personal credential.
type PersonalInput struct {
	Description  string
	ExpiresAt    *time.Time
	NeverExpires bool
}

// NewPersonal is a generated personal credential; Value is shown once.
type NewPersonal struct {
	ClientID domain.ClientID
	Secret   domain.Secret
	Value    secretvalue.Plaintext
}

func (s *Service) personal(ctx context.Context, tx store.Data, org domain.OrgID, userID domain.UserID) (PersonalView, error) {
	c, err := tx.PersonalClient(ctx, org, userID)
	if err != nil {
		return PersonalView{}, err
	}
	secrets, err := tx.ListSecrets(ctx, org, c.ID)
	if err != nil {
		return PersonalView{}, err
	}
	v := PersonalView{Client: c, Secrets: secrets}
	now := s.clock()
	for i := len(secrets) - 1; i >= 0; i-- {
		if secrets[i].State(now) == domain.SecretActive {
			v.Active = &secrets[i]
			break
		}
	}
	return v, nil
}

// Personal returns a user's personal credential (domain.ErrNotFound if
// they never generated one).
func (s *Service) Personal(ctx context.Context, org domain.OrgID, userID domain.UserID) (PersonalView, error) {
	return s.personal(ctx, s.store, org, userID)
}

// validatePersonalInput is the one check of what creating and rotating a
// personal credential take: the description's default, then the field's
// validator.
func validatePersonalInput(in *PersonalInput) error {
	if in.Description == "" {
		in.Description = "Personal credential"
	}
	var v domain.ValidationError
	validText(&v, "description", in.Description, true, MaxSecretDescriptionLen)
	return v.Err()
}

// CreatePersonal generates the actor's personal credential. It is refused
// while another is active (revoke or rotate it), when the organisation's
// policy does not allow the user one, or beyond the role's longest expiry.
func (s *Service) CreatePersonal(ctx context.Context, by domain.Actor, in PersonalInput) (NewPersonal, error) {
	if err := validatePersonalInput(&in); err != nil {
		return NewPersonal{}, err
	}
	var out NewPersonal
	err := s.inTx(ctx, func(tx store.Tx) error {
		u, org, err := s.personalOwner(ctx, tx, by)
		if err != nil {
			return err
		}
		cur, err := s.personal(ctx, tx, by.OrgID, u.ID)
		switch {
		case errors.Is(err, domain.ErrNotFound):
			cur.Client = newPersonalClient(u, s.clock())
			if err := tx.CreateClient(ctx, cur.Client); err != nil {
				return fmt.Errorf("create personal client: %w", err)
			}
		case err != nil:
			return err
		case cur.Active != nil:
			return domain.Conflict("you already have an active personal credential; revoke it or rotate it first (one per user)")
		}
		if out, err = s.newPersonalSecret(ctx, tx, by, org, u, cur.Client, in, "credential.create"); err != nil {
			return err
		}
		return s.cache.announce(ctx, tx, out.ClientID)
	})
	if err == nil {
		s.cache.Invalidate(out.ClientID)
	}
	return out, err
}

// personalOwner locks the actor's user (store.Locks: the one personal
// credential a user may hold is decided under it, so racing creates make
// one), loads the organisation and applies the policy switches.
func (s *Service) personalOwner(ctx context.Context, tx store.Tx, by domain.Actor) (domain.User, domain.Organization, error) {
	u, err := tx.LockUser(ctx, by.OrgID, by.UserID())
	if err != nil {
		return u, domain.Organization{}, err
	}
	org, err := tx.GetOrg(ctx, by.OrgID)
	if err != nil {
		return u, org, err
	}
	switch {
	case org.Policy.PersonalCredentials == domain.CredentialsSuperAdmins && u.Role != domain.RoleSuperAdmin:
		return u, org, domain.Forbidden("your organisation allows personal credentials for super admins only")
	case org.Policy.RefuseCredentialsWithMFA && u.MFAEnabled:
		return u, org, domain.Forbidden("your organisation refuses personal credentials of users with MFA on")
	case org.Policy.RefusesFederatedCredential(u):
		return u, org, domain.Forbidden("you sign in through your organisation's identity provider, and your organisation refuses personal credentials of federated users")
	}
	return u, org, nil
}

func (s *Service) newPersonalSecret(ctx context.Context, tx store.Tx, by domain.Actor, org domain.Organization, u domain.User, c domain.Client, in PersonalInput, action string) (NewPersonal, error) {
	now := s.clock()
	expires, err := org.Policy.ResolveExpiry("expires_at", u.Role, now, in.ExpiresAt, in.NeverExpires)
	if err != nil {
		return NewPersonal{}, err
	}
	value := secretvalue.Generate(secretvalue.PrefixClientSecret)
	x := domain.Secret{ID: domain.NewSecretID(), OrgID: by.OrgID, ClientID: c.ID, Description: in.Description,
		CreatedAt: now, CreatedBy: by.ID, ExpiresAt: expires, Origin: domain.OriginGenerated,
		Verifier: secretvalue.Verifier(s.verifierKey, value), Digest: secretvalue.Digest(value), Hint: value.Hint()}
	x.Sealed = s.keys.Seal([]byte(value.Reveal()), []byte(x.ID))
	if err := tx.CreateSecret(ctx, x); err != nil {
		return NewPersonal{}, err
	}
	if err := s.endLegacyPassword(ctx, tx, by, u, now); err != nil {
		return NewPersonal{}, err
	}
	if err := s.audit.Append(ctx, tx, audit.Entry{Actor: by, Action: action, Target: string(c.ID),
		Detail: map[string]string{"user_id": string(u.ID), "secret_id": string(x.ID), "expires_at": formatExpiry(expires)}}); err != nil {
		return NewPersonal{}, err
	}
	return NewPersonal{ClientID: c.ID, Secret: x, Value: value}, nil
}

// RotatePersonal replaces the actor's active personal credential: a new
// secret now, the old one expiring after graceSeconds (0: at once).
func (s *Service) RotatePersonal(ctx context.Context, by domain.Actor, graceSeconds int, in PersonalInput) (NewPersonal, error) {
	if graceSeconds < 0 || graceSeconds > 30*86400 {
		return NewPersonal{}, domain.Invalid("grace_seconds", "must be between 0 and 2592000 (30 days)")
	}
	if err := validatePersonalInput(&in); err != nil {
		return NewPersonal{}, err
	}
	var out NewPersonal
	err := s.inTx(ctx, func(tx store.Tx) error {
		u, org, err := s.personalOwner(ctx, tx, by)
		if err != nil {
			return err
		}
		cur, err := s.personal(ctx, tx, by.OrgID, u.ID)
		if errors.Is(err, domain.ErrNotFound) || (err == nil && cur.Active == nil) {
			return domain.Conflict("you have no active personal credential to rotate; generate one")
		}
		if err != nil {
			return err
		}
		end := s.clock().Add(time.Duration(graceSeconds) * time.Second)
		old, err := tx.UpdateSecret(ctx, by.OrgID, cur.Active.ID, func(x *domain.Secret) error {
			if x.ExpiresAt != nil && !x.ExpiresAt.After(end) {
				return store.ErrNoChange
			}
			x.ExpiresAt = &end
			return nil
		})
		if err != nil {
			return err
		}
		out, err = s.newPersonalSecret(ctx, tx, by, org, u, cur.Client, in, "credential.rotate")
		if err != nil {
			return err
		}
		if err := s.cache.announce(ctx, tx, out.ClientID); err != nil {
			return err
		}
		return s.audit.Append(ctx, tx, audit.Entry{Actor: by, Action: "secret.schedule_expiry", Target: string(old.ID),
			Detail: map[string]string{"client_id": string(cur.Client.ID), "expires_at": formatExpiry(old.ExpiresAt), "grace_seconds": strconv.Itoa(graceSeconds)}})
	})
	if err == nil {
		s.cache.Invalidate(out.ClientID)
	}
	return out, err
}

// RevokePersonal revokes the personal credential of a user of the actor's
// organisation and kills every token it minted. Revoking nothing is not an
// error; an unknown user is domain.ErrNotFound. Under the policy's
// RevocationOwner (seed 001) only the owner revokes theirs: anyone else is
// refused (offboarding, RevokePersonalInTx, is not).
func (s *Service) RevokePersonal(ctx context.Context, by domain.Actor, userID domain.UserID) error {
	if !userID.Valid() {
		return domain.ErrNotFound
	}
	return s.inTx(ctx, func(tx store.Tx) error {
		if _, err := tx.LockUser(ctx, by.OrgID, userID); err != nil {
			return err
		}
		org, err := tx.GetOrg(ctx, by.OrgID)
		if err != nil {
			return err
		}
		if err := org.Policy.MayRevokePersonal(by.UserID(), userID); err != nil {
			return err
		}
		return s.RevokePersonalInTx(ctx, tx, by, userID)
	})
}

// RevokePersonalInTx is RevokePersonal inside the caller's transaction
// (user offboarding).
func (s *Service) RevokePersonalInTx(ctx context.Context, tx store.Tx, by domain.Actor, userID domain.UserID) error {
	c, err := tx.PersonalClient(ctx, by.OrgID, userID)
	if errors.Is(err, domain.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	defer s.cache.Invalidate(c.ID)
	now := s.clock()
	if c, err = tx.UpdateClient(ctx, by.OrgID, c.ID, func(c *domain.Client) error {
		c.TokensRevokedAt, c.UpdatedAt = &now, now
		return nil
	}); err != nil {
		return err
	}
	if err := s.cache.announce(ctx, tx, c.ID); err != nil {
		return err
	}
	before, err := tx.ListSecrets(ctx, by.OrgID, c.ID)
	if err != nil {
		return err
	}
	var ending []domain.Secret
	for _, x := range before {
		if x.RevokedAt == nil {
			ending = append(ending, x)
		}
	}
	n, err := tx.RevokeClientSecrets(ctx, by.OrgID, c.ID, now)
	if err != nil {
		return err
	}
	if n == 0 {
		return nil
	}
	if err := s.audit.Append(ctx, tx, audit.Entry{Actor: by, Action: "credential.revoke", Target: string(c.ID),
		Detail: map[string]string{"user_id": string(userID), "revoked": strconv.Itoa(n)}}); err != nil {
		return err
	}
	return s.events.Enqueue(ctx, tx, webhook.CredentialRevoked(c, ending, now))
}
