package api

import (
	"net/http"
	"time"

	"keywarden/internal/account"
	"keywarden/internal/domain"
	"keywarden/pkg/apiv1"
)

func (h *Handler) getPolicy(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	p, err := h.Accounts.Policy(r.Context(), by)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, policyJSON(p))
}

func (h *Handler) updatePolicy(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	var req apiv1.UpdatePolicy
	if err := decode(w, r, &req, false); err != nil {
		return err
	}
	p := account.PolicyPatch{AllowNeverExpire: req.AllowNeverExpire, PersonalCredentials: req.PersonalCredentials,
		RefuseCredentialsWithMFA: req.RefuseCredentialsWithMFA, AccessTokenTTLSeconds: req.AccessTokenTTLSeconds, RequireMFA: req.RequireMFA,
		LeakResponse: req.LeakResponse, LeakQuarantineHours: req.LeakQuarantineHours,
		PersonalRevocation: req.PersonalRevocation, LegacyPasswordLogin: req.LegacyPasswordLogin,
		RequirePersonalCredential: req.RequirePersonalCredential, CredentialRequiredEvents: req.CredentialRequiredEvents,
		LocalLoginDisabled: req.LocalLoginDisabled, AllowFederatedPersonalCredentials: req.AllowFederatedPersonalCredentials}
	if req.BreakGlassUsers != nil {
		ids := make([]domain.UserID, 0, len(*req.BreakGlassUsers))
		for _, id := range *req.BreakGlassUsers {
			ids = append(ids, domain.UserID(id))
		}
		p.BreakGlassUsers = &ids
	}
	var v domain.ValidationError
	for _, d := range []struct {
		name string
		in   *string
		out  *account.OptionalTime
	}{
		{"legacy_password_created_before", req.LegacyPasswordCreatedBefore, &p.LegacyPasswordCreatedBefore},
		{"legacy_password_until", req.LegacyPasswordUntil, &p.LegacyPasswordUntil},
		{"personal_credential_rotate_by", req.PersonalCredentialRotateBy, &p.PersonalCredentialRotateBy},
	} {
		name := d.name
		switch {
		case d.in == nil:
		case *d.in == "":
			*d.out = account.OptionalTime{Set: true}
		default:
			t, err := parseTime(*d.in)
			if err != nil {
				v.Add(name, `must be an RFC 3339 time, e.g. 2026-11-01T00:00:00Z, or "" to clear it`)
			}
			*d.out = account.OptionalTime{Set: true, Value: &t}
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	if len(req.MaxSecretLifetimeDays) > 0 {
		p.MaxSecretLifetimeDays = map[domain.Role]int{}
		for role, days := range req.MaxSecretLifetimeDays {
			p.MaxSecretLifetimeDays[domain.Role(role)] = days
		}
	}
	pol, _, err := h.Accounts.UpdatePolicy(r.Context(), by, p)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, policyJSON(pol))
}

func (h *Handler) listAudit(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	page, err := pageFrom(r)
	if err != nil {
		return err
	}
	q, err := queryOf(r)
	if err != nil {
		return err
	}
	f := domain.AuditFilter{Action: q["action"], ActorID: q["actor"], Target: q["target"], ClientID: domain.ClientID(q["client_id"]), Page: page}
	var v domain.ValidationError
	for name, dst := range map[string]*time.Time{"since": &f.Since, "until": &f.Until} {
		if s := q[name]; s != "" {
			t, err := parseTime(s)
			if err != nil {
				v.Add(name, "must be an RFC 3339 time, e.g. 2026-11-01T00:00:00Z")
			}
			*dst = t
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	events, next, err := h.Audit.List(r.Context(), by.OrgID, f)
	if err != nil {
		return err
	}
	return h.writeAudit(w, r, by, events, next)
}

// clientActivity lists the events about one client and what it holds.
func (h *Handler) clientActivity(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	page, err := pageFrom(r)
	if err != nil {
		return err
	}
	events, next, err := h.Credentials.ClientActivity(r.Context(), by, domain.ClientID(r.PathValue("client_id")), domain.AuditFilter{Page: page})
	if err != nil {
		return err
	}
	return h.writeAudit(w, r, by, events, next)
}

func (h *Handler) writeAudit(w http.ResponseWriter, r *http.Request, by domain.Actor, events []domain.AuditEvent, next string) error {
	names, err := h.Audit.Names(r.Context(), by.OrgID, events)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, auditListJSON(events, next, names))
}

func (h *Handler) healthz(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, apiv1.Health{Status: "ok"})
}

func (h *Handler) readyz(w http.ResponseWriter, r *http.Request) error {
	if err := h.Ready(r.Context()); err != nil {
		h.Log.WarnContext(r.Context(), "not ready", "err", err)
		return writeJSON(w, http.StatusServiceUnavailable, apiv1.Health{Status: "unavailable"})
	}
	return writeJSON(w, http.StatusOK, apiv1.Health{Status: "ok"})
}

func (h *Handler) openapi(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/yaml")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, err := w.Write(h.OpenAPI)
	return err
}
