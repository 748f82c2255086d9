package ui

import (
	"cmp"
	"net/http"
	"strings"
	"time"

	"keywarden/internal/credential"
	"keywarden/internal/domain"
)

// expiringSoon is when an active secret is labelled "Expiring soon" (the
// first of the expiry warnings).
const expiringSoon = 14 * 24 * time.Hour

type secretRow struct {
	ID, Description, Masked string
	Status, Badge           string
	Expires                 *stamp
	ExpiresDMY              string
	Created                 stamp
	LastUsed                *stamp
	LastUsedFrom            string
	Active                  bool
	Revoked                 *stamp
	Generated               bool
	Edit                    *form
}

func maskOf(x domain.Secret) string {
	if x.Origin == domain.OriginGenerated {
		return "kws_••••••••" + x.Hint
	}
	return "••••••••" + x.Hint
}

func secretRowOf(x domain.Secret, newID domain.SecretID, now time.Time) secretRow {
	row := secretRow{ID: string(x.ID), Description: x.Description, Masked: maskOf(x), Created: newStamp(x.CreatedAt, now),
		Expires: stampPtr(x.ExpiresAt, now), LastUsed: stampPtr(x.LastUsedAt, now), LastUsedFrom: x.LastUsedFrom,
		Revoked: stampPtr(x.RevokedAt, now), Generated: x.Origin == domain.OriginGenerated}
	if x.ExpiresAt != nil {
		row.ExpiresDMY = dmy(*x.ExpiresAt)
	}
	switch x.State(now) {
	case domain.SecretRevoked:
		row.Status, row.Badge = "Revoked", "muted"
	case domain.SecretExpired:
		row.Status, row.Badge = "Expired", "danger"
	default:
		row.Active = true
		switch {
		case x.ID == newID:
			row.Status, row.Badge = "New", "new"
		case x.ExpiresAt != nil && x.ExpiresAt.Sub(now) < expiringSoon:
			row.Status, row.Badge = "Expiring soon", "warn"
		default:
			row.Status, row.Badge = "Active", "ok"
		}
	}
	return row
}

type secretsData struct {
	Client      clientHeader
	Rows        []secretRow
	ActiveCount int
	Max         int
	Add         *form
	AddOpen     bool
	EditOpen    string
	// RevokeOpen names the secret whose Revoke dialog opens.
	RevokeOpen string
	// Inactive are the revoked and expired secrets, folded away below the
	// active ones; Revocable are the secrets not yet revoked.
	Inactive, Revocable []secretRow
	RevokeAll           *form
	RevokeAllOpen       bool
	// NothingToRevoke: no active secret, no unused refresh token, and no
	// access token that can still be valid; "Revoke all now" would do
	// nothing and is disabled.
	NothingToRevoke bool
	Hint            expiryHint
	Reveal          *reveal
	Rotation        *rotationBanner
	// Keys are the client's public keys (private_key_jwt).
	Keys keysData
}

type rotationBanner struct {
	ID, State string
	Started   stamp
}

// secretsState is how the Secrets tab is to be shown besides its data.
type secretsState struct {
	add, revokeAll *form
	edit           map[string]*form
	editOpen       string
	revokeOpen     string
	reveal         *reveal
	addKey         *form  // the Add key dialog, open
	revokeKey      string // the key whose Revoke dialog opens
}

func (h *Handler) secrets(w http.ResponseWriter, r *http.Request, rq *request) error {
	c, err := h.Credentials.GetClient(r.Context(), rq.by, domain.ClientID(r.PathValue("id")))
	if err != nil {
		return err
	}
	q := r.URL.Query()
	st := secretsState{editOpen: q.Get("edit"), revokeOpen: cmp.Or(q.Get("revoke"), q.Get("delete"))}
	if q.Get("add") == "1" {
		st.add = newForm()
	}
	if q.Get("revoke-all") == "1" {
		st.revokeAll = newForm()
	}
	if q.Get("add-key") == "1" {
		st.addKey = newForm()
	}
	st.revokeKey = q.Get("revoke-key")
	return h.renderSecrets(w, r, rq, http.StatusOK, c, st)
}

