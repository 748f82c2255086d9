package ui

import (
	"errors"
	"maps"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"keywarden/internal/account"
	"keywarden/internal/authz"
	"keywarden/internal/credential"
	"keywarden/internal/domain"
)

type userRow struct {
	ID, Email, Role, RoleName string
	Disabled, MFA, MustChange bool
	Self                      bool
	// SignIn is how the user signs in: "Password", or the name of the
	// identity provider they are linked to.
	SignIn     string
	Created    stamp
	Credential *secretRow
	Edit       *form
	// LegacyPassword: they may still use their console password at POST
	// /v1/auth/login (seed 000's migration). Compliance says what the
	// personal credential requirement asks of them ("" nothing).
	// MayRevoke: the policy lets the viewer revoke their credential.
	LegacyPassword bool
	Compliance     string
	MayRevoke      bool
}

type usersData struct {
	Rows       []userRow
	Invite     *form
	InviteOpen bool
	EditOpen   string
	Roles      []option
	Reveal     *reveal
	// DeleteOpen and RevokeOpen name the user whose dialog opens (links
	// without JavaScript).
	DeleteOpen, RevokeOpen string
}

func roleOptions() []option {
	out := make([]option, 0, len(domain.Roles))
	for _, r := range domain.Roles {
		out = append(out, option{string(r), RoleName(r)})
	}
	return out
}

func (h *Handler) users(w http.ResponseWriter, r *http.Request, rq *request) error {
	var inv *form
	if r.URL.Query().Get("invite") == "1" {
		inv = newForm()
	}
	return h.renderUsers(w, r, rq, http.StatusOK, inv, nil, domain.UserID(r.URL.Query().Get("edit")), nil)
}

func (h *Handler) renderUsers(w http.ResponseWriter, r *http.Request, rq *request, status int, inv *form, edit *form, editID domain.UserID, rv *reveal) error {
	users, err := h.Accounts.ListUsers(r.Context(), rq.by)
	if err != nil {
		return err
	}
	pol, err := h.Accounts.Policy(r.Context(), rq.by)
	if err != nil {
		return err
	}
	now := h.now()
	d := usersData{Invite: inv, InviteOpen: inv != nil, EditOpen: string(editID), Roles: roleOptions(), Reveal: rv}
	if r.Method == http.MethodGet {
		d.DeleteOpen, d.RevokeOpen = r.URL.Query().Get("delete"), r.URL.Query().Get("revoke")
	}
	if d.Invite == nil {
		d.Invite = newForm()
		d.Invite.Values["role"] = string(domain.RoleDeveloper)
	}
	providers := map[domain.IdentityProviderID]string{}
	if h.Federation != nil {
		list, err := h.Federation.Providers(r.Context(), rq.by)
		if err != nil {
			return err
		}
		for _, p := range list {
			providers[p.ID] = p.Name
		}
	}
	for _, u := range users {
		row := userRow{ID: string(u.ID), Email: u.Email, Role: string(u.Role), RoleName: RoleName(u.Role), Disabled: u.DisabledAt != nil,
			MFA: u.MFAEnabled, MustChange: u.MustChangePassword, Self: u.ID == rq.by.UserID(), Created: newStamp(u.CreatedAt, now), SignIn: "Password"}
		if u.Federated() {
			row.SignIn = providers[u.IdentityProvider]
			if row.SignIn == "" {
				row.SignIn = "A removed identity provider"
			}
		}
		var active *domain.ActiveCredential
		if v, err := h.Credentials.Personal(r.Context(), rq.by.OrgID, u.ID); err == nil && v.Active != nil {
			s := secretRowOf(*v.Active, "", now)
			row.Credential = &s
			active = &domain.ActiveCredential{CreatedAt: v.Active.CreatedAt, ExpiresAt: v.Active.ExpiresAt}
		} else if err != nil && !errors.Is(err, domain.ErrNotFound) {
			return err
		}
		row.LegacyPassword = pol.LegacyPasswordAllowed(u, now)
		row.MayRevoke = pol.MayRevokePersonal(rq.by.UserID(), u.ID) == nil
		if c := pol.CredentialCompliance(u, active, now); c != domain.ComplianceOK {
			rb := pol.PersonalCredentialRotateBy
			row.Compliance = complianceText(credential.UserCompliance{User: u, State: c, RotateBy: rb}, now)
		}
		if editID == u.ID && edit != nil {
			row.Edit = edit
		} else {
			row.Edit = newForm()
			row.Edit.Values["role"] = string(u.Role)
			if row.Disabled {
				row.Edit.Values["status"] = "disabled"
			} else {
				row.Edit.Values["status"] = "active"
			}
		}
		d.Rows = append(d.Rows, row)
	}
	h.render(w, r, rq, status, "users", &page{Title: "Users", Nav: "users", Canonical: "/ui/users", Data: d})
	return nil
}

