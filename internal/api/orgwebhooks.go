package api

import (
	"net/http"
	"time"

	"keywarden/internal/domain"
	"keywarden/internal/webhook"
	"keywarden/pkg/apiv1"
)

// The organisation's own webhook endpoints (/v1/webhook-endpoints).

func orgEndpointJSON(v webhook.OrgEndpointView) apiv1.OrgWebhookEndpoint {
	ep := v.Endpoint
	out := apiv1.OrgWebhookEndpoint{
		ID: ep.ID, URL: ep.URL, Description: ep.Description, Events: nonNil(ep.Events), Status: v.Status,
		SecretCreatedAt: ep.SecretCreatedAt, FailingSince: ep.FailingSince, RetriesExhaustedAt: ep.ExhaustedAt,
		DisabledAt: ep.DisabledAt, DisabledReason: ep.DisabledReason, Replayable: v.Replayable, ReplaySince: v.ReplaySince,
		Replayed: v.Replayed, CreatedAt: ep.CreatedAt, UpdatedAt: ep.UpdatedAt,
	}
	if ep.PreviousSealed != nil && ep.PreviousUntil != nil {
		out.PreviousSecretUntil = ep.PreviousUntil
	}
	return out
}

func orgDeliveryJSON(m domain.WebhookMessage) apiv1.WebhookDelivery {
	out := webhookDeliveryJSON(m)
	out.EndpointID = m.EndpointID
	return out
}

func orgDetailJSON(d webhook.Delivery) apiv1.WebhookDeliveryDetail {
	out := webhookDetailJSON(d)
	out.EndpointID = d.Message.EndpointID
	return out
}

func (h *Handler) listOrgWebhooks(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	list, err := h.Webhooks.OrgEndpoints(r.Context(), by)
	if err != nil {
		return err
	}
	out := apiv1.OrgWebhookEndpointList{Items: make([]apiv1.OrgWebhookEndpoint, 0, len(list))}
	for _, v := range list {
		out.Items = append(out.Items, orgEndpointJSON(v))
	}
	return writeJSON(w, http.StatusOK, out)
}

func (h *Handler) createOrgWebhook(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	var req apiv1.CreateOrgWebhookEndpoint
	if err := decode(w, r, &req, false); err != nil {
		return err
	}
	v, secret, err := h.Webhooks.CreateOrgEndpoint(r.Context(), by, webhook.OrgEndpointInput{URL: req.URL, Description: req.Description, Events: req.Events})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/webhook-endpoints/"+v.Endpoint.ID)
	return writeJSON(w, http.StatusCreated, apiv1.CreatedOrgWebhookEndpoint{OrgWebhookEndpoint: orgEndpointJSON(v), Secret: secret})
}

func (h *Handler) getOrgWebhook(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	v, err := h.Webhooks.OrgEndpoint(r.Context(), by, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, orgEndpointJSON(v))
}

func (h *Handler) updateOrgWebhook(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	id := r.PathValue("id")
	var req apiv1.UpdateOrgWebhookEndpoint
	if err := h.decodeFor(w, r, &req, false, func() error { _, err := h.Webhooks.OrgEndpoint(r.Context(), by, id); return err }); err != nil {
		return err
	}
	v, err := h.Webhooks.UpdateOrgEndpoint(r.Context(), by, id, webhook.OrgEndpointPatch{URL: req.URL, Description: req.Description,
		Events: req.Events, Disabled: req.Disabled, Replay: req.Replay})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, orgEndpointJSON(v))
}

func (h *Handler) deleteOrgWebhook(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	if err := h.Webhooks.DeleteOrgEndpoint(r.Context(), by, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) rotateOrgWebhook(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	id := r.PathValue("id")
	var req apiv1.RotateOrgWebhookSecret
	if err := h.decodeFor(w, r, &req, true, func() error { _, err := h.Webhooks.OrgEndpoint(r.Context(), by, id); return err }); err != nil {
		return err
	}
	overlap := time.Duration(0) // the default
	if req.OverlapSeconds != nil {
		switch n := *req.OverlapSeconds; {
		case n < 0:
			if _, err := h.Webhooks.OrgEndpoint(r.Context(), by, id); err != nil {
				return err
			}
			return domain.Invalid("overlap_seconds", "must be between 0 and 604800 (7 days)")
		case n == 0:
			overlap = -1 // none: the old secret stops at once
		default:
			overlap = time.Duration(n) * time.Second
		}
	}
	v, secret, err := h.Webhooks.RotateOrgEndpointSecret(r.Context(), by, id, overlap)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, apiv1.CreatedOrgWebhookEndpoint{OrgWebhookEndpoint: orgEndpointJSON(v), Secret: secret})
}

func (h *Handler) replayOrgWebhook(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	id := r.PathValue("id")
	return h.replay(w, r, func() error { _, err := h.Webhooks.OrgEndpoint(r.Context(), by, id); return err },
		func(since time.Time, all bool) (int, bool, error) {
			return h.Webhooks.ReplayOrgEndpoint(r.Context(), by, id, since, all)
		})
}

func (h *Handler) listOrgWebhookDeliveries(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	return listDeliveries(w, r, func(f domain.WebhookFilter) ([]domain.WebhookMessage, string, error) {
		return h.Webhooks.OrgEndpointDeliveries(r.Context(), by, r.PathValue("id"), f)
	}, orgDeliveryJSON)
}

func (h *Handler) getOrgWebhookDelivery(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	d, err := h.Webhooks.OrgEndpointDelivery(r.Context(), by, r.PathValue("id"), r.PathValue("delivery_id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, orgDetailJSON(d))
}

func (h *Handler) redeliverOrgWebhook(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	id, mid := r.PathValue("id"), r.PathValue("delivery_id")
	var req struct{}
	if err := h.decodeFor(w, r, &req, true, func() error { _, err := h.Webhooks.OrgEndpointDelivery(r.Context(), by, id, mid); return err }); err != nil {
		return err
	}
	m, err := h.Webhooks.RedeliverOrgEndpoint(r.Context(), by, id, mid)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusAccepted, orgDeliveryJSON(m))
}

func (h *Handler) deleteOrgWebhookPayload(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	d, err := h.Webhooks.DeleteOrgEndpointPayload(r.Context(), by, r.PathValue("id"), r.PathValue("delivery_id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, orgDetailJSON(d))
}