func (h *Handler) renderSecrets(w http.ResponseWriter, r *http.Request, rq *request, status int, c domain.Client, st secretsState) error {
	list, err := h.Credentials.ListSecrets(r.Context(), rq.by, c.ID, consolePage)
	if err != nil {
		return err
	}
	now := h.now()
	d := secretsData{Client: h.headerOf(r, rq, c, "secrets"), Max: credential.MaxActiveSecrets, Add: st.add, AddOpen: st.add != nil,
		EditOpen: st.editOpen, RevokeOpen: st.revokeOpen, RevokeAll: st.revokeAll, RevokeAllOpen: st.revokeAll != nil,
		Hint: newExpiryHint(rq.org.Policy, rq.by.Role, now, true), Reveal: st.reveal}
	if d.Add == nil {
		d.Add = newForm()
	}
	if d.RevokeAll == nil {
		d.RevokeAll = newForm()
	}
	// Newest first, like every list in the console.
	for i := len(list.Secrets) - 1; i >= 0; i-- {
		x := list.Secrets[i]
		row := secretRowOf(x, list.NewID, now)
		if row.Active {
			d.ActiveCount++
		}
		if f := st.edit[string(x.ID)]; f != nil {
			row.Edit = f
		} else {
			row.Edit = newForm()
			row.Edit.Values["description"], row.Edit.Values["expires"] = x.Description, row.ExpiresDMY
		}
		if row.Revoked == nil {
			d.Revocable = append(d.Revocable, row)
		}
		if row.Active {
			d.Rows = append(d.Rows, row)
		} else {
			d.Inactive = append(d.Inactive, row)
		}
	}
	if d.NothingToRevoke, err = h.nothingToRevoke(r, rq, c, list.Secrets, now); err != nil {
		return err
	}
	if d.Keys, err = h.loadKeys(r, rq, c, st); err != nil {
		return err
	}
	for _, k := range d.Keys.Rows {
		if k.Revoked == nil && k.Badge != "danger" {
			d.NothingToRevoke = false // an active key: revoke-all revokes it
		}
	}
	cur, err := h.openRotation(r, rq, c.ID)
	if err != nil {
		return err
	}
	if cur != nil {
		d.Rotation = &rotationBanner{ID: string(cur.Rotation.ID), State: rotationStateLabel(cur.State), Started: newStamp(cur.Rotation.StartedAt, now)}
	}
	h.render(w, r, rq, status, "client_secrets", &page{Title: c.Name + " · Secrets", Nav: "clients",
		Canonical: string("/ui/clients/" + string(c.ID) + "/secrets"), Data: d})
	return nil
}

// nothingToRevoke reports whether revoke-all would change nothing: no
// secret can authenticate, no refresh token is unused, and every access
// token the client could have been issued has expired or was revoked by an
// earlier revoke-all. The last token from a secret was issued at the latest
// when the secret ended; it lives at most the longer of the client's and
// the organisation's token lifetime.
func (h *Handler) nothingToRevoke(r *http.Request, rq *request, c domain.Client, secrets []domain.Secret, now time.Time) (bool, error) {
	ttl := time.Duration(max(c.TokenTTL, rq.org.Policy.AccessTokenTTLSeconds)) * time.Second
	var lastValid time.Time // when the last access token that may exist expires
	for _, x := range secrets {
		end := x.RevokedAt
		if end == nil || (x.ExpiresAt != nil && x.ExpiresAt.Before(*end)) {
			end = x.ExpiresAt
		}
		if end == nil || end.After(now) {
			return false, nil // active
		}
		if c.TokensRevokedAt != nil && !end.After(*c.TokensRevokedAt) {
			continue // its tokens were revoked with everything else
		}
		if e := end.Add(ttl); e.After(lastValid) {
			lastValid = e
		}
	}
	tokens, _, err := h.Refresh.List(r.Context(), rq.by, c.ID, consolePage)
	if err != nil {
		return false, err
	}
	for _, t := range tokens {
		if t.State(now) == domain.RefreshActive {
			return false, nil
		}
		if t.IssuedExp != nil && t.IssuedExp.After(lastValid) && (c.TokensRevokedAt == nil || t.UsedAt == nil || t.UsedAt.After(*c.TokensRevokedAt)) {
			lastValid = *t.IssuedExp
		}
	}
	return !lastValid.After(now), nil
}

