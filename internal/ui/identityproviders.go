package ui

import (
	"net/http"
	"strings"

	"keywarden/internal/domain"
	"keywarden/internal/federation"
)

// words splits what people type in a list field: spaces, commas or lines.
func words(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
}

// addProvider adds an identity provider from the Policy page's form.
func (h *Handler) addProvider(w http.ResponseWriter, r *http.Request, rq *request) error {
	f := newForm()
	for _, k := range []string{"name", "issuer", "client_id", "scopes", "email_claim", "allowed_domains", "default_role", "groups_claim", "group_roles"} {
		f.Values[k] = strings.TrimSpace(r.PostForm.Get(k))
	}
	in := federation.ProviderInput{Name: f.Values["name"], Issuer: f.Values["issuer"], ClientID: f.Values["client_id"],
		ClientSecret: r.PostForm.Get("client_secret"), Scopes: words(f.Values["scopes"]), EmailClaim: f.Values["email_claim"],
		AllowedDomains: words(f.Values["allowed_domains"]), DefaultRole: domain.Role(f.Values["default_role"]), GroupsClaim: f.Values["groups_claim"]}
	for _, line := range strings.Split(f.Values["group_roles"], "\n") {
		if line = strings.TrimSpace(line); line == "" {
			continue
		}
		g, role, ok := strings.Cut(line, "=")
		if !ok {
			f.fieldErr("group_roles", "Group roles", "Write one GROUP=ROLE a line, e.g. keywarden-admins=admin.")
			break
		}
		if in.GroupRoles == nil {
			in.GroupRoles = map[string]domain.Role{}
		}
		in.GroupRoles[strings.TrimSpace(g)] = domain.Role(strings.TrimSpace(role))
	}
	if !f.Failed() {
		p, err := h.Federation.CreateProvider(r.Context(), rq.by, in)
		if err == nil {
			h.setFlash(w, r, "success", p.Name+" is added: register "+h.Federation.RedirectURI()+" as its redirect URI at the provider.")
			redirect(w, r, "/ui/policy#sso")
			return nil
		}
		fields := map[string]field{"name": {"name", "Name"}, "issuer": {"issuer", "Issuer"}, "client_id": {"client_id", "Client ID"},
			"scopes": {"scopes", "Scopes"}, "email_claim": {"email_claim", "Email claim"}, "allowed_domains": {"allowed_domains", "Allowed domains"},
			"default_role": {"default_role", "Default role"}, "groups_claim": {"groups_claim", "Groups claim"}, "group_roles": {"group_roles", "Group roles"}}
		if !f.take(err, fields) {
			return err
		}
	}
	return h.renderPolicyWith(w, r, rq, http.StatusUnprocessableEntity, nil, f)
}

// setProviderStatus turns a provider off or on.
func (h *Handler) setProviderStatus(w http.ResponseWriter, r *http.Request, rq *request) error {
	off := r.PostForm.Get("disabled") == "1"
	p, _, err := h.Federation.UpdateProvider(r.Context(), rq.by, domain.IdentityProviderID(r.PathValue("pid")), federation.ProviderPatch{Disabled: &off})
	if err != nil {
		return err
	}
	msg := p.Name + " is on: its sign-in button is back."
	if off {
		msg = p.Name + " is off: nobody signs in through it until it is turned on."
	}
	h.setFlash(w, r, "success", msg)
	redirect(w, r, "/ui/policy#sso")
	return nil
}

// deleteProvider removes a provider; its users stay.
func (h *Handler) deleteProvider(w http.ResponseWriter, r *http.Request, rq *request) error {
	id := domain.IdentityProviderID(r.PathValue("pid"))
	p, err := h.Federation.Provider(r.Context(), rq.by, id)
	if err != nil {
		return err
	}
	if err := h.Federation.DeleteProvider(r.Context(), rq.by, id); err != nil {
		return err
	}
	h.setFlash(w, r, "success", p.Name+" is removed. Its users stay; they no longer sign in through it.")
	redirect(w, r, "/ui/policy#sso")
	return nil
}
