package api

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"time"

	"keywarden/internal/domain"
	"keywarden/internal/webhook"
	"keywarden/pkg/apiv1"
)

func webhookEndpointJSON(v webhook.EndpointView) apiv1.WebhookEndpoint {
	return apiv1.WebhookEndpoint{
		ClientID: string(v.Client.ID), URL: v.Client.WebhookURL, Events: nonNil(v.Client.WebhookEvents), Status: v.Status,
		FailingSince: v.Health.FailingSince, RetriesExhaustedAt: v.Health.ExhaustedAt, DisabledAt: v.Health.DisabledAt, DisabledReason: v.Health.DisabledReason,
		Replayable: v.Replayable, ReplaySince: v.ReplaySince, Replayed: v.Replayed,
	}
}

func webhookDeliveryJSON(m domain.WebhookMessage) apiv1.WebhookDelivery {
	return apiv1.WebhookDelivery{
		ID: m.ID, ClientID: string(m.ClientID), EventType: m.EventType, Status: string(m.Status), CreatedAt: m.CreatedAt, Attempts: m.Attempts,
		NextAttemptAt: m.NextAttemptAt, LastAttemptAt: m.LastAttemptAt, LastStatusCode: m.LastStatusCode, LastError: m.LastError,
		DeliveredAt: m.DeliveredAt, PayloadDeletedAt: m.PayloadDeletedAt,
	}
}

func webhookDetailJSON(d webhook.Delivery) apiv1.WebhookDeliveryDetail {
	out := apiv1.WebhookDeliveryDetail{WebhookDelivery: webhookDeliveryJSON(d.Message), Payload: d.Message.Payload,
		AttemptLog: make([]apiv1.WebhookAttempt, 0, len(d.Attempts))}
	if d.Message.PayloadDeletedAt != nil {
		out.Payload = json.RawMessage("null")
	}
	for _, a := range d.Attempts {
		out.AttemptLog = append(out.AttemptLog, apiv1.WebhookAttempt{ID: a.ID, At: a.At, URL: a.URL, StatusCode: a.StatusCode,
			LatencyMS: a.Latency.Milliseconds(), Error: a.Error, ResponseExcerpt: a.ResponseExcerpt})
	}
	return out
}

func (h *Handler) getWebhook(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	v, err := h.Webhooks.Endpoint(r.Context(), by, domain.ClientID(r.PathValue("client_id")))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, webhookEndpointJSON(v))
}

func (h *Handler) enableWebhook(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	id := domain.ClientID(r.PathValue("client_id"))
	var req apiv1.EnableWebhook
	if err := h.decodeFor(w, r, &req, true, func() error { _, err := h.Webhooks.Endpoint(r.Context(), by, id); return err }); err != nil {
		return err
	}
	v, err := h.Webhooks.EnableEndpoint(r.Context(), by, id, req.Replay)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, webhookEndpointJSON(v))
}

func (h *Handler) replayWebhook(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	id := domain.ClientID(r.PathValue("client_id"))
	return h.replay(w, r, func() error { _, err := h.Webhooks.Endpoint(r.Context(), by, id); return err },
		func(since time.Time, all bool) (int, bool, error) {
			return h.Webhooks.Replay(r.Context(), by, id, since, all)
		})
}

// replay decodes a replay request for the endpoint that find looks up (a
// missing one is 404 before any complaint about the body) and runs it.
func (h *Handler) replay(w http.ResponseWriter, r *http.Request, find func() error, replay func(since time.Time, all bool) (int, bool, error)) error {
	var req apiv1.ReplayWebhook
	if err := h.decodeFor(w, r, &req, false, find); err != nil {
		return err
	}
	if req.Which != "" && req.Which != "failed" && req.Which != "all" {
		if err := find(); err != nil {
			return err
		}
		return domain.Invalid("which", "must be failed or all")
	}
	n, more, err := replay(req.Since, req.Which == "all")
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusAccepted, apiv1.WebhookReplay{Replayed: n, More: more})
}

func (h *Handler) listWebhookDeliveries(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	return listDeliveries(w, r, func(f domain.WebhookFilter) ([]domain.WebhookMessage, string, error) {
		return h.Webhooks.ListDeliveries(r.Context(), by, domain.ClientID(r.PathValue("client_id")), f)
	}, webhookDeliveryJSON)
}

