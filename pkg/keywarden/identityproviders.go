package keywarden

import (
	"context"

	"keywarden/pkg/apiv1"
)

// ListIdentityProviders returns the organisation's OpenID Connect
// providers, by name (never a client secret).
func (c *Client) ListIdentityProviders(ctx context.Context) (apiv1.IdentityProviderList, error) {
	return call[apiv1.IdentityProviderList](ctx, c, get("/v1/identity-providers"))
}

// CreateIdentityProvider adds a provider the organisation's people sign in
// through (super admins). Register the answer's RedirectURI at the
// provider; the client secret is never returned.
func (c *Client) CreateIdentityProvider(ctx context.Context, in apiv1.CreateIdentityProvider) (apiv1.IdentityProvider, error) {
	return call[apiv1.IdentityProvider](ctx, c, post("/v1/identity-providers", in))
}

// GetIdentityProvider returns one of the organisation's providers.
func (c *Client) GetIdentityProvider(ctx context.Context, id string) (apiv1.IdentityProvider, error) {
	return call[apiv1.IdentityProvider](ctx, c, get("/v1/identity-providers/{id}", id))
}

// UpdateIdentityProvider changes the fields of in that are set (super admins).
func (c *Client) UpdateIdentityProvider(ctx context.Context, id string, in apiv1.UpdateIdentityProvider) (apiv1.IdentityProvider, error) {
	return call[apiv1.IdentityProvider](ctx, c, patch("/v1/identity-providers/{id}", in, id))
}

// DeleteIdentityProvider removes one of the organisation's providers
// (super admins); its users stay.
func (c *Client) DeleteIdentityProvider(ctx context.Context, id string) error {
	return c.send(ctx, del("/v1/identity-providers/{id}", id), nil)
}

// ExchangeOIDCCode turns the one-time code of a federated sign-in that
// keywarden login --sso started into the session it opened (no token
// needed: the code and its verifier are the proof).
func (c *Client) ExchangeOIDCCode(ctx context.Context, in apiv1.ExchangeOIDCCode) (apiv1.NewSession, error) {
	return call[apiv1.NewSession](ctx, c, post("/v1/auth/oidc", in).anonymous())
}
