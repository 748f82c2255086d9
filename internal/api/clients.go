package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

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

// listClients searches the organisation's clients in the store: ?q=
// (name, ID or description), status, has_active_secret, unused_days,
// expiring_before and sort (created, name or last_used; "-" first for
// descending), a page at a time.
func (h *Handler) listClients(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	page, err := pageFrom(r)
	if err != nil {
		return err
	}
	q, err := queryOf(r)
	if err != nil {
		return err
	}
	cq := domain.ClientQuery{Text: q["q"], Page: page}
	var v domain.ValidationError
	// A parameter that is present must be valid, even when empty: the
	// document gives each an enum or a format.
	cq.Disabled = choice(q, &v, "status", map[string]bool{"active": false, "disabled": true}, `must be "active" or "disabled"`)
	cq.HasActiveSecret = choice(q, &v, "has_active_secret", map[string]bool{"true": true, "false": false}, `must be "true" or "false"`)
	if s, ok := q["unused_days"]; ok {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 36500 {
			v.Add("unused_days", "must be a whole number of days from 1 to 36500")
		} else {
			cq.UnusedDays = n
		}
	}
	if s, ok := q["expiring_before"]; ok {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			v.Add("expiring_before", "must be an RFC 3339 time, e.g. 2026-12-31T00:00:00Z")
		} else {
			t = t.UTC()
			cq.ExpiringBefore = &t
		}
	}
	if sort, ok := q["sort"]; ok {
		cq.Desc = strings.HasPrefix(sort, "-")
		switch cq.Sort = domain.ClientSort(strings.TrimPrefix(sort, "-")); cq.Sort {
		case domain.SortCreated, domain.SortName, domain.SortLastUsed:
		default:
			v.Add("sort", `must be created, name or last_used, with "-" in front for descending`)
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	clients, next, err := h.Credentials.SearchClients(r.Context(), by, cq)
	if err != nil {
		return err
	}
	out := apiv1.ClientList{Items: make([]apiv1.Client, 0, len(clients)), NextCursor: next}
	for _, c := range clients {
		item := clientJSON(c.Client)
		n := c.ActiveSecrets
		item.ActiveSecrets, item.NextExpiryAt = &n, c.NextExpiry
		out.Items = append(out.Items, item)
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

// choice reads an optional enumerated parameter: nil when absent, the
// word's value when it is one of words, else a field error on v.
func choice(q query, v *domain.ValidationError, key string, words map[string]bool, msg string) *bool {
	s, ok := q[key]
	if !ok {
		return nil
	}
	b, ok := words[s]
	if !ok {
		v.Add(key, msg)
		return nil
	}
	return &b
}
