package ui

import (
	"net/http"

	"keywarden/internal/authz"
	"keywarden/internal/credential"
	"keywarden/internal/domain"
)

// home is the landing page: the overview for those who may read it, the
// clients list for the others.
func (h *Handler) home(w http.ResponseWriter, r *http.Request, rq *request) error {
	if rq.by.Restricted == "" && authz.Allowed(rq.by.Role, authz.Required(authz.ReadOverview)) {
		redirect(w, r, "/ui/overview")
	} else {
		redirect(w, r, "/ui/clients")
	}
	return nil
}

type overviewSecret struct {
	domain.HealthSecret
	Expires, LastUsed *stamp
	Created           stamp
}

type overviewData struct {
	O        credential.Overview
	Expiring []overviewSecret
	Unused   []overviewSecret
	Failing  []overviewFailing
	Rots     []overviewRotation
	Rate     string
	Leaks    []leakNotice
}

type overviewFailing struct {
	domain.HealthClient
	Since stamp
}

type overviewRotation struct {
	ID, ClientID, State string
	Safe                bool
	Started             stamp
}

func (h *Handler) overview(w http.ResponseWriter, r *http.Request, rq *request) error {
	o, err := h.Credentials.Overview(r.Context(), rq.by)
	if err != nil {
		return err
	}
	now := o.Now
	d := overviewData{O: o}
	conv := func(xs []domain.HealthSecret) []overviewSecret {
		var out []overviewSecret
		for _, x := range xs {
			out = append(out, overviewSecret{HealthSecret: x, Expires: stampPtr(x.ExpiresAt, now), LastUsed: stampPtr(x.LastUsedAt, now), Created: newStamp(x.CreatedAt, now)})
		}
		return out
	}
	d.Expiring, d.Unused = conv(o.Expiring), conv(o.Unused)
	for _, f := range o.Failing {
		d.Failing = append(d.Failing, overviewFailing{HealthClient: f, Since: newStamp(f.Since, now)})
	}
	for _, v := range o.Rotations {
		d.Rots = append(d.Rots, overviewRotation{ID: string(v.Rotation.ID), ClientID: string(v.Rotation.ClientID), State: rotationStateLabel(v.State),
			Safe: v.SafeToRevoke, Started: newStamp(v.Rotation.StartedAt, now)})
	}
	for _, l := range o.Leaks {
		d.Leaks = append(d.Leaks, leakNoticeOf(l, now))
	}
	h.render(w, r, rq, http.StatusOK, "overview", &page{Title: "Overview", Nav: "overview", Canonical: "/ui/overview", Data: d})
	return nil
}
