package ui

import (
	"errors"
	"net/http"
	"strings"

	"keywarden/internal/account"
	"keywarden/internal/domain"
	"keywarden/internal/httpx"
)

// setupCookie is the pre-session CSRF secret of the first-run setup form.
const setupCookie = "kw_setup"

type setupData struct {
	Form *form
	// Token is the setup link's token when the form comes back with a
	// problem (the link's fragment is gone from the address bar by then).
	Token string
	// Done: the installation is set up; the page only leads to sign-in.
	Done bool
}

// setupFields maps the account service's field names to the form's.
var setupFields = map[string]field{
	"org":      {"organization", "Organisation name"},
	"email":    {"email", "Your email"},
	"password": {"password", "Password"},
}

func (h *Handler) renderSetup(w http.ResponseWriter, r *http.Request, status int, d setupData) {
	h.render(w, r, nil, status, "setup", &page{Title: "Set up Keywarden", Bare: true,
		CSRF: h.formToken(w, r, setupCookie, "/ui/setup", "setup"), Data: d})
}

// setupPage is where the setup link that serve prints on a first run
// leads: the token travels in the URL's fragment, which browsers never
// send, so it stays out of every access log (ours, and a proxy's);
// setup.js moves it into the form. Once set up, the page sends people to
// sign in.
func (h *Handler) setupPage(w http.ResponseWriter, r *http.Request) error {
	need, err := h.Accounts.NeedsSetup(r.Context())
	if err != nil {
		return err
	}
	if !need {
		redirect(w, r, "/ui/login")
		return nil
	}
	h.renderSetup(w, r, http.StatusOK, setupData{Form: newForm()})
	return nil
}

// setup creates the first organisation and its super admin (the account
// service's Setup: what keywarden init does, with the password chosen
// here), then signs them in.
func (h *Handler) setup(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		h.renderError(w, r, nil, http.StatusBadRequest, "Bad request", "The form could not be read.")
		return nil
	}
	f := newForm()
	pf := r.PostForm
	d := setupData{Form: f, Token: strings.TrimSpace(pf.Get("token"))}
	for _, k := range []string{"organization", "email"} {
		f.Values[k] = strings.TrimSpace(pf.Get(k))
	}
	if _, ok := h.formTokenOK(r, setupCookie, "setup"); !ok {
		f.formErr("The setup form expired. Please send it again.")
		h.renderSetup(w, r, http.StatusForbidden, d)
		return nil
	}
	if pf.Get("password") != pf.Get("confirm") {
		f.fieldErr("confirm", "Repeat password", "The two passwords differ.")
		h.renderSetup(w, r, http.StatusUnprocessableEntity, d)
		return nil
	}
	n, err := h.Accounts.Setup(r.Context(), account.SetupInput{Token: d.Token, Organization: f.Values["organization"],
		Email: f.Values["email"], Password: pf.Get("password"), Source: httpx.ClientIP(r), UserAgent: r.UserAgent()})
	if err != nil {
		if !f.take(err, setupFields) {
			return err
		}
		var inval *domain.ValidationError
		status := http.StatusUnprocessableEntity
		switch {
		case errors.Is(err, account.ErrAlreadySetUp):
			status, d.Done, d.Token = http.StatusConflict, true, ""
		case !errors.As(err, &inval):
			status, d.Token = http.StatusForbidden, "" // the link's problem: it will not work again
		}
		h.renderSetup(w, r, status, d)
		return nil
	}
	h.Cookies.SetSession(w, r, n.Token.Reveal(), n.Session.ExpiresAt)
	h.clearCookie(w, r, setupCookie, "/ui/setup")
	h.setFlash(w, r, "success", "Keywarden is set up: "+f.Values["organization"]+" and its super admin "+n.User.Email+" exist, and you are signed in.")
	redirect(w, r, "/ui/home")
	return nil
}