func (h *Handler) inviteUser(w http.ResponseWriter, r *http.Request, rq *request) error {
	f := newForm()
	email, role := strings.TrimSpace(r.PostForm.Get("email")), r.PostForm.Get("role")
	f.Values["email"], f.Values["role"] = email, role
	if email == "" {
		f.fieldErr("email", "Email", "Enter the person's email address.")
	}
	if !f.Failed() {
		n, err := h.Accounts.InviteUser(r.Context(), rq.by, email, domain.Role(role))
		if err == nil {
			rv := &reveal{
				Title: n.User.Email + " is invited",
				Lead:  "Send them the console address and this one-time password over a channel you trust. They choose their own password when they first sign in.",
				Items: []revealItem{{ID: "reveal-email", Label: "Email", Value: n.User.Email}, {ID: "reveal-password", Label: "One-time password", Value: n.Password.Reveal(), Secret: true}},
				File:  "keywarden-invitation.txt",
				Text: "Keywarden console sign-in\nEmail: " + n.User.Email + "\nOne-time password: " + n.Password.Reveal() +
					"\nYou will choose your own password when you first sign in.\n",
				Warning: "The one-time password is shown only now.",
			}
			return h.renderUsers(w, r, rq, http.StatusOK, nil, nil, "", rv)
		}
		if errors.Is(err, domain.ErrConflict) && !errors.As(err, new(*domain.ConflictError)) {
			f.fieldErr("email", "Email", "A user with this email already exists.")
		} else if !f.take(err, map[string]field{"email": {"email", "Email"}, "role": {"role", "Role"}}) {
			return err
		}
	}
	return h.renderUsers(w, r, rq, http.StatusUnprocessableEntity, f, nil, "", nil)
}

func (h *Handler) updateUser(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := domain.UserID(r.PathValue("uid"))
	u, err := h.Accounts.GetUser(r.Context(), rq.by, id)
	if err != nil {
		return err
	}
	f := newForm()
	role, status := domain.Role(r.PostForm.Get("role")), r.PostForm.Get("status")
	f.Values["role"], f.Values["status"] = string(role), status
	p := account.UserPatch{}
	if role != u.Role {
		p.Role = &role
	}
	switch status {
	case "active", "disabled":
		disabled := status == "disabled"
		if disabled != (u.DisabledAt != nil) {
			p.Disabled = &disabled
		}
	default:
		f.fieldErr("status", "Status", "Choose Active or Disabled.")
	}
	if !f.Failed() {
		if reflect.ValueOf(p).IsZero() {
			redirect(w, r, "/ui/users")
			return nil
		}
		// Disabling signs the person out everywhere and revokes their
		// personal credentials: the dialog asks once more, naming that,
		// before it happens (without JavaScript too).
		if p.Disabled != nil && *p.Disabled && r.PostForm.Get("confirm_disable") != "1" {
			f.Values["confirm_disable"] = "ask"
			return h.renderUsers(w, r, rq, http.StatusOK, nil, f, id, nil)
		}
		_, err := h.Accounts.UpdateUser(r.Context(), rq.by, id, p)
		if err == nil {
			h.setFlash(w, r, "success", u.Email+" is updated.")
			redirect(w, r, "/ui/users")
			return nil
		}
		if !f.take(err, map[string]field{"role": {"role", "Role"}}) {
			return err
		}
	}
	return h.renderUsers(w, r, rq, http.StatusUnprocessableEntity, nil, f, id, nil)
}

