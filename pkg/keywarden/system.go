package keywarden

import (
	"context"

	"keywarden/pkg/apiv1"
)

// Healthz reports whether the server process is up (it needs no token).
func (c *Client) Healthz(ctx context.Context) (apiv1.Health, error) {
	return call[apiv1.Health](ctx, c, get("/healthz").anonymous())
}

// Readyz reports whether the server can serve requests: its database
// answers. A node that is not ready answers 503, which is returned as an
// *Error at once (never retried: the caller wants the answer now).
func (c *Client) Readyz(ctx context.Context) (apiv1.Health, error) {
	r := get("/readyz").anonymous()
	r.once = true
	return call[apiv1.Health](ctx, c, r)
}

// OpenAPI returns the server's OpenAPI document, as YAML.
func (c *Client) OpenAPI(ctx context.Context) ([]byte, error) {
	r := get("/openapi.yaml").anonymous()
	r.accept = "application/yaml"
	return call[[]byte](ctx, c, r)
}

// OAuthMetadata returns the authorization server metadata (RFC 8414): the
// issuer, the token, introspection and revocation endpoints and what they
// support. The OAuth 2.0 endpoints themselves are for clients with their
// secrets; use a standard OAuth 2.0 library for them, such as
// golang.org/x/oauth2/clientcredentials.
func (c *Client) OAuthMetadata(ctx context.Context) (apiv1.ServerMetadata, error) {
	return call[apiv1.ServerMetadata](ctx, c, get("/.well-known/oauth-authorization-server").anonymous())
}

// OAuthJWKS returns the public keys that verify access tokens (RFC 7517),
// including a new key that does not sign yet.
func (c *Client) OAuthJWKS(ctx context.Context) (apiv1.JWKSet, error) {
	r := get("/.well-known/jwks.json").anonymous()
	r.accept = "application/jwk-set+json, application/json"
	return call[apiv1.JWKSet](ctx, c, r)
}
