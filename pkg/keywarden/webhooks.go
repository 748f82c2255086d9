package keywarden

import (
	"context"
	"iter"

	"keywarden/pkg/apiv1"
)

// GetWebhook returns a client's webhook endpoint and its health. The URL
// and the events are set with UpdateClient.
func (c *Client) GetWebhook(ctx context.Context, clientID string) (apiv1.WebhookEndpoint, error) {
	return call[apiv1.WebhookEndpoint](ctx, c, get("/v1/clients/{client_id}/webhook", clientID))
}

// EnableWebhook enables an endpoint that was disabled for failing.
func (c *Client) EnableWebhook(ctx context.Context, clientID string) (apiv1.WebhookEndpoint, error) {
	return call[apiv1.WebhookEndpoint](ctx, c, post("/v1/clients/{client_id}/webhook/enable", nil, clientID))
}

// EnableWebhookAndReplay enables an endpoint that was disabled for failing
// and replays the deliveries that failed since it began failing.
func (c *Client) EnableWebhookAndReplay(ctx context.Context, clientID string) (apiv1.WebhookEndpoint, error) {
	return call[apiv1.WebhookEndpoint](ctx, c, post("/v1/clients/{client_id}/webhook/enable", apiv1.EnableWebhook{Replay: true}, clientID))
}

// ReplayWebhook sends a client's deliveries since req.Since again (the
// failed ones, or with Which "all" every one), with their webhook-ids; at
// most 1000 per call, More says whether to call again.
func (c *Client) ReplayWebhook(ctx context.Context, clientID string, req apiv1.ReplayWebhook) (apiv1.WebhookReplay, error) {
	return call[apiv1.WebhookReplay](ctx, c, post("/v1/clients/{client_id}/webhook/replay", req, clientID))
}

// DeliveryQuery selects webhook deliveries; zero fields do not filter.
type DeliveryQuery struct {
	Status string // pending, delivered or failed
	ListOptions
}

// ListWebhookDeliveries returns one page of a client's webhook deliveries,
// newest first. WebhookDeliveries iterates over all of them.
func (c *Client) ListWebhookDeliveries(ctx context.Context, clientID string, q DeliveryQuery) (apiv1.WebhookDeliveryList, error) {
	v := q.values()
	if q.Status != "" {
		v.Set("status", q.Status)
	}
	return call[apiv1.WebhookDeliveryList](ctx, c, get("/v1/clients/{client_id}/webhook/deliveries", clientID).withQuery(v))
}

// WebhookDeliveries iterates over the deliveries q selects, newest first,
// fetching the pages as it goes (q.Limit is the page size).
func (c *Client) WebhookDeliveries(ctx context.Context, clientID string, q DeliveryQuery) iter.Seq2[apiv1.WebhookDelivery, error] {
	return pages(ctx, q.ListOptions, func(ctx context.Context, opts ListOptions) ([]apiv1.WebhookDelivery, string, error) {
		q.ListOptions = opts
		p, err := c.ListWebhookDeliveries(ctx, clientID, q)
		return p.Items, p.NextCursor, err
	})
}

// GetWebhookDelivery returns one delivery with its payload and attempts.
func (c *Client) GetWebhookDelivery(ctx context.Context, clientID, deliveryID string) (apiv1.WebhookDeliveryDetail, error) {
	return call[apiv1.WebhookDeliveryDetail](ctx, c, get("/v1/clients/{client_id}/webhook/deliveries/{id}", clientID, deliveryID))
}

// RedeliverWebhook makes a delivery due again now, with the same
// webhook-id.
func (c *Client) RedeliverWebhook(ctx context.Context, clientID, deliveryID string) (apiv1.WebhookDelivery, error) {
	return call[apiv1.WebhookDelivery](ctx, c, post("/v1/clients/{client_id}/webhook/deliveries/{id}/redeliver", nil, clientID, deliveryID))
}

// SendTestWebhook queues a webhook.test event for the client's endpoint,
// delivered like any other event.
func (c *Client) SendTestWebhook(ctx context.Context, clientID string) (apiv1.WebhookDelivery, error) {
	return call[apiv1.WebhookDelivery](ctx, c, post("/v1/clients/{client_id}/webhook/test", nil, clientID))
}

// DeleteWebhookPayload deletes a delivery's payload and its attempts'
// response excerpts now, keeping the rest of its record; a pending
// delivery fails.
func (c *Client) DeleteWebhookPayload(ctx context.Context, clientID, deliveryID string) (apiv1.WebhookDeliveryDetail, error) {
	return call[apiv1.WebhookDeliveryDetail](ctx, c, del("/v1/clients/{client_id}/webhook/deliveries/{id}/payload", clientID, deliveryID))
}

// ListWebhookSigningKeys returns a client's v1a signing keys, retired
// ones too, oldest first.
func (c *Client) ListWebhookSigningKeys(ctx context.Context, clientID string) (apiv1.WebhookSigningKeyList, error) {
	return call[apiv1.WebhookSigningKeyList](ctx, c, get("/v1/clients/{client_id}/webhook/signing-keys", clientID))
}

// CreateWebhookSigningKey generates an Ed25519 key that signs the
// client's webhooks with Standard Webhooks v1a from now on.
func (c *Client) CreateWebhookSigningKey(ctx context.Context, clientID string) (apiv1.WebhookSigningKey, error) {
	return call[apiv1.WebhookSigningKey](ctx, c, post("/v1/clients/{client_id}/webhook/signing-keys", nil, clientID))
}