func (h *Handler) deleteUser(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := domain.UserID(r.PathValue("uid"))
	u, err := h.Accounts.GetUser(r.Context(), rq.by, id)
	if err != nil {
		return err
	}
	if err := h.Accounts.DeleteUser(r.Context(), rq.by, id); err != nil {
		var c *domain.ConflictError
		if errors.As(err, &c) {
			h.setFlash(w, r, "error", sentence(c.Reason))
			redirect(w, r, "/ui/users")
			return nil
		}
		return err
	}
	h.setFlash(w, r, "success", u.Email+" is deleted, with their sessions and personal credentials.")
	redirect(w, r, "/ui/users")
	return nil
}

func (h *Handler) revokeUserCredential(w http.ResponseWriter, r *http.Request, rq *request) error {
	u, err := h.Accounts.GetUser(r.Context(), rq.by, domain.UserID(r.PathValue("uid")))
	if err != nil {
		return err
	}
	if err := h.Credentials.RevokePersonal(r.Context(), rq.by, u.ID); err != nil {
		return err
	}
	h.setFlash(w, r, "success", "The personal credentials of "+u.Email+" are revoked.")
	redirect(w, r, "/ui/users")
	return nil
}

type policyData struct {
	Form     *form
	Roles    []option
	Editable bool
	MaxDays  int
	SSO      ssoData
}

// ssoData is the Policy page's single sign-on card (docs/oidc.md).
type ssoData struct {
	Providers   []domain.IdentityProvider
	SuperAdmins []option // who may be a break-glass user
	LoginURL    string   // the organisation's sign-in page, with its buttons
	RedirectURI string   // to register at each provider
	// Add is the form that adds a provider; Editable says the viewer may.
	Add      *form
	Editable bool
	Roles    []option
	// RemoveOpen names the provider whose Remove dialog opens (?remove-idp=,
	// the link that works without JavaScript).
	RemoveOpen string
}

func (h *Handler) ssoData(r *http.Request, rq *request) (ssoData, error) {
	var d ssoData
	if h.Federation == nil {
		return d, nil
	}
	d.LoginURL, d.RedirectURI = h.Federation.LoginURL(string(rq.by.OrgID)), h.Federation.RedirectURI()
	d.RemoveOpen = r.URL.Query().Get("remove-idp")
	d.Editable, d.Roles = authz.Allowed(rq.by.Role, authz.WriteIdentityProviders), roleOptions()
	if authz.Allowed(rq.by.Role, authz.ReadUsers) {
		var err error
		if d.Providers, err = h.Federation.Providers(r.Context(), rq.by); err != nil {
			return d, err
		}
		users, err := h.Accounts.ListUsers(r.Context(), rq.by)
		if err != nil {
			return d, err
		}
		for _, u := range users {
			if u.Role == domain.RoleSuperAdmin && u.DisabledAt == nil {
				d.SuperAdmins = append(d.SuperAdmins, option{string(u.ID), u.Email})
			}
		}
	}
	return d, nil
}

func (h *Handler) policy(w http.ResponseWriter, r *http.Request, rq *request) error {
	return h.renderPolicy(w, r, rq, http.StatusOK, nil)
}

func (h *Handler) renderPolicy(w http.ResponseWriter, r *http.Request, rq *request, status int, f *form) error {
	return h.renderPolicyWith(w, r, rq, status, f, nil)
}

