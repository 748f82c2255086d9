package keywarden

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"keywarden/pkg/apiv1"
)

// Login opens a session (POST /v1/sessions, which needs no token). The
// answer holds the session's bearer token, which the server never shows
// again. When the account has MFA on and in carries no code, the error is a
// problem for which MFARequired reports true.
func (c *Client) Login(ctx context.Context, in apiv1.Login) (apiv1.NewSession, error) {
	var out apiv1.NewSession
	err := c.do(ctx, http.MethodPost, "/v1/sessions", nil, in, &out, false)
	return out, err
}

// PasswordLogin is seed 000's login (POST /v1/auth/login, which needs no
// token): an email and the user's personal credential secret in the
// password field, answered with an access token that acts as the user.
func (c *Client) PasswordLogin(ctx context.Context, in apiv1.PasswordLogin) (apiv1.AccessToken, error) {
	var out apiv1.AccessToken
	err := c.do(ctx, http.MethodPost, "/v1/auth/login", nil, in, &out, false)
	return out, err
}

// MFARequired reports whether err is the server's answer to a login that
// needs a TOTP or recovery code: none was sent, or the one sent was wrong.
func MFARequired(err error) bool {
	var p *apiv1.Problem
	return errors.As(err, &p) && p.Status == http.StatusUnauthorized && strings.HasSuffix(p.Type, "/mfa-required")
}

// ListSessions returns the caller's open login sessions.
func (c *Client) ListSessions(ctx context.Context) (apiv1.SessionList, error) {
	var out apiv1.SessionList
	err := c.do(ctx, http.MethodGet, "/v1/sessions", nil, nil, &out, true)
	return out, err
}

// EndSession ends one of the caller's sessions; "current" names the one
// the client's token belongs to (logout).
func (c *Client) EndSession(ctx context.Context, sessionID string) error {
	id, err := pathSegment("session ID", sessionID)
	if err != nil {
		return err
	}
	return c.do(ctx, http.MethodDelete, "/v1/sessions/"+id, nil, nil, nil, true)
}

// Logout ends the session the client's token belongs to.
func (c *Client) Logout(ctx context.Context) error {
	return c.EndSession(ctx, "current")
}

// Me returns the caller's own account and organisation, and what they must
// do first, if anything (change a one-time password, enrol MFA).
func (c *Client) Me(ctx context.Context) (apiv1.Me, error) {
	var out apiv1.Me
	err := c.do(ctx, http.MethodGet, "/v1/me", nil, nil, &out, true)
	return out, err
}

// ChangePassword sets the caller's password; the current one is required.
// The server ends the caller's other sessions.
func (c *Client) ChangePassword(ctx context.Context, in apiv1.ChangePassword) error {
	return c.do(ctx, http.MethodPost, "/v1/me/password", nil, in, nil, true)
}

// BeginMFA starts (or restarts) TOTP enrolment. MFA is on only after
// ConfirmMFA with a code from the authenticator app.
func (c *Client) BeginMFA(ctx context.Context) (apiv1.MFAEnrolment, error) {
	var out apiv1.MFAEnrolment
	err := c.do(ctx, http.MethodPost, "/v1/me/mfa", nil, nil, &out, true)
	return out, err
}

// ConfirmMFA turns MFA on with a TOTP code and returns the recovery codes,
// which the server never shows again.
func (c *Client) ConfirmMFA(ctx context.Context, code string) (apiv1.RecoveryCodes, error) {
	var out apiv1.RecoveryCodes
	err := c.do(ctx, http.MethodPost, "/v1/me/mfa/confirm", nil, apiv1.MFACode{Code: code}, &out, true)
	return out, err
}

// DisableMFA turns MFA off; it needs a current TOTP code or an unused
// recovery code.
func (c *Client) DisableMFA(ctx context.Context, code string) error {
	return c.do(ctx, http.MethodPost, "/v1/me/mfa/disable", nil, apiv1.MFACode{Code: code}, nil, true)
}

// GetMyCredential returns the caller's personal credential, without its
// secret's value.
func (c *Client) GetMyCredential(ctx context.Context) (apiv1.PersonalCredential, error) {
	var out apiv1.PersonalCredential
	err := c.do(ctx, http.MethodGet, "/v1/me/credential", nil, nil, &out, true)
	return out, err
}