// RetireWebhookSigningKey stops a signing key from signing.
func (c *Client) RetireWebhookSigningKey(ctx context.Context, clientID, keyID string) (apiv1.WebhookSigningKey, error) {
	return call[apiv1.WebhookSigningKey](ctx, c, del("/v1/clients/{client_id}/webhook/signing-keys/{id}", clientID, keyID))
}

// WebhookKeySet fetches a client's active v1a public keys from the
// unauthenticated JWKS-style URL receivers use.
func (c *Client) WebhookKeySet(ctx context.Context, clientID string) (apiv1.WebhookKeySet, error) {
	return call[apiv1.WebhookKeySet](ctx, c, get("/v1/webhook-keys/{client_id}", clientID).anonymous())
}

// Organisation endpoints: the organisation's own webhook endpoints, which
// receive the events of every client and user of the organisation and the
// endpoint-health and expiry-summary events.

// ListOrgWebhookEndpoints returns the organisation's endpoints, oldest
// first, without their secrets.
func (c *Client) ListOrgWebhookEndpoints(ctx context.Context) (apiv1.OrgWebhookEndpointList, error) {
	return call[apiv1.OrgWebhookEndpointList](ctx, c, get("/v1/webhook-endpoints"))
}

// CreateOrgWebhookEndpoint registers an organisation endpoint; the answer
// carries its signing secret (whsec_…), shown this once.
func (c *Client) CreateOrgWebhookEndpoint(ctx context.Context, req apiv1.CreateOrgWebhookEndpoint) (apiv1.CreatedOrgWebhookEndpoint, error) {
	return call[apiv1.CreatedOrgWebhookEndpoint](ctx, c, post("/v1/webhook-endpoints", req))
}

// GetOrgWebhookEndpoint returns one organisation endpoint and its health.
func (c *Client) GetOrgWebhookEndpoint(ctx context.Context, id string) (apiv1.OrgWebhookEndpoint, error) {
	return call[apiv1.OrgWebhookEndpoint](ctx, c, get("/v1/webhook-endpoints/{id}", id))
}

// UpdateOrgWebhookEndpoint changes, disables or enables (optionally
// replaying) an organisation endpoint.
func (c *Client) UpdateOrgWebhookEndpoint(ctx context.Context, id string, req apiv1.UpdateOrgWebhookEndpoint) (apiv1.OrgWebhookEndpoint, error) {
	return call[apiv1.OrgWebhookEndpoint](ctx, c, patch("/v1/webhook-endpoints/{id}", req, id))
}

// DeleteOrgWebhookEndpoint deletes an organisation endpoint with its
// delivery log.
func (c *Client) DeleteOrgWebhookEndpoint(ctx context.Context, id string) error {
	return c.send(ctx, del("/v1/webhook-endpoints/{id}", id), nil)
}

// RotateOrgWebhookSecret gives an endpoint a new signing secret (in the
// answer, shown this once); the previous one keeps signing for the
// overlap.
func (c *Client) RotateOrgWebhookSecret(ctx context.Context, id string, req apiv1.RotateOrgWebhookSecret) (apiv1.CreatedOrgWebhookEndpoint, error) {
	return call[apiv1.CreatedOrgWebhookEndpoint](ctx, c, post("/v1/webhook-endpoints/{id}/rotate-secret", req, id))
}

// ReplayOrgWebhook sends an organisation endpoint's deliveries since
// req.Since again, as ReplayWebhook does for a client's.
func (c *Client) ReplayOrgWebhook(ctx context.Context, id string, req apiv1.ReplayWebhook) (apiv1.WebhookReplay, error) {
	return call[apiv1.WebhookReplay](ctx, c, post("/v1/webhook-endpoints/{id}/replay", req, id))
}

// ListOrgWebhookDeliveries returns one page of an organisation endpoint's
// deliveries, newest first.
func (c *Client) ListOrgWebhookDeliveries(ctx context.Context, id string, q DeliveryQuery) (apiv1.WebhookDeliveryList, error) {
	v := q.values()
	if q.Status != "" {
		v.Set("status", q.Status)
	}
	return call[apiv1.WebhookDeliveryList](ctx, c, get("/v1/webhook-endpoints/{id}/deliveries", id).withQuery(v))
}

// GetOrgWebhookDelivery returns one delivery of an organisation endpoint
// with its payload and attempts.
func (c *Client) GetOrgWebhookDelivery(ctx context.Context, id, deliveryID string) (apiv1.WebhookDeliveryDetail, error) {
	return call[apiv1.WebhookDeliveryDetail](ctx, c, get("/v1/webhook-endpoints/{id}/deliveries/{delivery_id}", id, deliveryID))
}

// RedeliverOrgWebhook makes a delivery of an organisation endpoint due
// again now, with the same webhook-id.
func (c *Client) RedeliverOrgWebhook(ctx context.Context, id, deliveryID string) (apiv1.WebhookDelivery, error) {
	return call[apiv1.WebhookDelivery](ctx, c, post("/v1/webhook-endpoints/{id}/deliveries/{delivery_id}/redeliver", nil, id, deliveryID))
}

// DeleteOrgWebhookPayload deletes a delivery's payload now, keeping the
// rest of its record.
func (c *Client) DeleteOrgWebhookPayload(ctx context.Context, id, deliveryID string) (apiv1.WebhookDeliveryDetail, error) {
	return call[apiv1.WebhookDeliveryDetail](ctx, c, del("/v1/webhook-endpoints/{id}/deliveries/{delivery_id}/payload", id, deliveryID))
}
