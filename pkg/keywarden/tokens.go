package keywarden

import (
	"context"
	"iter"

	"keywarden/pkg/apiv1"
)

// CreateRefreshToken issues a one-time refresh token for a client. The
// answer holds the token's value, which the server never shows again.
func (c *Client) CreateRefreshToken(ctx context.Context, clientID string) (apiv1.CreatedRefreshToken, error) {
	return call[apiv1.CreatedRefreshToken](ctx, c, post("/v1/clients/{client_id}/refresh-tokens", nil, clientID))
}

// ListRefreshTokens returns a page of a client's refresh tokens, newest
// first, without their values (NextCursor continues).
func (c *Client) ListRefreshTokens(ctx context.Context, clientID string, opts ListOptions) (apiv1.RefreshTokenList, error) {
	return call[apiv1.RefreshTokenList](ctx, c, get("/v1/clients/{client_id}/refresh-tokens", clientID).withQuery(opts.values()))
}

// RefreshTokens iterates over a client's refresh tokens, newest first,
// from the page that opts selects on, fetching the pages as it goes.
func (c *Client) RefreshTokens(ctx context.Context, clientID string, opts ListOptions) iter.Seq2[apiv1.RefreshToken, error] {
	return pages(ctx, opts, func(ctx context.Context, opts ListOptions) ([]apiv1.RefreshToken, string, error) {
		p, err := c.ListRefreshTokens(ctx, clientID, opts)
		return p.Items, p.NextCursor, err
	})
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
