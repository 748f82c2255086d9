package federation

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"time"

	"keywarden/internal/account"
	"keywarden/internal/audit"
	"keywarden/internal/domain"
	"keywarden/internal/keyring"
	"keywarden/internal/store"
)

// Service manages identity providers and federated sign-ins.
type Service struct {
	store    store.Store
	audit    *audit.Log
	keys     *keyring.Keyring
	accounts *account.Service
	client   *http.Client
	now      func() time.Time
	baseURL  func() string
}

// Options are the Service's dependencies.
type Options struct {
	Store    store.Store
	Audit    *audit.Log
	Keyring  *keyring.Keyring
	Accounts *account.Service
	// HTTPClient talks to the providers (discovery, JWKS, token and
	// userinfo endpoints); a client with a 10-second timeout when nil.
	HTTPClient *http.Client
	Now        func() time.Time
	// BaseURL is the server's public URL (its OAuth issuer): the
	// console's callback is BaseURL() + CallbackPath.
	BaseURL func() string
}

// WithBaseURL returns a copy of s whose callback is under baseURL's.
func (s *Service) WithBaseURL(baseURL func() string) *Service {
	c := *s
	c.baseURL = baseURL
	return &c
}

// CallbackPath is where providers send the browser back (the redirect
// URI to register at the provider is the public URL followed by it).
const CallbackPath = "/ui/oidc/callback"

// RedirectURI is the callback URL to register at every provider.
func (s *Service) RedirectURI() string { return strings.TrimSuffix(s.baseURL(), "/") + CallbackPath }

// New returns a Service.
func New(o Options) *Service {
	s := &Service{store: o.Store, audit: o.Audit, keys: o.Keyring, accounts: o.Accounts, client: o.HTTPClient, now: o.Now, baseURL: o.BaseURL}
	if s.baseURL == nil {
		s.baseURL = func() string { return "http://127.0.0.1:8080" }
	}
	if s.client == nil {
		s.client = &http.Client{Timeout: 10 * time.Second}
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// ProviderInput is a new provider. ClientSecret is the secret the
// provider issued Keywarden ("" for a public client with PKCE only).
type ProviderInput struct {
	Name           string
	Issuer         string
	ClientID       string
	ClientSecret   string
	Scopes         []string
	EmailClaim     string
	AllowedDomains []string
	DefaultRole    domain.Role
	GroupsClaim    string
	GroupRoles     map[string]domain.Role
	Disabled       bool
}

// ProviderPatch changes a provider; nil fields stay as they are. A
// ClientSecret of "" removes the secret.
type ProviderPatch struct {
	Name           *string
	Issuer         *string
	ClientID       *string
	ClientSecret   *string
	Scopes         *[]string
	EmailClaim     *string
	AllowedDomains *[]string
	DefaultRole    *domain.Role
	GroupsClaim    *string
	GroupRoles     *map[string]domain.Role
	Disabled       *bool
}

// normalize trims what people type and drops "openid" from the scopes
// (always asked for) and duplicates.
func normalize(p *domain.IdentityProvider) {
	p.Name, p.Issuer, p.ClientID = strings.TrimSpace(p.Name), strings.TrimSpace(p.Issuer), strings.TrimSpace(p.ClientID)
	p.EmailClaim, p.GroupsClaim = strings.TrimSpace(p.EmailClaim), strings.TrimSpace(p.GroupsClaim)
	if p.EmailClaim == "" {
		p.EmailClaim = "email"
	}
	var scopes []string
	for _, sc := range p.Scopes {
		if sc = strings.TrimSpace(sc); sc != "openid" && !slices.Contains(scopes, sc) {
			scopes = append(scopes, sc)
		}
	}
	p.Scopes = scopes
	var domains []string
	for _, d := range p.AllowedDomains {
		if d = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(d), "@"))); !slices.Contains(domains, d) {
			domains = append(domains, d)
		}
	}
	p.AllowedDomains = domains
	if len(p.GroupRoles) == 0 {
		p.GroupRoles = nil
	}
}

func (s *Service) sealSecret(p *domain.IdentityProvider, secret string) {
	p.ClientSecretSealed = nil
	if secret != "" {
		p.ClientSecretSealed = s.keys.Seal([]byte(secret), []byte(p.ID))
	}
}

func providerDetail(p domain.IdentityProvider) map[string]string {
	return map[string]string{"name": p.Name, "issuer": p.Issuer, "client_id": p.ClientID, "default_role": string(p.DefaultRole)}
}

// CreateProvider adds an identity provider to the actor's organisation.
func (s *Service) CreateProvider(ctx context.Context, by domain.Actor, in ProviderInput) (domain.IdentityProvider, error) {
	now := s.clock()
	p := domain.IdentityProvider{ID: domain.NewIdentityProviderID(), OrgID: by.OrgID, Name: in.Name, Issuer: in.Issuer,
		ClientID: in.ClientID, Scopes: in.Scopes, EmailClaim: in.EmailClaim, AllowedDomains: in.AllowedDomains,
		DefaultRole: in.DefaultRole, GroupsClaim: in.GroupsClaim, GroupRoles: maps.Clone(in.GroupRoles), Disabled: in.Disabled,
		CreatedAt: now, UpdatedAt: now}
	normalize(&p)
	if err := p.Validate(); err != nil {
		return domain.IdentityProvider{}, err
	}
	s.sealSecret(&p, in.ClientSecret)
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		if err := tx.CreateIdentityProvider(ctx, p); err != nil {
			return err
		}
		return s.audit.Append(ctx, tx, audit.Entry{Actor: by, Action: "identity_provider.create", Target: string(p.ID), Detail: providerDetail(p)})
	})
	if err != nil {
		return domain.IdentityProvider{}, err
	}
	return p, nil
}

