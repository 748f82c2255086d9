package ui

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"keywarden/internal/credential"
	"keywarden/internal/domain"
)

type credentialsData struct {
	Tab      string
	Blocked  string
	ClientID string
	Active   *secretRow
	Past     []secretRow
	Form     *form
	Rotate   *form
	Hint     expiryHint
	Reveal   *reveal
	TokenTTL int
	// RevokeOpen and RotateOpen open their dialogs (links without JavaScript).
	RevokeOpen, RotateOpen bool
}

func (h *Handler) credentials(w http.ResponseWriter, r *http.Request, rq *request) error {
	return h.renderCredentials(w, r, rq, http.StatusOK, nil, nil, nil)
}

// credentialBlock says why the policy refuses the viewer a personal
// credential ("" when it allows one).
func credentialBlock(pol domain.Policy, u domain.User) string {
	switch {
	case pol.PersonalCredentials == domain.CredentialsSuperAdmins && u.Role != domain.RoleSuperAdmin:
		return "Your organisation allows personal credentials for super admins only."
	case pol.RefuseCredentialsWithMFA && u.MFAEnabled:
		return "Your organisation does not allow personal credentials for users who have two-step verification on."
	case pol.RefusesFederatedCredential(u):
		return "You sign in through your organisation's identity provider, and your organisation does not allow personal credentials for federated sign-ins: " +
			"a credential would outlive the provider's control of your account (offboarding there would not stop it)."
	}
	return ""
}

func (h *Handler) renderCredentials(w http.ResponseWriter, r *http.Request, rq *request, status int, f, rot *form, rv *reveal) error {
	now := h.now()
	if f == nil {
		f = newForm()
	}
	if rot == nil {
		rot = newForm()
		rot.Values["grace"] = "3600"
	}
	d := credentialsData{Tab: "credentials", Blocked: credentialBlock(rq.org.Policy, rq.me), Form: f, Rotate: rot, Reveal: rv,
		Hint: newExpiryHint(rq.org.Policy, rq.me.Role, now, true), TokenTTL: rq.org.Policy.AccessTokenTTLSeconds}
	if r.Method == http.MethodGet {
		d.RevokeOpen, d.RotateOpen = r.URL.Query().Get("revoke") == "1", r.URL.Query().Get("rotate") == "1"
	}
	v, err := h.Credentials.Personal(r.Context(), rq.by.OrgID, rq.by.UserID())
	switch {
	case errors.Is(err, domain.ErrNotFound):
	case err != nil:
		return err
	default:
		d.ClientID = string(v.Client.ID)
		for i := len(v.Secrets) - 1; i >= 0; i-- {
			row := secretRowOf(v.Secrets[i], "", now)
			if v.Active != nil && v.Secrets[i].ID == v.Active.ID {
				d.Active = &row
				continue
			}
			d.Past = append(d.Past, row)
		}
	}
	h.render(w, r, rq, status, "credentials", &page{Title: "My credentials", Nav: "account", Canonical: "/ui/account/credentials", Data: d})
	return nil
}

func personalReveal(n credential.NewPersonal, email string, now time.Time) *reveal {
	exp := "never"
	if n.Secret.ExpiresAt != nil {
		exp = newStamp(*n.Secret.ExpiresAt, now).Abs
	}
	return &reveal{
		Title: "Your credentials are ready",
		Lead:  "Use them to get tokens that act as you (" + email + "). Copy or download them now.",
		Items: []revealItem{{ID: "reveal-client-id", Label: "Client ID", Value: string(n.ClientID)}, {ID: "reveal-secret", Label: "Client secret", Value: n.Value.Reveal(), Secret: true}},
		File:  "keywarden-credentials.txt",
		Text: "# Keywarden personal credentials of " + email + "\n# Expires: " + exp + "\n" +
			"KEYWARDEN_CLIENT_ID=" + string(n.ClientID) + "\nKEYWARDEN_CLIENT_SECRET=" + n.Value.Reveal() + "\n",
		Warning: "The client secret will not be displayed again. If you lose it, revoke these credentials and generate new ones.",
	}
}

var personalFields = map[string]field{"expires_at": {"expires", "Expiration"}, "description": {"description", "Description"}}

func (h *Handler) createCredential(w http.ResponseWriter, r *http.Request, rq *request) error {
	now := h.now()
	f := newForm()
	desc, exp := strings.TrimSpace(r.PostForm.Get("description")), strings.TrimSpace(r.PostForm.Get("expires"))
	f.Values["description"], f.Values["expires"] = desc, exp
	e := readExpiry(f, "expires", "Expiration", exp, rq.org.Policy, rq.me.Role, now, true)
	if !f.Failed() {
		n, err := h.Credentials.CreatePersonal(r.Context(), rq.by, credential.PersonalInput{Description: desc, ExpiresAt: e.At, NeverExpires: e.Never})
		if err == nil {
			return h.renderCredentials(w, r, rq, http.StatusOK, nil, nil, personalReveal(n, rq.me.Email, now))
		}
		if !f.take(err, personalFields) {
			return err
		}
	}
	return h.renderCredentials(w, r, rq, http.StatusUnprocessableEntity, f, nil, nil)
}

func (h *Handler) rotateCredential(w http.ResponseWriter, r *http.Request, rq *request) error {
	now := h.now()
	f := newForm()
	grace, err := strconv.Atoi(r.PostForm.Get("grace"))
	f.Values["grace"] = r.PostForm.Get("grace")
	if err != nil {
		f.fieldErr("grace", "Old secret", "Choose how long the old secret keeps working.")
	}
	if !f.Failed() {
		n, err := h.Credentials.RotatePersonal(r.Context(), rq.by, grace, credential.PersonalInput{})
		if err == nil {
			rv := personalReveal(n, rq.me.Email, now)
			rv.Title = "New secret generated"
			if grace > 0 {
				rv.Lead = "The old secret keeps working for " + duration(grace) + ". Copy or download the new one now."
			}
			return h.renderCredentials(w, r, rq, http.StatusOK, nil, nil, rv)
		}
		if !f.take(err, map[string]field{"grace_seconds": {"grace", "Old secret"}}) {
			return err
		}
	}
	return h.renderCredentials(w, r, rq, http.StatusUnprocessableEntity, nil, f, nil)
}

func (h *Handler) revokeCredential(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := h.Credentials.RevokePersonal(r.Context(), rq.by, rq.by.UserID()); err != nil {
		return err
	}
	h.setFlash(w, r, "success", "Your credentials are revoked. Tokens they issued stopped working.")
	redirect(w, r, "/ui/account/credentials")
	return nil
}
