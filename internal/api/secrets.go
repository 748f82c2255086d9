package api

import (
	"net/http"

	"keywarden/internal/credential"
	"keywarden/internal/domain"
	"keywarden/pkg/apiv1"
)

func (h *Handler) createSecret(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	clientID := r.PathValue("client_id")
	if _, err := h.Credentials.GetClient(r.Context(), by, clientID); err != nil {
		return err
	}
	var req apiv1.CreateSecret
	if err := decode(w, r, &req, false); err != nil {
		return err
	}
	n, err := h.Credentials.CreateSecret(r.Context(), by, clientID, credential.SecretInput{
		Description: req.Description, ExpiresAt: req.ExpiresAt, NeverExpires: req.NeverExpires, Value: req.Value,
		AllowedCIDRs: req.AllowedCIDRs,
	})
	if err != nil {
		return err
	}
	list, err := h.Credentials.ListSecrets(r.Context(), by, clientID)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/clients/"+clientID+"/secrets/"+n.Secret.ID)
	return writeJSON(w, http.StatusCreated, createdSecretJSON(n, list.NewID, list.Now))
}

func (h *Handler) listSecrets(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	list, err := h.Credentials.ListSecrets(r.Context(), by, r.PathValue("client_id"))
	if err != nil {
		return err
	}
	out := apiv1.SecretList{Items: make([]apiv1.Secret, 0, len(list.Secrets))}
	for _, x := range list.Secrets {
		out.Items = append(out.Items, secretJSON(x, list.NewID, list.Now))
	}
	return writeJSON(w, http.StatusOK, out)
}

// secretView renders one secret with the client's current "New" marker.
func (h *Handler) secretView(r *http.Request, by domain.Actor, x domain.Secret) (apiv1.Secret, error) {
	list, err := h.Credentials.ListSecrets(r.Context(), by, x.ClientID)
	if err != nil {
		return apiv1.Secret{}, err
	}
	return secretJSON(x, list.NewID, list.Now), nil
}

func (h *Handler) getSecret(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	x, err := h.Credentials.GetSecret(r.Context(), by, r.PathValue("client_id"), r.PathValue("id"))
	if err != nil {
		return err
	}
	v, err := h.secretView(r, by, x)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

func (h *Handler) updateSecret(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	clientID, id := r.PathValue("client_id"), r.PathValue("id")
	if _, err := h.Credentials.GetSecret(r.Context(), by, clientID, id); err != nil {
		return err
	}
	var req apiv1.UpdateSecret
	if err := decode(w, r, &req, false); err != nil {
		return err
	}
	x, err := h.Credentials.UpdateSecret(r.Context(), by, clientID, id, credential.SecretPatch{
		Description: req.Description, ExpiresAt: req.ExpiresAt, NeverExpires: req.NeverExpires, AllowedCIDRs: req.AllowedCIDRs,
	})
	if err != nil {
		return err
	}
	v, err := h.secretView(r, by, x)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
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
	x, err := h.Credentials.RevokeSecret(r.Context(), by, r.PathValue("client_id"), r.PathValue("id"), keep)
	if err != nil {
		return err
	}
	v, err := h.secretView(r, by, x)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

func (h *Handler) rotate(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	clientID := r.PathValue("client_id")
	if _, err := h.Credentials.GetClient(r.Context(), by, clientID); err != nil {
		return err
	}
	var req apiv1.Rotate
	if err := decode(w, r, &req, true); err != nil {
		return err
	}
	rot, err := h.Credentials.Rotate(r.Context(), by, clientID, credential.RotateInput{
		Description: req.Description, ExpiresAt: req.ExpiresAt, GraceSeconds: req.GraceSeconds,
		AutoComplete: req.AutoComplete, QuietSeconds: req.QuietSeconds, KeepTokens: req.KeepTokens,
	})
	if err != nil {
		return err
	}
	list, err := h.Credentials.ListSecrets(r.Context(), by, clientID)
	if err != nil {
		return err
	}
	view, err := h.Credentials.GetRotation(r.Context(), by, clientID, rot.Rotation.ID)
	if err != nil {
		return err
	}
	out := apiv1.RotateResult{CreatedSecret: createdSecretJSON(rot.New, list.NewID, list.Now), Previous: make([]apiv1.Secret, 0, len(rot.Previous)),
		Rotation: rotationJSON(view, list.NewID, list.Now)}
	for _, x := range rot.Previous {
		out.Previous = append(out.Previous, secretJSON(x, list.NewID, list.Now))
	}
	w.Header().Set("Location", "/v1/clients/"+clientID+"/secrets/"+rot.New.Secret.ID)
	return writeJSON(w, http.StatusCreated, out)
}