// Providers returns the actor's organisation's providers by name.
func (s *Service) Providers(ctx context.Context, by domain.Actor) ([]domain.IdentityProvider, error) {
	return s.store.ListIdentityProviders(ctx, by.OrgID)
}

// Provider returns one provider of the actor's organisation.
func (s *Service) Provider(ctx context.Context, by domain.Actor, id domain.IdentityProviderID) (domain.IdentityProvider, error) {
	if !id.Valid() {
		return domain.IdentityProvider{}, domain.ErrNotFound
	}
	return s.store.GetIdentityProvider(ctx, by.OrgID, id)
}

// UpdateProvider applies patch to a provider, under its row lock. It
// reports whether anything changed; an unchanged provider is neither
// stored nor audited.
func (s *Service) UpdateProvider(ctx context.Context, by domain.Actor, id domain.IdentityProviderID, patch ProviderPatch) (domain.IdentityProvider, bool, error) {
	if !id.Valid() {
		return domain.IdentityProvider{}, false, domain.ErrNotFound
	}
	var out domain.IdentityProvider
	var changed bool
	err := s.store.InTx(ctx, func(tx store.Tx) error {
		changed = false
		var fields []string
		var err error
		out, err = tx.UpdateIdentityProvider(ctx, by.OrgID, id, func(p *domain.IdentityProvider) error {
			next := *p
			setp(&next.Name, patch.Name)
			setp(&next.Issuer, patch.Issuer)
			setp(&next.ClientID, patch.ClientID)
			setp(&next.Scopes, patch.Scopes)
			setp(&next.EmailClaim, patch.EmailClaim)
			setp(&next.AllowedDomains, patch.AllowedDomains)
			setp(&next.DefaultRole, patch.DefaultRole)
			setp(&next.GroupsClaim, patch.GroupsClaim)
			setp(&next.Disabled, patch.Disabled)
			if patch.GroupRoles != nil {
				next.GroupRoles = maps.Clone(*patch.GroupRoles)
			}
			normalize(&next)
			secret := patch.ClientSecret != nil
			if !secret && reflect.DeepEqual(next, *p) {
				return store.ErrNoChange
			}
			if err := next.Validate(); err != nil {
				return err
			}
			if secret {
				s.sealSecret(&next, *patch.ClientSecret)
				fields = append(fields, "client_secret")
			}
			fields = append(fields, changedFields(*p, next)...)
			next.UpdatedAt = s.clock()
			*p, changed = next, true
			return nil
		})
		if err != nil || !changed {
			return err
		}
		d := providerDetail(out)
		d["changed"] = strings.Join(fields, ",")
		return s.audit.Append(ctx, tx, audit.Entry{Actor: by, Action: "identity_provider.update", Target: string(id), Detail: d})
	})
	if err != nil {
		return domain.IdentityProvider{}, false, err
	}
	return out, changed, nil
}

func setp[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

func changedFields(a, b domain.IdentityProvider) []string {
	var out []string
	for name, same := range map[string]bool{
		"name": a.Name == b.Name, "issuer": a.Issuer == b.Issuer, "client_id": a.ClientID == b.ClientID,
		"scopes": slices.Equal(a.Scopes, b.Scopes), "email_claim": a.EmailClaim == b.EmailClaim,
		"allowed_domains": slices.Equal(a.AllowedDomains, b.AllowedDomains), "default_role": a.DefaultRole == b.DefaultRole,
		"groups_claim": a.GroupsClaim == b.GroupsClaim, "group_roles": maps.Equal(a.GroupRoles, b.GroupRoles), "disabled": a.Disabled == b.Disabled,
	} {
		if !same {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// DeleteProvider removes a provider. Its users stay, linked to it: they
// sign in no more through it, and a password sign-in only if the policy
// allows one (they are provisioned without a known password).
func (s *Service) DeleteProvider(ctx context.Context, by domain.Actor, id domain.IdentityProviderID) error {
	if !id.Valid() {
		return domain.ErrNotFound
	}
	return s.store.InTx(ctx, func(tx store.Tx) error {
		p, err := tx.GetIdentityProvider(ctx, by.OrgID, id)
		if err != nil {
			return err
		}
		if err := tx.DeleteIdentityProvider(ctx, by.OrgID, id); err != nil {
			return err
		}
		return s.audit.Append(ctx, tx, audit.Entry{Actor: by, Action: "identity_provider.delete", Target: string(id), Detail: providerDetail(p)})
	})
}

// Button is what the sign-in page shows of a provider.
type Button struct {
	ID   domain.IdentityProviderID
	Name string
}

// SignInOptions returns the enabled providers of org for its sign-in page
// (none for an organisation that does not exist).
func (s *Service) SignInOptions(ctx context.Context, org domain.OrgID) ([]Button, error) {
	if !domain.ValidID(domain.PrefixOrg, string(org)) {
		return nil, nil
	}
	list, err := s.store.ListIdentityProviders(ctx, org)
	if err != nil {
		return nil, fmt.Errorf("identity providers: %w", err)
	}
	var out []Button
	for _, p := range list {
		if !p.Disabled {
			out = append(out, Button{ID: p.ID, Name: p.Name})
		}
	}
	return out, nil
}
