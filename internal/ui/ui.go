package ui

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"keywarden/internal/account"
	"keywarden/internal/audit"
	"keywarden/internal/authz"
	"keywarden/internal/credential"
	"keywarden/internal/domain"
	"keywarden/internal/httpx"
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
	Log      *slog.Logger
	// Key is a secret derived from the master key, the same on every node:
	// it signs CSRF tokens and flash messages and seals a login between its
	// password and TOTP steps.
	Key []byte
	// SecureCookies marks cookies Secure even on plain-HTTP requests (the
	// server sits behind a TLS-terminating proxy). Requests over TLS always
	// get Secure cookies.
	SecureCookies bool
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

// Register mounts the console under /ui/ on mux.
func (h *Handler) Register(mux *http.ServeMux) {
	h.init()
	m := http.NewServeMux()
	m.HandleFunc("GET /ui/static/{file}", h.static)
	m.HandleFunc("GET /ui/{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/ui/clients", http.StatusSeeOther)
	})

	// Signing in and out.
	m.Handle("GET /ui/login", h.public(h.loginPage))
	m.Handle("POST /ui/login", h.public(h.login))
	m.Handle("POST /ui/login/mfa", h.public(h.loginMFA))
	m.Handle("POST /ui/logout", h.action(authz.Self, open, h.logout))
	m.Handle("GET /ui/welcome", h.view(authz.Self, open, h.welcome))

	// Clients and their secrets.
	m.Handle("GET /ui/clients", h.view(authz.ReadClients, 0, h.clients))
	m.Handle("POST /ui/clients", h.action(authz.WriteClients, once, h.createClient))
	m.Handle("GET /ui/clients/{id}", h.view(authz.ReadClients, 0, h.clientSettings))
	m.Handle("POST /ui/clients/{id}", h.action(authz.WriteClients, 0, h.updateClient))
	m.Handle("POST /ui/clients/{id}/status", h.action(authz.WriteClients, 0, h.setClientStatus))
	m.Handle("POST /ui/clients/{id}/delete", h.action(authz.WriteClients, 0, h.deleteClient))
	m.Handle("GET /ui/clients/{id}/secrets", h.view(authz.ReadSecrets, 0, h.secrets))
	m.Handle("POST /ui/clients/{id}/secrets", h.action(authz.WriteSecrets, once, h.addSecret))
	m.Handle("POST /ui/clients/{id}/secrets/{sid}", h.action(authz.WriteSecrets, 0, h.editSecret))
	m.Handle("POST /ui/clients/{id}/secrets/{sid}/delete", h.action(authz.WriteSecrets, 0, h.deleteSecret))
	m.Handle("GET /ui/clients/{id}/rotate", h.view(authz.WriteSecrets, 0, h.rotateStart))
	m.Handle("POST /ui/clients/{id}/rotate", h.action(authz.WriteSecrets, once, h.rotate))
	m.Handle("GET /ui/clients/{id}/rotations/{rid}", h.view(authz.ReadSecrets, 0, h.rotation))
	m.Handle("POST /ui/clients/{id}/rotations/{rid}/schedule", h.action(authz.WriteSecrets, 0, h.scheduleOld))
	m.Handle("POST /ui/clients/{id}/rotations/{rid}/complete", h.action(authz.WriteSecrets, 0, h.completeRotation))
	m.Handle("POST /ui/clients/{id}/revoke-all", h.action(authz.WriteSecrets, 0, h.revokeAll))
	m.Handle("GET /ui/clients/{id}/refresh-tokens", h.view(authz.ReadSecrets, 0, h.refreshTokens))
	m.Handle("POST /ui/clients/{id}/refresh-tokens", h.action(authz.WriteSecrets, once, h.createRefreshToken))
	m.Handle("GET /ui/clients/{id}/webhook", h.view(authz.ReadClients, 0, h.webhooks))
	m.Handle("POST /ui/clients/{id}/webhook", h.action(authz.WriteClients, 0, h.updateWebhook))
	m.Handle("POST /ui/clients/{id}/webhook/enable", h.action(authz.WriteClients, 0, h.enableWebhook))
	m.Handle("GET /ui/clients/{id}/webhook/deliveries/{did}", h.view(authz.ReadClients, 0, h.webhookDelivery))
	m.Handle("POST /ui/clients/{id}/webhook/deliveries/{did}/redeliver", h.action(authz.WriteClients, 0, h.redeliverWebhook))
	m.Handle("GET /ui/clients/{id}/activity", h.view(authz.ReadClients, 0, h.activity))

	// The viewer's own account.
	m.Handle("GET /ui/account", h.view(authz.Self, 0, h.account))
	m.Handle("POST /ui/account/password", h.action(authz.Self, open, h.changePassword))
	m.Handle("POST /ui/account/mfa", h.action(authz.Self, open, h.beginMFA))
	m.Handle("POST /ui/account/mfa/confirm", h.action(authz.Self, open, h.confirmMFA))
	m.Handle("POST /ui/account/mfa/disable", h.action(authz.Self, 0, h.disableMFA))
	m.Handle("POST /ui/account/sessions/{sid}/end", h.action(authz.Self, 0, h.endSession))
	m.Handle("GET /ui/account/credentials", h.view(authz.OwnCredential, 0, h.credentials))
	m.Handle("POST /ui/account/credentials", h.action(authz.OwnCredential, once, h.createCredential))
	m.Handle("POST /ui/account/credentials/rotate", h.action(authz.OwnCredential, once, h.rotateCredential))
	m.Handle("POST /ui/account/credentials/revoke", h.action(authz.OwnCredential, 0, h.revokeCredential))

	// Organisation administration.
	m.Handle("GET /ui/users", h.view(authz.ReadUsers, 0, h.users))
	m.Handle("POST /ui/users", h.action(authz.WriteUsers, once, h.inviteUser))
	m.Handle("POST /ui/users/{uid}", h.action(authz.WriteUsers, 0, h.updateUser))
	m.Handle("POST /ui/users/{uid}/delete", h.action(authz.WriteUsers, 0, h.deleteUser))
	m.Handle("POST /ui/users/{uid}/credential/revoke", h.action(authz.ManageCredentials, 0, h.revokeUserCredential))
	m.Handle("GET /ui/policy", h.view(authz.ReadPolicy, 0, h.policy))
	m.Handle("POST /ui/policy", h.action(authz.WritePolicy, 0, h.updatePolicy))
	m.Handle("GET /ui/audit", h.view(authz.ReadAudit, 0, h.auditLog))

	m.HandleFunc("/ui/", func(w http.ResponseWriter, r *http.Request) {
		h.fail(w, r, nil, domain.ErrNotFound)
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
	Version   string
	Data      any
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

// fail renders err as an error page: the service's own words for the
// caller's mistakes, nothing for a fault (which is logged instead).
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, rq *request, err error) {
	if httpx.ClientGone(w, r, h.Log, err) {
		return
	}
	var inval *domain.ValidationError
	var conflict *domain.ConflictError
	var forbidden *domain.ForbiddenError
	switch {
	case errors.Is(err, domain.ErrNotFound):
		h.renderError(w, r, rq, http.StatusNotFound, "Page not found", "There is nothing here. It may have been deleted, or the link is mistyped.")
	case errors.As(err, &forbidden):
		h.renderError(w, r, rq, http.StatusForbidden, "Not allowed", sentence(forbidden.Reason))
	case errors.Is(err, domain.ErrForbidden):
		h.renderError(w, r, rq, http.StatusForbidden, "Not allowed", "Your role does not allow this.")
	case errors.As(err, &conflict):
		h.renderError(w, r, rq, http.StatusConflict, "That did not work", sentence(conflict.Reason))
	case errors.As(err, &inval):
		var msgs []string
		for _, f := range inval.Fields() {
			msgs = append(msgs, fieldMessage(f.Field, f.Message))
		}
		h.renderError(w, r, rq, http.StatusUnprocessableEntity, "Please check your input", strings.Join(msgs, " "))
	default:
		h.Log.ErrorContext(r.Context(), "console request failed", "request_id", httpx.RequestID(r.Context()), "path", r.URL.Path, "err", err)
		h.renderError(w, r, rq, http.StatusInternalServerError, "Something went wrong",
			"Keywarden could not complete this request. Nothing you did caused it; try again in a moment.")
	}
}

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
