package ui

import (
	"net/http"
	"strings"
	"time"

	"keywarden/internal/credential"
	"keywarden/internal/domain"
)

// keyRow is one public key (private_key_jwt) on the client's Secrets tab.
type keyRow struct {
	ID, KID, Alg, Description, Thumbprint string
	JWKSURI                               string // for a JWK Set URL entry
	Status, Badge                         string
	Expires                               *stamp
	Created                               stamp
	LastUsed                              *stamp
	LastUsedFrom                          string
	Revoked                               *stamp
}

func keyRowOf(k domain.ClientKey, now time.Time) keyRow {
	row := keyRow{ID: string(k.ID), KID: k.KID, Alg: k.Algorithm, Description: k.Description, Thumbprint: k.Thumbprint, JWKSURI: k.JWKSURI,
		Created: newStamp(k.CreatedAt, now), Expires: stampPtr(k.ExpiresAt, now), LastUsed: stampPtr(k.LastUsedAt, now),
		LastUsedFrom: k.LastUsedFrom, Revoked: stampPtr(k.RevokedAt, now)}
	switch k.State(now) {
	case domain.SecretRevoked:
		row.Status, row.Badge = "Revoked", "muted"
	case domain.SecretExpired:
		row.Status, row.Badge = "Expired", "danger"
	case domain.SecretActive:
		row.Status, row.Badge = "Active", "ok"
		if k.ExpiresAt != nil && k.ExpiresAt.Sub(now) < expiringSoon {
			row.Status, row.Badge = "Expiring soon", "warn"
		}
	}
	return row
}

// keysData is the Keys card of the Secrets tab.
type keysData struct {
	Rows       []keyRow // newest first
	Add        *form
	AddOpen    bool
	RevokeOpen string
	Max        int
	// Active counts the keys that authenticate now: with one, a client
	// without an active secret still can.
	Active int
}

// loadKeys fills the Keys card: the client's keys, newest first.
func (h *Handler) loadKeys(r *http.Request, rq *request, c domain.Client, st secretsState) (keysData, error) {
	list, err := h.Credentials.ListKeys(r.Context(), rq.by, c.ID)
	if err != nil {
		return keysData{}, err
	}
	d := keysData{Add: st.addKey, AddOpen: st.addKey != nil, RevokeOpen: st.revokeKey, Max: credential.MaxActiveKeys}
	if d.Add == nil {
		d.Add = newForm()
	}
	for i := len(list.Keys) - 1; i >= 0; i-- {
		d.Rows = append(d.Rows, keyRowOf(list.Keys[i], list.Now))
		if list.Keys[i].State(list.Now) == domain.SecretActive {
			d.Active++
		}
	}
	return d, nil
}

var keyFields = map[string]field{
	"description": {"key_description", "Description"}, "expires_at": {"key_expires", "Expiration"}, "jwk": {"jwk", "Public key (JWK)"},
}

func (h *Handler) addKey(w http.ResponseWriter, r *http.Request, rq *request) error {
	c, err := h.Credentials.GetClient(r.Context(), rq.by, domain.ClientID(r.PathValue("id")))
	if err != nil {
		return err
	}
	now := h.now()
	f := newForm()
	desc, exp, jwk := strings.TrimSpace(r.PostForm.Get("key_description")), strings.TrimSpace(r.PostForm.Get("key_expires")), strings.TrimSpace(r.PostForm.Get("jwk"))
	f.Values["key_description"], f.Values["key_expires"], f.Values["jwk"] = desc, exp, jwk
	if jwk == "" {
		f.fieldErr("jwk", "Public key (JWK)", "Paste the client's public key as a JWK, e.g. {\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"…\",\"y\":\"…\",\"kid\":\"…\"}.")
	}
	e := readExpiry(f, "key_expires", "Expiration", exp, rq.org.Policy, rq.by.Role, now, true)
	if !f.Failed() {
		v, err := h.Credentials.CreateKey(r.Context(), rq.by, c.ID, credential.KeyInput{JWK: jwk, Description: desc, ExpiresAt: e.At, NeverExpires: e.Never})
		if err == nil {
			h.setFlash(w, r, "success", "Key “"+v.Key.KID+"” is registered: the client can now authenticate with assertions signed by its private key.")
			redirect(w, r, "/ui/clients/"+string(c.ID)+"/secrets")
			return nil
		}
		if !f.take(err, keyFields) {
			return err
		}
	}
	if strings.Contains(f.Errors["jwk"], "private key material") {
		// Never render private key material back into the page.
		f.Values["jwk"] = ""
	}
	return h.renderSecrets(w, r, rq, http.StatusUnprocessableEntity, c, secretsState{addKey: f})
}

func (h *Handler) revokeKey(w http.ResponseWriter, r *http.Request, rq *request) error {
	clientID, id := domain.ClientID(r.PathValue("id")), domain.ClientKeyID(r.PathValue("kid"))
	v, err := h.Credentials.RevokeKey(r.Context(), rq.by, clientID, id)
	if err != nil {
		return err
	}
	h.setFlash(w, r, "success", "Key “"+v.Key.KID+"” is revoked: assertions signed with it no longer authenticate, and the access tokens it issued stopped working.")
	redirect(w, r, "/ui/clients/"+string(clientID)+"/secrets")
	return nil
}
