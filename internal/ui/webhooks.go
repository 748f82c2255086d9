package ui

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"keywarden/internal/credential"
	"keywarden/internal/domain"
	"keywarden/internal/webhook"
)

// deliveriesPerPage is the delivery log's page size.
const deliveriesPerPage = 20

// maxExcerptCell is how much of a response excerpt the log's table shows;
// the delivery's page shows all of it (at most 200 characters).
const maxExcerptCell = 80

// eventInfo words an event type for people.
type eventInfo struct{ Label, Help string }

// eventInfos describe the event types of webhook.Types(); a type missing
// here is shown by its name.
var eventInfos = map[string]eventInfo{
	webhook.TypeSecretCreated:      {"Secret created", "A secret was added, also by a rotation."},
	webhook.TypeSecretExpiring:     {"Secret expiring", "14, 7 and 1 day before a secret expires."},
	webhook.TypeSecretExpired:      {"Secret expired", "A secret's expiry passed."},
	webhook.TypeSecretRevoked:      {"Secret revoked", "One secret, a completed rotation, or Revoke all."},
	webhook.TypeRefreshTokenIssued: {"Refresh token generated", "Someone generated a refresh token."},
	webhook.TypeClientUpdated:      {"Client changed", "Name, scopes, webhook settings and the like."},
	webhook.TypeClientDisabled:     {"Client disabled", "The client can no longer get tokens."},
	webhook.TypeCredentialRevoked:  {"Personal credential revoked", "For personal credentials only."},
	webhook.TypeSecretLeaked:       {"Secret leaked", "A leak report named a live secret; it was revoked or quarantined."},
	webhook.TypeCredentialLeaked:   {"Personal credential leaked", "For personal credentials only."},
	webhook.TypeKeyCreated:         {"Key registered", "A public key (private_key_jwt) was added."},
	webhook.TypeKeyRevoked:         {"Key revoked", "A public key was revoked, and its access tokens with it."},
	// Not one of webhook.Types(): sent on request, whatever is selected.
	webhook.TypeTest: {"Test event", "Sent with Send test event."},
}

func eventLabel(typ string) string {
	if e, ok := eventInfos[typ]; ok {
		return e.Label
	}
	return typ
}

// eventChoice is one checkbox of the event selection.
type eventChoice struct {
	Type, Label, Help string
	Checked           bool
}

// endpointHealth is the endpoint's state as the tab shows it.
type endpointHealth struct {
	Status, Label, Badge string
	FailingSince         *stamp
	ExhaustedAt          *stamp // a delivery ran out of retries
	DisabledAt           *stamp
	// Replayable deliveries failed since ReplaySince (RFC 3339).
	Replayable  int
	ReplaySince string
	// Reason is why it was disabled; LastError the last attempt's error
	// in it, when the reason has the dispatcher's form.
	Reason, LastError string
}

func healthOf(v webhook.EndpointView, now time.Time) endpointHealth {
	h := endpointHealth{Status: v.Status, FailingSince: stampPtr(v.Health.FailingSince, now), DisabledAt: stampPtr(v.Health.DisabledAt, now),
		ExhaustedAt: stampPtr(v.Health.ExhaustedAt, now), Reason: v.Health.DisabledReason, Replayable: v.Replayable}
	if v.ReplaySince != nil {
		h.ReplaySince = v.ReplaySince.Format(time.RFC3339Nano)
	}
	if _, last, ok := strings.Cut(h.Reason, "; last: "); ok && h.FailingSince != nil {
		h.LastError = last
	}
	switch v.Status {
	case webhook.EndpointNone:
		h.Label, h.Badge = "Not set up", "muted"
	case webhook.EndpointFailing:
		h.Label, h.Badge = "Failing", "warn"
	case webhook.EndpointDisabled:
		h.Label, h.Badge = "Disabled", "danger"
	default:
		h.Label, h.Badge = "Active", "ok"
	}
	return h
}

// deliveryRow is one line of the delivery log, and the top of a
// delivery's page.
type deliveryRow struct {
	ID, Type, Event string
	Status, Badge   string
	Link            string
	Created         stamp
	Next, Delivered *stamp
	Attempts        int
	// The last attempt: its HTTP status (when Answered), latency, answer
	// excerpt and error.
	Code           int
	Answered       bool
	Latency        string
	Excerpt, Error string
	// The delivery's page only.
	LastError  string
	Payload    string
	AttemptLog []attemptRow
}