// CreateMyCredential generates the caller's personal credential. The
// answer holds the secret, which the server never shows again.
func (c *Client) CreateMyCredential(ctx context.Context, in apiv1.CreatePersonalCredential) (apiv1.CreatedPersonalCredential, error) {
	var out apiv1.CreatedPersonalCredential
	err := c.do(ctx, http.MethodPost, "/v1/me/credential", nil, in, &out, true)
	return out, err
}

// RotateMyCredential replaces the caller's active personal credential
// secret: the new one now, the old one expiring after in.GraceSeconds
// (absent: the server's default of one hour). The answer holds the new
// secret, which the server never shows again.
func (c *Client) RotateMyCredential(ctx context.Context, in apiv1.RotatePersonalCredential) (apiv1.CreatedPersonalCredential, error) {
	var out apiv1.CreatedPersonalCredential
	err := c.do(ctx, http.MethodPost, "/v1/me/credential/rotate", nil, in, &out, true)
	return out, err
}

// RevokeMyCredential revokes the caller's personal credential; every token
// it minted stops working at once.
func (c *Client) RevokeMyCredential(ctx context.Context) error {
	return c.do(ctx, http.MethodDelete, "/v1/me/credential", nil, nil, nil, true)
}

// ListUsers returns the organisation's users.
func (c *Client) ListUsers(ctx context.Context) (apiv1.UserList, error) {
	var out apiv1.UserList
	err := c.do(ctx, http.MethodGet, "/v1/users", nil, nil, &out, true)
	return out, err
}

// InviteUser creates a user with a role. The answer holds their one-time
// password, which the server never shows again.
func (c *Client) InviteUser(ctx context.Context, in apiv1.InviteUser) (apiv1.InvitedUser, error) {
	var out apiv1.InvitedUser
	err := c.do(ctx, http.MethodPost, "/v1/users", nil, in, &out, true)
	return out, err
}

// GetUser returns one user.
func (c *Client) GetUser(ctx context.Context, userID string) (apiv1.User, error) {
	p, err := userPath(userID)
	if err != nil {
		return apiv1.User{}, err
	}
	var out apiv1.User
	err = c.do(ctx, http.MethodGet, p, nil, nil, &out, true)
	return out, err
}

// UpdateUser changes a user's role or status (the fields of in that are
// set). Disabling a user ends their sessions and revokes their personal
// credential and its tokens at once.
func (c *Client) UpdateUser(ctx context.Context, userID string, in apiv1.UpdateUser) (apiv1.User, error) {
	p, err := userPath(userID)
	if err != nil {
		return apiv1.User{}, err
	}
	var out apiv1.User
	err = c.do(ctx, http.MethodPatch, p, nil, in, &out, true)
	return out, err
}

// DeleteUser removes a user with their sessions and personal credential.
func (c *Client) DeleteUser(ctx context.Context, userID string) error {
	p, err := userPath(userID)
	if err != nil {
		return err
	}
	return c.do(ctx, http.MethodDelete, p, nil, nil, nil, true)
}

// GetUserCredential returns another user's personal credential, without
// its secret's value.
func (c *Client) GetUserCredential(ctx context.Context, userID string) (apiv1.PersonalCredential, error) {
	p, err := userPath(userID)
	if err != nil {
		return apiv1.PersonalCredential{}, err
	}
	var out apiv1.PersonalCredential
	err = c.do(ctx, http.MethodGet, p+"/credential", nil, nil, &out, true)
	return out, err
}

// RevokeUserCredential revokes another user's personal credential
// (offboarding); every token it minted stops working at once.
func (c *Client) RevokeUserCredential(ctx context.Context, userID string) error {
	p, err := userPath(userID)
	if err != nil {
		return err
	}
	return c.do(ctx, http.MethodDelete, p+"/credential", nil, nil, nil, true)
}

func userPath(userID string) (string, error) {
	id, err := pathSegment("user ID", userID)
	if err != nil {
		return "", err
	}
	return "/v1/users/" + id, nil
}
