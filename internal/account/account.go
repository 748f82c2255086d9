package account

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/mail"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"keywarden/internal/audit"
	"keywarden/internal/domain"
	"keywarden/internal/keyring"
	"keywarden/internal/metrics"
	"keywarden/internal/ratelimit"
	"keywarden/internal/secretvalue"
	"keywarden/internal/slowhash"
	"keywarden/internal/store"
)

// Service manages organisations, users and API tokens.
type Service struct {
	store          store.Store
	audit          *audit.Log
	keys           *keyring.Keyring
	verifierKey    []byte
	now            func() time.Time
	onPolicyChange func(org domain.OrgID)
	onUserChange   func(org domain.OrgID)
	offboard       func(ctx context.Context, tx store.Tx, by domain.Actor, userID domain.UserID) error
	limitLogin     *ratelimit.Limiter // failed logins per email at a source address
	limitAddr      *ratelimit.Limiter // failed logins per source address
	limitGuess     *ratelimit.Limiter // failed logins per email from any address
	known          *ratelimit.Known   // email|address pairs that logged in
	hashes         *slowhash.Gate     // bounds the argon2id checks in flight
	sessionTTL     time.Duration
	installed      atomic.Bool // set up: NeedsSetup asks the store no more
	tokenUses      tokenUses   // API tokens' last uses, until flushed
	metrics        *metrics.Metrics
}

// Options are the Service's dependencies.
type Options struct {
	Store   store.Store
	Audit   *audit.Log
	Keyring *keyring.Keyring
	Now     func() time.Time
	// OnPolicyChange, if set, is called after an organisation's policy
	// changed (the token path caches it).
	OnPolicyChange func(org domain.OrgID)
	// OnUserChange, if set, is called after a user's role, status or MFA
	// changed (personal credentials are checked against them).
	OnUserChange func(org domain.OrgID)
	// Offboard, if set, runs inside the transaction that disables or
	// deletes a user: it revokes the user's personal credential and tokens.
	Offboard func(ctx context.Context, tx store.Tx, by domain.Actor, userID domain.UserID) error
	// SessionTTL is how long a login session lasts (DefaultSessionTTL when 0).
	SessionTTL time.Duration
	// Metrics counts logins, second factors and rate-limit refusals (none
	// when nil).
	Metrics *metrics.Metrics
	// Hashes bounds the argon2id checks of passwords; share one Gate with
	// the credential service (a default Gate of its own when nil).
	Hashes *slowhash.Gate
	// PasswordGuesses is the per-email guessing limiter of logins (its own
	// when nil; NewPasswordGuesses): share it with the credential service,
	// whose legacy password login checks the same passwords.
	PasswordGuesses *ratelimit.Limiter
}

// NewPasswordGuesses returns the per-email password guessing limiter
// (LoginGuessBurst, LoginGuessesPerHour).
func NewPasswordGuesses() *ratelimit.Limiter {
	return ratelimit.New(LoginGuessBurst, LoginGuessesPerHour/60.0, 100_000)
}

// DefaultSessionTTL is how long a login session lasts.
const DefaultSessionTTL = 12 * time.Hour

// Failed-login limits (docs/security.md, "Guessing limits"): per email at
// an address, per address, and per email from any address except one the
// user logged in from within KnownAddressTTL.
const (
	LoginFailureBurst          = 5
	LoginFailuresPerMinute     = 5
	LoginAddrFailureBurst      = 50
	LoginAddrFailuresPerMinute = 30
	LoginGuessBurst            = 10
	LoginGuessesPerHour        = 10
	KnownAddressTTL            = 7 * 24 * time.Hour
)

// New returns a Service.
func New(o Options) *Service {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	ttl := o.SessionTTL
	if ttl == 0 {
		ttl = DefaultSessionTTL
	}
	hashes := o.Hashes
	if hashes == nil {
		hashes = slowhash.New(slowhash.Options{})
	}
	guesses := o.PasswordGuesses
	if guesses == nil {
		guesses = NewPasswordGuesses()
	}
	return &Service{store: o.Store, audit: o.Audit, keys: o.Keyring, verifierKey: o.Keyring.Derive(keyring.PurposeSecretVerifier), now: now,
		onPolicyChange: o.OnPolicyChange, onUserChange: o.OnUserChange, offboard: o.Offboard, sessionTTL: ttl, metrics: o.Metrics,
		limitLogin: ratelimit.New(LoginFailureBurst, LoginFailuresPerMinute, 100_000),
		limitAddr:  ratelimit.New(LoginAddrFailureBurst, LoginAddrFailuresPerMinute, 100_000),
		limitGuess: guesses,
		known:      ratelimit.NewKnown(KnownAddressTTL, 100_000), hashes: hashes}
}

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// Bootstrap is what Init creates. Password and APIToken exist in plain
// text only here.
type Bootstrap struct {
	Org      domain.Organization
	User     domain.User
	Password secretvalue.Plaintext
	APIToken secretvalue.Plaintext
	// Token is the API token's record: named domain.BootstrapTokenName,
	// expiring after the policy's longest lifetime for super admins.
	Token domain.APIToken
}

