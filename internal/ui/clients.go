package ui

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"keywarden/internal/credential"
	"keywarden/internal/domain"
)

// clientsPerPage is the clients list's page size.
const clientsPerPage = 20

// maxListedClients bounds how many clients the list reads to search and
// count (the store has no search; an organisation has hundreds at most).
const maxListedClients = 10_000

type clientRow struct {
	ID, Name, Description string
	Disabled              bool
	Active                int
	NextExpiry            *stamp
	Created               stamp
}

type clientsData struct {
	Rows          []clientRow
	Q, Status     string
	Page, Pages   int
	Total, All    int
	From, To      int
	Prev, Next    string
	Create        *form
	CreateOpen    bool
	DefaultTTL    int
	StatusOptions []option
}

type option struct{ Value, Label string }

// allClients reads every client of the organisation, a store page at a time.
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

func (h *Handler) clients(w http.ResponseWriter, r *http.Request, rq *request) error {
	f := newForm()
	return h.renderClients(w, r, rq, http.StatusOK, f, r.URL.Query().Get("new") == "1")
}

func (h *Handler) renderClients(w http.ResponseWriter, r *http.Request, rq *request, status int, f *form, open bool) error {
	q := r.URL.Query()
	d := clientsData{Q: strings.TrimSpace(q.Get("q")), Status: q.Get("status"), Create: f, CreateOpen: open || f.Failed(),
		DefaultTTL:    rq.org.Policy.AccessTokenTTLSeconds,
		StatusOptions: []option{{"", "All statuses"}, {"active", "Active"}, {"disabled", "Disabled"}}}
	if d.Status != "active" && d.Status != "disabled" {
		d.Status = ""
	}
	all, err := h.allClients(r, rq)
	if err != nil {
		return err
	}
	d.All = len(all)
	needle := strings.ToLower(d.Q)
	var match []domain.Client
	for _, c := range all {
		if d.Status == "active" && c.Disabled || d.Status == "disabled" && !c.Disabled {
			continue
		}
		if needle != "" && !strings.Contains(strings.ToLower(c.Name), needle) && !strings.Contains(strings.ToLower(string(c.ID)), needle) &&
			!strings.Contains(strings.ToLower(c.Description), needle) {
			continue
		}
		match = append(match, c)
	}
	// Newest first: the client just created is at the top.
	slices.Reverse(match)
	d.Total = len(match)
	d.Pages = max(1, (d.Total+clientsPerPage-1)/clientsPerPage)
	d.Page, _ = strconv.Atoi(q.Get("page"))
	d.Page = min(max(d.Page, 1), d.Pages)
	start := (d.Page - 1) * clientsPerPage
	end := min(start+clientsPerPage, d.Total)
	d.From, d.To = start+1, end
	link := func(p int) string {
		v := url.Values{}
		if d.Q != "" {
			v.Set("q", d.Q)
		}
		if d.Status != "" {
			v.Set("status", d.Status)
		}
		if p > 1 {
			v.Set("page", strconv.Itoa(p))
		}
		if len(v) == 0 {
			return "/ui/clients"
		}
		return "/ui/clients?" + v.Encode()
	}
	if d.Page > 1 {
		d.Prev = link(d.Page - 1)
	}
	if d.Page < d.Pages {
		d.Next = link(d.Page + 1)
	}
	now := h.now()
	for _, c := range match[start:end] {
		row := clientRow{ID: string(c.ID), Name: c.Name, Description: c.Description, Disabled: c.Disabled, Created: newStamp(c.CreatedAt, now)}
		list, err := h.Credentials.ListSecrets(r.Context(), rq.by, c.ID, consolePage)
		if err != nil {
			return err
		}
		var next *time.Time
		for _, x := range list.Secrets {
			if x.State(now) == domain.SecretActive {
				row.Active++
				if x.ExpiresAt != nil && (next == nil || x.ExpiresAt.Before(*next)) {
					next = x.ExpiresAt
				}
			}
		}
		row.NextExpiry = stampPtr(next, now)
		d.Rows = append(d.Rows, row)
	}
	h.render(w, r, rq, status, "clients", &page{Title: "Clients", Nav: "clients", Canonical: link(d.Page), Data: d})
	return nil
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
}

func headerOf(c domain.Client, tab string) clientHeader {
	return clientHeader{ID: string(c.ID), Name: c.Name, Description: c.Description, Disabled: c.Disabled, Tab: tab}
}

type settingsData struct {
	Client     clientHeader
	Form       *form
	Created    stamp
	Updated    stamp
	DefaultTTL int
	Delete     *form
	DeleteOpen bool
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
	d := settingsData{Client: headerOf(c, "settings"), Form: f, Created: newStamp(c.CreatedAt, now), Updated: newStamp(c.UpdatedAt, now),
		DefaultTTL: rq.org.Policy.AccessTokenTTLSeconds, Delete: del, DeleteOpen: open}
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
