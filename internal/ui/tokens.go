package ui

import (
	"net/http"
	"time"

	"keywarden/internal/domain"
)

type refreshRow struct {
	ID, Masked, Status, Badge string
	Created, Expires          stamp
	Used                      *stamp
	// Active: it can still be redeemed. Otherwise Why says how it ended
	// and Ended when.
	Active bool
	Why    string
	Ended  *stamp
}

// refreshReasons word why a refresh token was revoked.
var refreshReasons = map[domain.RefreshRevokeReason]string{
	domain.RefreshReuse:           "reuse detected: presented again after its one use, so its whole family was revoked",
	domain.RefreshRevokedByClient: "revoked by the client",
	domain.RefreshRevokeAll:       "revoked with everything else (Revoke all now)",
	domain.RefreshLeaked:          "revoked: a leak report named it",
}

// refreshRowOf is one refresh token as the console shows it: its state,
// and for a token that can no longer be redeemed, why and since when.
func refreshRowOf(t domain.RefreshToken, now time.Time) refreshRow {
	row := refreshRow{ID: string(t.ID), Masked: "kwr_••••••••" + t.Hint, Created: newStamp(t.CreatedAt, now), Expires: newStamp(t.ExpiresAt, now),
		Used: stampPtr(t.UsedAt, now)}
	state := t.State(now)
	row.Status, row.Badge = refreshLabels[state][0], refreshLabels[state][1]
	switch state {
	case domain.RefreshActive:
		row.Active = true
	case domain.RefreshUsed:
		row.Why, row.Ended = "used: exchanged for an access token and a successor", row.Used
	case domain.RefreshExpired:
		row.Why, row.Ended = "expired unused", &row.Expires
	case domain.RefreshRevoked:
		row.Why, row.Ended = "revoked", stampPtr(t.RevokedAt, now)
		if why, ok := refreshReasons[t.RevokedReason]; ok {
			row.Why = why
		}
	}
	return row
}

// refreshLabels word each refresh-token state for people, with its badge.
var refreshLabels = map[domain.RefreshTokenState][2]string{
	domain.RefreshRevoked: {"Revoked", "muted"}, domain.RefreshUsed: {"Used", "muted"},
	domain.RefreshExpired: {"Expired", "danger"}, domain.RefreshActive: {"Unused", "ok"},
}

type refreshData struct {
	Client clientHeader
	Rows   []refreshRow
	Form   *form
	Reveal *reveal
	Hours  string
}

func (h *Handler) refreshTokens(w http.ResponseWriter, r *http.Request, rq *request) error {
	c, err := h.Credentials.GetClient(r.Context(), rq.by, domain.ClientID(r.PathValue("id")))
	if err != nil {
		return err
	}
	return h.renderRefresh(w, r, rq, http.StatusOK, c, nil)
}

func (h *Handler) renderRefresh(w http.ResponseWriter, r *http.Request, rq *request, status int, c domain.Client, rv *reveal) error {
	list, _, err := h.Refresh.List(r.Context(), rq.by, c.ID, consolePage)
	if err != nil {
		return err
	}
	now := h.now()
	d := refreshData{Client: h.headerOf(r, rq, c, "refresh"), Form: newForm(), Reveal: rv}
	for _, t := range list {
		d.Rows = append(d.Rows, refreshRowOf(t, now))
	}
	h.render(w, r, rq, status, "client_refresh", &page{Title: c.Name + " · Refresh tokens", Nav: "clients",
		Canonical: string("/ui/clients/" + string(c.ID) + "/refresh-tokens"), Data: d})
	return nil
}

func (h *Handler) createRefreshToken(w http.ResponseWriter, r *http.Request, rq *request) error {
	c, err := h.Credentials.GetClient(r.Context(), rq.by, domain.ClientID(r.PathValue("id")))
	if err != nil {
		return err
	}
	t, err := h.Refresh.Create(r.Context(), rq.by, c.ID)
	if err != nil {
		return err
	}
	exp := newStamp(t.Token.ExpiresAt, h.now())
	rv := &reveal{
		Title: "Refresh token generated",
		Lead:  "Your application exchanges it once at the token endpoint, authenticated with the client's secret, for a fresh access token. It expires " + exp.Rel + ".",
		Items: []revealItem{{ID: "reveal-refresh", Label: "Refresh token", Value: t.Value.Reveal(), Secret: true}},
		File:  fileName(c.Name, "-refresh-token.txt"),
		Text: "# Keywarden refresh token for " + c.Name + " (" + string(c.ID) + "), expires " + exp.Abs + "\n" +
			"KEYWARDEN_REFRESH_TOKEN=" + t.Value.Reveal() + "\n",
		Warning: "This is the only time the token is shown. It works once, within the hour.",
	}
	return h.renderRefresh(w, r, rq, http.StatusOK, c, rv)
}