type attemptRow struct {
	N       int
	At      stamp
	URL     string
	Code    int
	OK      bool
	Latency string
	Error   string
	Excerpt string
}

func deliveryRowOf(m domain.WebhookMessage, base string, now time.Time) deliveryRow {
	row := deliveryRow{ID: m.ID, Type: m.EventType, Event: eventLabel(m.EventType), Created: newStamp(m.CreatedAt, now),
		Attempts: m.Attempts, Code: m.LastStatusCode, Link: base + "/deliveries/" + string(m.ID), LastError: m.LastError,
		Delivered: stampPtr(m.DeliveredAt, now)}
	switch m.Status {
	case domain.WebhookDelivered:
		row.Status, row.Badge = "Delivered", "ok"
	case domain.WebhookFailed:
		row.Status, row.Badge = "Failed", "danger"
	default:
		row.Next = stampPtr(m.NextAttemptAt, now)
		if m.Attempts > 0 {
			row.Status, row.Badge = "Retrying", "warn"
		} else {
			row.Status, row.Badge = "Pending", "new"
		}
	}
	return row
}

// latency words an attempt's duration: "85 ms", "1.2 s".
func latency(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return "< 1 ms"
	case d < time.Second:
		return strconv.FormatInt(d.Milliseconds(), 10) + " ms"
	}
	return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + " s"
}

// attemptError is an attempt's error unless it only repeats the status
// code ("HTTP 500").
func attemptError(a domain.WebhookAttempt) string {
	if a.StatusCode != 0 && a.Error == "HTTP "+strconv.Itoa(a.StatusCode) {
		return ""
	}
	return a.Error
}

// withLast fills the log's columns from a delivery's latest attempt.
func (row *deliveryRow) withLast(a domain.WebhookAttempt) {
	row.Answered = a.StatusCode != 0
	row.Latency = latency(a.Latency)
	row.Error = attemptError(a)
	row.Excerpt = a.ResponseExcerpt
	if r := []rune(row.Excerpt); len(r) > maxExcerptCell {
		row.Excerpt = strings.TrimSpace(string(r[:maxExcerptCell])) + "…"
	}
}

// webhookData is the Webhooks tab.
type webhookData struct {
	Client clientHeader
	Form   *form
	// AllEvents: the endpoint receives every event (none is ticked).
	AllEvents bool
	Events    []eventChoice
	// Selectors are parts of the selection set through the API or CLI that
	// are groups ("secret.*"), shown because saving here replaces them.
	Selectors []string
	URLHint   string
	// Log is false when this server has no webhook service: the endpoint
	// can be set, but its health and deliveries are not shown.
	Log     bool
	Health  endpointHealth
	Secrets int // active secrets: the signatures on each delivery
	// PublicKeys are the active v1a signing keys' public keys ("whpk_…")
	// and KeySet the unauthenticated URL that publishes them.
	PublicKeys []string
	KeySet     string
	Rows       []deliveryRow
	Status     string
	Statuses   []option
	Query      string // the log's page, to come back to after a redelivery
	Older      string
	Newest     string
	Filtered   bool
	// CanRedeliver is false while the endpoint has no URL or is disabled
	// (the service refuses then).
	CanRedeliver bool
}

func (h *Handler) webhooks(w http.ResponseWriter, r *http.Request, rq *request) error {
	c, err := h.Credentials.GetClient(r.Context(), rq.by, domain.ClientID(r.PathValue("id")))
	if err != nil {
		return err
	}
	return h.renderWebhooks(w, r, rq, http.StatusOK, c, nil)
}

// webhookForm is the endpoint form filled from the client.
func webhookForm(c domain.Client) *form {
	f := newForm()
	f.Values["url"] = c.WebhookURL
	return f
}

// eventChoices are the checkboxes for a selection: ticked when checked
// says so.
func eventChoices(checked func(typ string) bool) []eventChoice {
	var out []eventChoice
	for _, t := range webhook.Types() {
		info := eventInfos[t]
		if info.Label == "" {
			info.Label = t
		}
		out = append(out, eventChoice{Type: t, Label: info.Label, Help: info.Help, Checked: checked(t)})
	}
	return out
}

