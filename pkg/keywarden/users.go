package keywarden

import (
	"context"

	"keywarden/pkg/apiv1"
)

// ListUsers returns the organisation's users.
func (c *Client) ListUsers(ctx context.Context) (apiv1.UserList, error) {
	return call[apiv1.UserList](ctx, c, get("/v1/users"))
}

// InviteUser creates a user with a role. The answer holds their one-time
// password, which the server never shows again.
func (c *Client) InviteUser(ctx context.Context, in apiv1.InviteUser) (apiv1.InvitedUser, error) {
	return call[apiv1.InvitedUser](ctx, c, post("/v1/users", in))
}

// GetUser returns one user.
func (c *Client) GetUser(ctx context.Context, userID string) (apiv1.User, error) {
	return call[apiv1.User](ctx, c, get("/v1/users/{id}", userID))
}

// UpdateUser changes a user's role or status (the fields of in that are
// set). Disabling a user ends their sessions and revokes their personal
// credential and its tokens at once.
func (c *Client) UpdateUser(ctx context.Context, userID string, in apiv1.UpdateUser) (apiv1.User, error) {
	return call[apiv1.User](ctx, c, patch("/v1/users/{id}", in, userID))
}

// DeleteUser removes a user with their sessions and personal credential.
func (c *Client) DeleteUser(ctx context.Context, userID string) error {
	return c.send(ctx, del("/v1/users/{id}", userID), nil)
}

// GetUserCredential returns another user's personal credential, without
// its secret's value.
func (c *Client) GetUserCredential(ctx context.Context, userID string) (apiv1.PersonalCredential, error) {
	return call[apiv1.PersonalCredential](ctx, c, get("/v1/users/{id}/credential", userID))
}

// RevokeUserCredential revokes another user's personal credential
// (offboarding); every token it minted stops working at once.
func (c *Client) RevokeUserCredential(ctx context.Context, userID string) error {
	return c.send(ctx, del("/v1/users/{id}/credential", userID), nil)
}