// Init creates an organisation with its first super admin, a one-time
// password (to be changed at first login) and an admin API token, the
// bootstrap token, which expires like any other (after the default
// policy's 90 days for super admins): the scripted install, and further
// organisations. The first organisation of an installation claims it, as
// Setup's does (a setup link then refuses).
func (s *Service) Init(ctx context.Context, orgName, email string) (Bootstrap, error) {
	orgName, email, v := validateOrgAndEmail(orgName, email)
	if err := v.Err(); err != nil {
		return Bootstrap{}, err
	}
	now := s.clock()
	b := Bootstrap{Password: secretvalue.GeneratePassword()}
	b.Org, b.User = newOrgWithSuperAdmin(orgName, email, secretvalue.HashSupplied(b.Password), true, now)
	n, err := s.newAPIToken(b.Org.Policy, b.User, domain.BootstrapTokenName, nil, now)
	if err != nil {
		return Bootstrap{}, err
	}
	b.APIToken, b.Token = n.Value, n.Token
	tok := n.Token
	actor := domain.System(b.Org.ID, "init")
	err = s.store.InTx(ctx, func(tx store.Tx) error {
		if _, err := createOrg(ctx, tx, b.Org, b.User); err != nil {
			return err
		}
		if err := tx.CreateAPIToken(ctx, tok); err != nil {
			return fmt.Errorf("create api token: %w", err)
		}
		return s.audit.Append(ctx, tx, audit.Entry{Actor: actor, Action: "org.init", Target: string(b.Org.ID),
			Detail: map[string]string{"name": orgName, "super_admin": string(b.User.ID), "api_token": string(tok.ID)}})
	})
	if err == nil {
		s.installed.Store(true)
	}
	return b, err
}

func normalizeEmail(email string) (string, error) {
	email = strings.TrimSpace(email)
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || len(email) > 254 {
		return "", errors.New("is not an email address")
	}
	return strings.ToLower(email), nil
}

// ErrBadCredentials is the one answer for every failed authentication.
var ErrBadCredentials = errors.New("invalid or expired credentials")

// AuthenticateAPIToken returns the actor for a bearer token. Failures are
// audited with their reason; the caller sees only ErrBadCredentials.
func (s *Service) AuthenticateAPIToken(ctx context.Context, bearer, source string) (domain.Actor, error) {
	p, err := secretvalue.Parse(secretvalue.PrefixAPIToken, bearer)
	if err != nil {
		return domain.Actor{}, ErrBadCredentials // malformed: nothing to look up or audit against
	}
	tok, err := s.store.APITokenByVerifier(ctx, secretvalue.Verifier(s.verifierKey, p))
	if errors.Is(err, domain.ErrNotFound) {
		return domain.Actor{}, ErrBadCredentials
	}
	if err != nil {
		return domain.Actor{}, err
	}
	fail := func(reason string) (domain.Actor, error) {
		a := domain.UserActor(tok.OrgID, tok.UserID, "", source)
		if err := s.audit.Record(ctx, audit.Entry{Actor: a, Action: "api.authenticate", Target: string(tok.ID),
			Result: domain.ResultFailure, Detail: map[string]string{"reason": reason}}); err != nil {
			return domain.Actor{}, err
		}
		return domain.Actor{}, ErrBadCredentials
	}
	now := s.clock()
	switch {
	case tok.RevokedAt != nil:
		return fail("token revoked")
	case tok.ExpiresAt != nil && !now.Before(*tok.ExpiresAt):
		return fail("token expired")
	}
	u, err := s.store.GetUser(ctx, tok.OrgID, tok.UserID)
	if err != nil {
		return domain.Actor{}, err
	}
	if u.DisabledAt != nil {
		return fail("user disabled")
	}
	s.tokenUses.record(tok.ID, now, source)
	a := domain.UserActor(u.OrgID, u.ID, u.Role, source)
	a.APITokenID = tok.ID
	return a, nil
}