func (h *Handler) renderWebhooks(w http.ResponseWriter, r *http.Request, rq *request, status int, c domain.Client, f *form) error {
	base := "/ui/clients/" + string(c.ID) + "/webhook"
	d := webhookData{Client: h.headerOf(r, rq, c, "webhooks"), Form: f, Log: h.Webhooks != nil,
		URLHint:  "An https:// address on the public internet. Keywarden POSTs each event there as JSON.",
		Statuses: []option{{"", "All statuses"}, {string(domain.WebhookPending), "Pending"}, {string(domain.WebhookDelivered), "Delivered"}, {string(domain.WebhookFailed), "Failed"}}}
	if h.Webhooks != nil && h.Webhooks.Guard().AllowsNonPublic() {
		d.URLHint = "Keywarden POSTs each event there as JSON. This server also accepts http:// and addresses on private networks."
	}
	if f == nil {
		// A stored selection ticks what it covers (every type when it is
		// empty: switching to "Only the events ticked" starts from all).
		d.Form = webhookForm(c)
		d.AllEvents = len(c.WebhookEvents) == 0 || slices.Contains(c.WebhookEvents, "*")
		d.Events = eventChoices(func(t string) bool { return webhook.Wants(c.WebhookEvents, t) })
		for _, s := range c.WebhookEvents {
			if strings.HasSuffix(s, ".*") {
				d.Selectors = append(d.Selectors, s)
			}
		}
	} else {
		types := strings.Fields(f.Values["types"])
		d.AllEvents = f.Values["events"] != "some"
		d.Events = eventChoices(func(t string) bool { return slices.Contains(types, t) })
	}
	if list, err := h.Credentials.ListSecrets(r.Context(), rq.by, c.ID, consolePage); err == nil {
		now := h.now()
		for _, x := range list.Secrets {
			if x.State(now) == domain.SecretActive {
				d.Secrets++
			}
		}
	} else {
		return err
	}
	if d.Log {
		if err := h.deliveryLog(r, rq, c, base, &d); err != nil {
			return err
		}
		keys, err := h.Webhooks.SigningKeys(r.Context(), rq.by, c.ID)
		if err != nil {
			return err
		}
		for _, k := range keys {
			if k.RetiredAt == nil {
				d.PublicKeys = append(d.PublicKeys, webhook.PublicKeyText(k))
			}
		}
		d.KeySet = "/v1/webhook-keys/" + string(c.ID)
	}
	h.render(w, r, rq, status, "client_webhooks", &page{Title: c.Name + " · Webhooks", Nav: "clients", Canonical: base + canonicalQuery(d.Query), Data: d})
	return nil
}

func canonicalQuery(q string) string {
	if q == "" {
		return ""
	}
	return "?" + q
}

// logQuery reads the log's filter and page from a query, keeping only
// what is valid.
func logQuery(q url.Values) (status, after string) {
	status = q.Get("status")
	if !webhook.ValidStatus(domain.WebhookStatus(status)) {
		status = ""
	}
	after = q.Get("after")
	if _, err := domain.DecodeCursor(after); after != "" && err != nil {
		after = ""
	}
	return status, after
}

// deliveryLog fills in the endpoint's health and a page of its deliveries.
func (h *Handler) deliveryLog(r *http.Request, rq *request, c domain.Client, base string, d *webhookData) error {
	now := h.now()
	v, err := h.Webhooks.Endpoint(r.Context(), rq.by, c.ID)
	if err != nil {
		return err
	}
	d.Health = healthOf(v, now)
	d.CanRedeliver = v.Status != webhook.EndpointNone && v.Status != webhook.EndpointDisabled
	status, after := logQuery(r.URL.Query())
	d.Status = status
	d.Filtered = d.Status != ""
	list, next, err := h.Webhooks.ListDeliveries(r.Context(), rq.by, c.ID,
		domain.WebhookFilter{Status: domain.WebhookStatus(d.Status), Page: domain.Page{After: after, Limit: deliveriesPerPage}})
	if err != nil {
		return err
	}
	link := func(after string) string {
		q := url.Values{}
		if d.Status != "" {
			q.Set("status", d.Status)
		}
		if after != "" {
			q.Set("after", after)
		}
		return q.Encode()
	}
	d.Query = link(after)
	if after != "" {
		d.Newest = base + canonicalQuery(link(""))
	}
	if next != "" {
		d.Older = base + "?" + link(next)
	}
	for _, m := range list {
		row := deliveryRowOf(m, base, now)
		if m.LastAttemptAt != nil {
			dl, err := h.Webhooks.GetDelivery(r.Context(), rq.by, c.ID, m.ID)
			if err != nil && !errors.Is(err, domain.ErrNotFound) {
				return err
			}
			if n := len(dl.Attempts); n > 0 {
				row.withLast(dl.Attempts[n-1])
			}
		}
		d.Rows = append(d.Rows, row)
	}
	return nil
}

