package ui

import (
	"encoding/json"
	"errors"
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

// openRotation returns the client's rotation in progress, if any.
func (h *Handler) openRotation(r *http.Request, rq *request, clientID domain.ClientID) (*credential.RotationView, error) {
	rots, _, err := h.Credentials.ListRotations(r.Context(), rq.by, clientID, consolePage)
	if err != nil {
		return nil, err
	}
	for i, v := range rots {
		if v.State != domain.RotationCompleted && v.State != domain.RotationAbandoned {
			return &rots[i], nil
		}
	}
	return nil, nil
}

type rotateStartData struct {
	Client clientHeader
	Active []secretRow
	Form   *form
	Hint   expiryHint
	// Replace is the open rotation a new one would abandon, when the
	// operator chose to start over (or another rotation began meanwhile).
	Replace *replaceData
}

// replaceData describes the open rotation that starting over abandons.
type replaceData struct {
	ID      string
	Link    string
	Started stamp
	// NewSecret is the open rotation's new secret, revoked by starting
	// over; NewUse says whether (and when) callers have used it.
	NewSecret string
	NewUse    string
	NewInUse  bool
}

func (h *Handler) rotateStart(w http.ResponseWriter, r *http.Request, rq *request) error {
	c, err := h.Credentials.GetClient(r.Context(), rq.by, domain.ClientID(r.PathValue("id")))
	if err != nil {
		return err
	}
	cur, err := h.openRotation(r, rq, c.ID)
	if err != nil {
		return err
	}
	if cur != nil && r.URL.Query().Get("replace") != "1" {
		// One rotation at a time: a second would call the first one's new
		// secret "old". Starting over is a deliberate choice (?replace=1).
		h.setFlash(w, r, "info", "A rotation of this client is in progress. Finish it, or start over from its page.")
		redirect(w, r, "/ui/clients/"+string(c.ID)+"/rotations/"+string(cur.Rotation.ID))
		return nil
	}
	return h.renderRotateStart(w, r, rq, http.StatusOK, c, newForm(), cur)
}

// replaceOf describes open, the rotation a new one would abandon.
func (h *Handler) replaceOf(c domain.Client, open *credential.RotationView, now time.Time) *replaceData {
	if open == nil {
		return nil
	}
	d := &replaceData{ID: string(open.Rotation.ID), Link: "/ui/clients/" + string(c.ID) + "/rotations/" + string(open.Rotation.ID),
		Started: newStamp(open.Rotation.StartedAt, now), NewUse: "never used"}
	if x, ok := open.Secrets[open.Rotation.NewSecretID]; ok {
		d.NewSecret = x.Description
		if x.LastUsedAt != nil {
			d.NewInUse, d.NewUse = true, "last used "+newStamp(*x.LastUsedAt, now).Rel
			if x.LastUsedFrom != "" {
				d.NewUse += " from " + x.LastUsedFrom
			}
		}
	}
	return d
}

func (h *Handler) renderRotateStart(w http.ResponseWriter, r *http.Request, rq *request, status int, c domain.Client, f *form, open *credential.RotationView) error {
	list, err := h.Credentials.ListSecrets(r.Context(), rq.by, c.ID, consolePage)
	if err != nil {
		return err
	}
	now := h.now()
	d := rotateStartData{Client: h.headerOf(r, rq, c, "secrets"), Form: f, Hint: newExpiryHint(rq.org.Policy, rq.by.Role, now, false),
		Replace: h.replaceOf(c, open, now)}
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
	open, err := h.openRotation(r, rq, c.ID)
	if err != nil {
		return err
	}
	// Starting over abandons exactly the rotation the operator saw and
	// confirmed; any other open rotation is shown first.
	replace := r.PostForm.Get("replace")
	switch {
	case open == nil && replace != "":
		replace = "" // it ended meanwhile: nothing to abandon
	case open != nil && replace != string(open.Rotation.ID):
		f.fieldErr("replace", "Rotation in progress", "A rotation of this client is in progress (started "+
			newStamp(open.Rotation.StartedAt, now).Abs+"). Starting a new one abandons it: review it below and confirm.")
	case open != nil && r.PostForm.Get("confirm_replace") != "1":
		f.fieldErr("confirm_replace", "Start over", "Tick the box to confirm that the rotation in progress is abandoned.")
	}
	if !f.Failed() {
		res, err := h.Credentials.Rotate(r.Context(), rq.by, c.ID, credential.RotateInput{Description: desc, ExpiresAt: e.At, Replace: replace != ""})
		if err == nil {
			rv := secretReveal(c, res.New, now, "New secret generated")
			rv.Lead = "Deploy this secret to your application. The old secret keeps working until you retire it below."
			if replace != "" {
				rv.Lead = "The rotation in progress was abandoned and its new secret revoked. " + rv.Lead
			}
			return h.renderRotation(w, r, rq, http.StatusOK, c, res.Rotation.Rotation.ID, rv, nil)
		}
		if errors.Is(err, domain.ErrConflict) {
			// Another rotation began between the check and the call.
			if open, err = h.openRotation(r, rq, c.ID); err != nil {
				return err
			}
			f.fieldErr("replace", "Rotation in progress", "Another rotation of this client began meanwhile. Review it below and confirm to start over.")
		} else if !f.take(err, secretFields) {
			return err
		}
	}
	return h.renderRotateStart(w, r, rq, http.StatusUnprocessableEntity, c, f, open)
}

type rotationData struct {
	Client   clientHeader
	ID       string
	Started  stamp
	New      *secretRow
	Old      []rotationOld
	OldLive  int
	Quiet    string
	Reveal   *reveal
	Retire   *form
	Complete *form
	Hint     expiryHint
	Facts    rotationFacts
	// LiveURL is where the page's script polls for the facts.
	LiveURL string
	// CompleteOpen opens the revoke-now dialog (a link without JavaScript).
	CompleteOpen bool
}

// rotationOld is an old secret of a rotation with its use in words.
type rotationOld struct {
	secretRow
	Use string
}

// rotationFacts are the guided page's statements, each derived from the
// rotation's secrets and the client's refresh tokens as stored: the page
// renders them and /live returns them, so the two never disagree.
type rotationFacts struct {
	State string `json:"state"`
	// Stage is 1 (new secret not used yet), 2 (new in use, old still
	// used), 3 (old idle) or 4 (completed or abandoned).
	Stage int  `json:"stage"`
	Done  bool `json:"done"`
	Safe  bool `json:"safe"`
	// OldUnused says no old secret that is still active was ever used.
	OldUnused bool `json:"old_unused"`
	// NewUse and OldUse ("old-<secret ID>") say when and from where each
	// secret was last used.
	NewUse string            `json:"new_use"`
	OldUse map[string]string `json:"old_use"`
	// NewStep is the "configure OAuth" step's statement.
	NewStep string `json:"new_step"`
	// Refresh says whether a refresh token was generated since the
	// rotation started; RefreshDone ticks its step.
	Refresh     string `json:"refresh"`
	RefreshDone bool   `json:"refresh_done"`
	// RetireStep is the last step's statement, RevokeNow what revoking the
	// old secret now would do.
	RetireStep string `json:"retire_step"`
	RevokeNow  string `json:"revoke_now"`
	// Outcome says what happened, once the rotation is over.
	Outcome string `json:"outcome"`
}

// usedPhrase says when and from where a secret was last used ("used 3
// minutes ago from 192.0.2.1"); "" when it never was.
func usedPhrase(x domain.Secret, now time.Time) string {
	if x.LastUsedAt == nil {
		return ""
	}
	s := "used " + relative(x.LastUsedAt.UTC(), now)
	if x.LastUsedFrom != "" {
		s += " from " + x.LastUsedFrom
	}
	return s
}

// lastUse is usedPhrase as a sentence's start, or unused.
func lastUse(x domain.Secret, now time.Time, unused string) string {
	p := usedPhrase(x, now)
	if p == "" {
		return unused
	}
	return "U" + p[1:]
}

// describeUse is lastUse with the secret's end, if it ended.
func describeUse(x domain.Secret, now time.Time, unused string) string {
	use := lastUse(x, now, unused)
	switch x.State(now) {
	case domain.SecretRevoked:
		return "Revoked " + relative(x.RevokedAt.UTC(), now) + " · " + use
	case domain.SecretExpired:
		return "Expired " + relative(x.ExpiresAt.UTC(), now) + " · " + use
	}
	return use
}

// factsOf derives the statements of a rotation at v.Now; tokens are the
// client's refresh tokens, completedBy the completer's name.
func factsOf(v credential.RotationView, tokens []domain.RefreshToken, completedBy string) rotationFacts {
	now, rot := v.Now, v.Rotation
	quiet := duration(rot.QuietSeconds)
	f := rotationFacts{State: rotationStateLabel(v.State), Safe: v.SafeToRevoke, OldUse: map[string]string{}}
	switch v.State {
	case domain.RotationStarted:
		f.Stage = 1
	case domain.RotationNewInUse:
		f.Stage = 2
	case domain.RotationOldIdle:
		f.Stage = 3
	default:
		f.Stage, f.Done = 4, true
	}
	nw, hasNew := v.Secrets[rot.NewSecretID]
	if hasNew {
		f.NewUse = describeUse(nw, now, "Not used yet")
	}
	if f.Stage >= 2 && hasNew {
		f.NewStep = "The new secret works: " + usedPhrase(nw, now) + "."
	} else if !f.Done {
		f.NewStep = "Waiting for the new secret's first use: request tokens with it."
	}
	// The live old secret used last says what revoking now would break.
	var busiest *domain.Secret
	f.OldUnused = true
	for _, id := range rot.OldSecretIDs {
		x, ok := v.Secrets[id]
		if !ok {
			continue
		}
		f.OldUse["old-"+string(id)] = describeUse(x, now, "Never used")
		if x.State(now) != domain.SecretActive {
			continue
		}
		if x.LastUsedAt != nil {
			f.OldUnused = false
			if busiest == nil || x.LastUsedAt.After(*busiest.LastUsedAt) {
				busiest = &x
			}
		}
	}
	var generated *domain.RefreshToken
	for i, t := range tokens {
		if t.CreatedBy != string(rot.ClientID) && !t.CreatedAt.Before(rot.StartedAt) {
			if generated == nil || t.CreatedAt.After(generated.CreatedAt) {
				generated = &tokens[i]
			}
		}
	}
	if generated != nil {
		f.Refresh, f.RefreshDone = "A refresh token was generated "+relative(generated.CreatedAt.UTC(), now)+", after the rotation started.", true
	} else {
		f.Refresh = "No refresh token was generated since the rotation started. If your application uses one, generate it on"
	}
	switch {
	case v.State == domain.RotationCompleted:
		f.Outcome = "Completed " + newStamp(*rot.CompletedAt, now).Abs
		if completedBy != "" {
			f.Outcome += " by " + completedBy
		}
		f.Outcome += ". The old secret was revoked; only the new secret works now."
		if len(rot.OldSecretIDs) == 0 {
			f.Outcome = strings.Replace(f.Outcome, "The old secret was revoked; only", "There was no old secret to revoke;", 1)
		}
		f.RetireStep = f.Outcome
	case v.State == domain.RotationAbandoned:
		f.Outcome = "Abandoned: the new secret was revoked or expired, so this rotation cannot finish. The old secrets were left as they are; start a new rotation."
		f.RetireStep = f.Outcome
	case f.Safe && f.OldUnused:
		f.RetireStep = "The old secret was never used: safe to revoke."
		f.RevokeNow = "The old secret was never used: revoking it breaks no caller."
	case f.Safe && busiest == nil:
		f.RetireStep = "No old secret is active any more: nothing is left to revoke."
		f.RevokeNow = f.RetireStep
	case f.Safe:
		f.RetireStep = "The old secret has not been used for " + quiet + " since the new one works (" + usedPhrase(*busiest, now) + "): safe to revoke."
		f.RevokeNow = "It has been idle for " + quiet + " (" + usedPhrase(*busiest, now) + "): no caller should notice."
	case busiest == nil:
		f.RetireStep = "The old secret was never used; it counts as idle once the new one works."
		f.RevokeNow = "The old secret was never used, but the new one has not been used yet either: make sure your application has the new secret."
	case f.Stage == 1:
		f.RetireStep = "It counts as idle once unused for " + quiet + " after the new one works."
		f.RevokeNow = "The new secret has not been used yet, and the old one was " + usedPhrase(*busiest, now) + ": callers still using it will fail."
	default:
		f.RetireStep = "It counts as idle once unused for " + quiet + " after the new one works; it was " + usedPhrase(*busiest, now) + "."
		f.RevokeNow = "The old secret was " + usedPhrase(*busiest, now) + ": callers still using it will fail."
	}
	return f
}

func (h *Handler) rotation(w http.ResponseWriter, r *http.Request, rq *request) error {
	c, err := h.Credentials.GetClient(r.Context(), rq.by, domain.ClientID(r.PathValue("id")))
	if err != nil {
		return err
	}
	return h.renderRotation(w, r, rq, http.StatusOK, c, domain.RotationID(r.PathValue("rid")), nil, nil)
}

// rotationFactsFor reads what the facts of a rotation derive from.
func (h *Handler) rotationFactsFor(r *http.Request, rq *request, clientID domain.ClientID, id domain.RotationID) (credential.RotationView, rotationFacts, error) {
	v, err := h.Credentials.GetRotation(r.Context(), rq.by, clientID, id)
	if err != nil {
		return v, rotationFacts{}, err
	}
	tokens, _, err := h.Refresh.List(r.Context(), rq.by, clientID, consolePage)
	if err != nil {
		return v, rotationFacts{}, err
	}
	by := ""
	if v.Rotation.CompletedAt != nil {
		by = h.actorName(r, rq, v.Rotation.CompletedBy)
	}
	return v, factsOf(v, tokens, by), nil
}

// actorName is a user's email for a user ID the viewer may see, "you" for
// the viewer, "Keywarden" for the system, or the ID itself.
func (h *Handler) actorName(r *http.Request, rq *request, id string) string {
	switch {
	case id == "":
		return ""
	case id == rq.by.ID:
		return "you"
	case strings.HasPrefix(id, domain.PrefixUser):
		if u, err := h.Accounts.GetUser(r.Context(), rq.by, domain.UserID(id)); err == nil {
			return u.Email
		}
		return id
	case strings.HasPrefix(id, "rotation-auto-complete"):
		return "Keywarden, automatically once the old secret was idle"
	}
	return id
}

// rotationLive serves a rotation's facts as JSON: the page's script polls
// it, so last-used times and statements change without a reload.
func (h *Handler) rotationLive(w http.ResponseWriter, r *http.Request, rq *request) error {
	_, f, err := h.rotationFactsFor(r, rq, domain.ClientID(r.PathValue("id")), domain.RotationID(r.PathValue("rid")))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	return json.NewEncoder(w).Encode(f)
}

// renderRotation shows a rotation; f, when set, is the retire form with
// its problems.
func (h *Handler) renderRotation(w http.ResponseWriter, r *http.Request, rq *request, status int, c domain.Client, id domain.RotationID, rv *reveal, f *form) error {
	v, facts, err := h.rotationFactsFor(r, rq, c.ID, id)
	if err != nil {
		return err
	}
	now := v.Now
	if f == nil {
		f = newForm()
		f.Values["when"] = "86400"
	}
	base := "/ui/clients/" + string(c.ID) + "/rotations/" + string(v.Rotation.ID)
	d := rotationData{Client: h.headerOf(r, rq, c, "secrets"), ID: string(v.Rotation.ID), Started: newStamp(v.Rotation.StartedAt, now),
		Quiet: duration(v.Rotation.QuietSeconds), Reveal: rv, Retire: f, Complete: newForm(), Facts: facts, LiveURL: base + "/live",
		Hint: newExpiryHint(rq.org.Policy, rq.by.Role, now, false), CompleteOpen: r.Method == http.MethodGet && r.URL.Query().Get("complete") == "1"}
	if x, ok := v.Secrets[v.Rotation.NewSecretID]; ok {
		row := secretRowOf(x, v.NewID, now)
		d.New = &row
	}
	for _, oid := range v.Rotation.OldSecretIDs {
		if x, ok := v.Secrets[oid]; ok {
			row := secretRowOf(x, v.NewID, now)
			if row.Active {
				d.OldLive++
			}
			d.Old = append(d.Old, rotationOld{secretRow: row, Use: facts.OldUse["old-"+string(oid)]})
		}
	}
	h.render(w, r, rq, status, "rotation", &page{Title: "Rotation of " + c.Name, Nav: "clients", Canonical: base, Data: d})
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
