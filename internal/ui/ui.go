package ui

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"keywarden/internal/account"
	"keywarden/internal/audit"
	"keywarden/internal/authz"
	"keywarden/internal/credential"
	"keywarden/internal/domain"
	"keywarden/internal/federation"
	"keywarden/internal/httpx"
	"keywarden/internal/problem"
	"keywarden/internal/token"
	"keywarden/internal/webhook"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// ContentSecurityPolicy is sent with every console response: scripts and
// styles only from /ui/static/ (no inline code or style attributes), images
// from there or data: URIs (the MFA QR code), forms only to this origin.
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// Handler serves the console. server.New fills in its fields.
type Handler struct {
	Accounts    *account.Service
	Credentials *credential.Service
	Audit       *audit.Log
	Refresh     *token.Refresh
	// Webhooks serves the endpoint's health, the delivery log and
	// redelivery on the Webhooks tab. Without it the tab only sets the
	// endpoint's URL and events.
	Webhooks *webhook.Service
	// Docs holds the guides (NAME.md) served at /ui/docs/NAME; without it
	// those pages are not found.
	Docs fs.FS
	Log  *slog.Logger
	// Key is a secret derived from the master key, the same on every node:
	// it signs CSRF tokens and flash messages and seals a login between its
	// password and TOTP steps.
	Key []byte
	// Cookies is the cookie policy, the API's too.
	Cookies httpx.Cookies
	// Federation signs people in through their organisation's identity
	// providers; without it the sign-in page shows no provider.
	Federation *federation.Service
	// Now is the clock (time.Now when nil).
	Now func() time.Time

	once    sync.Once
	pages   map[string]*template.Template
	version string // of the static assets, for cache busting
	submits *onceSet
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now().UTC()
	}
	return time.Now().UTC()
}

func (h *Handler) init() {
	h.once.Do(func() {
		h.submits = newOnceSet(100_000, time.Hour)
		sum := sha256.New()
		fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				b, _ := staticFS.ReadFile(p)
				sum.Write(b)
			}
			return nil
		})
		h.version = hex.EncodeToString(sum.Sum(nil))[:12]
		h.pages = map[string]*template.Template{}
		files, err := fs.Glob(templateFS, "templates/*.html")
		if err != nil {
			panic(err)
		}
		for _, f := range files {
			name := strings.TrimSuffix(path.Base(f), ".html")
			if name == "layout" || name == "partials" {
				continue
			}
			t := template.New(name).Funcs(funcs)
			h.pages[name] = template.Must(t.ParseFS(templateFS, "templates/layout.html", "templates/partials.html", f))
		}
	})
}