// webhookFields maps the client service's fields to the endpoint form's.
var webhookFields = map[string]field{"webhook_url": {"url", "Endpoint URL"}, "webhook_events": {"events", "Events"}}

func (h *Handler) updateWebhook(w http.ResponseWriter, r *http.Request, rq *request) error {
	c, err := h.Credentials.GetClient(r.Context(), rq.by, domain.ClientID(r.PathValue("id")))
	if err != nil {
		return err
	}
	f := newForm()
	hook := strings.TrimSpace(r.PostForm.Get("url"))
	f.Values["url"] = hook
	f.Values["events"] = r.PostForm.Get("events")
	var types []string
	for _, t := range r.PostForm["type"] {
		if slices.Contains(webhook.Types(), t) && !slices.Contains(types, t) {
			types = append(types, t)
		}
	}
	f.Values["types"] = strings.Join(types, " ")
	events := []string{}
	if f.Values["events"] == "some" {
		if len(types) == 0 {
			f.fieldErr("events", "Events", "Tick at least one event, or choose All events.")
		}
		events = types
	}
	if !f.Failed() {
		_, err := h.Credentials.UpdateClient(r.Context(), rq.by, c.ID, credential.ClientPatch{WebhookURL: &hook, WebhookEvents: &events})
		if err == nil {
			switch {
			case hook == "":
				h.setFlash(w, r, "success", "Webhook settings saved. Without an endpoint URL, no events are sent.")
			case hook != c.WebhookURL:
				h.setFlash(w, r, "success", "Webhook settings saved. Events now go to "+hook+".")
			default:
				h.setFlash(w, r, "success", "Webhook settings saved.")
			}
			redirect(w, r, "/ui/clients/"+string(c.ID)+"/webhook")
			return nil
		}
		if !f.take(err, webhookFields) {
			return err
		}
	}
	return h.renderWebhooks(w, r, rq, http.StatusUnprocessableEntity, c, f)
}

func (h *Handler) enableWebhook(w http.ResponseWriter, r *http.Request, rq *request) error {
	if h.Webhooks == nil {
		return domain.ErrNotFound
	}
	id := domain.ClientID(r.PathValue("id"))
	v, err := h.Webhooks.EnableEndpoint(r.Context(), rq.by, id, r.PostForm.Get("replay") == "1")
	var conflict *domain.ConflictError
	switch {
	case errors.As(err, &conflict):
		h.setFlash(w, r, "error", "This client has no endpoint URL to enable. Enter one and save.")
	case err != nil:
		return err
	case v.Replayed > 0:
		h.setFlash(w, r, "success", "The endpoint "+v.Client.WebhookURL+" is enabled again, and "+strconv.Itoa(v.Replayed)+" deliveries that failed meanwhile are queued again, with their webhook-ids.")
	default:
		h.setFlash(w, r, "success", "The endpoint "+v.Client.WebhookURL+" is enabled again. Deliveries that failed meanwhile stay failed: replay or redeliver the ones that matter.")
	}
	redirect(w, r, "/ui/clients/"+string(id)+"/webhook")
	return nil
}

// replayWebhook replays the deliveries that failed since the endpoint's
// failing streak began (the "since" field, RFC 3339).
func (h *Handler) replayWebhook(w http.ResponseWriter, r *http.Request, rq *request) error {
	if h.Webhooks == nil {
		return domain.ErrNotFound
	}
	id := domain.ClientID(r.PathValue("id"))
	since, err := time.Parse(time.RFC3339Nano, r.PostForm.Get("since"))
	if err != nil {
		h.setFlash(w, r, "error", "The replay needs a start time; reload the page and try again.")
		redirect(w, r, "/ui/clients/"+string(id)+"/webhook")
		return nil
	}
	n, more, err := h.Webhooks.Replay(r.Context(), rq.by, id, since, false)
	var conflict *domain.ConflictError
	switch {
	case errors.As(err, &conflict):
		h.setFlash(w, r, "error", conflict.Error())
	case err != nil:
		return err
	case more:
		h.setFlash(w, r, "success", strconv.Itoa(n)+" failed deliveries are queued again (the most one replay takes); replay again for the rest.")
	default:
		h.setFlash(w, r, "success", strconv.Itoa(n)+" failed deliveries are queued again, with their webhook-ids.")
	}
	redirect(w, r, "/ui/clients/"+string(id)+"/webhook")
	return nil
}

