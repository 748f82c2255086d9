package keywarden

import (
	"context"

	"keywarden/pkg/apiv1"
)

// ListRotations returns a client's tracked rotations, newest first.
func (c *Client) ListRotations(ctx context.Context, clientID string) (apiv1.RotationList, error) {
	return call[apiv1.RotationList](ctx, c, get("/v1/clients/{client_id}/rotations", clientID))
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