// ActorForUser returns the actor for a user whose identity another
// credential proved (a personal credential's access token): their current
// role, so that a role change takes effect on the next request.
func (s *Service) ActorForUser(ctx context.Context, org domain.OrgID, userID domain.UserID, source string) (domain.Actor, error) {
	u, err := s.enabledUser(ctx, org, userID)
	if err != nil {
		return domain.Actor{}, err
	}
	return domain.UserActor(u.OrgID, u.ID, u.Role, source), nil
}

// enabledUser returns a user a credential stands for, or ErrBadCredentials
// when the user is gone or disabled.
func (s *Service) enabledUser(ctx context.Context, org domain.OrgID, id domain.UserID) (domain.User, error) {
	u, err := s.store.GetUser(ctx, org, id)
	switch {
	case errors.Is(err, domain.ErrNotFound):
		return domain.User{}, ErrBadCredentials
	case err != nil:
		return domain.User{}, err
	case u.DisabledAt != nil:
		return domain.User{}, ErrBadCredentials
	}
	return u, nil
}

// Policy returns the organisation's policy.
func (s *Service) Policy(ctx context.Context, by domain.Actor) (domain.Policy, error) {
	o, err := s.store.GetOrg(ctx, by.OrgID)
	return o.Policy, err
}

// PolicyPatch changes a policy; nil fields stay as they are, and
// MaxSecretLifetimeDays changes only the roles it names.
type PolicyPatch struct {
	MaxSecretLifetimeDays    map[domain.Role]int
	AllowNeverExpire         *bool
	PersonalCredentials      *string
	RefuseCredentialsWithMFA *bool
	AccessTokenTTLSeconds    *int
	RequireMFA               *bool
	LeakResponse             *string
	LeakQuarantineHours      *int
	// The seeds' user rules (domain/userrules.go). A date's Set with a nil
	// Value clears it.
	PersonalRevocation          *string
	LegacyPasswordLogin         *bool
	LegacyPasswordCreatedBefore OptionalTime
	LegacyPasswordUntil         OptionalTime
	RequirePersonalCredential   *bool
	PersonalCredentialRotateBy  OptionalTime
	CredentialRequiredEvents    *bool
	// Federated sign-in (docs/oidc.md).
	LocalLoginDisabled                *bool
	BreakGlassUsers                   *[]domain.UserID
	AllowFederatedPersonalCredentials *bool
}

// OptionalTime is a date a patch may set (Set, Value) or clear (Set, nil).
type OptionalTime struct {
	Set   bool
	Value *time.Time
}

func (o OptionalTime) apply(dst **time.Time) {
	if !o.Set {
		return
	}
	if o.Value == nil {
		*dst = nil
		return
	}
	t := o.Value.UTC().Truncate(time.Microsecond)
	*dst = &t
}

// applyUserRules applies the user rules' fields at now: setting a
// rotate-by date starts its round (PersonalCredentialRotateFrom).
func (p PolicyPatch) applyUserRules(pol domain.Policy, now time.Time) domain.Policy {
	set := func(dst *bool, v *bool) {
		if v != nil {
			*dst = *v
		}
	}
	if p.PersonalRevocation != nil {
		pol.PersonalRevocation = *p.PersonalRevocation
	}
	set(&pol.LegacyPasswordLogin, p.LegacyPasswordLogin)
	p.LegacyPasswordCreatedBefore.apply(&pol.LegacyPasswordCreatedBefore)
	p.LegacyPasswordUntil.apply(&pol.LegacyPasswordUntil)
	set(&pol.RequirePersonalCredential, p.RequirePersonalCredential)
	set(&pol.CredentialRequiredEvents, p.CredentialRequiredEvents)
	before := pol.PersonalCredentialRotateBy
	p.PersonalCredentialRotateBy.apply(&pol.PersonalCredentialRotateBy)
	switch after := pol.PersonalCredentialRotateBy; {
	case after == nil:
		pol.PersonalCredentialRotateFrom = nil
	case before == nil || !before.Equal(*after):
		from := now
		pol.PersonalCredentialRotateFrom = &from
	}
	return pol
}

