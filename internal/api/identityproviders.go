package api

import (
	"errors"
	"net/http"

	"keywarden/internal/domain"
	"keywarden/internal/federation"
	"keywarden/internal/httpx"
	"keywarden/internal/problem"
	"keywarden/pkg/apiv1"
)

// identityProviderJSON renders a provider; never its client secret.
func (h *Handler) identityProviderJSON(p domain.IdentityProvider) apiv1.IdentityProvider {
	groups := map[string]string{}
	for g, r := range p.GroupRoles {
		groups[g] = string(r)
	}
	return apiv1.IdentityProvider{ID: string(p.ID), Name: p.Name, Issuer: p.Issuer, ClientID: p.ClientID,
		HasClientSecret: p.ClientSecretSealed != nil, Scopes: nonNil(p.Scopes), EmailClaim: p.EmailClaim,
		AllowedDomains: nonNil(p.AllowedDomains), DefaultRole: string(p.DefaultRole), GroupsClaim: p.GroupsClaim,
		GroupRoles: groups, Disabled: p.Disabled, RedirectURI: h.Federation.RedirectURI(), CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
}

func roles(m map[string]string) map[string]domain.Role {
	if m == nil {
		return nil
	}
	out := make(map[string]domain.Role, len(m))
	for g, r := range m {
		out[g] = domain.Role(r)
	}
	return out
}

func (h *Handler) listIdentityProviders(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	list, err := h.Federation.Providers(r.Context(), by)
	if err != nil {
		return err
	}
	out := apiv1.IdentityProviderList{Items: make([]apiv1.IdentityProvider, 0, len(list))}
	for _, p := range list {
		out.Items = append(out.Items, h.identityProviderJSON(p))
	}
	return writeJSON(w, http.StatusOK, out)
}

func (h *Handler) createIdentityProvider(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	var req apiv1.CreateIdentityProvider
	if err := decode(w, r, &req, false); err != nil {
		return err
	}
	p, err := h.Federation.CreateProvider(r.Context(), by, federation.ProviderInput{Name: req.Name, Issuer: req.Issuer,
		ClientID: req.ClientID, ClientSecret: req.ClientSecret, Scopes: req.Scopes, EmailClaim: req.EmailClaim,
		AllowedDomains: req.AllowedDomains, DefaultRole: domain.Role(req.DefaultRole), GroupsClaim: req.GroupsClaim,
		GroupRoles: roles(req.GroupRoles), Disabled: req.Disabled})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/identity-providers/"+string(p.ID))
	return writeJSON(w, http.StatusCreated, h.identityProviderJSON(p))
}

func (h *Handler) getIdentityProvider(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	p, err := h.Federation.Provider(r.Context(), by, domain.IdentityProviderID(r.PathValue("id")))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, h.identityProviderJSON(p))
}

func (h *Handler) updateIdentityProvider(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	var req apiv1.UpdateIdentityProvider
	if err := decode(w, r, &req, false); err != nil {
		return err
	}
	patch := federation.ProviderPatch{Name: req.Name, Issuer: req.Issuer, ClientID: req.ClientID, ClientSecret: req.ClientSecret,
		Scopes: req.Scopes, EmailClaim: req.EmailClaim, AllowedDomains: req.AllowedDomains, GroupsClaim: req.GroupsClaim, Disabled: req.Disabled}
	if req.DefaultRole != nil {
		role := domain.Role(*req.DefaultRole)
		patch.DefaultRole = &role
	}
	if req.GroupRoles != nil {
		m := roles(*req.GroupRoles)
		patch.GroupRoles = &m
	}
	p, _, err := h.Federation.UpdateProvider(r.Context(), by, domain.IdentityProviderID(r.PathValue("id")), patch)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, h.identityProviderJSON(p))
}

func (h *Handler) deleteIdentityProvider(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	if err := h.Federation.DeleteProvider(r.Context(), by, domain.IdentityProviderID(r.PathValue("id"))); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// exchangeOIDCCode gives the CLI the session of its federated sign-in.
func (h *Handler) exchangeOIDCCode(w http.ResponseWriter, r *http.Request) error {
	var req apiv1.ExchangeOIDCCode
	if err := decode(w, r, &req, false); err != nil {
		return err
	}
	var v domain.ValidationError
	if req.Code == "" || len(req.Code) > 4096 {
		v.Add("code", "is required: the code the CLI's listener received")
	}
	if n := len(req.CodeVerifier); n < 43 || n > 128 {
		v.Add("code_verifier", "is required: 43 to 128 characters (RFC 7636)")
	}
	if err := v.Err(); err != nil {
		return err
	}
	n, err := h.Federation.ExchangeCLI(r.Context(), req.Code, req.CodeVerifier, httpx.ClientIP(r))
	if errors.Is(err, federation.ErrBadHandoff) {
		return &problem.Error{Status: http.StatusUnauthorized, Detail: err.Error(),
			Header: map[string]string{"WWW-Authenticate": `Bearer realm="keywarden"`}}
	}
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, apiv1.NewSession{Token: n.Token.Reveal(), Session: sessionJSON(n.Session, n.Session.ID), User: userJSON(n.User)})
}