var secretFields = map[string]field{
	"description": {"description", "Description"}, "expires_at": {"expires", "Expiration"}, "value": {"value", "Value"},
}

// fileName makes a download name from a client's name.
func fileName(name, suffix string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
	}
	s := strings.Trim(b.String(), "-")
	if s == "" {
		s = "client"
	}
	return s + suffix
}

// secretReveal is the one-time view of a new client secret.
func secretReveal(c domain.Client, n credential.NewSecret, now time.Time, title string) *reveal {
	exp := "never"
	if n.Secret.ExpiresAt != nil {
		exp = newStamp(*n.Secret.ExpiresAt, now).Abs
	}
	return &reveal{
		Title: title,
		Lead:  "Copy the secret now and store it where your application reads its configuration.",
		Items: []revealItem{{ID: "reveal-client-id", Label: "Client ID", Value: string(c.ID)}, {ID: "reveal-secret", Label: "Client secret", Value: n.Value.Reveal(), Secret: true}},
		File:  fileName(c.Name, "-secret.txt"),
		Text: "# Keywarden client secret: " + n.Secret.Description + "\n# Client: " + c.Name + "\n# Expires: " + exp + "\n" +
			"KEYWARDEN_CLIENT_ID=" + string(c.ID) + "\nKEYWARDEN_CLIENT_SECRET=" + n.Value.Reveal() + "\n",
		Warning: "This is the only time the secret is shown. After you leave or reload this page, only its last four characters are visible.",
	}
}

func (h *Handler) addSecret(w http.ResponseWriter, r *http.Request, rq *request) error {
	c, err := h.Credentials.GetClient(r.Context(), rq.by, domain.ClientID(r.PathValue("id")))
	if err != nil {
		return err
	}
	now := h.now()
	f := newForm()
	desc, exp, value := strings.TrimSpace(r.PostForm.Get("description")), strings.TrimSpace(r.PostForm.Get("expires")), r.PostForm.Get("value")
	f.Values["description"], f.Values["expires"] = desc, exp
	if desc == "" && exp == "" && value == "" {
		f.formErr("The form is empty. Enter at least a description; leave Value empty to have a secret generated.")
		f.Errors["description"] = "Enter a description, e.g. Production server."
	} else if desc == "" {
		f.fieldErr("description", "Description", "Enter a description, e.g. Production server.")
	}
	e := readExpiry(f, "expires", "Expiration", exp, rq.org.Policy, rq.by.Role, now, true)
	in := credential.SecretInput{Description: desc, ExpiresAt: e.At, NeverExpires: e.Never}
	if value != "" {
		in.Value = &value
	}
	if !f.Failed() {
		n, err := h.Credentials.CreateSecret(r.Context(), rq.by, c.ID, in)
		if err == nil {
			return h.renderSecrets(w, r, rq, http.StatusOK, c, secretsState{reveal: secretReveal(c, n, now, "Secret “"+n.Secret.Description+"” is added")})
		}
		if !f.take(err, secretFields) {
			return err
		}
	}
	if value != "" && f.Errors["value"] == "" {
		f.Errors["value"] = "For your safety the value you typed was not kept. Type it again, or leave it empty to generate one."
	}
	return h.renderSecrets(w, r, rq, http.StatusUnprocessableEntity, c, secretsState{add: f})
}