// renderPolicyWith is renderPolicy with the add-a-provider form as sent.
func (h *Handler) renderPolicyWith(w http.ResponseWriter, r *http.Request, rq *request, status int, f, add *form) error {
	p, err := h.Accounts.Policy(r.Context(), rq.by)
	if err != nil {
		return err
	}
	if f == nil {
		f = newForm()
		for _, role := range domain.Roles {
			f.Values["days_"+string(role)] = strconv.Itoa(p.MaxSecretLifetimeDays[role])
		}
		f.Values["ttl"] = strconv.Itoa(p.AccessTokenTTLSeconds)
		f.Values["personal"] = p.PersonalCredentials
		for k, on := range map[string]bool{"never": p.AllowNeverExpire, "refuse_mfa": p.RefuseCredentialsWithMFA, "require_mfa": p.RequireMFA} {
			if on {
				f.Values[k] = "1"
			}
		}
		userRulesForm(f, p)
		for k, on := range map[string]bool{"local_off": p.LocalLoginDisabled, "federated_credentials": p.AllowFederatedPersonalCredentials} {
			if on {
				f.Values[k] = "1"
			}
		}
		for _, id := range p.BreakGlassUsers {
			f.Values["break_glass_"+string(id)] = "1"
		}
	}
	sso, err := h.ssoData(r, rq)
	if err != nil {
		return err
	}
	if sso.Add = add; add == nil {
		sso.Add = newForm()
		sso.Add.Values["scopes"], sso.Add.Values["email_claim"] = "email", "email"
	}
	d := policyData{Form: f, Roles: roleOptions(), Editable: authz.Allowed(rq.by.Role, authz.WritePolicy), MaxDays: domain.MaxLifetimeDaysLimit, SSO: sso}
	h.render(w, r, rq, status, "policy", &page{Title: "Policy", Nav: "policy", Canonical: "/ui/policy", Data: d})
	return nil
}

func (h *Handler) updatePolicy(w http.ResponseWriter, r *http.Request, rq *request) error {
	f := newForm()
	// The form holds every field: the patch sets them all.
	p := account.PolicyPatch{MaxSecretLifetimeDays: map[domain.Role]int{}}
	for _, role := range domain.Roles {
		k := "days_" + string(role)
		f.Values[k] = strings.TrimSpace(r.PostForm.Get(k))
		n, err := strconv.Atoi(f.Values[k])
		if err != nil {
			f.fieldErr(k, RoleName(role)+" maximum", "Enter a whole number of days.")
			continue
		}
		p.MaxSecretLifetimeDays[role] = n
	}
	f.Values["ttl"] = strings.TrimSpace(r.PostForm.Get("ttl"))
	if n, err := strconv.Atoi(f.Values["ttl"]); err != nil {
		f.fieldErr("ttl", "Access-token lifetime", "Enter a whole number of seconds.")
	} else {
		p.AccessTokenTTLSeconds = &n
	}
	personal := r.PostForm.Get("personal")
	f.Values["personal"], p.PersonalCredentials = personal, &personal
	var never, refuse, require bool
	for k, dst := range map[string]*bool{"never": &never, "refuse_mfa": &refuse, "require_mfa": &require} {
		*dst = r.PostForm.Get(k) == "1"
		if *dst {
			f.Values[k] = "1"
		}
	}
	p.AllowNeverExpire, p.RefuseCredentialsWithMFA, p.RequireMFA = &never, &refuse, &require
	cur, err := h.Accounts.Policy(r.Context(), rq.by)
	if err != nil {
		return err
	}
	readUserRules(r, f, &p, cur)
	var localOff, federated bool
	for k, dst := range map[string]*bool{"local_off": &localOff, "federated_credentials": &federated} {
		*dst = r.PostForm.Get(k) == "1"
		if *dst {
			f.Values[k] = "1"
		}
	}
	p.LocalLoginDisabled, p.AllowFederatedPersonalCredentials = &localOff, &federated
	breakGlass := []domain.UserID{}
	for _, id := range r.PostForm["break_glass"] {
		breakGlass = append(breakGlass, domain.UserID(id))
		f.Values["break_glass_"+id] = "1"
	}
	p.BreakGlassUsers = &breakGlass
	if !f.Failed() {
		_, changed, err := h.Accounts.UpdatePolicy(r.Context(), rq.by, p)
		if err == nil {
			if !changed {
				h.setFlash(w, r, "info", "Nothing changed.")
			} else {
				h.setFlash(w, r, "success", "Policy saved. It applies to every new secret and credential from now on.")
			}
			redirect(w, r, "/ui/policy")
			return nil
		}
		fields := map[string]field{"access_token_ttl_seconds": {"ttl", "Access-token lifetime"}, "personal_credentials": {"personal", "Personal credentials"},
			"break_glass_users": {"break_glass", "Break-glass super admins"}}
		maps.Copy(fields, userRulesFields)
		for _, role := range domain.Roles {
			fields["max_secret_lifetime_days."+string(role)] = field{"days_" + string(role), RoleName(role) + " maximum"}
		}
		if !f.take(err, fields) {
			return err
		}
	}
	return h.renderPolicy(w, r, rq, http.StatusUnprocessableEntity, f)
}

