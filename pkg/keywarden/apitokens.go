package keywarden

import (
	"context"

	"keywarden/pkg/apiv1"
)

// ListAPITokens returns the caller's admin API tokens, newest first (never
// their values).
func (c *Client) ListAPITokens(ctx context.Context) (apiv1.APITokenList, error) {
	return call[apiv1.APITokenList](ctx, c, get("/v1/api-tokens"))
}

// CreateAPIToken creates an admin API token that acts as the caller. The
// answer holds its value, which the server never shows again.
func (c *Client) CreateAPIToken(ctx context.Context, in apiv1.CreateAPIToken) (apiv1.CreatedAPIToken, error) {
	return call[apiv1.CreatedAPIToken](ctx, c, post("/v1/api-tokens", in))
}

// GetAPIToken returns one of the caller's API tokens; "current" names the
// one the client sends.
func (c *Client) GetAPIToken(ctx context.Context, id string) (apiv1.APIToken, error) {
	return call[apiv1.APIToken](ctx, c, get("/v1/api-tokens/{id}", id))
}

// RevokeAPIToken revokes one of the caller's API tokens at once.
func (c *Client) RevokeAPIToken(ctx context.Context, id string) error {
	return c.send(ctx, del("/v1/api-tokens/{id}", id), nil)
}

// RotateAPIToken replaces one of the caller's API tokens ("current": the
// one the client sends) with a new one, shown once; the old one is
// revoked at once or keeps working for in.OverlapSeconds. A client that
// rotated its own token must be rebuilt with the new value.
func (c *Client) RotateAPIToken(ctx context.Context, id string, in apiv1.RotateAPIToken) (apiv1.CreatedAPIToken, error) {
	return call[apiv1.CreatedAPIToken](ctx, c, post("/v1/api-tokens/{id}/rotate", in, id))
}

// ListUserAPITokens returns the API tokens of a user of the caller's
// organisation (admins), newest first, never their values.
func (c *Client) ListUserAPITokens(ctx context.Context, userID string) (apiv1.APITokenList, error) {
	return call[apiv1.APITokenList](ctx, c, get("/v1/users/{id}/api-tokens", userID))
}

// RevokeUserAPIToken revokes an API token of a user of the caller's
// organisation at once (super admins).
func (c *Client) RevokeUserAPIToken(ctx context.Context, userID, tokenID string) error {
	return c.send(ctx, del("/v1/users/{id}/api-tokens/{token_id}", userID, tokenID), nil)
}
