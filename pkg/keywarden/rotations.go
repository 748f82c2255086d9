package keywarden

import (
	"context"
	"iter"

	"keywarden/pkg/apiv1"
)

// ListRotations returns a page of a client's tracked rotations, newest
// first (NextCursor continues).
func (c *Client) ListRotations(ctx context.Context, clientID string, opts ListOptions) (apiv1.RotationList, error) {
	return call[apiv1.RotationList](ctx, c, get("/v1/clients/{client_id}/rotations", clientID).withQuery(opts.values()))
}

// Rotations iterates over a client's rotations, newest first, from the
// page that opts selects on, fetching the pages as it goes.
func (c *Client) Rotations(ctx context.Context, clientID string, opts ListOptions) iter.Seq2[apiv1.RotationStatus, error] {
	return pages(ctx, opts, func(ctx context.Context, opts ListOptions) ([]apiv1.RotationStatus, string, error) {
		p, err := c.ListRotations(ctx, clientID, opts)
		return p.Items, p.NextCursor, err
	})
}

// GetRotation returns one rotation: its state, whether the old secrets are
// safe to revoke, and the secrets with their last use.
func (c *Client) GetRotation(ctx context.Context, clientID, rotationID string) (apiv1.RotationStatus, error) {
	return call[apiv1.RotationStatus](ctx, c, get("/v1/clients/{client_id}/rotations/{id}", clientID, rotationID))
}

// CompleteRotation revokes a rotation's old secrets now and closes it. The
// server refuses (409) while an old secret is still in use, unless
// in.Force is set.
func (c *Client) CompleteRotation(ctx context.Context, clientID, rotationID string, in apiv1.CompleteRotation) (apiv1.RotationStatus, error) {
	return call[apiv1.RotationStatus](ctx, c, post("/v1/clients/{client_id}/rotations/{id}/complete", in, clientID, rotationID))
}
