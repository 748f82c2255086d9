package api

import (
	"net/http"
	"time"

	"keywarden/internal/domain"
	"keywarden/pkg/apiv1"
)

func (h *Handler) listRotations(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	page, err := pageFrom(r)
	if err != nil {
		return err
	}
	views, next, err := h.Credentials.ListRotations(r.Context(), by, domain.ClientID(r.PathValue("client_id")), page)
	if err != nil {
		return err
	}
	out := apiv1.RotationList{Items: make([]apiv1.RotationStatus, 0, len(views)), NextCursor: next}
	for _, v := range views {
		out.Items = append(out.Items, rotationJSON(v))
	}
	return writeJSON(w, http.StatusOK, out)
}

func (h *Handler) getRotation(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	v, err := h.Credentials.GetRotation(r.Context(), by, domain.ClientID(r.PathValue("client_id")), domain.RotationID(r.PathValue("id")))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rotationJSON(v))
}

func (h *Handler) completeRotation(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	clientID, id := domain.ClientID(r.PathValue("client_id")), domain.RotationID(r.PathValue("id"))
	var req apiv1.CompleteRotation
	if err := h.decodeFor(w, r, &req, true, func() error { _, err := h.Credentials.GetRotation(r.Context(), by, clientID, id); return err }); err != nil {
		return err
	}
	v, err := h.Credentials.CompleteRotation(r.Context(), by, clientID, id, req.KeepTokens, req.Force)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rotationJSON(v))
}

func (h *Handler) createRefreshToken(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	clientID := domain.ClientID(r.PathValue("client_id"))
	var req struct{}
	if err := h.decodeFor(w, r, &req, true, func() error { _, err := h.Credentials.GetClient(r.Context(), by, clientID); return err }); err != nil {
		return err
	}
	t, err := h.Refresh.Create(r.Context(), by, clientID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, apiv1.CreatedRefreshToken{RefreshToken: refreshJSON(t.Token, time.Now()), Value: t.Value.Reveal()})
}

func (h *Handler) listRefreshTokens(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	page, err := pageFrom(r)
	if err != nil {
		return err
	}
	list, next, err := h.Refresh.List(r.Context(), by, domain.ClientID(r.PathValue("client_id")), page)
	if err != nil {
		return err
	}
	now := time.Now()
	out := apiv1.RefreshTokenList{Items: make([]apiv1.RefreshToken, 0, len(list)), NextCursor: next}
	for _, t := range list {
		out.Items = append(out.Items, refreshJSON(t, now))
	}
	return writeJSON(w, http.StatusOK, out)
}

func (h *Handler) listKeys(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	now := time.Now()
	cur, _ := h.Keys.Current(now)
	out := apiv1.SigningKeyList{Items: []apiv1.SigningKey{}}
	for _, k := range h.Keys.List() {
		out.Items = append(out.Items, apiv1.SigningKey{ID: k.ID, Algorithm: k.Algorithm, CreatedAt: k.CreatedAt, ActiveFrom: k.ActiveFrom, Signing: k.ID == cur.ID})
	}
	return writeJSON(w, http.StatusOK, out)
}

func (h *Handler) rotateKeys(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	var req apiv1.RotateKeys
	if err := decode(w, r, &req, true); err != nil {
		return err
	}
	delay := time.Duration(-1)
	if req.DelaySeconds != nil {
		if *req.DelaySeconds < 0 || *req.DelaySeconds > 7*24*3600 {
			return domain.Invalid("delay_seconds", "must be between 0 and 604800 (7 days)")
		}
		delay = time.Duration(*req.DelaySeconds) * time.Second
	}
	k, err := h.Keys.Rotate(r.Context(), by, delay)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, apiv1.SigningKey{ID: k.ID, Algorithm: k.Algorithm, CreatedAt: k.CreatedAt, ActiveFrom: k.ActiveFrom, Signing: !k.ActiveFrom.After(time.Now())})
}
