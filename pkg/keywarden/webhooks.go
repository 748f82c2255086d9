package keywarden

import (
	"context"
	"net/http"
	"net/url"

	"keywarden/pkg/apiv1"
)

// DeliveryQuery selects webhook deliveries; zero fields do not filter.
type DeliveryQuery struct {
	Status string // pending, delivered or failed
	Cursor string // next_cursor of the previous page
	Limit  int    // page size; 0 means the server's default
}

func webhookPath(clientID string) (string, error) {
	p, err := clientPath(clientID)
	if err != nil {
		return "", err
	}
	return p + "/webhook", nil
}

func deliveryPath(clientID, deliveryID string) (string, error) {
	p, err := webhookPath(clientID)
	if err != nil {
		return "", err
	}
	id, err := pathSegment("delivery ID", deliveryID)
	if err != nil {
		return "", err
	}
	return p + "/deliveries/" + id, nil
}

// GetWebhook returns a client's webhook endpoint and its health.
func (c *Client) GetWebhook(ctx context.Context, clientID string) (apiv1.WebhookEndpoint, error) {
	p, err := webhookPath(clientID)
	if err != nil {
		return apiv1.WebhookEndpoint{}, err
	}
	var out apiv1.WebhookEndpoint
	err = c.do(ctx, http.MethodGet, p, nil, nil, &out, true)
	return out, err
}

// EnableWebhook enables an endpoint that was disabled for failing.
func (c *Client) EnableWebhook(ctx context.Context, clientID string) (apiv1.WebhookEndpoint, error) {
	p, err := webhookPath(clientID)
	if err != nil {
		return apiv1.WebhookEndpoint{}, err
	}
	var out apiv1.WebhookEndpoint
	err = c.do(ctx, http.MethodPost, p+"/enable", nil, nil, &out, true)
	return out, err
}

// ListWebhookDeliveries returns one page of a client's webhook deliveries,
// newest first.
func (c *Client) ListWebhookDeliveries(ctx context.Context, clientID string, q DeliveryQuery) (apiv1.WebhookDeliveryList, error) {
	p, err := webhookPath(clientID)
	if err != nil {
		return apiv1.WebhookDeliveryList{}, err
	}
	v := pageQuery(q.Cursor, q.Limit)
	if q.Status != "" {
		v.Set("status", q.Status)
	}
	var out apiv1.WebhookDeliveryList
	err = c.do(ctx, http.MethodGet, p+"/deliveries", v, nil, &out, true)
	return out, err
}

// GetWebhookDelivery returns one delivery with its payload and attempts.
func (c *Client) GetWebhookDelivery(ctx context.Context, clientID, deliveryID string) (apiv1.WebhookDeliveryDetail, error) {
	p, err := deliveryPath(clientID, deliveryID)
	if err != nil {
		return apiv1.WebhookDeliveryDetail{}, err
	}
	var out apiv1.WebhookDeliveryDetail
	err = c.do(ctx, http.MethodGet, p, nil, nil, &out, true)
	return out, err
}

// RedeliverWebhook makes a delivery due again now, with the same
// webhook-id.
func (c *Client) RedeliverWebhook(ctx context.Context, clientID, deliveryID string) (apiv1.WebhookDelivery, error) {
	p, err := deliveryPath(clientID, deliveryID)
	if err != nil {
		return apiv1.WebhookDelivery{}, err
	}
	var out apiv1.WebhookDelivery
	err = c.do(ctx, http.MethodPost, p+"/redeliver", url.Values{}, nil, &out, true)
	return out, err
}