// sendTestWebhook queues a webhook.test event: signed, sent, retried and
// logged like every delivery.
func (h *Handler) sendTestWebhook(w http.ResponseWriter, r *http.Request, rq *request) error {
	if h.Webhooks == nil {
		return domain.ErrNotFound
	}
	id := domain.ClientID(r.PathValue("id"))
	m, err := h.Webhooks.SendTest(r.Context(), rq.by, id)
	var conflict *domain.ConflictError
	switch {
	case errors.As(err, &conflict):
		h.setFlash(w, r, "error", sentence(conflict.Reason))
	case err != nil:
		return err
	default:
		h.setFlash(w, r, "success", "A test event ("+m.ID+") is queued: it appears under Deliveries, signed like every delivery, within seconds.")
	}
	redirect(w, r, "/ui/clients/"+string(id)+"/webhook")
	return nil
}

func (h *Handler) redeliverWebhook(w http.ResponseWriter, r *http.Request, rq *request) error {
	if h.Webhooks == nil {
		return domain.ErrNotFound
	}
	clientID, id := domain.ClientID(r.PathValue("id")), r.PathValue("did")
	base := "/ui/clients/" + string(clientID) + "/webhook"
	back := base
	if r.PostForm.Get("from") == "delivery" {
		back = base + "/deliveries/" + string(id)
	} else if q, err := url.ParseQuery(r.PostForm.Get("log")); err == nil {
		status, after := logQuery(q)
		v := url.Values{}
		if status != "" {
			v.Set("status", status)
		}
		if after != "" {
			v.Set("after", after)
		}
		back += canonicalQuery(v.Encode())
	}
	m, err := h.Webhooks.Redeliver(r.Context(), rq.by, clientID, id)
	var conflict *domain.ConflictError
	switch {
	case errors.As(err, &conflict):
		v, verr := h.Webhooks.Endpoint(r.Context(), rq.by, clientID)
		if verr == nil && v.Status == webhook.EndpointDisabled {
			h.setFlash(w, r, "error", "The endpoint is disabled. Enable it first, then redeliver.")
		} else {
			h.setFlash(w, r, "error", "This client has no endpoint URL: enter one and save, then redeliver.")
		}
	case err != nil:
		return err
	default:
		h.setFlash(w, r, "success", eventLabel(m.EventType)+" ("+string(m.ID)+") is queued for redelivery, with the same webhook-id.")
	}
	redirect(w, r, back)
	return nil
}

// deliveryData is one delivery's page.
type deliveryData struct {
	Client       clientHeader
	Row          deliveryRow
	Back         string
	CanRedeliver bool
}

func (h *Handler) webhookDelivery(w http.ResponseWriter, r *http.Request, rq *request) error {
	if h.Webhooks == nil {
		return domain.ErrNotFound
	}
	c, err := h.Credentials.GetClient(r.Context(), rq.by, domain.ClientID(r.PathValue("id")))
	if err != nil {
		return err
	}
	dl, err := h.Webhooks.GetDelivery(r.Context(), rq.by, c.ID, r.PathValue("did"))
	if err != nil {
		return err
	}
	v, err := h.Webhooks.Endpoint(r.Context(), rq.by, c.ID)
	if err != nil {
		return err
	}
	now := h.now()
	base := "/ui/clients/" + string(c.ID) + "/webhook"
	d := deliveryData{Client: h.headerOf(r, rq, c, "webhooks"), Row: deliveryRowOf(dl.Message, base, now), Back: string(base),
		CanRedeliver: v.Status != webhook.EndpointNone && v.Status != webhook.EndpointDisabled}
	var pretty bytes.Buffer
	if json.Indent(&pretty, dl.Message.Payload, "", "  ") == nil {
		d.Row.Payload = pretty.String()
	} else {
		d.Row.Payload = string(dl.Message.Payload)
	}
	// Newest attempt first, like the log.
	for i := len(dl.Attempts) - 1; i >= 0; i-- {
		a := dl.Attempts[i]
		d.Row.AttemptLog = append(d.Row.AttemptLog, attemptRow{N: i + 1, At: newStamp(a.At, now), URL: a.URL, Code: a.StatusCode,
			OK: a.StatusCode >= 200 && a.StatusCode <= 299 && a.Error == "", Latency: latency(a.Latency), Error: attemptError(a), Excerpt: a.ResponseExcerpt})
	}
	h.render(w, r, rq, http.StatusOK, "client_delivery", &page{Title: c.Name + " · Delivery " + string(dl.Message.ID), Nav: "clients",
		Canonical: d.Row.Link, Data: d})
	return nil
}
