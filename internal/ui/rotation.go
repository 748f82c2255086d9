package ui

import (
	"net/http"
	"strings"
	"time"

	"keywarden/internal/credential"
	"keywarden/internal/domain"
)

func rotationStateLabel(s domain.RotationState) string {
	switch s {
	case domain.RotationStarted:
		return "Waiting for the new secret's first use"
	case domain.RotationNewInUse:
		return "New secret in use; the old one is still used too"
	case domain.RotationOldIdle:
		return "Old secret idle: safe to revoke"
	case domain.RotationCompleted:
		return "Completed"
	case domain.RotationAbandoned:
		return "Abandoned: the new secret is gone"
	}
	return string(s)
}

type rotateStartData struct {
	Client clientHeader
	Active []secretRow
	Form   *form
	Hint   expiryHint
}

func (h *Handler) rotateStart(w http.ResponseWriter, r *http.Request, rq *request) error {
	c, err := h.Credentials.GetClient(r.Context(), rq.by, domain.ClientID(r.PathValue("id")))
	if err != nil {
		return err
	}
	return h.renderRotateStart(w, r, rq, http.StatusOK, c, newForm())
}

func (h *Handler) renderRotateStart(w http.ResponseWriter, r *http.Request, rq *request, status int, c domain.Client, f *form) error {
	list, err := h.Credentials.ListSecrets(r.Context(), rq.by, c.ID, consolePage)
	if err != nil {
		return err
	}
	now := h.now()
	d := rotateStartData{Client: headerOf(c, "secrets"), Form: f, Hint: newExpiryHint(rq.org.Policy, rq.by.Role, now, false)}
	for _, x := range list.Secrets {
		if x.State(now) == domain.SecretActive {
			d.Active = append(d.Active, secretRowOf(x, list.NewID, now))
		}
	}
	h.render(w, r, rq, status, "rotate_start", &page{Title: "Rotate the secret of " + c.Name, Nav: "clients",
		Canonical: string("/ui/clients/" + string(c.ID) + "/rotate"), Data: d})
	return nil
}

func (h *Handler) rotate(w http.ResponseWriter, r *http.Request, rq *request) error {
	c, err := h.Credentials.GetClient(r.Context(), rq.by, domain.ClientID(r.PathValue("id")))
	if err != nil {
		return err
	}
	now := h.now()
	f := newForm()
	desc, exp := strings.TrimSpace(r.PostForm.Get("description")), strings.TrimSpace(r.PostForm.Get("expires"))
	f.Values["description"], f.Values["expires"] = desc, exp
	e := readExpiry(f, "expires", "Expiration", exp, rq.org.Policy, rq.by.Role, now, false)
	if !f.Failed() {
		res, err := h.Credentials.Rotate(r.Context(), rq.by, c.ID, credential.RotateInput{Description: desc, ExpiresAt: e.At})
		if err == nil {
			rv := secretReveal(c, res.New, now, "New secret generated")
			rv.Lead = "Deploy this secret to your application. The old secret keeps working until you retire it below."
			return h.renderRotation(w, r, rq, http.StatusOK, c, res.Rotation.Rotation.ID, rv, nil)
		}
		if !f.take(err, secretFields) {
			return err
		}
	}
	return h.renderRotateStart(w, r, rq, http.StatusUnprocessableEntity, c, f)
}

type rotationData struct {
	Client   clientHeader
	ID       string
	State    string
	Stage    int // 1 generated, 2 new in use, 3 old idle, 4 done
	Done     bool
	Safe     bool
	Started  stamp
	New      *secretRow
	Old      []secretRow
	OldLive  int
	Quiet    string
	Reveal   *reveal
	Retire   *form
	Complete *form
	Hint     expiryHint
	// CompleteOpen opens the revoke-now dialog (a link without JavaScript).
	CompleteOpen bool
}

func (h *Handler) rotation(w http.ResponseWriter, r *http.Request, rq *request) error {
	c, err := h.Credentials.GetClient(r.Context(), rq.by, domain.ClientID(r.PathValue("id")))
	if err != nil {
		return err
	}
	return h.renderRotation(w, r, rq, http.StatusOK, c, domain.RotationID(r.PathValue("rid")), nil, nil)
}

