package ui

import (
	"net/http"
	"time"

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
	// LegacyUntil is when the legacy password login stops (nil: off);
	// Required the users short of the personal credential requirement.
	LegacyUntil *stamp
	Required    []complianceNotice
}

// complianceNotice is a user short of the personal credential
// requirement, with why in words.
type complianceNotice struct {
	User domain.User
	Text string
}

// complianceText says what a user must do about their personal credential.
func complianceText(c credential.UserCompliance, now time.Time) string {
	switch c.State {
	case domain.ComplianceMissing:
		return "no active personal credential"
	case domain.ComplianceLifetime:
		return "the personal credential lives longer than the role's maximum (or never expires)"
	case domain.ComplianceRotate:
		return "must rotate the personal credential by " + newStamp(*c.RotateBy, now).Abs
	case domain.ComplianceOverdue:
		return "rotation overdue since " + newStamp(*c.RotateBy, now).Abs
	}
	return ""
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
	d.LegacyUntil = stampPtr(o.LegacyPasswordUntil, now)
	for _, c := range o.CredentialRequired {
		d.Required = append(d.Required, complianceNotice{User: c.User, Text: complianceText(c, now)})
	}
	h.render(w, r, rq, http.StatusOK, "overview", &page{Title: "Overview", Nav: "overview", Canonical: "/ui/overview", Data: d})
	return nil
}

// credentialNotice is what the organisation's personal credential
// requirement asks of the signed-in user, for the banner on their pages
// ("" when nothing, or when it cannot be read: the page is shown anyway).
func (h *Handler) credentialNotice(r *http.Request, rq *request) string {
	c, err := h.Credentials.MyCompliance(r.Context(), rq.by)
	if err != nil {
		h.Log.WarnContext(r.Context(), "credential notice", "err", err)
		return ""
	}
	switch text := complianceText(c, h.now()); c.State {
	case domain.ComplianceOK:
		return ""
	case domain.ComplianceMissing:
		return "You have no active personal credential: generate one."
	default:
		return "Your personal credential does not meet the policy: " + text + "."
	}
}
