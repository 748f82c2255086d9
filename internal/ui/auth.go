package ui

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"

	"keywarden/internal/account"
	"keywarden/internal/domain"
	"keywarden/internal/httpx"
)

// pendingTTL is how long the TOTP step of a login may take.
const pendingTTL = 5 * time.Minute

type loginData struct {
	Form    *form
	Next    string
	MFA     bool
	Pending string
	NeedOrg bool
	// Org is the organisation whose sign-in page this is (?org=): its
	// identity providers' buttons are shown (docs/oidc.md).
	Org       string
	Providers []signInButton
	// SignOutURL ends the session at the provider too, after a sign-out
	// of a federated session (RP-initiated logout).
	SignOutURL, SignOutName string
}

// pending is a login between its password and TOTP steps. It travels
// sealed (AES-256-GCM under the console key, bound to the browser's login
// cookie) in the TOTP form, so that any node can finish the login.
type pending struct {
	Email    string `json:"e"`
	Password string `json:"p"`
	Org      string `json:"o,omitempty"`
	Next     string `json:"n,omitempty"`
	Expires  int64  `json:"x"`
}

func (h *Handler) aead() cipher.AEAD {
	key := hmac.New(sha256.New, h.Key)
	key.Write([]byte("keywarden/ui/login-seal"))
	block, err := aes.NewCipher(key.Sum(nil))
	if err != nil {
		panic(err) // a 32-byte key always makes a cipher
	}
	g, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return g
}

func (h *Handler) seal(v any, aad string) string {
	b, _ := json.Marshal(v)
	g := h.aead()
	nonce := make([]byte, g.NonceSize())
	rand.Read(nonce)
	return base64.RawURLEncoding.EncodeToString(g.Seal(nonce, nonce, b, []byte(aad)))
}

func (h *Handler) unseal(s, aad string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(s)
	g := h.aead()
	if err != nil || len(b) < g.NonceSize() {
		return errors.New("malformed")
	}
	plain, err := g.Open(nil, b[:g.NonceSize()], b[g.NonceSize():], []byte(aad))
	if err != nil {
		return err
	}
	return json.Unmarshal(plain, v)
}

// safeNext keeps a post-login redirect inside the console.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/ui/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") ||
		strings.HasPrefix(next, "/ui/login") || strings.HasPrefix(next, "/ui/static/") {
		return "/ui/home"
	}
	return next
}

// loginToken returns the login form's CSRF token, setting the browser's
// login cookie when it has none.
func (h *Handler) loginToken(w http.ResponseWriter, r *http.Request) string {
	return h.formToken(w, r, loginCookie, "/ui/login", "login")
}

// formToken returns the CSRF token of a form shown before any session
// (sign-in, first-run setup): a MAC of a secret in a cookie of its own
// (set when the browser has none), for purpose.
func (h *Handler) formToken(w http.ResponseWriter, r *http.Request, cookie, path, purpose string) string {
	c, err := r.Cookie(cookie)
	v := ""
	if err == nil && len(c.Value) >= 32 {
		v = c.Value
	} else {
		v = randomToken()
		h.setCookie(w, r, &http.Cookie{Name: cookie, Value: v, Path: path, MaxAge: 3600})
	}
	return h.mac(purpose, v)
}

// formTokenOK checks a pre-session form's CSRF token (see formToken) and
// returns the cookie's secret.
func (h *Handler) formTokenOK(r *http.Request, cookie, purpose string) (string, bool) {
	c, err := r.Cookie(cookie)
	if err != nil || !hmac.Equal([]byte(r.PostForm.Get("csrf")), []byte(h.mac(purpose, c.Value))) {
		return "", false
	}
	return c.Value, true
}

func (h *Handler) renderLogin(w http.ResponseWriter, r *http.Request, status int, d loginData) {
	title := "Sign in"
	if d.MFA {
		title = "Two-step verification"
	}
	if !d.MFA && d.Providers == nil {
		buttons, err := h.providerButtons(r, d.Org, d.Next)
		if err != nil {
			h.Log.WarnContext(r.Context(), "sign-in page: identity providers", "err", err)
		}
		d.Providers = buttons
	}
	h.render(w, r, nil, status, "login", &page{Title: title, Bare: true, CSRF: h.loginToken(w, r), Data: d})
}