// listDeliveries renders the page of deliveries list returns for the
// request's filter (?status=, cursor, limit).
func listDeliveries(w http.ResponseWriter, r *http.Request, list func(domain.WebhookFilter) ([]domain.WebhookMessage, string, error), render func(domain.WebhookMessage) apiv1.WebhookDelivery) error {
	page, err := pageFrom(r)
	if err != nil {
		return err
	}
	q, err := queryOf(r)
	if err != nil {
		return err
	}
	items, next, err := list(domain.WebhookFilter{Status: domain.WebhookStatus(q["status"]), Page: page})
	if err != nil {
		return err
	}
	out := apiv1.WebhookDeliveryList{Items: make([]apiv1.WebhookDelivery, 0, len(items)), NextCursor: next}
	for _, m := range items {
		out.Items = append(out.Items, render(m))
	}
	return writeJSON(w, http.StatusOK, out)
}

func (h *Handler) getWebhookDelivery(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	d, err := h.Webhooks.GetDelivery(r.Context(), by, domain.ClientID(r.PathValue("client_id")), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, webhookDetailJSON(d))
}

func (h *Handler) deleteWebhookPayload(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	d, err := h.Webhooks.DeletePayload(r.Context(), by, domain.ClientID(r.PathValue("client_id")), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, webhookDetailJSON(d))
}

func (h *Handler) redeliverWebhook(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	clientID, id := domain.ClientID(r.PathValue("client_id")), r.PathValue("id")
	var req struct{}
	if err := h.decodeFor(w, r, &req, true, func() error { _, err := h.Webhooks.GetDelivery(r.Context(), by, clientID, id); return err }); err != nil {
		return err
	}
	m, err := h.Webhooks.Redeliver(r.Context(), by, clientID, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusAccepted, webhookDeliveryJSON(m))
}

// sendTestWebhook queues a webhook.test event for the client's endpoint.
func (h *Handler) sendTestWebhook(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	clientID := domain.ClientID(r.PathValue("client_id"))
	var req struct{}
	if err := h.decodeFor(w, r, &req, true, func() error { _, err := h.Credentials.GetClient(r.Context(), by, clientID); return err }); err != nil {
		return err
	}
	m, err := h.Webhooks.SendTest(r.Context(), by, clientID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusAccepted, webhookDeliveryJSON(m))
}

func webhookSigningKeyJSON(k domain.WebhookSigningKey) apiv1.WebhookSigningKey {
	return apiv1.WebhookSigningKey{ID: k.ID, ClientID: string(k.ClientID), PublicKey: webhook.PublicKeyText(k),
		CreatedAt: k.CreatedAt, RetiredAt: k.RetiredAt}
}

func (h *Handler) listWebhookSigningKeys(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	keys, err := h.Webhooks.SigningKeys(r.Context(), by, domain.ClientID(r.PathValue("client_id")))
	if err != nil {
		return err
	}
	out := apiv1.WebhookSigningKeyList{Items: make([]apiv1.WebhookSigningKey, 0, len(keys))}
	for _, k := range keys {
		out.Items = append(out.Items, webhookSigningKeyJSON(k))
	}
	return writeJSON(w, http.StatusOK, out)
}

func (h *Handler) createWebhookSigningKey(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	id := domain.ClientID(r.PathValue("client_id"))
	var req struct{}
	if err := h.decodeFor(w, r, &req, true, func() error { _, err := h.Webhooks.Endpoint(r.Context(), by, id); return err }); err != nil {
		return err
	}
	k, err := h.Webhooks.CreateSigningKey(r.Context(), by, id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, webhookSigningKeyJSON(k))
}

func (h *Handler) retireWebhookSigningKey(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	k, err := h.Webhooks.RetireSigningKey(r.Context(), by, domain.ClientID(r.PathValue("client_id")), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, webhookSigningKeyJSON(k))
}

// webhookKeySet serves a client's active v1a public keys, unauthenticated,
// as a JWKS-style document receivers can fetch and cache.
func (h *Handler) webhookKeySet(w http.ResponseWriter, r *http.Request) error {
	keys, err := h.Webhooks.PublicSigningKeys(r.Context(), domain.ClientID(r.PathValue("client_id")))
	if err != nil {
		return err
	}
	out := apiv1.WebhookKeySet{Keys: make([]apiv1.WebhookJWK, 0, len(keys))}
	for _, k := range keys {
		out.Keys = append(out.Keys, apiv1.WebhookJWK{KeyType: "OKP", Curve: "Ed25519", X: base64.RawURLEncoding.EncodeToString(k.PublicKey),
			KeyID: k.ID, Use: "sig", Algorithm: "EdDSA", PublicKey: webhook.PublicKeyText(k)})
	}
	w.Header().Set("Cache-Control", "public, max-age=300")
	return writeJSON(w, http.StatusOK, out)
}
