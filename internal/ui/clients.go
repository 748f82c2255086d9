package ui

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"keywarden/internal/credential"
	"keywarden/internal/domain"
)

// clientsPerPage is the clients list's page size.
const clientsPerPage = 20

type clientRow struct {
	ID, Name, Description string
	Disabled              bool
	Active                int
	NextExpiry            *stamp
	Created               stamp
	LastUsed              *stamp
	// Unused says how long the client has gone unused, when that is at
	// least unusedAfterDays (or it never was used and is that old).
	Unused string
}

// unusedAfterDays is when the list starts calling a client idle.
const unusedAfterDays = 30

type clientsData struct {
	Rows []clientRow
	// The filters and order, as the form shows them.
	Q, Status, Secret, Unused, Expiring, Sort string
	Filtered                                  bool
	ExpiringErr                               string
	First, Next                               string
	Create                                    *form
	CreateOpen                                bool
	DefaultTTL                                int
	StatusOptions, SecretOptions              []option
	UnusedOptions, SortOptions                []option
}

type option struct{ Value, Label string }

var (
	clientStatusOptions = []option{{"", "All statuses"}, {"active", "Active"}, {"disabled", "Disabled"}}
	clientSecretOptions = []option{{"", "Any"}, {"with", "Has an active secret"}, {"without", "No active secret"}}
	clientUnusedOptions = []option{{"", "Any time"}, {"7", "Unused for 7 days"}, {"30", "Unused for 30 days"}, {"90", "Unused for 90 days"}}
	clientSortOptions   = []option{{"-created", "Newest first"}, {"created", "Oldest first"}, {"name", "Name, A to Z"}, {"-name", "Name, Z to A"},
		{"-last_used", "Used most recently"}, {"last_used", "Used least recently"}}
)

func valid(v string, opts []option) string {
	for _, o := range opts {
		if o.Value == v {
			return v
		}
	}
	return opts[0].Value
}

func (h *Handler) clients(w http.ResponseWriter, r *http.Request, rq *request) error {
	f := newForm()
	return h.renderClients(w, r, rq, http.StatusOK, f, r.URL.Query().Get("new") == "1")
}

func (h *Handler) renderClients(w http.ResponseWriter, r *http.Request, rq *request, status int, f *form, open bool) error {
	qs := r.URL.Query()
	now := h.now()
	d := clientsData{Q: strings.TrimSpace(qs.Get("q")), Status: valid(qs.Get("status"), clientStatusOptions),
		Secret: valid(qs.Get("secret"), clientSecretOptions), Unused: valid(qs.Get("unused"), clientUnusedOptions),
		Expiring: strings.TrimSpace(qs.Get("expiring")), Sort: valid(qs.Get("sort"), clientSortOptions),
		Create: f, CreateOpen: open || f.Failed(), DefaultTTL: rq.org.Policy.AccessTokenTTLSeconds,
		StatusOptions: clientStatusOptions, SecretOptions: clientSecretOptions, UnusedOptions: clientUnusedOptions, SortOptions: clientSortOptions}
	q := domain.ClientQuery{Text: d.Q, Page: domain.Page{Limit: clientsPerPage, After: qs.Get("after")}}
	q.Sort = domain.ClientSort(strings.TrimPrefix(d.Sort, "-"))
	q.Desc = strings.HasPrefix(d.Sort, "-")
	switch d.Status {
	case "active":
		q.Disabled = new(bool)
	case "disabled":
		yes := true
		q.Disabled = &yes
	}
	switch d.Secret {
	case "with":
		yes := true
		q.HasActiveSecret = &yes
	case "without":
		q.HasActiveSecret = new(bool)
	}
	q.UnusedDays, _ = strconv.Atoi(d.Unused)
	if d.Expiring != "" {
		if day, err := parseDMY(d.Expiring); err != nil {
			d.ExpiringErr = sentence(err.Error())
		} else {
			end := day.Add(24 * time.Hour)
			q.ExpiringBefore = &end
		}
	}
	d.Filtered = d.Q != "" || d.Status != "" || d.Secret != "" || d.Unused != "" || d.Expiring != ""
	list, next, err := h.Credentials.SearchClients(r.Context(), rq.by, q)
	var inval *domain.ValidationError
	if errors.As(err, &inval) && q.Page.After != "" {
		// A cursor from another order (or edited by hand): start over.
		q.Page.After = ""
		list, next, err = h.Credentials.SearchClients(r.Context(), rq.by, q)
	}
	if err != nil {
		return err
	}
	link := func(after string) string {
		v := url.Values{}
		for k, x := range map[string]string{"q": d.Q, "status": d.Status, "secret": d.Secret, "unused": d.Unused, "expiring": d.Expiring, "after": after} {
			if x != "" {
				v.Set(k, x)
			}
		}
		if d.Sort != clientSortOptions[0].Value {
			v.Set("sort", d.Sort)
		}
		if len(v) == 0 {
			return "/ui/clients"
		}
		return "/ui/clients?" + v.Encode()
	}
	if q.Page.After != "" {
		d.First = link("")
	}
	if next != "" {
		d.Next = link(next)
	}
	for _, c := range list {
		row := clientRow{ID: string(c.ID), Name: c.Name, Description: c.Description, Disabled: c.Disabled, Created: newStamp(c.CreatedAt, now),
			Active: c.ActiveSecrets, NextExpiry: stampPtr(c.NextExpiry, now), LastUsed: stampPtr(c.LastUsedAt, now)}
		row.Unused = unusedFor(c.LastUsedAt, c.CreatedAt, now)
		d.Rows = append(d.Rows, row)
	}
	h.render(w, r, rq, status, "clients", &page{Title: "Clients", Nav: "clients", Canonical: link(q.Page.After), Data: d})
	return nil
}