func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request) error {
	if need, err := h.Accounts.NeedsSetup(r.Context()); err != nil || need {
		if err == nil {
			redirect(w, r, "/ui/setup") // first run: there is no account to sign in to yet
		}
		return err
	}
	if rq, err := h.authenticate(r); err == nil && rq != nil {
		redirect(w, r, safeNext(r.URL.Query().Get("next")))
		return nil
	}
	f := newForm()
	q := r.URL.Query()
	d := loginData{Form: f, Next: safeNext(q.Get("next")), Org: q.Get("org")}
	if h.Federation != nil && q.Get("signed_out") != "" {
		d.SignOutName, d.SignOutURL = h.Federation.EndSessionURL(r.Context(), domain.OrgID(d.Org),
			domain.IdentityProviderID(q.Get("signed_out")), h.Federation.LoginURL(d.Org))
	}
	h.renderLogin(w, r, http.StatusOK, d)
	return nil
}

// loginForm reads a login form and checks its CSRF token against the
// browser's login cookie.
func (h *Handler) loginForm(w http.ResponseWriter, r *http.Request) (string, bool) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		h.renderError(w, r, nil, http.StatusBadRequest, "Bad request", "The form could not be read.")
		return "", false
	}
	v, ok := h.formTokenOK(r, loginCookie, "login")
	if !ok {
		f := newForm()
		f.formErr("The sign-in form expired. Please sign in again.")
		h.renderLogin(w, r, http.StatusForbidden, loginData{Form: f, Next: safeNext(r.PostForm.Get("next"))})
		return "", false
	}
	return v, true
}

func (h *Handler) login(w http.ResponseWriter, r *http.Request) error {
	cookie, ok := h.loginForm(w, r)
	if !ok {
		return nil
	}
	f := newForm()
	email, password := strings.TrimSpace(r.PostForm.Get("email")), r.PostForm.Get("password")
	org := strings.TrimSpace(r.PostForm.Get("organization"))
	next := safeNext(r.PostForm.Get("next"))
	f.Values["email"], f.Values["organization"] = email, org
	d := loginData{Form: f, Next: next, NeedOrg: org != "", Org: r.PostForm.Get("sso_org")}
	if email == "" {
		f.fieldErr("email", "Email", "Enter your email address.")
	}
	if password == "" {
		f.fieldErr("password", "Password", "Enter your password.")
	}
	if f.Failed() {
		h.renderLogin(w, r, http.StatusUnprocessableEntity, d)
		return nil
	}
	return h.finishLogin(w, r, cookie, pending{Email: email, Password: password, Org: org, Next: next}, "", "", d)
}

func (h *Handler) loginMFA(w http.ResponseWriter, r *http.Request) error {
	cookie, ok := h.loginForm(w, r)
	if !ok {
		return nil
	}
	var p pending
	if err := h.unseal(r.PostForm.Get("pending"), cookie, &p); err != nil || time.Now().Unix() > p.Expires {
		f := newForm()
		f.formErr("The sign-in took too long. Enter your email and password again.")
		h.renderLogin(w, r, http.StatusOK, loginData{Form: f, Next: "/ui/home"})
		return nil
	}
	f := newForm()
	d := loginData{Form: f, Next: p.Next, MFA: true, Pending: r.PostForm.Get("pending")}
	code := strings.ReplaceAll(strings.TrimSpace(r.PostForm.Get("code")), " ", "")
	recovery := strings.TrimSpace(r.PostForm.Get("recovery_code"))
	if code == "" && recovery == "" {
		f.fieldErr("code", "Code", "Enter the 6-digit code from your authenticator app, or a recovery code.")
		h.renderLogin(w, r, http.StatusUnprocessableEntity, d)
		return nil
	}
	return h.finishLogin(w, r, cookie, p, code, recovery, d)
}

