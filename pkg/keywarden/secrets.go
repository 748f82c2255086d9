package keywarden

import (
	"context"
	"iter"
	"net/url"

	"keywarden/pkg/apiv1"
)

// CreateSecret adds a secret to a client. The answer holds the secret's
// value, which the server never shows again.
func (c *Client) CreateSecret(ctx context.Context, clientID string, in apiv1.CreateSecret) (apiv1.CreatedSecret, error) {
	return call[apiv1.CreatedSecret](ctx, c, post("/v1/clients/{client_id}/secrets", in, clientID))
}

// ListSecrets returns a page of a client's secrets, oldest first, without
// their values (NextCursor continues).
func (c *Client) ListSecrets(ctx context.Context, clientID string, opts ListOptions) (apiv1.SecretList, error) {
	return call[apiv1.SecretList](ctx, c, get("/v1/clients/{client_id}/secrets", clientID).withQuery(opts.values()))
}

// Secrets iterates over a client's secrets, oldest first, from the page
// that opts selects on (opts.Limit is the page size), fetching the pages
// as it goes.
func (c *Client) Secrets(ctx context.Context, clientID string, opts ListOptions) iter.Seq2[apiv1.Secret, error] {
	return pages(ctx, opts, func(ctx context.Context, opts ListOptions) ([]apiv1.Secret, string, error) {
		p, err := c.ListSecrets(ctx, clientID, opts)
		return p.Items, p.NextCursor, err
	})
}

// GetSecret returns one secret of a client, without its value.
func (c *Client) GetSecret(ctx context.Context, clientID, secretID string) (apiv1.Secret, error) {
	return call[apiv1.Secret](ctx, c, get("/v1/clients/{client_id}/secrets/{id}", clientID, secretID))
}

// UpdateSecret changes a secret's description, expiry or allowed networks
// (the fields of in that are set).
func (c *Client) UpdateSecret(ctx context.Context, clientID, secretID string, in apiv1.UpdateSecret) (apiv1.Secret, error) {
	return call[apiv1.Secret](ctx, c, patch("/v1/clients/{client_id}/secrets/{id}", in, clientID, secretID))
}

// RevokeOptions say what happens to a revoked secret's access tokens.
type RevokeOptions struct {
	// KeepTokens lets them run out on their own (a planned retirement)
	// instead of stopping them at once (a leak, the default).
	KeepTokens bool
}

// RevokeSecret revokes one secret; revoking a revoked secret is not an
// error.
func (c *Client) RevokeSecret(ctx context.Context, clientID, secretID string, opts RevokeOptions) (apiv1.Secret, error) {
	r := del("/v1/clients/{client_id}/secrets/{id}", clientID, secretID)
	if opts.KeepTokens {
		r = r.withQuery(url.Values{"tokens": {"keep"}})
	}
	return call[apiv1.Secret](ctx, c, r)
}

// RotateSecrets adds a new generated secret to a client and, with
// in.GraceSeconds set, schedules the previously active secrets to expire
// after the grace period. The answer holds the new value, shown once, and
// the rotation that follows the change.
func (c *Client) RotateSecrets(ctx context.Context, clientID string, in apiv1.Rotate) (apiv1.RotateResult, error) {
	return call[apiv1.RotateResult](ctx, c, post("/v1/clients/{client_id}/secrets/rotate", in, clientID))
}