// unusedFor says "Unused for N days" when a client (or secret) last used
// at last, created at created, has gone unused for unusedAfterDays or
// more; "" otherwise.
func unusedFor(last *time.Time, created, now time.Time) string {
	since := created
	if last != nil {
		since = *last
	}
	days := int(now.Sub(since).Hours() / 24)
	if days < unusedAfterDays {
		return ""
	}
	if last == nil {
		return "Never used in " + plural(days, "day")
	}
	return "Unused for " + plural(days, "day")
}

// clientFields maps the client service's fields to the form's.
var clientFields = map[string]field{
	"name": {"name", "Name"}, "description": {"description", "Description"}, "scopes": {"scopes", "Scopes"},
	"token_ttl_seconds": {"token_ttl", "Access-token lifetime"},
}

// readTTL reads the token-lifetime field: empty is the organisation's default.
func readTTL(f *form, raw string) int {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return 0
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 0 {
		f.fieldErr("token_ttl", "Access-token lifetime", "Enter a whole number of seconds, or leave it empty for the organisation's default.")
	}
	return n
}

func scopesOf(raw string) []string {
	return strings.FieldsFunc(raw, func(r rune) bool { return r == ' ' || r == ',' || r == '\n' || r == '\r' || r == '\t' })
}

func (h *Handler) createClient(w http.ResponseWriter, r *http.Request, rq *request) error {
	f := newForm()
	for _, k := range []string{"name", "description", "scopes", "token_ttl"} {
		f.Values[k] = r.PostForm.Get(k)
	}
	if strings.TrimSpace(f.Values["name"]) == "" {
		f.fieldErr("name", "Name", "Enter a name, e.g. Billing service.")
	}
	ttl := readTTL(f, f.Values["token_ttl"])
	if !f.Failed() {
		c, err := h.Credentials.CreateClient(r.Context(), rq.by, credential.ClientInput{Name: f.Values["name"], Description: f.Values["description"],
			Scopes: scopesOf(f.Values["scopes"]), TokenTTL: ttl})
		if err == nil {
			h.setFlash(w, r, "success", "Client “"+c.Name+"” is created. Add its first secret.")
			redirect(w, r, "/ui/clients/"+string(c.ID)+"/secrets?add=1")
			return nil
		}
		if !f.take(err, clientFields) {
			return err
		}
	}
	return h.renderClients(w, r, rq, http.StatusUnprocessableEntity, f, true)
}

// clientHeader is the top of every Edit client tab.
type clientHeader struct {
	ID, Name, Description string
	Disabled              bool
	Tab                   string
	// LastUsed is the client's last use (any secret); Unused says how
	// long it has gone unused, when that is long.
	LastUsed *stamp
	Unused   string
	// Leaks are the client's values leak reports confirmed lately, each
	// with the next step (docs/leaks.md).
	Leaks []leakNotice
}

func (h *Handler) headerOf(r *http.Request, rq *request, c domain.Client, tab string) clientHeader {
	now := h.now()
	return clientHeader{ID: string(c.ID), Name: c.Name, Description: c.Description, Disabled: c.Disabled, Tab: tab,
		LastUsed: stampPtr(c.LastUsedAt, now), Unused: unusedFor(c.LastUsedAt, c.CreatedAt, now),
		Leaks: h.recentLeaks(r.Context(), rq.by, c.ID, now)}
}

type settingsData struct {
	Client     clientHeader
	Form       *form
	Created    stamp
	Updated    stamp
	DefaultTTL int
	Delete     *form
	DeleteOpen bool
	// DisableOpen opens the dialog that confirms disabling (?disable=1,
	// the link without JavaScript).
	DisableOpen bool
}