// finishLogin calls the account service and opens the console session, or
// shows the next step or the problem.
func (h *Handler) finishLogin(w http.ResponseWriter, r *http.Request, cookie string, p pending, code, recovery string, d loginData) error {
	n, err := h.Accounts.Login(r.Context(), account.LoginInput{Email: p.Email, Password: p.Password, Organization: domain.OrgID(p.Org),
		TOTPCode: code, RecoveryCode: recovery, Source: httpx.ClientIP(r), UserAgent: r.UserAgent(), Channel: account.ChannelConsole})
	var limited *account.LoginRateLimitedError
	var inval *domain.ValidationError
	switch {
	case errors.As(err, &limited):
		mins := int(math.Ceil(limited.RetryAfter.Minutes()))
		d.Form.formErr(fmt.Sprintf("Too many failed sign-ins. Wait %s and try again.", plural(max(mins, 1), "minute")))
		h.renderLogin(w, r, http.StatusTooManyRequests, d)
		return nil
	case errors.Is(err, account.ErrMFARequired):
		if d.MFA {
			d.Form.fieldErr("code", "Code", "That code is not right. Check the time on your device and enter the current code.")
		}
		p.Expires = time.Now().Add(pendingTTL).Unix()
		h.renderLogin(w, r, http.StatusOK, loginData{Form: d.Form, Next: p.Next, MFA: true, Pending: h.seal(p, cookie)})
		return nil
	case errors.Is(err, account.ErrLocalLoginDisabled):
		d.Form.formErr("Password sign-in is turned off for your organisation. Use the sign-in button of its identity provider.")
		h.renderLogin(w, r, http.StatusForbidden, d)
		return nil
	case errors.Is(err, account.ErrBadCredentials):
		d.Form.formErr("Wrong email or password.")
		h.renderLogin(w, r, http.StatusOK, d)
		return nil
	case errors.As(err, &inval):
		d.NeedOrg = true
		for _, fe := range inval.Fields() {
			d.Form.fieldErr(fe.Field, "Organization ID", sentence(fe.Message))
		}
		h.renderLogin(w, r, http.StatusUnprocessableEntity, d)
		return nil
	case err != nil:
		return err
	}
	h.Cookies.SetSession(w, r, n.Token.Reveal(), n.Session.ExpiresAt)
	h.clearCookie(w, r, loginCookie, "/ui/login")
	if n.User.MustChangePassword {
		redirect(w, r, "/ui/welcome")
		return nil
	}
	redirect(w, r, safeNext(p.Next))
	return nil
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request, rq *request) error {
	var provider domain.IdentityProviderID
	if h.Federation != nil {
		var err error
		if provider, err = h.Federation.SessionProvider(r.Context(), rq.by); err != nil {
			return err
		}
	}
	if err := h.Accounts.EndSession(r.Context(), rq.by, "current"); err != nil && !errors.Is(err, domain.ErrNotFound) {
		return err
	}
	h.clearCookie(w, r, SessionCookie, "/")
	h.setFlash(w, r, "success", "You have signed out.")
	if provider != "" {
		// The console's CSP keeps forms (and their redirects) on this
		// origin: the sign-in page links to the provider's sign-out.
		redirect(w, r, "/ui/login?"+url.Values{"org": {string(rq.by.OrgID)}, "signed_out": {string(provider)}}.Encode())
		return nil
	}
	redirect(w, r, "/ui/login")
	return nil
}

type welcomeData struct {
	Email          string
	ChangePassword bool
	Password       *form
	MFA            *mfaData
}

// welcome is where a restricted user lands: set a password after a
// one-time one, or enrol MFA when the organisation requires it.
func (h *Handler) welcome(w http.ResponseWriter, r *http.Request, rq *request) error {
	if rq.by.Restricted == "" {
		redirect(w, r, "/ui/clients")
		return nil
	}
	h.renderWelcome(w, r, rq, http.StatusOK, newForm(), nil)
	return nil
}

func (h *Handler) renderWelcome(w http.ResponseWriter, r *http.Request, rq *request, status int, pw *form, mfa *mfaData) {
	if mfa == nil {
		mfa = &mfaData{Form: newForm()}
	}
	mfa.Return = "/ui/welcome"
	h.render(w, r, rq, status, "welcome", &page{Title: "Finish setting up your account", Bare: true, Canonical: "/ui/welcome",
		Data: welcomeData{Email: rq.me.Email, ChangePassword: rq.me.MustChangePassword, Password: pw, MFA: mfa}})
}