var funcs = template.FuncMap{
	"duration": duration,
	"plural":   plural,
	"join":     strings.Join,
	"seq": func(n int) []int {
		out := make([]int, n)
		for i := range out {
			out[i] = i + 1
		}
		return out
	},
	"add": func(a, b int) int { return a + b },
	"dict": func(kv ...any) map[string]any {
		m := make(map[string]any, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	},
}

// Route is one page or form the console serves, with the operation it does
// and the permission that needs (both "" for the sign-in pages): the same
// operations, from the same table (authz), as the API's routes.
type Route struct {
	Method, Path string
	Operation    authz.Operation
	Permission   authz.Permission
	handler      http.Handler
}

// Routes lists the console's pages and forms.
func (h *Handler) Routes() []Route { return h.routes() }

func (h *Handler) routes() []Route {
	route := func(pattern string, op authz.Operation, handler http.Handler) Route {
		method, path, _ := strings.Cut(pattern, " ")
		return Route{Method: method, Path: path, Operation: op, Permission: authz.Required(op), handler: handler}
	}
	view := func(pattern string, op authz.Operation, opts int, fn pageFunc) Route {
		return route(pattern, op, h.view(op, opts, fn))
	}
	action := func(pattern string, op authz.Operation, opts int, fn pageFunc) Route {
		return route(pattern, op, h.action(op, opts, fn))
	}
	public := func(pattern string, fn func(w http.ResponseWriter, r *http.Request) error) Route {
		return route(pattern, "", h.public(fn))
	}
	return []Route{
		// Signing in and out.
		public("GET /ui/login", h.loginPage),
		public("POST /ui/login", h.login),
		public("POST /ui/login/mfa", h.loginMFA),
		public("GET /ui/oidc/start", h.oidcStart),
		public("GET "+federation.CallbackPath, h.oidcCallback),
		public("GET /ui/setup", h.setupPage),
		public("POST /ui/setup", h.setup),
		action("POST /ui/logout", authz.EndSession, open, h.logout),
		view("GET /ui/welcome", authz.ReadMe, open, h.welcome),
		view("GET /ui/home", authz.ReadMe, 0, h.home),
		view("GET /ui/overview", authz.ReadOverview, 0, h.overview),
		view("GET /ui/docs/{name}", authz.ReadMe, 0, h.doc),

		// Clients and their secrets.
		view("GET /ui/clients", authz.ListClients, 0, h.clients),
		action("POST /ui/clients", authz.CreateClient, once, h.createClient),
		view("GET /ui/clients/{id}", authz.ReadClient, 0, h.clientSettings),
		action("POST /ui/clients/{id}", authz.UpdateClient, 0, h.updateClient),
		action("POST /ui/clients/{id}/status", authz.UpdateClient, 0, h.setClientStatus),
		action("POST /ui/clients/{id}/delete", authz.DeleteClient, 0, h.deleteClient),
		view("GET /ui/clients/{id}/secrets", authz.ListSecrets, 0, h.secrets),
		action("POST /ui/clients/{id}/secrets", authz.CreateSecret, once, h.addSecret),
		action("POST /ui/clients/{id}/secrets/{sid}", authz.UpdateSecret, 0, h.editSecret),
		action("POST /ui/clients/{id}/secrets/{sid}/revoke", authz.RevokeSecret, 0, h.revokeSecret),
		// The address of the same form before "Delete" became "Revoke".
		action("POST /ui/clients/{id}/secrets/{sid}/delete", authz.RevokeSecret, 0, h.revokeSecret),
		action("POST /ui/clients/{id}/keys", authz.CreateClientKey, once, h.addKey),
		action("POST /ui/clients/{id}/keys/{kid}/revoke", authz.RevokeClientKey, 0, h.revokeKey),
		view("GET /ui/clients/{id}/rotate", authz.RotateSecrets, 0, h.rotateStart),
		action("POST /ui/clients/{id}/rotate", authz.RotateSecrets, once, h.rotate),
		view("GET /ui/clients/{id}/rotations/{rid}", authz.ReadRotation, 0, h.rotation),
		view("GET /ui/clients/{id}/rotations/{rid}/live", authz.ReadRotation, 0, h.rotationLive),
		action("POST /ui/clients/{id}/rotations/{rid}/schedule", authz.UpdateSecret, 0, h.scheduleOld),
		action("POST /ui/clients/{id}/rotations/{rid}/complete", authz.CompleteRotate, 0, h.completeRotation),
		action("POST /ui/clients/{id}/revoke-all", authz.RevokeAll, 0, h.revokeAll),
		view("GET /ui/clients/{id}/refresh-tokens", authz.ListRefresh, 0, h.refreshTokens),
		action("POST /ui/clients/{id}/refresh-tokens", authz.CreateRefresh, once, h.createRefreshToken),
		view("GET /ui/clients/{id}/webhook", authz.ReadWebhook, 0, h.webhooks),
		action("POST /ui/clients/{id}/webhook", authz.UpdateClient, 0, h.updateWebhook),
		action("POST /ui/clients/{id}/webhook/enable", authz.EnableWebhook, 0, h.enableWebhook),
		action("POST /ui/clients/{id}/webhook/replay", authz.ReplayWebhook, 0, h.replayWebhook),
		action("POST /ui/clients/{id}/webhook/test", authz.SendTestWebhook, 0, h.sendTestWebhook),
		view("GET /ui/clients/{id}/webhook/deliveries/{did}", authz.ReadWebhook, 0, h.webhookDelivery),
		action("POST /ui/clients/{id}/webhook/deliveries/{did}/redeliver", authz.Redeliver, 0, h.redeliverWebhook),
		view("GET /ui/clients/{id}/activity", authz.ReadClientAudit, 0, h.activity),

		// The viewer's own account.
		view("GET /ui/account", authz.ReadMe, 0, h.account),
		action("POST /ui/account/password", authz.ChangePassword, open, h.changePassword),
		action("POST /ui/account/mfa", authz.ManageMFA, open, h.beginMFA),
		action("POST /ui/account/mfa/confirm", authz.ManageMFA, open, h.confirmMFA),
		action("POST /ui/account/mfa/disable", authz.ManageMFA, 0, h.disableMFA),
		action("POST /ui/account/sessions/{sid}/end", authz.EndSession, 0, h.endSession),
		view("GET /ui/account/credentials", authz.ReadOwnCred, 0, h.credentials),
		action("POST /ui/account/credentials", authz.CreateOwnCred, once, h.createCredential),
		action("POST /ui/account/credentials/rotate", authz.RotateOwnCred, once, h.rotateCredential),
		action("POST /ui/account/credentials/revoke", authz.RevokeOwnCred, 0, h.revokeCredential),
		view("GET /ui/account/api-tokens", authz.ListAPITokens, 0, h.apiTokens),
		action("POST /ui/account/api-tokens", authz.CreateAPIToken, once, h.createAPIToken),
		action("POST /ui/account/api-tokens/{tid}/rotate", authz.RotateAPIToken, once, h.rotateAPIToken),
		action("POST /ui/account/api-tokens/{tid}/revoke", authz.RevokeAPIToken, 0, h.revokeAPIToken),

		// Organisation administration.
		view("GET /ui/users", authz.ListUsers, 0, h.users),
		action("POST /ui/users", authz.InviteUser, once, h.inviteUser),
		action("POST /ui/users/{uid}", authz.UpdateUser, 0, h.updateUser),
		action("POST /ui/users/{uid}/delete", authz.DeleteUser, 0, h.deleteUser),
		action("POST /ui/users/{uid}/credential/revoke", authz.RevokeUserCred, 0, h.revokeUserCredential),
		view("GET /ui/policy", authz.ReadPolicyOp, 0, h.policy),
		action("POST /ui/policy", authz.UpdatePolicy, 0, h.updatePolicy),
		action("POST /ui/policy/identity-providers", authz.CreateIdentityProvider, 0, h.addProvider),
		action("POST /ui/policy/identity-providers/{pid}", authz.UpdateIdentityProvider, 0, h.setProviderStatus),
		action("POST /ui/policy/identity-providers/{pid}/delete", authz.DeleteIdentityProvider, 0, h.deleteProvider),
		view("GET /ui/audit", authz.ReadAuditLog, 0, h.auditLog),
		view("GET /ui/leaks", authz.ListLeaks, 0, h.leaks),
	}
}

// Register mounts the console under /ui/ on mux.
func (h *Handler) Register(mux *http.ServeMux) {
	h.init()
	m := http.NewServeMux()
	m.HandleFunc("GET /ui/static/{file}", h.static)
	m.HandleFunc("GET /ui/{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/ui/home", http.StatusSeeOther)
	})
	for _, rt := range h.routes() {
		m.Handle(rt.Method+" "+rt.Path, rt.handler)
	}

	m.HandleFunc("/ui/", func(w http.ResponseWriter, r *http.Request) {
		h.fail(w, r, nil, errNoPage)
	})

	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.renderError(w, r, nil, http.StatusForbidden, "Request refused",
			"This form was sent from another site, so it was refused. Open Keywarden yourself and try again.")
	}))
	mux.Handle("/ui/", h.headers(cop.Handler(m)))
	mux.Handle("GET /ui", http.RedirectHandler("/ui/", http.StatusMovedPermanently))
}

