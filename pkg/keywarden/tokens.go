package keywarden

import (
	"context"

	"keywarden/pkg/apiv1"
)

// CreateRefreshToken issues a one-time refresh token for a client. The
// answer holds the token's value, which the server never shows again.
func (c *Client) CreateRefreshToken(ctx context.Context, clientID string) (apiv1.CreatedRefreshToken, error) {
	return call[apiv1.CreatedRefreshToken](ctx, c, post("/v1/clients/{client_id}/refresh-tokens", nil, clientID))
}

// ListRefreshTokens returns a client's refresh tokens, newest first,
// without their values.
func (c *Client) ListRefreshTokens(ctx context.Context, clientID string) (apiv1.RefreshTokenList, error) {
	return call[apiv1.RefreshTokenList](ctx, c, get("/v1/clients/{client_id}/refresh-tokens", clientID))
}

// ListKeys returns the published token-signing keys, oldest first.
func (c *Client) ListKeys(ctx context.Context) (apiv1.SigningKeyList, error) {
	return call[apiv1.SigningKeyList](ctx, c, get("/v1/keys"))
}

// RotateKeys publishes a new signing key. It starts signing after
// in.DelaySeconds (absent: the server's configured activation delay), so
// that verifiers can fetch it from the JWKS first.
func (c *Client) RotateKeys(ctx context.Context, in apiv1.RotateKeys) (apiv1.SigningKey, error) {
	return call[apiv1.SigningKey](ctx, c, post("/v1/keys/rotate", in))
}