// The policy form's fields of the seeds' user rules (domain/userrules.go).
var userRulesFields = map[string]field{
	"personal_revocation":            {"revocation", "Who may revoke personal credentials"},
	"legacy_password_created_before": {"legacy_before", "Users created before"},
	"legacy_password_until":          {"legacy_until", "Legacy login ends on"},
	"personal_credential_rotate_by":  {"rotate_by", "Rotate existing credentials by"},
}

// userRulesForm fills the form's user-rule fields from p.
func userRulesForm(f *form, p domain.Policy) {
	f.Values["revocation"] = p.EffectivePersonalRevocation()
	for k, t := range map[string]*time.Time{"legacy_before": p.LegacyPasswordCreatedBefore, "legacy_until": p.LegacyPasswordUntil,
		"rotate_by": p.PersonalCredentialRotateBy} {
		if t != nil {
			f.Values[k] = dmy(*t)
		}
	}
	for k, on := range map[string]bool{"legacy": p.LegacyPasswordLogin, "require_credential": p.RequirePersonalCredential,
		"credential_events": p.CredentialRequiredEvents} {
		if on {
			f.Values[k] = "1"
		}
	}
}

// readUserRules reads the form's user-rule fields into p: a date left
// empty clears it, one shown as it is (cur) stays as stored (the form has
// days, the policy times: saving the form must not move them).
func readUserRules(r *http.Request, f *form, p *account.PolicyPatch, cur domain.Policy) {
	rev := r.PostForm.Get("revocation")
	f.Values["revocation"], p.PersonalRevocation = rev, &rev
	for _, d := range []struct {
		key, label string
		dst        *account.OptionalTime
		cur        *time.Time
	}{
		{"legacy_before", "Users created before", &p.LegacyPasswordCreatedBefore, cur.LegacyPasswordCreatedBefore},
		{"legacy_until", "Legacy login ends on", &p.LegacyPasswordUntil, cur.LegacyPasswordUntil},
		{"rotate_by", "Rotate existing credentials by", &p.PersonalCredentialRotateBy, cur.PersonalCredentialRotateBy},
	} {
		v := strings.TrimSpace(r.PostForm.Get(d.key))
		f.Values[d.key] = v
		switch {
		case d.cur != nil && v == dmy(*d.cur):
			continue
		case v == "":
			*d.dst = account.OptionalTime{Set: true}
			continue
		}
		t, err := parseDMY(v)
		if err != nil {
			f.fieldErr(d.key, d.label, sentence(err.Error()))
			continue
		}
		*d.dst = account.OptionalTime{Set: true, Value: &t}
	}
	var legacy, require, events bool
	for k, dst := range map[string]*bool{"legacy": &legacy, "require_credential": &require, "credential_events": &events} {
		*dst = r.PostForm.Get(k) == "1"
		if *dst {
			f.Values[k] = "1"
		}
	}
	p.LegacyPasswordLogin, p.RequirePersonalCredential, p.CredentialRequiredEvents = &legacy, &require, &events
}
