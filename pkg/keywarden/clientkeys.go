package keywarden

import (
	"context"

	"keywarden/pkg/apiv1"
)

// CreateClientKey registers a public key (a JWK) for a client, which then
// authenticates with private_key_jwt: a JWT signed with the private key.
func (c *Client) CreateClientKey(ctx context.Context, clientID string, in apiv1.CreateClientKey) (apiv1.ClientKey, error) {
	return call[apiv1.ClientKey](ctx, c, post("/v1/clients/{client_id}/keys", in, clientID))
}

// ListClientKeys returns a client's keys, oldest first, with their status,
// expiry and last use.
func (c *Client) ListClientKeys(ctx context.Context, clientID string) (apiv1.ClientKeyList, error) {
	return call[apiv1.ClientKeyList](ctx, c, get("/v1/clients/{client_id}/keys", clientID))
}

// GetClientKey returns one key of a client.
func (c *Client) GetClientKey(ctx context.Context, clientID, keyID string) (apiv1.ClientKey, error) {
	return call[apiv1.ClientKey](ctx, c, get("/v1/clients/{client_id}/keys/{id}", clientID, keyID))
}

// UpdateClientKey changes a key's description or expiry (the fields of in
// that are set).
func (c *Client) UpdateClientKey(ctx context.Context, clientID, keyID string, in apiv1.UpdateClientKey) (apiv1.ClientKey, error) {
	return call[apiv1.ClientKey](ctx, c, patch("/v1/clients/{client_id}/keys/{id}", in, clientID, keyID))
}

// RevokeClientKey revokes a key, and the access tokens it authenticated
// for; revoking a revoked key is not an error.
func (c *Client) RevokeClientKey(ctx context.Context, clientID, keyID string) (apiv1.ClientKey, error) {
	return call[apiv1.ClientKey](ctx, c, del("/v1/clients/{client_id}/keys/{id}", clientID, keyID))
}
