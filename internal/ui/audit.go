package ui

import (
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"keywarden/internal/domain"
)

// auditPageSize is how many events a page of the audit log shows.
const auditPageSize = 50

// actionLabels word audit actions for people; others are derived.
var actionLabels = map[string]string{
	"client.create": "Client created", "client.update": "Client changed", "client.delete": "Client deleted",
	"client.revoke_all": "All secrets revoked (breach)", "client.authenticate": "Token request",
	"secret.create": "Secret added", "secret.update": "Secret edited", "secret.revoke": "Secret revoked",
	"key.create": "Key registered", "key.update": "Key edited", "key.revoke": "Key revoked",
	"secret.rotate": "Rotation: new secret", "secret.schedule_expiry": "Old secret scheduled to expire", "secret.expire": "Secret expired",
	"rotation.complete": "Rotation completed", "refresh_token.create": "Refresh token generated", "refresh_token.use": "Refresh token used",
	"refresh_token.revoke_family": "Refresh tokens revoked (reuse)", "access_token.revoke": "Access token revoked",
	"credential.create": "Personal credential generated", "credential.rotate": "Personal credential rotated",
	"credential.revoke": "Personal credential revoked", "user.login": "Signed in", "user.login_mfa": "Two-step sign-in",
	"user.logout": "Signed out", "user.invite": "User invited", "user.role_change": "Role changed", "user.disable": "User disabled",
	"user.enable": "User enabled", "user.delete": "User deleted", "user.password_change": "Password changed",
	"auth.login": "Legacy password login", "user.legacy_password_end": "Legacy password login ended",
	"mfa.enrol_start": "Two-step enrolment started", "mfa.enable": "Two-step verification on", "mfa.disable": "Two-step verification off",
	"mfa.recovery_code_used": "Recovery code used", "policy.update": "Policy changed", "org.init": "Organisation created",
	"api.authenticate": "API token use", "key.retire": "Signing key retired",
	"webhook.endpoint_enable": "Webhook endpoint enabled", "webhook.endpoint_disable": "Webhook endpoint disabled (failing)",
	"webhook.endpoint_failing": "Webhook endpoint failing", "webhook.endpoint_retries_exhausted": "Webhook retries exhausted",
	"webhook.endpoint_recovered": "Webhook endpoint recovered",
	"webhook.redeliver":          "Webhook redelivered",
	"webhook.test":               "Webhook test event sent",
}

