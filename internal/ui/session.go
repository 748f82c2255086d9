package ui

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"keywarden/internal/account"
	"keywarden/internal/authz"
	"keywarden/internal/domain"
	"keywarden/internal/httpx"
)

// SessionCookie holds the console session's bearer value: the same
// cookie the API's POST /v1/sessions sets.
const SessionCookie = httpx.SessionCookie

const (
	loginCookie = "kw_login" // pre-session CSRF secret of the login form
	flashCookie = "kw_flash"
)

// request is an authenticated console request.
type request struct {
	by   domain.Actor
	me   domain.User
	org  domain.Organization
	csrf string
}

func (rq *request) viewer() *viewer {
	return &viewer{Email: rq.me.Email, Role: rq.me.Role, Org: rq.org.Name, actor: rq.by}
}

// Route options.
const (
	// open routes stay reachable for a restricted actor (who must first
	// change a one-time password or enrol MFA).
	open = 1 << iota
	// once routes create a value shown once: a form submitted twice (a
	// double click, a reload without JavaScript) does not create twice.
	once
)

type pageFunc func(w http.ResponseWriter, r *http.Request, rq *request) error

func (h *Handler) mac(parts ...string) string {
	m := hmac.New(sha256.New, h.Key)
	for _, p := range parts {
		m.Write([]byte(p))
		m.Write([]byte{0})
	}
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func randomToken() string {
	b := make([]byte, 24)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (h *Handler) setCookie(w http.ResponseWriter, r *http.Request, c *http.Cookie) {
	h.Cookies.Set(w, r, c)
}

func (h *Handler) clearCookie(w http.ResponseWriter, r *http.Request, name, p string) {
	h.Cookies.Clear(w, r, name, p)
}

var errNoSession = errors.New("no session")

// authenticate finds the session behind the request's cookie.
func (h *Handler) authenticate(r *http.Request) (*request, error) {
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" {
		return nil, errNoSession
	}
	by, err := h.Accounts.AuthenticateSession(r.Context(), c.Value, httpx.ClientIP(r))
	if err != nil {
		return nil, err
	}
	rq := &request{by: by, csrf: h.mac("csrf", c.Value)}
	p, err := h.Accounts.Profile(r.Context(), by)
	if err != nil {
		return nil, err
	}
	rq.me, rq.org = p.User, p.Org
	return rq, nil
}

// signIn sends an unauthenticated request to the login page, and back
// here afterwards for a GET.
func (h *Handler) signIn(w http.ResponseWriter, r *http.Request) {
	to := "/ui/login"
	if r.Method == http.MethodGet && r.URL.Path != "/ui/clients" {
		to += "?next=" + url.QueryEscape(r.URL.RequestURI())
	}
	if r.Method == http.MethodPost {
		h.setFlash(w, r, "info", "Your session has ended. Sign in again to continue.")
	}
	redirect(w, r, to)
}

// authorise runs the shared checks of view and action routes.
func (h *Handler) authorise(w http.ResponseWriter, r *http.Request, op authz.Operation, opts int) (*request, bool) {
	rq, err := h.authenticate(r)
	switch {
	case errors.Is(err, errNoSession), errors.Is(err, account.ErrBadCredentials):
		if err != errNoSession {
			h.clearCookie(w, r, SessionCookie, "/")
		}
		h.signIn(w, r)
		return nil, false
	case err != nil:
		h.fail(w, r, nil, err)
		return nil, false
	}
	if rq.by.Restricted != "" && opts&open == 0 {
		redirect(w, r, "/ui/welcome")
		return nil, false
	}
	if authz.Refusal(rq.by, authz.Required(op)) != "" {
		h.renderError(w, r, rq, http.StatusForbidden, "Not allowed",
			"Your role ("+RoleName(rq.by.Role)+") cannot see or change this. Ask a super admin if you need access.")
		return nil, false
	}
	return rq, true
}

// view adapts a GET page that does op.
func (h *Handler) view(op authz.Operation, opts int, fn pageFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rq, ok := h.authorise(w, r, op, opts)
		if !ok {
			return
		}
		if err := fn(w, r, rq); err != nil {
			h.fail(w, r, rq, err)
		}
	})
}

// maxFormBytes bounds every form body.
const maxFormBytes = 64 << 10

// action adapts a POST that does op: the form must carry the session's
// CSRF token (http.CrossOriginProtection has already checked the origin).
func (h *Handler) action(op authz.Operation, opts int, fn pageFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		if err := r.ParseForm(); err != nil {
			h.renderError(w, r, nil, http.StatusBadRequest, "Bad request", "The form could not be read.")
			return
		}
		c, err := r.Cookie(SessionCookie)
		if err != nil || c.Value == "" {
			h.signIn(w, r)
			return
		}
		if !hmac.Equal([]byte(r.PostForm.Get("csrf")), []byte(h.mac("csrf", c.Value))) {
			h.renderError(w, r, nil, http.StatusForbidden, "This form has expired",
				"The form was missing its security token, so nothing was changed. Go back, reload the page and try again.")
			return
		}
		rq, ok := h.authorise(w, r, op, opts)
		if !ok {
			return
		}
		if opts&once != 0 {
			n := r.PostForm.Get("once")
			if n == "" || !h.submits.add(n, h.now()) {
				h.setFlash(w, r, "info", "That form was already sent, so it was not sent again. A value shown once cannot be shown again.")
				redirect(w, r, r.URL.Path)
				return
			}
		}
		if err := fn(w, r, rq); err != nil {
			h.fail(w, r, rq, err)
		}
	})
}

// public adapts the login pages.
func (h *Handler) public(fn func(w http.ResponseWriter, r *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := fn(w, r); err != nil {
			h.fail(w, r, nil, err)
		}
	})
}

// flash is a message shown on the next page.
type flash struct {
	Kind    string // success, info, error
	Message string
}

func (h *Handler) setFlash(w http.ResponseWriter, r *http.Request, kind, msg string) {
	v := base64.RawURLEncoding.EncodeToString([]byte(kind + "|" + msg))
	h.setCookie(w, r, &http.Cookie{Name: flashCookie, Value: v + "." + h.mac("flash", v), Path: "/ui/", MaxAge: 60})
}

func (h *Handler) takeFlash(w http.ResponseWriter, r *http.Request) *flash {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return nil
	}
	h.clearCookie(w, r, flashCookie, "/ui/")
	v, sig, ok := strings.Cut(c.Value, ".")
	if !ok || !hmac.Equal([]byte(sig), []byte(h.mac("flash", v))) {
		return nil
	}
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil {
		return nil
	}
	kind, msg, ok := strings.Cut(string(b), "|")
	if !ok {
		return nil
	}
	return &flash{Kind: kind, Message: msg}
}

// onceSet remembers the one-time tokens of forms already submitted.
type onceSet struct {
	mu   sync.Mutex
	max  int
	ttl  time.Duration
	seen map[string]time.Time
}

func newOnceSet(max int, ttl time.Duration) *onceSet {
	return &onceSet{max: max, ttl: ttl, seen: map[string]time.Time{}}
}

// add records n and reports whether it was new.
func (s *onceSet) add(n string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.seen[n]; ok {
		return false
	}
	if len(s.seen) >= s.max {
		for k, t := range s.seen {
			if now.Sub(t) > s.ttl {
				delete(s.seen, k)
			}
		}
		if len(s.seen) >= s.max { // still full: forget the oldest half at random
			i := 0
			for k := range s.seen {
				if i%2 == 0 {
					delete(s.seen, k)
				}
				i++
			}
		}
	}
	s.seen[n] = now
	return true
}
