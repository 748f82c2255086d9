package api

import (
	"encoding/base64"
	"errors"
	"net/http"
	"time"

	"keywarden/internal/account"
	"keywarden/internal/credential"
	"keywarden/internal/domain"
	"keywarden/internal/httpx"
	"keywarden/internal/problem"
	"keywarden/internal/token"
	"keywarden/pkg/apiv1"
)

func userJSON(u domain.User) apiv1.User {
	status := "active"
	if u.DisabledAt != nil {
		status = "disabled"
	}
	signIn := "local"
	if u.Federated() {
		signIn = string(u.IdentityProvider)
	}
	return apiv1.User{ID: string(u.ID), Email: u.Email, Role: string(u.Role), Status: status, MFAEnabled: u.MFAEnabled,
		MustChangePassword: u.MustChangePassword, CreatedAt: u.CreatedAt, DisabledAt: u.DisabledAt, SignIn: signIn}
}

func (h *Handler) listUsers(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	users, err := h.Accounts.ListUsers(r.Context(), by)
	if err != nil {
		return err
	}
	out := apiv1.UserList{Items: make([]apiv1.User, 0, len(users))}
	for _, u := range users {
		out.Items = append(out.Items, userJSON(u))
	}
	return writeJSON(w, http.StatusOK, out)
}

func (h *Handler) inviteUser(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	var req apiv1.InviteUser
	if err := decode(w, r, &req, false); err != nil {
		return err
	}
	n, err := h.Accounts.InviteUser(r.Context(), by, req.Email, domain.Role(req.Role))
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/users/"+string(n.User.ID))
	return writeJSON(w, http.StatusCreated, apiv1.InvitedUser{User: userJSON(n.User), OneTimePassword: n.Password.Reveal()})
}

func (h *Handler) getUser(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	u, err := h.Accounts.GetUser(r.Context(), by, domain.UserID(r.PathValue("id")))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, userJSON(u))
}

func (h *Handler) updateUser(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	id := domain.UserID(r.PathValue("id"))
	var req apiv1.UpdateUser
	if err := h.decodeFor(w, r, &req, false, func() error { _, err := h.Accounts.GetUser(r.Context(), by, id); return err }); err != nil {
		return err
	}
	p := account.UserPatch{Disabled: req.Disabled}
	if req.Role != nil {
		role := domain.Role(*req.Role)
		p.Role = &role
	}
	u, err := h.Accounts.UpdateUser(r.Context(), by, id, p)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, userJSON(u))
}

func (h *Handler) deleteUser(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	if err := h.Accounts.DeleteUser(r.Context(), by, domain.UserID(r.PathValue("id"))); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) me(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	p, err := h.Accounts.Profile(r.Context(), by)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, apiv1.Me{User: userJSON(p.User), OrganizationID: string(p.Org.ID), Organization: p.Org.Name, Restricted: by.Restricted})
}

func (h *Handler) changePassword(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	var req apiv1.ChangePassword
	if err := decode(w, r, &req, false); err != nil {
		return err
	}
	if err := h.Accounts.ChangePassword(r.Context(), by, req.CurrentPassword, req.NewPassword); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func sessionJSON(x domain.Session, current domain.SessionID) apiv1.Session {
	return apiv1.Session{ID: string(x.ID), CreatedAt: x.CreatedAt, ExpiresAt: x.ExpiresAt, Source: x.Source, UserAgent: x.UserAgent, Current: x.ID == current}
}

// login opens a session: a bearer token in the body and, for the web
// console, the same token in an HttpOnly, SameSite=Strict cookie.
func (h *Handler) login(w http.ResponseWriter, r *http.Request) error {
	var req apiv1.Login
	if err := decode(w, r, &req, false); err != nil {
		return err
	}
	n, err := h.Accounts.Login(r.Context(), account.LoginInput{Email: req.Email, Password: req.Password, Organization: domain.OrgID(req.Organization),
		TOTPCode: req.TOTPCode, RecoveryCode: req.RecoveryCode, Source: httpx.ClientIP(r), UserAgent: r.UserAgent(), Channel: account.ChannelAPI})
	switch {
	case errors.Is(err, account.ErrMFARequired):
		return &problem.Error{Status: http.StatusUnauthorized, Slug: "mfa-required",
			Detail: "enter the 6-digit code from your authenticator app (totp_code) or a recovery code (recovery_code)",
			Header: map[string]string{"WWW-Authenticate": `Bearer realm="keywarden"`}}
	case errors.Is(err, account.ErrBadCredentials):
		return &problem.Error{Status: http.StatusUnauthorized, Detail: "wrong email or password",
			Header: map[string]string{"WWW-Authenticate": `Bearer realm="keywarden"`}}
	case errors.Is(err, account.ErrLocalLoginDisabled):
		return &problem.Error{Status: http.StatusUnauthorized, Slug: "local-login-disabled", Detail: err.Error() + " (the console's sign-in page)",
			Header: map[string]string{"WWW-Authenticate": `Bearer realm="keywarden"`}}
	case err != nil:
		return err
	}
	h.Cookies.SetSession(w, r, n.Token.Reveal(), n.Session.ExpiresAt)
	return writeJSON(w, http.StatusCreated, apiv1.NewSession{Token: n.Token.Reveal(), Session: sessionJSON(n.Session, n.Session.ID), User: userJSON(n.User)})
}

func (h *Handler) listSessions(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	page, err := pageFrom(r)
	if err != nil {
		return err
	}
	list, next, err := h.Accounts.ListSessions(r.Context(), by, page)
	if err != nil {
		return err
	}
	out := apiv1.SessionList{Items: make([]apiv1.Session, 0, len(list)), NextCursor: next}
	for _, x := range list {
		out.Items = append(out.Items, sessionJSON(x, by.SessionID))
	}
	return writeJSON(w, http.StatusOK, out)
}

func (h *Handler) endSession(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	id := domain.SessionID(domain.UserID(r.PathValue("id")))
	if err := h.Accounts.EndSession(r.Context(), by, id); err != nil {
		return err
	}
	if id == "current" || id == by.SessionID {
		h.Cookies.Clear(w, r, httpx.SessionCookie, "/")
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) beginMFA(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	var req struct{}
	if err := decode(w, r, &req, true); err != nil {
		return err
	}
	e, err := h.Accounts.BeginMFA(r.Context(), by)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, apiv1.MFAEnrolment{Secret: e.Secret, OTPAuthURI: e.URI, QRCodePNG: base64.StdEncoding.EncodeToString(e.QRPNG)})
}

func (h *Handler) confirmMFA(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	var req apiv1.MFACode
	if err := decode(w, r, &req, false); err != nil {
		return err
	}
	codes, err := h.Accounts.ConfirmMFA(r.Context(), by, req.Code)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, apiv1.RecoveryCodes{RecoveryCodes: codes})
}