func (p PolicyPatch) apply(pol domain.Policy) domain.Policy {
	pol.MaxSecretLifetimeDays = maps.Clone(pol.MaxSecretLifetimeDays)
	for role, days := range p.MaxSecretLifetimeDays {
		pol.MaxSecretLifetimeDays[role] = days
	}
	set := func(dst *bool, v *bool) {
		if v != nil {
			*dst = *v
		}
	}
	set(&pol.AllowNeverExpire, p.AllowNeverExpire)
	set(&pol.RefuseCredentialsWithMFA, p.RefuseCredentialsWithMFA)
	set(&pol.RequireMFA, p.RequireMFA)
	set(&pol.LocalLoginDisabled, p.LocalLoginDisabled)
	set(&pol.AllowFederatedPersonalCredentials, p.AllowFederatedPersonalCredentials)
	if p.BreakGlassUsers != nil {
		pol.BreakGlassUsers = slices.Compact(slices.Sorted(slices.Values(*p.BreakGlassUsers)))
		if len(pol.BreakGlassUsers) == 0 {
			pol.BreakGlassUsers = nil
		}
	}
	if p.PersonalCredentials != nil {
		pol.PersonalCredentials = *p.PersonalCredentials
	}
	if p.AccessTokenTTLSeconds != nil {
		pol.AccessTokenTTLSeconds = *p.AccessTokenTTLSeconds
	}
	if p.LeakResponse != nil {
		pol.LeakResponse = *p.LeakResponse
	}
	if p.LeakQuarantineHours != nil {
		pol.LeakQuarantineHours = *p.LeakQuarantineHours
		if pol.LeakQuarantineHours == 0 {
			pol.LeakQuarantineHours = -1 // 0 is not a choice: Validate refuses it
		}
	}
	return pol
}

// UpdatePolicy applies p to the organisation's policy, under the
// organisation's lock so that concurrent changes of different fields both
// persist, and validates the result. It reports whether anything changed;
// an unchanged policy is neither stored nor audited.
func (s *Service) UpdatePolicy(ctx context.Context, by domain.Actor, p PolicyPatch) (domain.Policy, bool, error) {
	var out domain.Policy
	var changed bool
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		changed = false
		var before domain.Policy
		var err error
		out, err = tx.UpdatePolicy(ctx, by.OrgID, func(pol *domain.Policy) error {
			now := s.clock()
			next := p.applyUserRules(p.apply(*pol), now)
			if reflect.DeepEqual(next, *pol) {
				return store.ErrNoChange
			}
			if err := next.Validate(); err != nil {
				return err
			}
			if err := next.ValidateChange(*pol, now); err != nil {
				return err
			}
			if err := checkBreakGlass(ctx, tx, by.OrgID, *pol, next); err != nil {
				return err
			}
			before, *pol, changed = *pol, next, true
			return nil
		})
		if err != nil || !changed {
			return err
		}
		changes, err := audit.Diff(before, out)
		if err != nil {
			return err
		}
		return s.audit.Append(ctx, tx, audit.Entry{Actor: by, Action: "policy.update", Target: string(by.OrgID),
			Detail: map[string]string{"fields": audit.Fields(changes)}, Changes: changes})
	})
	if err != nil {
		return domain.Policy{}, false, err
	}
	if changed && s.onPolicyChange != nil {
		s.onPolicyChange(by.OrgID)
	}
	return out, changed, nil
}

// checkBreakGlass: an organisation that turns password sign-in off keeps
// at least one enabled super admin who may still use it (break-glass,
// docs/oidc.md), and names only its own super admins as such. A user who
// was on the list before and has since been deleted or demoted does not
// block other changes of the policy (nor counts).
func checkBreakGlass(ctx context.Context, tx store.Tx, org domain.OrgID, old, p domain.Policy) error {
	ok := 0
	for _, id := range p.BreakGlassUsers {
		known := slices.Contains(old.BreakGlassUsers, id)
		u, err := tx.GetUser(ctx, org, id)
		switch {
		case errors.Is(err, domain.ErrNotFound) && known:
		case errors.Is(err, domain.ErrNotFound):
			return domain.Invalid("break_glass_users", string(id)+" is not a user of the organisation")
		case err != nil:
			return err
		case u.Role != domain.RoleSuperAdmin && known:
		case u.Role != domain.RoleSuperAdmin:
			return domain.Invalid("break_glass_users", string(id)+" is not a super admin")
		case u.DisabledAt == nil:
			ok++
		}
	}
	if p.LocalLoginDisabled && ok == 0 {
		return domain.Invalid("break_glass_users", "turning password sign-in off needs at least one enabled super admin as a break-glass user, who keeps password sign-in for when the identity provider is down")
	}
	return nil
}
