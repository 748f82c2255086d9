package ui

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
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
	Target  string
	Link    string
	Failed  bool
	Details []option
	Source  string
}

// names resolves IDs in events to what people recognise.
type names struct {
	users   map[string]string
	clients map[string]string
}

func (h *Handler) names(r *http.Request, rq *request) names {
	n := names{users: map[string]string{}, clients: map[string]string{}}
	if users, err := h.Accounts.ListUsers(r.Context(), rq.by); err == nil {
		for _, u := range users {
			n.users[string(u.ID)] = u.Email
		}
	}
	if cs, err := h.allClients(r, rq); err == nil {
		for _, c := range cs {
			n.clients[string(c.ID)] = c.Name
		}
	}
	return n
}

func (n names) of(id string) string {
	if v, ok := n.users[id]; ok {
		return v
	}
	if v, ok := n.clients[id]; ok {
		return v
	}
	return id
}

func (n names) row(e domain.AuditEvent, now time.Time) eventRow {
	row := eventRow{At: newStamp(e.At, now), Action: actionLabel(e.Action), Code: e.Action, Target: n.of(e.Target),
		Failed: e.Result == domain.ResultFailure, Source: e.Source}
	switch {
	case e.ActorKind == domain.ActorSystem:
		row.Actor = "Keywarden (" + e.ActorID + ")"
	case e.ActorID == "":
		row.Actor = "Unknown"
	default:
		row.Actor = n.of(e.ActorID)
	}
	if strings.HasPrefix(e.Target, domain.PrefixClient) {
		if _, ok := n.clients[e.Target]; ok {
			row.Link = "/ui/clients/" + e.Target + "/activity"
		}
	}
	keys := make([]string, 0, len(e.Detail))
	for k := range e.Detail {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := e.Detail[k]
		if k == "client_id" || k == "user_id" {
			v = n.of(v)
		} else if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			v = newStamp(t, now).Abs
		}
		row.Details = append(row.Details, option{Value: v, Label: strings.ReplaceAll(k, "_", " ")})
	}
	return row
}

// clientEvents lists a client's events, newest first: those naming the
// client and those naming its secrets, rotations and refresh tokens (the
// store filters by one target at a time).
func (h *Handler) clientEvents(r *http.Request, rq *request, clientID domain.ClientID, f domain.AuditFilter) ([]domain.AuditEvent, string, error) {
	targets := []string{string(clientID)}
	if list, err := h.Credentials.ListSecrets(r.Context(), rq.by, clientID, consolePage); err == nil {
		for _, x := range list.Secrets {
			targets = append(targets, string(x.ID))
		}
	} else {
		return nil, "", err
	}
	if rots, _, err := h.Credentials.ListRotations(r.Context(), rq.by, clientID, consolePage); err == nil {
		for _, v := range rots {
			targets = append(targets, string(v.Rotation.ID))
		}
	}
	if toks, _, err := h.Refresh.List(r.Context(), rq.by, clientID, consolePage); err == nil {
		for i, t := range toks {
			if i >= 50 {
				break
			}
			targets = append(targets, string(t.ID))
		}
	}
	size := f.Page.Size()
	var all []domain.AuditEvent
	for _, t := range targets {
		q := f
		q.Target = t
		events, _, err := h.Audit.List(r.Context(), rq.by.OrgID, q)
		if err != nil {
			return nil, "", err
		}
		all = append(all, events...)
	}
	slices.SortFunc(all, func(a, b domain.AuditEvent) int { return cmp.Compare(b.Seq, a.Seq) })
	next := ""
	if len(all) > size {
		all = all[:size]
		next = domain.EncodeSeq(all[size-1].Seq)
	}
	return all, next, nil
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
	events, next, err := h.clientEvents(r, rq, c.ID, domain.AuditFilter{Page: domain.Page{After: before, Limit: auditPageSize}})
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
	n := h.names(r, rq)
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
	Actors, Clients  []option
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
	d.Errors, d.ErrorSummary = fe.Errors, fe.Summary
	n := h.names(r, rq)
	d.Actors = []option{{"", "Anyone"}}
	users, err := h.Accounts.ListUsers(r.Context(), rq.by)
	if err != nil {
		return err
	}
	for _, u := range users {
		d.Actors = append(d.Actors, option{string(u.ID), u.Email})
	}
	d.Clients = []option{{"", "All clients"}}
	cs, err := h.allClients(r, rq)
	if err != nil {
		return err
	}
	for i := len(cs) - 1; i >= 0; i-- {
		d.Clients = append(d.Clients, option{string(cs[i].ID), cs[i].Name})
	}
	d.Filtered = d.Actor != "" || d.Action != "" || d.Client != "" || d.From != "" || d.To != ""
	var events []domain.AuditEvent
	var next string
	status := http.StatusOK
	switch {
	case fe.Failed():
		status = http.StatusUnprocessableEntity
	case d.Client != "":
		if _, err := h.Credentials.GetClient(r.Context(), rq.by, domain.ClientID(d.Client)); err != nil {
			d.Errors["client"] = "That client does not exist (any more)."
			d.ErrorSummary = append(d.ErrorSummary, "Client: that client does not exist (any more).")
			status = http.StatusUnprocessableEntity
			break
		}
		events, next, err = h.clientEvents(r, rq, domain.ClientID(d.Client), f)
	default:
		events, next, err = h.Audit.List(r.Context(), rq.by.OrgID, f)
	}
	if err != nil {
		return err
	}
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

// maxListedClients bounds how many clients the audit page reads for its
// client filter and names.
const maxListedClients = 10_000

// allClients reads the organisation's clients, a store page at a time, up
// to maxListedClients.
func (h *Handler) allClients(r *http.Request, rq *request) ([]domain.Client, error) {
	var out []domain.Client
	p := domain.Page{Limit: domain.MaxLimit}
	for {
		list, next, err := h.Credentials.ListClients(r.Context(), rq.by, p)
		if err != nil {
			return nil, err
		}
		out = append(out, list...)
		if next == "" || len(out) >= maxListedClients {
			return out, nil
		}
		p.After = next
	}
}
