package ui

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"keywarden/internal/account"
	"keywarden/internal/domain"
)

// My account → API tokens: the viewer's admin API tokens, created, rotated
// and revoked here as through /v1/api-tokens.

type apiTokenRow struct {
	ID, Name, Masked, Status, Badge string
	Bootstrap, Active               bool
	Created                         stamp
	Expires, LastUsed, Revoked      *stamp
	LastUsedFrom, ReplacedBy        string
}

// apiTokenLabels word each state for people, with its badge.
var apiTokenLabels = map[domain.APITokenState][2]string{
	domain.APITokenActive: {"Active", "ok"}, domain.APITokenExpired: {"Expired", "danger"}, domain.APITokenRevoked: {"Revoked", "muted"},
}

type apiTokensData struct {
	Tab    string
	Rows   []apiTokenRow
	Form   *form
	Rotate *form
	Hint   expiryHint
	Reveal *reveal
	// Confirm is the row whose revocation (Action "revoke") or rotation
	// (Action "rotate") the page asks to confirm.
	Confirm *apiTokenRow
	Action  string
}

func (h *Handler) apiTokens(w http.ResponseWriter, r *http.Request, rq *request) error {
	return h.renderAPITokens(w, r, rq, http.StatusOK, nil, nil, nil)
}

func (h *Handler) renderAPITokens(w http.ResponseWriter, r *http.Request, rq *request, status int, f, rot *form, rv *reveal) error {
	now := h.now()
	if f == nil {
		f = newForm()
	}
	if rot == nil {
		rot = newForm()
		rot.Values["overlap"] = "0"
	}
	list, err := h.Accounts.ListAPITokens(r.Context(), rq.by)
	if err != nil {
		return err
	}
	d := apiTokensData{Tab: "api-tokens", Form: f, Rotate: rot, Reveal: rv, Hint: newExpiryHint(rq.org.Policy, rq.me.Role, now, false)}
	confirm, action := r.URL.Query().Get("revoke"), "revoke"
	if confirm == "" {
		confirm, action = r.URL.Query().Get("rotate"), "rotate"
	}
	if r.Method != http.MethodGet {
		confirm, action = rot.Get("token"), "rotate"
	}
	for _, t := range list {
		state := t.State(now)
		row := apiTokenRow{ID: string(t.ID), Name: t.Name, Masked: "kwt_••••••••" + t.Hint, Status: apiTokenLabels[state][0], Badge: apiTokenLabels[state][1],
			Bootstrap: t.Name == domain.BootstrapTokenName, Active: state == domain.APITokenActive, Created: newStamp(t.CreatedAt, now),
			Expires: stampPtr(t.ExpiresAt, now), LastUsed: stampPtr(t.LastUsedAt, now), Revoked: stampPtr(t.RevokedAt, now),
			LastUsedFrom: t.LastUsedFrom, ReplacedBy: string(t.ReplacedBy)}
		d.Rows = append(d.Rows, row)
		if confirm != "" && row.ID == confirm && row.Active && row.ReplacedBy == "" {
			d.Confirm, d.Action = &d.Rows[len(d.Rows)-1], action
		}
	}
	if d.Confirm != nil {
		c := *d.Confirm // Rows may move while it grows; keep a copy
		d.Confirm = &c
	}
	h.render(w, r, rq, status, "api_tokens", &page{Title: "My API tokens", Nav: "account", Canonical: "/ui/account/api-tokens", Data: d})
	return nil
}

func apiTokenReveal(n account.NewAPIToken, now time.Time, title string) *reveal {
	exp := "never"
	if n.Token.ExpiresAt != nil {
		exp = newStamp(*n.Token.ExpiresAt, now).Abs
	}
	return &reveal{
		Title: title,
		Lead:  "It acts as you on the admin API until " + exp + ". Send it as Authorization: Bearer, or set KEYWARDEN_TOKEN for the command line.",
		Items: []revealItem{{ID: "reveal-api-token", Label: "API token", Value: n.Value.Reveal(), Secret: true}},
		File:  fileName(n.Token.Name, "-api-token.txt"),
		Text: "# Keywarden API token " + n.Token.Name + " (" + string(n.Token.ID) + "), expires " + exp + "\n" +
			"KEYWARDEN_TOKEN=" + n.Value.Reveal() + "\n",
		Warning: "This is the only time the token is shown. If you lose it, revoke it and create a new one.",
	}
}

var apiTokenFields = map[string]field{"name": {"name", "Name"}, "expires_at": {"expires", "Expiration"}}

func (h *Handler) createAPIToken(w http.ResponseWriter, r *http.Request, rq *request) error {
	now := h.now()
	f := newForm()
	name, exp := strings.TrimSpace(r.PostForm.Get("name")), strings.TrimSpace(r.PostForm.Get("expires"))
	f.Values["name"], f.Values["expires"] = name, exp
	e := readExpiry(f, "expires", "Expiration", exp, rq.org.Policy, rq.me.Role, now, false)
	if !f.Failed() {
		n, err := h.Accounts.CreateAPIToken(r.Context(), rq.by, account.APITokenInput{Name: name, ExpiresAt: e.At})
		if err == nil {
			return h.renderAPITokens(w, r, rq, http.StatusOK, nil, nil, apiTokenReveal(n, now, "API token created"))
		}
		if !f.take(err, apiTokenFields) {
			return err
		}
	}
	return h.renderAPITokens(w, r, rq, http.StatusUnprocessableEntity, f, nil, nil)
}

func (h *Handler) rotateAPIToken(w http.ResponseWriter, r *http.Request, rq *request) error {
	now := h.now()
	id := domain.APITokenID(r.PathValue("tid"))
	f := newForm()
	f.Values["token"], f.Values["overlap"] = string(id), r.PostForm.Get("overlap")
	secs, err := strconv.Atoi(r.PostForm.Get("overlap"))
	if err != nil {
		f.fieldErr("overlap", "Old token", "Choose how long the old token keeps working.")
	}
	if !f.Failed() {
		n, err := h.Accounts.RotateAPIToken(r.Context(), rq.by, id, account.RotateInput{Overlap: time.Duration(secs) * time.Second})
		if err == nil {
			rv := apiTokenReveal(n, now, "New token generated")
			if secs > 0 {
				rv.Lead = "The old token keeps working for " + duration(secs) + ". " + rv.Lead
			} else {
				rv.Lead = "The old token stopped working. " + rv.Lead
			}
			return h.renderAPITokens(w, r, rq, http.StatusOK, nil, nil, rv)
		}
		if !f.take(err, map[string]field{"overlap_seconds": {"overlap", "Old token"}}) {
			return err
		}
	}
	return h.renderAPITokens(w, r, rq, http.StatusUnprocessableEntity, nil, f, nil)
}

func (h *Handler) revokeAPIToken(w http.ResponseWriter, r *http.Request, rq *request) error {
	t, err := h.Accounts.RevokeAPIToken(r.Context(), rq.by, domain.APITokenID(r.PathValue("tid")))
	if err != nil {
		return err
	}
	h.setFlash(w, r, "success", "API token "+t.Name+" is revoked. It stopped working at once.")
	redirect(w, r, "/ui/account/api-tokens")
	return nil
}
