package ui

import (
	"context"
	"net/http"
	"time"

	"keywarden/internal/credential"
	"keywarden/internal/domain"
	"keywarden/internal/secretvalue"
)

// leakNotice is one recorded leak as the console shows it: on the Leaks
// page, the overview's banner and the client page's banner.
type leakNotice struct {
	ID, Kind, Target, Masked, Source, SourceURL, Reporter string
	ClientID, UserID                                      string
	Reported                                              stamp
	// Until is when a quarantined secret stops working; nil once revoked.
	Until *stamp
	// Rotate: the client still needs a new secret (a leaked secret; a
	// quarantined one still works until Until).
	Rotate bool
}

var leakKindNames = map[domain.LeakKind]string{
	domain.LeakSecret: "Client secret", domain.LeakRefreshToken: "Refresh token",
	domain.LeakAPIToken: "Admin API token", domain.LeakSession: "Session",
}

var leakPrefixes = map[domain.LeakKind]string{
	domain.LeakSecret: secretvalue.PrefixClientSecret, domain.LeakRefreshToken: secretvalue.PrefixRefreshToken,
	domain.LeakAPIToken: secretvalue.PrefixAPIToken, domain.LeakSession: secretvalue.PrefixSession,
}

func leakNoticeOf(l domain.Leak, now time.Time) leakNotice {
	n := leakNotice{ID: l.ID, Kind: leakKindNames[l.Kind], Target: l.TargetID, Source: l.Source, SourceURL: l.SourceURL,
		Reporter: l.Reporter, ClientID: string(l.ClientID), UserID: string(l.UserID), Reported: newStamp(l.ReportedAt, now),
		Rotate: l.Kind == domain.LeakSecret && l.ClientID != "" && !l.ClientID.Personal()}
	if l.Hint != "" {
		n.Masked = leakPrefixes[l.Kind] + "…" + l.Hint
	}
	if l.Response == domain.LeakQuarantined && l.QuarantineUntil != nil && l.QuarantineUntil.After(now) {
		n.Until = stampPtr(l.QuarantineUntil, now)
	}
	return n
}

// recentLeaks are a client's leaks of the overview's window, for its page's
// banner (nil when the reader may not see them or there are none).
func (h *Handler) recentLeaks(ctx context.Context, by domain.Actor, clientID domain.ClientID, now time.Time) []leakNotice {
	leaks, err := h.Credentials.Leaks(ctx, by, clientID, 5)
	if err != nil {
		h.Log.WarnContext(ctx, "client leaks", "client_id", clientID, "err", err)
		return nil
	}
	var out []leakNotice
	for _, l := range leaks {
		if l.ReportedAt.After(now.AddDate(0, 0, -credential.OverviewLeakDays)) {
			out = append(out, leakNoticeOf(l, now))
		}
	}
	return out
}

type leaksData struct {
	Leaks []leakNotice
}

// leaks is the organisation's leak reports: when, where, what, and what
// was done (docs/leaks.md).
func (h *Handler) leaks(w http.ResponseWriter, r *http.Request, rq *request) error {
	leaks, err := h.Credentials.Leaks(r.Context(), rq.by, "", 200)
	if err != nil {
		return err
	}
	now := h.now()
	d := leaksData{}
	for _, l := range leaks {
		d.Leaks = append(d.Leaks, leakNoticeOf(l, now))
	}
	h.render(w, r, rq, http.StatusOK, "leaks", &page{Title: "Leaks", Nav: "leaks", Canonical: "/ui/leaks", Data: d})
	return nil
}