func (h *Handler) clientSettings(w http.ResponseWriter, r *http.Request, rq *request) error {
	c, err := h.Credentials.GetClient(r.Context(), rq.by, domain.ClientID(r.PathValue("id")))
	if err != nil {
		return err
	}
	var del *form
	if r.URL.Query().Get("delete") == "1" {
		del = newForm()
	}
	return h.renderSettings(w, r, rq, http.StatusOK, c, nil, del)
}

func (h *Handler) renderSettings(w http.ResponseWriter, r *http.Request, rq *request, status int, c domain.Client, f, del *form) error {
	if f == nil {
		f = newForm()
		f.Values["name"], f.Values["description"], f.Values["scopes"] = c.Name, c.Description, strings.Join(c.Scopes, " ")
		if c.TokenTTL != 0 {
			f.Values["token_ttl"] = strconv.Itoa(c.TokenTTL)
		}
	}
	open := del != nil
	if del == nil {
		del = newForm()
	}
	now := h.now()
	d := settingsData{Client: h.headerOf(r, rq, c, "settings"), Form: f, Created: newStamp(c.CreatedAt, now), Updated: newStamp(c.UpdatedAt, now),
		DefaultTTL: rq.org.Policy.AccessTokenTTLSeconds, Delete: del, DeleteOpen: open,
		DisableOpen: r.Method == http.MethodGet && r.URL.Query().Get("disable") == "1" && !c.Disabled}
	h.render(w, r, rq, status, "client_settings", &page{Title: c.Name + " · Settings", Nav: "clients", Canonical: "/ui/clients/" + string(c.ID), Data: d})
	return nil
}

func (h *Handler) updateClient(w http.ResponseWriter, r *http.Request, rq *request) error {
	c, err := h.Credentials.GetClient(r.Context(), rq.by, domain.ClientID(r.PathValue("id")))
	if err != nil {
		return err
	}
	f := newForm()
	for _, k := range []string{"name", "description", "scopes", "token_ttl"} {
		f.Values[k] = r.PostForm.Get(k)
	}
	if strings.TrimSpace(f.Values["name"]) == "" {
		f.fieldErr("name", "Name", "Enter a name.")
	}
	ttl := readTTL(f, f.Values["token_ttl"])
	if !f.Failed() {
		name, desc := f.Values["name"], f.Values["description"]
		scopes := scopesOf(f.Values["scopes"])
		_, err := h.Credentials.UpdateClient(r.Context(), rq.by, c.ID, credential.ClientPatch{Name: &name, Description: &desc,
			Scopes: &scopes, TokenTTL: &ttl})
		if err == nil {
			h.setFlash(w, r, "success", "Settings saved.")
			redirect(w, r, "/ui/clients/"+string(c.ID))
			return nil
		}
		if !f.take(err, clientFields) {
			return err
		}
	}
	return h.renderSettings(w, r, rq, http.StatusUnprocessableEntity, c, f, nil)
}

func (h *Handler) setClientStatus(w http.ResponseWriter, r *http.Request, rq *request) error {
	disabled := r.PostForm.Get("disabled") == "1"
	c, err := h.Credentials.UpdateClient(r.Context(), rq.by, domain.ClientID(r.PathValue("id")), credential.ClientPatch{Disabled: &disabled})
	if err != nil {
		return err
	}
	if disabled {
		h.setFlash(w, r, "success", "“"+c.Name+"” is disabled: it cannot get tokens until you enable it again.")
	} else {
		h.setFlash(w, r, "success", "“"+c.Name+"” is enabled again.")
	}
	redirect(w, r, "/ui/clients/"+string(c.ID))
	return nil
}

func (h *Handler) deleteClient(w http.ResponseWriter, r *http.Request, rq *request) error {
	c, err := h.Credentials.GetClient(r.Context(), rq.by, domain.ClientID(r.PathValue("id")))
	if err != nil {
		return err
	}
	if strings.TrimSpace(r.PostForm.Get("confirm")) != c.Name {
		del := newForm()
		del.fieldErr("confirm", "Confirmation", "Type the client's name exactly as shown: "+c.Name)
		return h.renderSettings(w, r, rq, http.StatusUnprocessableEntity, c, nil, del)
	}
	if err := h.Credentials.DeleteClient(r.Context(), rq.by, c.ID); err != nil {
		return err
	}
	h.setFlash(w, r, "success", "Client “"+c.Name+"” and all its secrets are deleted.")
	redirect(w, r, "/ui/clients")
	return nil
}
