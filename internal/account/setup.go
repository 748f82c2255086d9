package account

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"keywarden/internal/audit"
	"keywarden/internal/domain"
	"keywarden/internal/secretvalue"
	"keywarden/internal/store"
)

// SetupTTL is how long a first-run setup link stays valid (unless used).
const SetupTTL = time.Hour

// SetupLink is a one-time first-run token, shown once (serve prints it).
type SetupLink struct {
	Token     secretvalue.Plaintext
	ExpiresAt time.Time
}

// The refusals of Setup, in the caller's words.
var (
	errSetupLinkUnknown = domain.Forbidden("this setup link is not valid; use the whole link that keywarden serve printed")
	errSetupLinkUsed    = domain.Forbidden("this setup link was used already; sign in with the account it created")
	errSetupLinkExpired = domain.Forbidden("this setup link expired; restart keywarden serve for a new one, or run keywarden init")
	// ErrAlreadySetUp refuses a second first organisation.
	ErrAlreadySetUp = domain.Conflict("Keywarden is set up already: it has an organisation; sign in instead")
)

// NeedsSetup reports whether the installation has no organisation yet.
// Once set up it stays so, and is then answered without the store.
func (s *Service) NeedsSetup(ctx context.Context) (bool, error) {
	if s.installed.Load() {
		return false, nil
	}
	ok, err := s.store.Installed(ctx)
	if err != nil {
		return false, err
	}
	if ok {
		s.installed.Store(true)
	}
	return !ok, nil
}

// NewSetupLink makes a one-time setup token, valid for SetupTTL, when the
// installation has no organisation yet; ok is false (and nothing is made)
// when it has one. Each call makes a token of its own: every node that
// starts on an empty store prints a link, and the first one used wins.
func (s *Service) NewSetupLink(ctx context.Context) (link SetupLink, ok bool, err error) {
	if need, err := s.NeedsSetup(ctx); err != nil || !need {
		return SetupLink{}, false, err
	}
	now := s.clock()
	tok := secretvalue.Generate(secretvalue.PrefixSetup)
	t := domain.SetupToken{Verifier: secretvalue.Verifier(s.verifierKey, tok), CreatedAt: now, ExpiresAt: now.Add(SetupTTL)}
	if err := s.store.CreateSetupToken(ctx, t); err != nil {
		return SetupLink{}, false, fmt.Errorf("create setup token: %w", err)
	}
	return SetupLink{Token: tok, ExpiresAt: t.ExpiresAt}, true, nil
}

// SetupInput is what the console's setup page sends.
type SetupInput struct {
	Token        string
	Organization string
	Email        string
	Password     string
	Source       string
	UserAgent    string
}

// Setup creates the installation's first organisation and its super admin
// with the password they chose, the way Init does, and signs them in. It
// consumes the setup token in the same transaction, and claims the
// installation there (store.ClaimInstallation): of two browsers that send
// the same link, or two links, at once, one creates the organisation and
// the other is refused. Bad input changes nothing and leaves the link
// usable.
func (s *Service) Setup(ctx context.Context, in SetupInput) (NewSession, error) {
	name, email, verr := validateOrgAndEmail(in.Organization, in.Email)
	pw, err := secretvalue.Supplied(in.Password, secretvalue.MinPasswordLength)
	if err != nil {
		verr.Add("password", err.Error())
	}
	if err := verr.Err(); err != nil {
		return NewSession{}, err
	}
	p, err := secretvalue.Parse(secretvalue.PrefixSetup, strings.TrimSpace(in.Token))
	if err != nil {
		return NewSession{}, errSetupLinkUnknown
	}
	verifier := secretvalue.Verifier(s.verifierKey, p)
	// Look before the slow hash: a request without a usable link costs
	// one indexed read, not an argon2id computation.
	t, err := s.store.GetSetupToken(ctx, verifier)
	if err != nil || !t.Usable(s.clock()) {
		return NewSession{}, setupRefusal(t, err, s.clock())
	}
	if need, err := s.NeedsSetup(ctx); err != nil || !need {
		return NewSession{}, cmp.Or(err, ErrAlreadySetUp) // keywarden init came first
	}
	now := s.clock()
	o, u := newOrgWithSuperAdmin(name, email, secretvalue.HashSupplied(pw), false, now)
	x, tok := s.newSession(u, in.Source, in.UserAgent, now)
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		t, won, err := tx.ConsumeSetupToken(ctx, verifier, now)
		if err != nil || !won {
			return setupRefusal(t, err, now)
		}
		if first, err := createOrg(ctx, tx, o, u); err != nil || !first {
			return cmp.Or(err, ErrAlreadySetUp)
		}
		if err := tx.CreateSession(ctx, x); err != nil {
			return err
		}
		return s.audit.Append(ctx, tx, audit.Entry{Actor: domain.UserActor(o.ID, u.ID, u.Role, in.Source), Action: "org.setup",
			Target: string(o.ID), Detail: map[string]string{"name": name, "super_admin": string(u.ID), "session_id": string(x.ID)}})
	})
	if err == nil || errors.Is(err, ErrAlreadySetUp) {
		s.installed.Store(true)
	}
	if err != nil {
		return NewSession{}, err
	}
	return NewSession{Session: x, User: u, Token: tok}, nil
}