// renderRotation shows a rotation; f, when set, is the retire form with
// its problems.
func (h *Handler) renderRotation(w http.ResponseWriter, r *http.Request, rq *request, status int, c domain.Client, id domain.RotationID, rv *reveal, f *form) error {
	v, err := h.Credentials.GetRotation(r.Context(), rq.by, c.ID, id)
	if err != nil {
		return err
	}
	list, err := h.Credentials.ListSecrets(r.Context(), rq.by, c.ID, consolePage)
	if err != nil {
		return err
	}
	now := h.now()
	if f == nil {
		f = newForm()
		f.Values["when"] = "86400"
	}
	d := rotationData{Client: headerOf(c, "secrets"), ID: string(v.Rotation.ID), State: rotationStateLabel(v.State), Safe: v.SafeToRevoke,
		Done: v.State == domain.RotationCompleted || v.State == domain.RotationAbandoned, Started: newStamp(v.Rotation.StartedAt, now),
		Quiet: duration(v.Rotation.QuietSeconds), Reveal: rv, Retire: f, Complete: newForm(),
		Hint: newExpiryHint(rq.org.Policy, rq.by.Role, now, false), CompleteOpen: r.Method == http.MethodGet && r.URL.Query().Get("complete") == "1"}
	switch v.State {
	case domain.RotationStarted:
		d.Stage = 1
	case domain.RotationNewInUse:
		d.Stage = 2
	case domain.RotationOldIdle:
		d.Stage = 3
	default:
		d.Stage = 4
	}
	if x, ok := v.Secrets[v.Rotation.NewSecretID]; ok {
		row := secretRowOf(x, list.NewID, now)
		d.New = &row
	}
	for _, oid := range v.Rotation.OldSecretIDs {
		if x, ok := v.Secrets[oid]; ok {
			row := secretRowOf(x, list.NewID, now)
			if row.Active {
				d.OldLive++
			}
			d.Old = append(d.Old, row)
		}
	}
	h.render(w, r, rq, status, "rotation", &page{Title: "Rotation of " + c.Name, Nav: "clients",
		Canonical: "/ui/clients/" + string(c.ID) + "/rotations/" + string(v.Rotation.ID), Data: d})
	return nil
}

// graceChoices are the retire form's "expire the old secret in" options.
var graceChoices = map[string]time.Duration{"3600": time.Hour, "86400": 24 * time.Hour, "604800": 7 * 24 * time.Hour}

func (h *Handler) scheduleOld(w http.ResponseWriter, r *http.Request, rq *request) error {
	clientID, id := domain.ClientID(r.PathValue("id")), domain.RotationID(r.PathValue("rid"))
	c, err := h.Credentials.GetClient(r.Context(), rq.by, clientID)
	if err != nil {
		return err
	}
	v, err := h.Credentials.GetRotation(r.Context(), rq.by, clientID, id)
	if err != nil {
		return err
	}
	now := h.now()
	f := newForm()
	when, date := r.PostForm.Get("when"), strings.TrimSpace(r.PostForm.Get("date"))
	f.Values["when"], f.Values["date"] = when, date
	var at time.Time
	if d, ok := graceChoices[when]; ok {
		at = now.Add(d).Truncate(time.Second)
	} else if when == "date" {
		if date == "" {
			f.fieldErr("date", "Date", "Enter a date as DD/MM/YYYY.")
		} else if e := readExpiry(f, "date", "Date", date, rq.org.Policy, rq.by.Role, now, false); e.At != nil {
			at = *e.At
		}
	} else {
		f.fieldErr("when", "When", "Choose when the old secret expires.")
	}
	if f.Failed() {
		return h.renderRotation(w, r, rq, http.StatusUnprocessableEntity, c, id, nil, f)
	}
	changed := 0
	for _, oid := range v.Rotation.OldSecretIDs {
		x, ok := v.Secrets[oid]
		if !ok || x.State(now) != domain.SecretActive || (x.ExpiresAt != nil && !at.Before(*x.ExpiresAt)) {
			continue
		}
		if _, err := h.Credentials.UpdateSecret(r.Context(), rq.by, clientID, oid, credential.SecretPatch{ExpiresAt: &at}); err != nil {
			if !f.take(err, map[string]field{"expires_at": {"date", "Date"}}) {
				return err
			}
			return h.renderRotation(w, r, rq, http.StatusUnprocessableEntity, c, id, nil, f)
		}
		changed++
	}
	st := newStamp(at, now)
	if changed == 0 {
		h.setFlash(w, r, "info", "Nothing to change: the old secret already expires by then, or is no longer active.")
	} else {
		h.setFlash(w, r, "success", "The old secret now expires "+st.Rel+" ("+st.Abs+"). Both secrets work until then.")
	}
	redirect(w, r, "/ui/clients/"+string(clientID)+"/rotations/"+string(id))
	return nil
}

func (h *Handler) completeRotation(w http.ResponseWriter, r *http.Request, rq *request) error {
	clientID, id := domain.ClientID(r.PathValue("id")), domain.RotationID(r.PathValue("rid"))
	c, err := h.Credentials.GetClient(r.Context(), rq.by, clientID)
	if err != nil {
		return err
	}
	force, keep := r.PostForm.Get("force") == "1", r.PostForm.Get("keep_tokens") == "1"
	if _, err := h.Credentials.CompleteRotation(r.Context(), rq.by, clientID, id, keep, force); err != nil {
		f := newForm()
		if !f.take(err, nil) {
			return err
		}
		return h.renderRotation(w, r, rq, http.StatusConflict, c, id, nil, f)
	}
	h.setFlash(w, r, "success", "The old secret is revoked and the rotation is complete. Only the new secret works now.")
	redirect(w, r, "/ui/clients/"+string(clientID)+"/rotations/"+string(id))
	return nil
}
