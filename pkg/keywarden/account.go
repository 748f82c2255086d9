package keywarden

import (
	"context"
	"iter"

	"keywarden/pkg/apiv1"
)

// Login opens a session with an email and password (it needs no token).
// The answer holds the session's bearer token, which the server never
// shows again: use it with New. When the account has MFA on and in carries
// no code, or a wrong one, the error is one for which MFARequired reports
// true.
func (c *Client) Login(ctx context.Context, in apiv1.Login) (apiv1.NewSession, error) {
	return call[apiv1.NewSession](ctx, c, post("/v1/sessions", in).anonymous())
}

// PasswordLogin is the login of older portals (it needs no token): an
// email and the user's personal credential secret in the password field,
// answered with an access token that acts as the user.
func (c *Client) PasswordLogin(ctx context.Context, in apiv1.PasswordLogin) (apiv1.AccessToken, error) {
	return call[apiv1.AccessToken](ctx, c, post("/v1/auth/login", in).anonymous())
}

// ListSessions returns a page of the caller's open login sessions, newest
// first (NextCursor continues).
func (c *Client) ListSessions(ctx context.Context, opts ListOptions) (apiv1.SessionList, error) {
	return call[apiv1.SessionList](ctx, c, get("/v1/sessions").withQuery(opts.values()))
}

// Sessions iterates over the caller's open sessions, newest first, from
// the page that opts selects on, fetching the pages as it goes.
func (c *Client) Sessions(ctx context.Context, opts ListOptions) iter.Seq2[apiv1.Session, error] {
	return pages(ctx, opts, func(ctx context.Context, opts ListOptions) ([]apiv1.Session, string, error) {
		p, err := c.ListSessions(ctx, opts)
		return p.Items, p.NextCursor, err
	})
}

// EndSession ends one of the caller's sessions; "current" names the one
// the client's token belongs to.
func (c *Client) EndSession(ctx context.Context, sessionID string) error {
	return c.send(ctx, del("/v1/sessions/{id}", sessionID), nil)
}

// Logout ends the session the client's token belongs to.
func (c *Client) Logout(ctx context.Context) error {
	return c.EndSession(ctx, "current")
}

// GetMe returns the caller's own account and organisation, and what they
// must do first, if anything (change a one-time password, enrol MFA).
func (c *Client) GetMe(ctx context.Context) (apiv1.Me, error) {
	return call[apiv1.Me](ctx, c, get("/v1/me"))
}

// ChangePassword sets the caller's password; the current one is required.
// The server ends the caller's other sessions.
func (c *Client) ChangePassword(ctx context.Context, in apiv1.ChangePassword) error {
	return c.send(ctx, post("/v1/me/password", in), nil)
}

// BeginMFA starts (or restarts) TOTP enrolment. MFA is on only after
// ConfirmMFA with a code from the authenticator app.
func (c *Client) BeginMFA(ctx context.Context) (apiv1.MFAEnrolment, error) {
	return call[apiv1.MFAEnrolment](ctx, c, post("/v1/me/mfa", nil))
}

// ConfirmMFA turns MFA on with a TOTP code and returns the recovery codes,
// which the server never shows again.
func (c *Client) ConfirmMFA(ctx context.Context, code string) (apiv1.RecoveryCodes, error) {
	return call[apiv1.RecoveryCodes](ctx, c, post("/v1/me/mfa/confirm", apiv1.MFACode{Code: code}))
}

// DisableMFA turns MFA off; it needs a current TOTP code or an unused
// recovery code.
func (c *Client) DisableMFA(ctx context.Context, code string) error {
	return c.send(ctx, post("/v1/me/mfa/disable", apiv1.MFACode{Code: code}), nil)
}

// GetMyCredential returns the caller's personal credential, without its
// secret's value.
func (c *Client) GetMyCredential(ctx context.Context) (apiv1.PersonalCredential, error) {
	return call[apiv1.PersonalCredential](ctx, c, get("/v1/me/credential"))
}

// CreateMyCredential generates the caller's personal credential. The
// answer holds the secret, which the server never shows again.
func (c *Client) CreateMyCredential(ctx context.Context, in apiv1.CreatePersonalCredential) (apiv1.CreatedPersonalCredential, error) {
	return call[apiv1.CreatedPersonalCredential](ctx, c, post("/v1/me/credential", in))
}

// RotateMyCredential replaces the caller's active personal credential
// secret: the new one now, the old one expiring after in.GraceSeconds
// (absent: one hour). The answer holds the new secret, shown once.
func (c *Client) RotateMyCredential(ctx context.Context, in apiv1.RotatePersonalCredential) (apiv1.CreatedPersonalCredential, error) {
	return call[apiv1.CreatedPersonalCredential](ctx, c, post("/v1/me/credential/rotate", in))
}

// RevokeMyCredential revokes the caller's personal credential; every token
// it minted stops working at once.
func (c *Client) RevokeMyCredential(ctx context.Context) error {
	return c.send(ctx, del("/v1/me/credential"), nil)
}