// headers sets the console's security headers on every response.
func (h *Handler) headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", ContentSecurityPolicy)
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		hd.Set("Cross-Origin-Resource-Policy", "same-origin")
		hd.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
		if !strings.HasPrefix(r.URL.Path, "/ui/static/") {
			// Pages can hold a value shown once: never cache them, and keep
			// them out of the back-forward cache.
			hd.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

func (h *Handler) static(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	b, err := staticFS.ReadFile("static/" + name)
	if err != nil || strings.Contains(name, "/") {
		http.NotFound(w, r)
		return
	}
	switch path.Ext(name) {
	case ".css":
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
	case ".js":
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	case ".svg":
		w.Header().Set("Content-Type", "image/svg+xml")
	}
	if r.URL.Query().Get("v") == h.version {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "public, max-age=300")
	}
	w.Write(b)
}

// page is what every template receives.
type page struct {
	Title string
	// Nav names the highlighted navigation entry.
	Nav string
	// Bare pages (login, welcome) have no navigation.
	Bare bool
	Me   *viewer
	CSRF string
	// Flash is a one-line message carried over a redirect.
	Flash *flash
	// Canonical, when set, replaces the address bar's URL once the page has
	// loaded (a POST response), so that reloading shows the GET page: the
	// value a POST revealed is not in it.
	Canonical string
	// Refresh, when set, sends the browser on to it at once (a same-site
	// navigation, after a federated sign-in's cross-site redirect).
	Refresh string
	Version string
	Data    any
	// Notice tells the viewer what the organisation's personal credential
	// requirement asks of them ("" when nothing).
	Notice string
}

// viewer is the signed-in user.
type viewer struct {
	Email string
	Role  domain.Role
	Org   string
	actor domain.Actor
}

// Can reports whether the viewer's role holds a permission (templates
// hide what it does not).
func (p *page) Can(perm string) bool {
	return p.Me != nil && p.Me.actor.Restricted == "" && authz.Allowed(p.Me.Role, authz.Permission(perm))
}