func (h *Handler) editSecret(w http.ResponseWriter, r *http.Request, rq *request) error {
	clientID, id := domain.ClientID(r.PathValue("id")), domain.SecretID(r.PathValue("sid"))
	c, err := h.Credentials.GetClient(r.Context(), rq.by, clientID)
	if err != nil {
		return err
	}
	v, err := h.Credentials.GetSecret(r.Context(), rq.by, clientID, id)
	if err != nil {
		return err
	}
	x := v.Secret
	now := h.now()
	f := newForm()
	desc, exp := strings.TrimSpace(r.PostForm.Get("description")), strings.TrimSpace(r.PostForm.Get("expires"))
	f.Values["description"], f.Values["expires"] = desc, exp
	if desc == "" {
		f.fieldErr("description", "Description", "Enter a description.")
	}
	p := credential.SecretPatch{Description: &desc}
	current := ""
	if x.ExpiresAt != nil {
		current = dmy(*x.ExpiresAt)
	}
	switch {
	case exp == current:
		// The expiry was left as it was.
	case exp == "" && !rq.org.Policy.AllowNeverExpire:
		f.fieldErr("expires", "Expiration", "Your organisation's policy requires an expiry: pick a date up to "+
			dmy(now.Add(rq.org.Policy.MaxLifetime(rq.by.Role)))+".")
	case exp == "":
		p.NeverExpires = true
	default:
		e := readExpiry(f, "expires", "Expiration", exp, rq.org.Policy, rq.by.Role, now, false)
		p.ExpiresAt = e.At
	}
	if !f.Failed() {
		_, err := h.Credentials.UpdateSecret(r.Context(), rq.by, clientID, id, p)
		if err == nil {
			h.setFlash(w, r, "success", "Secret “"+desc+"” is saved.")
			redirect(w, r, "/ui/clients/"+string(clientID)+"/secrets")
			return nil
		}
		if !f.take(err, secretFields) {
			return err
		}
	}
	return h.renderSecrets(w, r, rq, http.StatusUnprocessableEntity, c, secretsState{edit: map[string]*form{string(id): f}, editOpen: string(id)})
}

func (h *Handler) revokeSecret(w http.ResponseWriter, r *http.Request, rq *request) error {
	clientID, id := domain.ClientID(r.PathValue("id")), domain.SecretID(r.PathValue("sid"))
	keep := r.PostForm.Get("keep_tokens") == "1"
	v, err := h.Credentials.RevokeSecret(r.Context(), rq.by, clientID, id, keep)
	if err != nil {
		return err
	}
	x := v.Secret
	msg := "Secret “" + x.Description + "” is revoked: it no longer authenticates, and the access tokens it issued stopped working."
	if keep {
		msg = "Secret “" + x.Description + "” is revoked: it no longer authenticates; the access tokens it issued run out on their own."
	}
	h.setFlash(w, r, "success", msg)
	redirect(w, r, "/ui/clients/"+string(clientID)+"/secrets")
	return nil
}

func (h *Handler) revokeAll(w http.ResponseWriter, r *http.Request, rq *request) error {
	c, err := h.Credentials.GetClient(r.Context(), rq.by, domain.ClientID(r.PathValue("id")))
	if err != nil {
		return err
	}
	if strings.TrimSpace(r.PostForm.Get("confirm")) != c.Name {
		f := newForm()
		f.fieldErr("confirm", "Confirmation", "Type the client's name exactly as shown: "+c.Name)
		return h.renderSecrets(w, r, rq, http.StatusUnprocessableEntity, c, secretsState{revokeAll: f})
	}
	n, err := h.Credentials.RevokeAll(r.Context(), rq.by, c.ID)
	if err != nil {
		return err
	}
	h.setFlash(w, r, "success", "Revoked "+plural(n, "secret")+" of “"+c.Name+"”, with its refresh tokens and every access token issued so far. "+
		"Add a new secret when you are ready.")
	redirect(w, r, "/ui/clients/"+string(c.ID)+"/secrets")
	return nil
}
