package keywarden

import (
	"context"

	"keywarden/pkg/apiv1"
)

// ListAuditStreams returns the organisation's audit streams, by name, each
// with how far it has got and its health (never its token).
func (c *Client) ListAuditStreams(ctx context.Context) (apiv1.AuditStreamList, error) {
	return call[apiv1.AuditStreamList](ctx, c, get("/v1/audit/streams"))
}

// CreateAuditStream starts sending the organisation's audit events, from
// now on, to a SIEM (super admins). The token is sent to the receiver and
// never returned.
func (c *Client) CreateAuditStream(ctx context.Context, in apiv1.CreateAuditStream) (apiv1.AuditStream, error) {
	return call[apiv1.AuditStream](ctx, c, post("/v1/audit/streams", in))
}

// GetAuditStream returns one of the organisation's audit streams.
func (c *Client) GetAuditStream(ctx context.Context, id string) (apiv1.AuditStream, error) {
	return call[apiv1.AuditStream](ctx, c, get("/v1/audit/streams/{id}", id))
}

// DeleteAuditStream stops and removes one of the organisation's audit
// streams (super admins).
func (c *Client) DeleteAuditStream(ctx context.Context, id string) error {
	return c.send(ctx, del("/v1/audit/streams/{id}", id), nil)
}
