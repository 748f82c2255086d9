package domain

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
)

// PrefixIdentityProvider starts the ID of an identity provider.
const PrefixIdentityProvider = "idp_"

// IdentityProviderID names an organisation's OpenID Connect provider.
type IdentityProviderID string

// NewIdentityProviderID returns a fresh provider ID.
func NewIdentityProviderID() IdentityProviderID {
	return IdentityProviderID(NewID(PrefixIdentityProvider))
}

// Valid reports whether id looks like a provider ID.
func (id IdentityProviderID) Valid() bool { return ValidID(PrefixIdentityProvider, string(id)) }

// IdentityProvider is an OpenID Connect provider that an organisation's
// users sign in through (docs/oidc.md). Super admins manage it.
type IdentityProvider struct {
	ID    IdentityProviderID
	OrgID OrgID
	// Name is shown on the sign-in button ("Sign in with Name").
	Name string
	// Issuer is the provider's issuer URL; its discovery document is at
	// Issuer + "/.well-known/openid-configuration".
	Issuer   string
	ClientID string
	// ClientSecretSealed is the client secret under the data key
	// (keyring.Seal, the provider's ID as associated data); write-only.
	ClientSecretSealed []byte
	// Scopes are asked for besides "openid".
	Scopes []string
	// EmailClaim is the claim that carries the user's email ("email").
	EmailClaim string
	// AllowedDomains, when not empty, are the only email domains that may
	// sign in through the provider.
	AllowedDomains []string
	// DefaultRole is the role of a user provisioned at their first sign-in
	// when no group maps to one; empty: no provisioning by default (only
	// existing users, linked by verified email, and mapped groups sign in).
	DefaultRole Role
	// GroupsClaim names the claim that lists the user's groups; GroupRoles
	// maps a group to a role (the most privileged match wins).
	GroupsClaim string
	GroupRoles  map[string]Role
	Disabled    bool
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Limits on providers.
const (
	MaxIdentityProviderNameLen = 64
	MaxIdentityProviderScopes  = 20
	MaxIdentityProviderDomains = 50
	MaxIdentityProviderGroups  = 100
)

// Validate reports every problem with p.
func (p IdentityProvider) Validate() error {
	var v ValidationError
	if n := len(strings.TrimSpace(p.Name)); n == 0 || n > MaxIdentityProviderNameLen || n != len(p.Name) {
		v.Add("name", fmt.Sprintf("is required: 1 to %d characters, no leading or trailing space", MaxIdentityProviderNameLen))
	}
	if u, err := url.Parse(p.Issuer); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" ||
		u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		v.Add("issuer", "must be an http(s) URL without query or fragment (the provider's issuer)")
	}
	if p.ClientID == "" || len(p.ClientID) > 255 {
		v.Add("client_id", "is required (up to 255 characters)")
	}
	if len(p.Scopes) > MaxIdentityProviderScopes {
		v.Add("scopes", fmt.Sprintf("at most %d", MaxIdentityProviderScopes))
	}
	for _, s := range p.Scopes {
		if s == "" || strings.ContainsAny(s, " \t\r\n\"\\") {
			v.Add("scopes", "each scope is one word")
			break
		}
	}
	if p.EmailClaim == "" || len(p.EmailClaim) > 64 {
		v.Add("email_claim", "is required (a claim name)")
	}
	if len(p.AllowedDomains) > MaxIdentityProviderDomains {
		v.Add("allowed_domains", fmt.Sprintf("at most %d", MaxIdentityProviderDomains))
	}
	for _, d := range p.AllowedDomains {
		if d == "" || d != strings.ToLower(d) || strings.ContainsAny(d, "@ /\t") || !strings.Contains(d, ".") {
			v.Add("allowed_domains", "each is a lower-case domain name such as example.com")
			break
		}
	}
	if p.DefaultRole != "" && !p.DefaultRole.Valid() {
		v.Add("default_role", "is not a role")
	}
	if len(p.GroupRoles) > MaxIdentityProviderGroups {
		v.Add("group_roles", fmt.Sprintf("at most %d groups", MaxIdentityProviderGroups))
	}
	for g, r := range p.GroupRoles {
		if g == "" || !r.Valid() {
			v.Add("group_roles", "maps group names to roles (super_admin, admin, developer, member)")
			break
		}
	}
	if len(p.GroupRoles) > 0 && p.GroupsClaim == "" {
		v.Add("groups_claim", "is required when group_roles is set")
	}
	return v.Err()
}

// EmailAllowed reports whether email's domain may sign in through p.
func (p IdentityProvider) EmailAllowed(email string) bool {
	if len(p.AllowedDomains) == 0 {
		return true
	}
	_, domain, ok := strings.Cut(strings.ToLower(email), "@")
	return ok && slices.Contains(p.AllowedDomains, domain)
}

// RoleFor returns the role a user with groups gets: the most privileged
// role a group maps to, else DefaultRole; ok is false when neither
// applies (the user is not provisioned).
func (p IdentityProvider) RoleFor(groups []string) (Role, bool) {
	for _, r := range Roles { // most privileged first
		for _, g := range groups {
			if p.GroupRoles[g] == r {
				return r, true
			}
		}
	}
	return p.DefaultRole, p.DefaultRole != ""
}

// FederatedIdentity is who an identity provider says signed in, after
// every check of the ID token passed.
type FederatedIdentity struct {
	Provider IdentityProviderID
	Subject  string
	Email    string // lower case, verified by the provider
	Groups   []string
}