func (h *Handler) disableMFA(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	var req apiv1.MFACode
	if err := decode(w, r, &req, false); err != nil {
		return err
	}
	if err := h.Accounts.DisableMFA(r.Context(), by, req.Code); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) personalJSON(v credential.PersonalView) apiv1.PersonalCredential {
	now := time.Now()
	out := apiv1.PersonalCredential{ClientID: string(v.Client.ID), UserID: string(v.Client.OwnerUserID), Secrets: make([]apiv1.Secret, 0, len(v.Secrets))}
	for _, x := range v.Secrets {
		out.Secrets = append(out.Secrets, secretJSON(x, "", now))
	}
	if v.Active != nil {
		a := secretJSON(*v.Active, "", now)
		out.Active = &a
	}
	return out
}

func (h *Handler) getMyCredential(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	return h.writePersonal(w, r, by, by.UserID())
}

func (h *Handler) getUserCredential(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	return h.writePersonal(w, r, by, domain.UserID(r.PathValue("id")))
}

func (h *Handler) writePersonal(w http.ResponseWriter, r *http.Request, by domain.Actor, userID domain.UserID) error {
	v, err := h.Credentials.Personal(r.Context(), by.OrgID, userID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, h.personalJSON(v))
}

func createdPersonalJSON(n credential.NewPersonal) apiv1.CreatedPersonalCredential {
	return apiv1.CreatedPersonalCredential{ClientID: string(n.ClientID), Secret: n.Value.Reveal(), SecretID: string(n.Secret.ID), Hint: n.Secret.Hint, ExpiresAt: n.Secret.ExpiresAt}
}

func (h *Handler) createMyCredential(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	var req apiv1.CreatePersonalCredential
	if err := decode(w, r, &req, true); err != nil {
		return err
	}
	n, err := h.Credentials.CreatePersonal(r.Context(), by, credential.PersonalInput{Description: req.Description, ExpiresAt: req.ExpiresAt, NeverExpires: req.NeverExpires})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, createdPersonalJSON(n))
}

func (h *Handler) rotateMyCredential(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	var req apiv1.RotatePersonalCredential
	if err := decode(w, r, &req, true); err != nil {
		return err
	}
	grace := 3600
	if req.GraceSeconds != nil {
		grace = *req.GraceSeconds
	}
	n, err := h.Credentials.RotatePersonal(r.Context(), by, grace, credential.PersonalInput{Description: req.Description, ExpiresAt: req.ExpiresAt, NeverExpires: req.NeverExpires})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, createdPersonalJSON(n))
}

func (h *Handler) revokeMyCredential(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	if err := h.Credentials.RevokePersonal(r.Context(), by, by.UserID()); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) revokeUserCredential(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	if err := h.Credentials.RevokePersonal(r.Context(), by, domain.UserID(r.PathValue("id"))); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// passwordLogin is seed 000's login: email plus the personal credential's
// secret in the password field, answered with an access token.
func (h *Handler) passwordLogin(w http.ResponseWriter, r *http.Request) error {
	var req apiv1.PasswordLogin
	if err := decode(w, r, &req, false); err != nil {
		return err
	}
	source := httpx.ClientIP(r)
	auth, err := h.Credentials.AuthenticatePersonal(r.Context(), req.Email, domain.OrgID(req.Organization), req.Password, source)
	if errors.Is(err, credential.ErrBadCredentials) {
		return &problem.Error{Status: http.StatusUnauthorized, Detail: "wrong email or credential secret",
			Header: map[string]string{"WWW-Authenticate": `Bearer realm="keywarden"`}}
	}
	if err != nil {
		return err // a rate limit or an ambiguous email is rendered by package problem
	}
	issued, err := h.Tokens.Issue(r.Context(), auth, token.Request{Grant: token.GrantClientCredentials, Source: source})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, apiv1.AccessToken{AccessToken: issued.AccessToken, TokenType: "Bearer", ExpiresIn: issued.ExpiresIn})
}
