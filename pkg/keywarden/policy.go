package keywarden

import (
	"context"

	"keywarden/pkg/apiv1"
)

// GetPolicy returns the organisation's policy.
func (c *Client) GetPolicy(ctx context.Context) (apiv1.Policy, error) {
	return call[apiv1.Policy](ctx, c, get("/v1/policy"))
}

// UpdatePolicy changes the fields of in that are set; the others stay.
func (c *Client) UpdatePolicy(ctx context.Context, in apiv1.UpdatePolicy) (apiv1.Policy, error) {
	return call[apiv1.Policy](ctx, c, patch("/v1/policy", in))
}
