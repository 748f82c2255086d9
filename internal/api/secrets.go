package api

import (
	"net/http"

	"keywarden/internal/credential"
	"keywarden/internal/domain"
	"keywarden/pkg/apiv1"
)

func (h *Handler) createSecret(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	clientID := domain.ClientID(r.PathValue("client_id"))
	var req apiv1.CreateSecret
	if err := h.decodeFor(w, r, &req, false, func() error { _, err := h.Credentials.GetClient(r.Context(), by, clientID); return err }); err != nil {
		return err
	}
	n, err := h.Credentials.CreateSecret(r.Context(), by, clientID, credential.SecretInput{
		Description: req.Description, ExpiresAt: req.ExpiresAt, NeverExpires: req.NeverExpires, Value: req.Value,
		AllowedCIDRs: req.AllowedCIDRs,
	})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/clients/"+string(clientID)+"/secrets/"+string(n.Secret.ID))
	return writeJSON(w, http.StatusCreated, createdSecretJSON(n))
}

func (h *Handler) listSecrets(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	page, err := pageFrom(r)
	if err != nil {
		return err
	}
	list, err := h.Credentials.ListSecrets(r.Context(), by, domain.ClientID(r.PathValue("client_id")), page)
	if err != nil {
		return err
	}
	out := apiv1.SecretList{Items: make([]apiv1.Secret, 0, len(list.Secrets)), NextCursor: list.Next}
	for _, x := range list.Secrets {
		out.Items = append(out.Items, secretJSON(x, list.NewID, list.Now))
	}
	return writeJSON(w, http.StatusOK, out)
}

func (h *Handler) getSecret(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	v, err := h.Credentials.GetSecret(r.Context(), by, domain.ClientID(r.PathValue("client_id")), domain.SecretID(r.PathValue("id")))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, secretViewJSON(v))
}

func (h *Handler) updateSecret(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	clientID, id := domain.ClientID(r.PathValue("client_id")), domain.SecretID(r.PathValue("id"))
	var req apiv1.UpdateSecret
	if err := h.decodeFor(w, r, &req, false, func() error { _, err := h.Credentials.GetSecret(r.Context(), by, clientID, id); return err }); err != nil {
		return err
	}
	v, err := h.Credentials.UpdateSecret(r.Context(), by, clientID, id, credential.SecretPatch{
		Description: req.Description, ExpiresAt: req.ExpiresAt, NeverExpires: req.NeverExpires, AllowedCIDRs: req.AllowedCIDRs,
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, secretViewJSON(v))
}

// revokeSecret revokes a secret. ?tokens=keep lets the access tokens it
// minted run out (graceful); the default, ?tokens=revoke, kills them now.
func (h *Handler) revokeSecret(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	q, err := queryOf(r)
	if err != nil {
		return err
	}
	keep := false
	switch q["tokens"] {
	case "", "revoke":
	case "keep":
		keep = true
	default:
		return domain.Invalid("tokens", `must be "revoke" (the default: its access tokens stop working now) or "keep" (they run out on their own)`)
	}
	v, err := h.Credentials.RevokeSecret(r.Context(), by, domain.ClientID(r.PathValue("client_id")), domain.SecretID(r.PathValue("id")), keep)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, secretViewJSON(v))
}

func (h *Handler) rotate(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	clientID := domain.ClientID(r.PathValue("client_id"))
	var req apiv1.Rotate
	if err := h.decodeFor(w, r, &req, true, func() error { _, err := h.Credentials.GetClient(r.Context(), by, clientID); return err }); err != nil {
		return err
	}
	rot, err := h.Credentials.Rotate(r.Context(), by, clientID, credential.RotateInput{
		Description: req.Description, ExpiresAt: req.ExpiresAt, GraceSeconds: req.GraceSeconds,
		AutoComplete: req.AutoComplete, QuietSeconds: req.QuietSeconds, KeepTokens: req.KeepTokens, Replace: req.Replace,
	})
	if err != nil {
		return err
	}
	out := apiv1.RotateResult{CreatedSecret: createdSecretJSON(rot.New), Previous: make([]apiv1.Secret, 0, len(rot.Previous)),
		Rotation: rotationJSON(rot.Rotation)}
	for _, x := range rot.Previous {
		out.Previous = append(out.Previous, secretJSON(x, rot.New.NewID, rot.New.Now))
	}
	w.Header().Set("Location", "/v1/clients/"+string(clientID)+"/secrets/"+string(rot.New.Secret.ID))
	return writeJSON(w, http.StatusCreated, out)
}