// RoleName is a role as people read it.
func RoleName(r domain.Role) string {
	switch r {
	case domain.RoleSuperAdmin:
		return "Super admin"
	case domain.RoleAdmin:
		return "Admin"
	case domain.RoleDeveloper:
		return "Developer"
	case domain.RoleMember:
		return "Member"
	}
	return string(r)
}

func (v *viewer) RoleName() string { return RoleName(v.Role) }

// Initial is the avatar letter.
func (v *viewer) Initial() string {
	if v.Email == "" {
		return "?"
	}
	return strings.ToUpper(v.Email[:1])
}

// render writes a page with status.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, rq *request, status int, name string, p *page) {
	t, ok := h.pages[name]
	if !ok {
		h.renderError(w, r, rq, http.StatusInternalServerError, "Something went wrong", "The page could not be shown.")
		h.Log.ErrorContext(r.Context(), "no such template", "template", name)
		return
	}
	p.Version = h.version
	if rq != nil {
		p.Me, p.CSRF = rq.viewer(), rq.csrf
		if !p.Bare && rq.by.Restricted == "" && rq.by.UserID() != "" {
			p.Notice = h.credentialNotice(r, rq)
		}
	}
	if p.Flash == nil {
		p.Flash = h.takeFlash(w, r)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		h.Log.ErrorContext(r.Context(), "render page", "template", name, "request_id", httpx.RequestID(r.Context()), "err", err)
		http.Error(w, "the page could not be shown", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

type errorData struct {
	Status  int
	Heading string
	Message string
	ID      string
}

func (h *Handler) renderError(w http.ResponseWriter, r *http.Request, rq *request, status int, heading, msg string) {
	p := &page{Title: heading, Data: errorData{Status: status, Heading: heading, Message: msg, ID: httpx.RequestID(r.Context())}}
	if rq == nil {
		p.Bare = true
	}
	h.render(w, r, rq, status, "error", p)
}

// fail renders err as an error page with the status and message the API
// would give (package problem): the service's own words for the caller's
// mistakes, nothing for a fault (which is logged instead).
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, rq *request, err error) {
	if httpx.ClientGone(w, r, h.Log, err) {
		return
	}
	p := problem.For(err)
	if p.Fault() {
		h.Log.ErrorContext(r.Context(), "console request failed", "request_id", httpx.RequestID(r.Context()), "path", r.URL.Path, "err", err)
		h.renderError(w, r, rq, p.Status, "Something went wrong",
			"Keywarden could not complete this request. Nothing you did caused it; try again in a moment.")
		return
	}
	if p.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(p.RetryAfter.Seconds())))
	}
	msg := sentence(p.Detail)
	if len(p.Fields) > 0 {
		msgs := make([]string, len(p.Fields))
		for i, f := range p.Fields {
			msgs[i] = fieldMessage(f.Field, f.Message)
		}
		msg = strings.Join(msgs, " ")
	}
	heading, ok := headings[p.Status]
	if !ok {
		heading = p.Title
	}
	if msg == "" {
		msg = defaultMessages[p.Status]
	}
	h.renderError(w, r, rq, p.Status, heading, msg)
}

// headings name an error page by its status; defaultMessages stand in when
// the problem has no detail.
var (
	headings = map[int]string{
		http.StatusNotFound: "Page not found", http.StatusForbidden: "Not allowed", http.StatusConflict: "That did not work",
		http.StatusUnprocessableEntity: "Please check your input", http.StatusTooManyRequests: "Too many attempts",
	}
	defaultMessages = map[int]string{
		http.StatusForbidden: "Your role does not allow this.",
		http.StatusConflict:  "The change conflicts with the object's current state.",
	}
)

// errNoPage is the console's unknown address.
var errNoPage = &problem.Error{Status: http.StatusNotFound, Detail: "there is nothing here; it may have been deleted, or the link is mistyped"}

// sentence capitalises a service message and ends it with a full stop.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return s
	}
	s = upperFirst(s)
	if !strings.HasSuffix(s, ".") && !strings.HasSuffix(s, "?") && !strings.HasSuffix(s, "!") {
		s += "."
	}
	return s
}

// redirect sends the browser to a GET page after a POST.
func redirect(w http.ResponseWriter, r *http.Request, to string) {
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// consolePage is the page the console's client tabs read of a client's
// secrets, rotations, refresh tokens and the user's sessions: the first
// domain.MaxLimit, through the same paged service calls as the API.
var consolePage = domain.Page{Limit: domain.MaxLimit}
