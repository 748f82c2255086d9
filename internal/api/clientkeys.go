package api

import (
	"encoding/json"
	"net/http"
	"time"

	"keywarden/internal/credential"
	"keywarden/internal/domain"
	"keywarden/pkg/apiv1"
)

// Client keys (private_key_jwt): registered, listed, edited and revoked
// like secrets, with the secrets' permissions.

func clientKeyJSON(k domain.ClientKey, now time.Time) apiv1.ClientKey {
	var jwk json.RawMessage
	if k.PublicJWK != "" {
		jwk = json.RawMessage(k.PublicJWK)
	}
	return apiv1.ClientKey{ID: string(k.ID), ClientID: string(k.ClientID), KID: k.KID, Alg: k.Algorithm, Thumbprint: k.Thumbprint,
		JWK: jwk, JWKSURI: k.JWKSURI, Description: k.Description, Status: string(k.State(now)),
		CreatedAt: k.CreatedAt, CreatedBy: k.CreatedBy, ExpiresAt: k.ExpiresAt, RevokedAt: k.RevokedAt,
		LastUsedAt: k.LastUsedAt, LastUsedFrom: k.LastUsedFrom}
}

func (h *Handler) createClientKey(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	clientID := domain.ClientID(r.PathValue("client_id"))
	var req apiv1.CreateClientKey
	if err := h.decodeFor(w, r, &req, false, func() error { _, err := h.Credentials.GetClient(r.Context(), by, clientID); return err }); err != nil {
		return err
	}
	v, err := h.Credentials.CreateKey(r.Context(), by, clientID, credential.KeyInput{
		JWK: string(req.JWK), JWKSURI: req.JWKSURI, Description: req.Description, ExpiresAt: req.ExpiresAt, NeverExpires: req.NeverExpires,
	})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/clients/"+string(clientID)+"/keys/"+string(v.Key.ID))
	return writeJSON(w, http.StatusCreated, clientKeyJSON(v.Key, v.Now))
}

func (h *Handler) listClientKeys(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	list, err := h.Credentials.ListKeys(r.Context(), by, domain.ClientID(r.PathValue("client_id")))
	if err != nil {
		return err
	}
	out := apiv1.ClientKeyList{Items: make([]apiv1.ClientKey, 0, len(list.Keys))}
	for _, k := range list.Keys {
		out.Items = append(out.Items, clientKeyJSON(k, list.Now))
	}
	return writeJSON(w, http.StatusOK, out)
}

func (h *Handler) getClientKey(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	v, err := h.Credentials.GetKey(r.Context(), by, domain.ClientID(r.PathValue("client_id")), domain.ClientKeyID(r.PathValue("id")))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, clientKeyJSON(v.Key, v.Now))
}

func (h *Handler) updateClientKey(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	clientID, id := domain.ClientID(r.PathValue("client_id")), domain.ClientKeyID(r.PathValue("id"))
	var req apiv1.UpdateClientKey
	if err := h.decodeFor(w, r, &req, false, func() error { _, err := h.Credentials.GetKey(r.Context(), by, clientID, id); return err }); err != nil {
		return err
	}
	v, err := h.Credentials.UpdateKey(r.Context(), by, clientID, id, credential.KeyPatch{
		Description: req.Description, ExpiresAt: req.ExpiresAt, NeverExpires: req.NeverExpires,
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, clientKeyJSON(v.Key, v.Now))
}

// revokeClientKey revokes a key; the access tokens it authenticated for
// stop working now (a key has no graceful revocation).
func (h *Handler) revokeClientKey(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	v, err := h.Credentials.RevokeKey(r.Context(), by, domain.ClientID(r.PathValue("client_id")), domain.ClientKeyID(r.PathValue("id")))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, clientKeyJSON(v.Key, v.Now))
}
