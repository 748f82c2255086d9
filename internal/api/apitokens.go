package api

import (
	"net/http"
	"time"

	"keywarden/internal/account"
	"keywarden/internal/domain"
	"keywarden/pkg/apiv1"
)

func apiTokenJSON(t domain.APIToken, current domain.APITokenID, now time.Time) apiv1.APIToken {
	return apiv1.APIToken{ID: string(t.ID), Name: t.Name, Hint: t.Hint, Status: string(t.State(now)), CreatedAt: t.CreatedAt,
		ExpiresAt: t.ExpiresAt, RevokedAt: t.RevokedAt, LastUsedAt: t.LastUsedAt, LastUsedFrom: t.LastUsedFrom,
		ReplacedBy: string(t.ReplacedBy), Bootstrap: t.Name == domain.BootstrapTokenName, Current: current != "" && t.ID == current}
}

func createdAPITokenJSON(n account.NewAPIToken, by domain.Actor, now time.Time) apiv1.CreatedAPIToken {
	return apiv1.CreatedAPIToken{Token: n.Value.Reveal(), APIToken: apiTokenJSON(n.Token, by.APITokenID, now)}
}

// apiTokenListJSON renders a list of tokens as the caller sees them.
func apiTokenListJSON(list []domain.APIToken, by domain.Actor) apiv1.APITokenList {
	now := time.Now()
	out := apiv1.APITokenList{Items: make([]apiv1.APIToken, 0, len(list))}
	for _, t := range list {
		out.Items = append(out.Items, apiTokenJSON(t, by.APITokenID, now))
	}
	return out
}

func (h *Handler) listAPITokens(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	list, err := h.Accounts.ListAPITokens(r.Context(), by)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, apiTokenListJSON(list, by))
}

func (h *Handler) createAPIToken(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	var req apiv1.CreateAPIToken
	if err := decode(w, r, &req, false); err != nil {
		return err
	}
	n, err := h.Accounts.CreateAPIToken(r.Context(), by, account.APITokenInput{Name: req.Name, ExpiresAt: req.ExpiresAt})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/api-tokens/"+string(n.Token.ID))
	return writeJSON(w, http.StatusCreated, createdAPITokenJSON(n, by, time.Now()))
}

func (h *Handler) getAPIToken(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	t, err := h.Accounts.GetAPIToken(r.Context(), by, domain.APITokenID(r.PathValue("id")))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, apiTokenJSON(t, by.APITokenID, time.Now()))
}

func (h *Handler) revokeAPIToken(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	if _, err := h.Accounts.RevokeAPIToken(r.Context(), by, domain.APITokenID(r.PathValue("id"))); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) rotateAPIToken(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	id := domain.APITokenID(r.PathValue("id"))
	var req apiv1.RotateAPIToken
	if err := h.decodeFor(w, r, &req, true, func() error { _, err := h.Accounts.GetAPIToken(r.Context(), by, id); return err }); err != nil {
		return err
	}
	in := account.RotateInput{ExpiresAt: req.ExpiresAt}
	if req.OverlapSeconds != nil {
		in.Overlap = time.Duration(*req.OverlapSeconds) * time.Second
		if *req.OverlapSeconds < 0 || in.Overlap > account.MaxRotationOverlap {
			in.Overlap = -1 // refused by the service, with the field's range
		}
	}
	n, err := h.Accounts.RotateAPIToken(r.Context(), by, id, in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/api-tokens/"+string(n.Token.ID))
	return writeJSON(w, http.StatusCreated, createdAPITokenJSON(n, by, time.Now()))
}

func (h *Handler) listUserAPITokens(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	list, err := h.Accounts.ListUserAPITokens(r.Context(), by, domain.UserID(r.PathValue("id")))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, apiTokenListJSON(list, by))
}

func (h *Handler) revokeUserAPIToken(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	_, err := h.Accounts.RevokeUserAPIToken(r.Context(), by, domain.UserID(r.PathValue("id")), domain.APITokenID(r.PathValue("token_id")))
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