// setupRefusal says why a token (as stored, or err from reading it) does
// not set up now.
func setupRefusal(t domain.SetupToken, err error, now time.Time) error {
	switch {
	case errors.Is(err, domain.ErrNotFound):
		return errSetupLinkUnknown
	case err != nil:
		return err
	case t.UsedAt != nil:
		return errSetupLinkUsed
	case !now.Before(t.ExpiresAt):
		return errSetupLinkExpired
	}
	return errSetupLinkUsed // usable when read, used by the time it was consumed
}

// MaxOrgNameLen is the longest organisation name, in characters.
const MaxOrgNameLen = 200

// validateOrgAndEmail checks an organisation's name and its first super
// admin's email, for Init and Setup.
func validateOrgAndEmail(orgName, email string) (string, string, *domain.ValidationError) {
	v := &domain.ValidationError{}
	orgName = strings.TrimSpace(orgName)
	v.Text("org", orgName, true, MaxOrgNameLen)
	email, err := normalizeEmail(email)
	if err != nil {
		v.Add("email", err.Error())
	}
	return orgName, email, v
}

// newOrgWithSuperAdmin is a new organisation with the default policy and
// its first user, a super admin with the password hash.
func newOrgWithSuperAdmin(name, email, passwordHash string, mustChange bool, now time.Time) (domain.Organization, domain.User) {
	o := domain.Organization{ID: domain.NewOrgID(), Name: name, Policy: domain.DefaultPolicy(), CreatedAt: now}
	u := domain.User{ID: domain.NewUserID(), OrgID: o.ID, Email: email, Role: domain.RoleSuperAdmin,
		PasswordHash: passwordHash, MustChangePassword: mustChange, CreatedAt: now}
	return o, u
}

// createOrg stores an organisation and its first super admin in tx,
// after claiming the installation, and reports whether o is its first
// organisation (the claim holds until tx ends, so a concurrent Setup
// waits for it).
func createOrg(ctx context.Context, tx store.Tx, o domain.Organization, u domain.User) (first bool, err error) {
	if first, err = tx.ClaimInstallation(ctx, o.ID, o.CreatedAt); err != nil {
		return false, fmt.Errorf("claim installation: %w", err)
	}
	if err := tx.CreateOrg(ctx, o); err != nil {
		return false, fmt.Errorf("create organization: %w", err)
	}
	if err := tx.CreateUser(ctx, u); err != nil {
		return false, fmt.Errorf("create user: %w", err)
	}
	return first, nil
}

// DeleteExpiredSetupLinks removes setup tokens that expired over a day ago.
func (s *Service) DeleteExpiredSetupLinks(ctx context.Context) (int, error) {
	return s.store.DeleteSetupTokensBefore(ctx, s.clock().Add(-24*time.Hour))
}