func actionLabel(a string) string {
	if l, ok := actionLabels[a]; ok {
		return l
	}
	s := strings.NewReplacer(".", ": ", "_", " ").Replace(a)
	if s == "" {
		return a
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// actionGroups are the audit log's action filter.
var actionGroups = []option{
	{"", "All actions"}, {"secret.", "Secrets"}, {"client.", "Clients and token requests"}, {"rotation.", "Rotations"},
	{"refresh_token.", "Refresh tokens"}, {"credential.", "Personal credentials"}, {"user.login", "Sign-ins"},
	{"user.", "Users and sign-ins"}, {"mfa.", "Two-step verification"}, {"policy.", "Policy"}, {"key.", "Signing keys"}, {"webhook.", "Webhooks"},
}

type eventRow struct {
	At      stamp
	Actor   string
	Action  string
	Code    string
	Target  string // what the target is called (its ID when it has no name)
	ID      string // the target's ID, shown beside a name
	Link    string
	Failed  bool
	Details []option
	Changes []change
	Source  string
}

// change is one field an action changed, worded for the page.
type change struct{ Field, Before, After string }

// names are what the IDs in a page of events refer to (audit.Log.Names:
// one store query for the page).
type names map[string]domain.AuditName

func (h *Handler) names(r *http.Request, rq *request, events []domain.AuditEvent) names {
	n, err := h.Audit.Names(r.Context(), rq.by.OrgID, events)
	if err != nil {
		return names{} // the IDs still say what happened
	}
	return n
}

// of is what id is called, or id.
func (n names) of(id string) string {
	if v, ok := n[id]; ok && v.Name != "" {
		return v.Name
	}
	return id
}

// link is where the console shows what id refers to, if anywhere.
func (n names) link(id string) string {
	v, ok := n[id]
	if !ok {
		return ""
	}
	switch v.Kind {
	case "client":
		if domain.ClientID(id).Valid() {
			return "/ui/clients/" + id + "/activity"
		}
	case "secret":
		return "/ui/clients/" + string(v.ClientID) + "/secrets"
	case "rotation":
		return "/ui/clients/" + string(v.ClientID) + "/rotations/" + id
	case "user":
		return "/ui/users"
	}
	return ""
}

// changeLabels word changed fields; others are the field with spaces.
var changeLabels = map[string]string{
	"token_ttl_seconds": "token lifetime (seconds)", "access_token_ttl_seconds": "access-token lifetime (seconds)",
	"expires_at": "expires", "allowed_cidrs": "allowed addresses", "webhook_url": "webhook URL",
}

func (n names) row(e domain.AuditEvent, now time.Time) eventRow {
	row := eventRow{At: newStamp(e.At, now), Action: actionLabel(e.Action), Code: e.Action, Target: n.of(e.Target),
		Link: n.link(e.Target), Failed: e.Result == domain.ResultFailure, Source: e.Source}
	if row.Target != e.Target {
		row.ID = e.Target
	}
	switch {
	case e.ActorKind == domain.ActorSystem:
		row.Actor = "Keywarden (" + e.ActorID + ")"
	case e.ActorID == "":
		row.Actor = "Unknown"
	default:
		row.Actor = n.of(e.ActorID)
	}
	keys := make([]string, 0, len(e.Detail))
	for k := range e.Detail {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := e.Detail[k]
		if k == "fields" && len(e.Changes) > 0 {
			continue // the changes below say it with values
		}
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			v = newStamp(t, now).Abs
		} else if strings.Contains(v, "_") {
			parts := strings.Split(v, ",")
			for i, id := range parts {
				if name := n.of(id); name != id {
					parts[i] = name + " (" + id + ")"
				}
			}
			v = strings.Join(parts, ", ")
		}
		row.Details = append(row.Details, option{Value: v, Label: strings.ReplaceAll(strings.TrimSuffix(k, "_id"), "_", " ")})
	}
	for _, c := range e.Changes {
		label, ok := changeLabels[c.Field]
		if !ok {
			label = strings.NewReplacer(".", " · ", "_", " ").Replace(c.Field)
		}
		word := func(v string) string {
			if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
				return newStamp(t, now).Abs
			}
			if v == "" {
				return "(none)"
			}
			return v
		}
		row.Changes = append(row.Changes, change{Field: label, Before: word(c.Before), After: word(c.After)})
	}
	return row
}

type activityData struct {
	Client clientHeader
	Rows   []eventRow
	Older  string
	Newest string
}

func (h *Handler) activity(w http.ResponseWriter, r *http.Request, rq *request) error {
	c, err := h.Credentials.GetClient(r.Context(), rq.by, domain.ClientID(r.PathValue("id")))
	if err != nil {
		return err
	}
	before := r.URL.Query().Get("before")
	if _, err := domain.DecodeSeq(before); before != "" && err != nil {
		before = ""
	}
	events, next, err := h.Credentials.ClientActivity(r.Context(), rq.by, c.ID, domain.AuditFilter{Page: domain.Page{After: before, Limit: auditPageSize}})
	if err != nil {
		return err
	}
	base := "/ui/clients/" + string(c.ID) + "/activity"
	d := activityData{Client: h.headerOf(r, rq, c, "activity")}
	if next != "" {
		d.Older = base + "?before=" + url.QueryEscape(next)
	}
	if before != "" {
		d.Newest = base
	}
	n := h.names(r, rq, events)
	now := h.now()
	for _, e := range events {
		d.Rows = append(d.Rows, n.row(e, now))
	}
	h.render(w, r, rq, http.StatusOK, "client_activity", &page{Title: c.Name + " · Activity", Nav: "clients", Data: d})
	return nil
}

type auditData struct {
	Rows             []eventRow
	Actor, Action    string
	Client, From, To string
	Actors           []option
	Actions          []option
	Older, Newest    string
	Filtered         bool
	Errors           map[string]string
	ErrorSummary     []string
}

