package api

import (
	"net/http"
	"strconv"

	"keywarden/internal/credential"
	"keywarden/internal/domain"
	"keywarden/pkg/apiv1"
)

func (h *Handler) createClient(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	var req apiv1.CreateClient
	if err := decode(w, r, &req, false); err != nil {
		return err
	}
	c, err := h.Credentials.CreateClient(r.Context(), by, credential.ClientInput{
		Name: req.Name, Description: req.Description, Scopes: req.Scopes, TokenTTL: req.TokenTTLSeconds, WebhookURL: req.WebhookURL,
		WebhookEvents: req.WebhookEvents,
	})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/clients/"+string(c.ID))
	return writeJSON(w, http.StatusCreated, clientJSON(c))
}

// pageFrom reads ?limit and ?cursor.
func pageFrom(r *http.Request) (domain.Page, error) {
	p := domain.Page{}
	q, err := queryOf(r)
	if err != nil {
		return p, err
	}
	p.After = q["cursor"]
	if s := q["limit"]; s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > domain.MaxLimit {
			return p, domain.Invalid("limit", "must be an integer from 1 to "+strconv.Itoa(domain.MaxLimit))
		}
		p.Limit = n
	}
	return p, nil
}

func (h *Handler) listClients(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	page, err := pageFrom(r)
	if err != nil {
		return err
	}
	clients, next, err := h.Credentials.ListClients(r.Context(), by, page)
	if err != nil {
		return err
	}
	out := apiv1.ClientList{Items: make([]apiv1.Client, 0, len(clients)), NextCursor: next}
	for _, c := range clients {
		out.Items = append(out.Items, clientJSON(c))
	}
	return writeJSON(w, http.StatusOK, out)
}

func (h *Handler) getClient(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	c, err := h.Credentials.GetClient(r.Context(), by, domain.ClientID(r.PathValue("client_id")))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, clientJSON(c))
}

func (h *Handler) updateClient(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	id := domain.ClientID(r.PathValue("client_id"))
	var req apiv1.UpdateClient
	if err := h.decodeFor(w, r, &req, false, func() error { _, err := h.Credentials.GetClient(r.Context(), by, id); return err }); err != nil {
		return err
	}
	c, err := h.Credentials.UpdateClient(r.Context(), by, id, credential.ClientPatch{
		Name: req.Name, Description: req.Description, Scopes: req.Scopes, TokenTTL: req.TokenTTLSeconds,
		WebhookURL: req.WebhookURL, Disabled: req.Disabled, WebhookEvents: req.WebhookEvents,
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, clientJSON(c))
}

func (h *Handler) deleteClient(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	if err := h.Credentials.DeleteClient(r.Context(), by, domain.ClientID(r.PathValue("client_id"))); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) revokeAll(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	id := domain.ClientID(r.PathValue("client_id"))
	var req struct{}
	if err := decode(w, r, &req, true); err != nil {
		return err
	}
	n, err := h.Credentials.RevokeAll(r.Context(), by, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, apiv1.RevokeAll{ClientID: string(id), Revoked: n})
}
