package keywarden

import (
	"context"
	"iter"
	"strconv"
	"time"

	"keywarden/pkg/apiv1"
)

// CreateClient registers a client. It has no secret yet: add one with
// CreateSecret.
func (c *Client) CreateClient(ctx context.Context, in apiv1.CreateClient) (apiv1.Client, error) {
	return call[apiv1.Client](ctx, c, post("/v1/clients", in))
}

// ClientQuery searches clients (every field optional): see GET
// /v1/clients.
type ClientQuery struct {
	Text            string // in the name, client ID or description
	Status          string // "active" or "disabled"
	HasActiveSecret *bool
	UnusedDays      int       // not used for this many days
	ExpiringBefore  time.Time // an active secret expires before
	Sort            string    // "created", "name", "last_used"; "-" first for descending
	ListOptions
}

// ListClients returns one page of the organisation's clients that q
// matches, by default in the order they were created. Clients iterates
// over all of them.
func (c *Client) ListClients(ctx context.Context, q ClientQuery) (apiv1.ClientList, error) {
	v := q.values()
	for name, s := range map[string]string{"q": q.Text, "status": q.Status, "sort": q.Sort} {
		if s != "" {
			v.Set(name, s)
		}
	}
	if q.HasActiveSecret != nil {
		v.Set("has_active_secret", strconv.FormatBool(*q.HasActiveSecret))
	}
	if q.UnusedDays > 0 {
		v.Set("unused_days", strconv.Itoa(q.UnusedDays))
	}
	if !q.ExpiringBefore.IsZero() {
		v.Set("expiring_before", q.ExpiringBefore.UTC().Format(time.RFC3339))
	}
	return call[apiv1.ClientList](ctx, c, get("/v1/clients").withQuery(v))
}

// Clients iterates over the organisation's clients that q matches, from
// the page q selects on (q.Limit is the page size), fetching the pages as
// it goes.
func (c *Client) Clients(ctx context.Context, q ClientQuery) iter.Seq2[apiv1.Client, error] {
	return pages(ctx, q.ListOptions, func(ctx context.Context, opts ListOptions) ([]apiv1.Client, string, error) {
		q.ListOptions = opts
		p, err := c.ListClients(ctx, q)
		return p.Items, p.NextCursor, err
	})
}

// GetClient returns one client.
func (c *Client) GetClient(ctx context.Context, clientID string) (apiv1.Client, error) {
	return call[apiv1.Client](ctx, c, get("/v1/clients/{client_id}", clientID))
}

// UpdateClient changes the fields of in that are set; the others stay.
func (c *Client) UpdateClient(ctx context.Context, clientID string, in apiv1.UpdateClient) (apiv1.Client, error) {
	return call[apiv1.Client](ctx, c, patch("/v1/clients/{client_id}", in, clientID))
}

// DeleteClient deletes a client with its secrets, rotations and refresh
// tokens.
func (c *Client) DeleteClient(ctx context.Context, clientID string) error {
	return c.send(ctx, del("/v1/clients/{client_id}", clientID), nil)
}

// RevokeAll revokes every secret and refresh token of a client at once,
// and the access tokens issued to it (the breach response).
func (c *Client) RevokeAll(ctx context.Context, clientID string) (apiv1.RevokeAll, error) {
	return call[apiv1.RevokeAll](ctx, c, post("/v1/clients/{client_id}/revoke-all", nil, clientID))
}

// GetOverview returns the organisation's credential health: expiring and
// unused secrets, clients without a secret, rotations in progress, failing
// webhooks, users without MFA or a personal credential, failed
// authentications.
func (c *Client) GetOverview(ctx context.Context) (apiv1.Overview, error) {
	return call[apiv1.Overview](ctx, c, get("/v1/overview"))
}