func (h *Handler) auditLog(w http.ResponseWriter, r *http.Request, rq *request) error {
	q := r.URL.Query()
	d := auditData{Actor: q.Get("actor"), Action: q.Get("action"), Client: q.Get("client"), From: strings.TrimSpace(q.Get("from")),
		To: strings.TrimSpace(q.Get("to")), Actions: actionGroups, Errors: map[string]string{}}
	f := domain.AuditFilter{Action: d.Action, ActorID: d.Actor, Page: domain.Page{Limit: auditPageSize}}
	if before := q.Get("before"); before != "" {
		if _, err := domain.DecodeSeq(before); err == nil {
			f.Page.After = before
		}
	}
	fe := newForm()
	if d.From != "" {
		if t, err := parseDMY(d.From); err != nil {
			fe.fieldErr("from", "From", sentence(err.Error()))
		} else {
			f.Since = t
		}
	}
	if d.To != "" {
		if t, err := parseDMY(d.To); err != nil {
			fe.fieldErr("to", "To", sentence(err.Error()))
		} else {
			f.Until = t.Add(24 * time.Hour) // the whole day
		}
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Until.After(f.Since) {
		fe.fieldErr("to", "To", "Must be on or after the From date.")
	}
	d.Actors = []option{{"", "Anyone"}}
	users, err := h.Accounts.ListUsers(r.Context(), rq.by)
	if err != nil {
		return err
	}
	for _, u := range users {
		d.Actors = append(d.Actors, option{string(u.ID), u.Email})
	}
	if d.Client != "" {
		id, msg, err := h.findClient(r, rq, d.Client)
		if err != nil {
			return err
		}
		if msg != "" {
			fe.fieldErr("client", "Client", msg)
		}
		f.ClientID = id
	}
	d.Errors, d.ErrorSummary = fe.Errors, fe.Summary
	d.Filtered = d.Actor != "" || d.Action != "" || d.Client != "" || d.From != "" || d.To != ""
	var events []domain.AuditEvent
	var next string
	status := http.StatusOK
	if fe.Failed() {
		status = http.StatusUnprocessableEntity
	} else if events, next, err = h.Audit.List(r.Context(), rq.by.OrgID, f); err != nil {
		return err
	}
	n := h.names(r, rq, events)
	v := url.Values{}
	for k, val := range map[string]string{"actor": d.Actor, "action": d.Action, "client": d.Client, "from": d.From, "to": d.To} {
		if val != "" {
			v.Set(k, val)
		}
	}
	if f.Page.After != "" {
		d.Newest = "/ui/audit?" + v.Encode()
	}
	if next != "" {
		v.Set("before", next)
		d.Older = "/ui/audit?" + v.Encode()
	}
	now := h.now()
	for _, e := range events {
		d.Rows = append(d.Rows, n.row(e, now))
	}
	h.render(w, r, rq, status, "audit", &page{Title: "Audit log", Nav: "audit", Data: d})
	return nil
}

// findClient resolves the audit filter's client, given by ID or by name
// (the whole name, or a part that only one client's name, ID or
// description holds), with a store search: msg says why it could not.
func (h *Handler) findClient(r *http.Request, rq *request, text string) (domain.ClientID, string, error) {
	text = strings.TrimSpace(text)
	if id := domain.ClientID(text); id.Valid() {
		return id, "", nil // also a deleted client: its events stay in the log
	}
	found, _, err := h.Credentials.SearchClients(r.Context(), rq.by, domain.ClientQuery{Text: text, Sort: domain.SortName, Page: domain.Page{Limit: 20}})
	if err != nil {
		return "", "", err
	}
	for _, c := range found {
		if strings.EqualFold(c.Name, text) {
			return c.ID, "", nil
		}
	}
	switch len(found) {
	case 0:
		return "", "No client has a name or ID containing “" + text + "”.", nil
	case 1:
		return found[0].ID, "", nil
	}
	return "", "Several clients match “" + text + "”: type the whole name or the client ID.", nil
}
