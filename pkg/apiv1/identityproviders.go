package apiv1

import "time"

// IdentityProvider is one of the organisation's OpenID Connect providers
// (docs/oidc.md). The client secret is never returned (HasClientSecret
// says whether there is one).
type IdentityProvider struct {
	ID string `json:"id"`
	// Name is shown on the console's sign-in button.
	Name            string   `json:"name"`
	Issuer          string   `json:"issuer"`
	ClientID        string   `json:"client_id"`
	HasClientSecret bool     `json:"has_client_secret"`
	Scopes          []string `json:"scopes"`
	EmailClaim      string   `json:"email_claim"`
	AllowedDomains  []string `json:"allowed_domains"`
	// DefaultRole is the role of users provisioned at their first sign-in
	// when no group maps to one ("": not provisioned).
	DefaultRole string            `json:"default_role"`
	GroupsClaim string            `json:"groups_claim"`
	GroupRoles  map[string]string `json:"group_roles"`
	Disabled    bool              `json:"disabled"`
	// RedirectURI is the console's callback to register at the provider.
	RedirectURI string    `json:"redirect_uri"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// IdentityProviderList is the organisation's providers, by name.
type IdentityProviderList struct {
	Items []IdentityProvider `json:"items"`
}

// CreateIdentityProvider is the body of POST /v1/identity-providers.
type CreateIdentityProvider struct {
	Name           string            `json:"name"`
	Issuer         string            `json:"issuer"`
	ClientID       string            `json:"client_id"`
	ClientSecret   string            `json:"client_secret,omitempty"`
	Scopes         []string          `json:"scopes,omitempty"`
	EmailClaim     string            `json:"email_claim,omitempty"`
	AllowedDomains []string          `json:"allowed_domains,omitempty"`
	DefaultRole    string            `json:"default_role,omitempty"`
	GroupsClaim    string            `json:"groups_claim,omitempty"`
	GroupRoles     map[string]string `json:"group_roles,omitempty"`
	Disabled       bool              `json:"disabled,omitempty"`
}

// UpdateIdentityProvider is the body of PATCH
// /v1/identity-providers/{id}; absent fields stay. A client_secret of ""
// removes the secret.
type UpdateIdentityProvider struct {
	Name           *string            `json:"name,omitempty"`
	Issuer         *string            `json:"issuer,omitempty"`
	ClientID       *string            `json:"client_id,omitempty"`
	ClientSecret   *string            `json:"client_secret,omitempty"`
	Scopes         *[]string          `json:"scopes,omitempty"`
	EmailClaim     *string            `json:"email_claim,omitempty"`
	AllowedDomains *[]string          `json:"allowed_domains,omitempty"`
	DefaultRole    *string            `json:"default_role,omitempty"`
	GroupsClaim    *string            `json:"groups_claim,omitempty"`
	GroupRoles     *map[string]string `json:"group_roles,omitempty"`
	Disabled       *bool              `json:"disabled,omitempty"`
}

// ExchangeOIDCCode is the body of POST /v1/auth/oidc: the one-time
// code the CLI's loopback listener received after a federated sign-in,
// and the verifier of the S256 challenge the CLI started it with.
type ExchangeOIDCCode struct {
	Code         string `json:"code"`
	CodeVerifier string `json:"code_verifier"`
}
