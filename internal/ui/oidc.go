package ui

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"keywarden/internal/account"
	"keywarden/internal/domain"
	"keywarden/internal/federation"
	"keywarden/internal/httpx"
)

// oidcCookie holds a federated sign-in in progress (sealed by package
// federation) between its start and the provider's redirect back. It is
// SameSite=Lax so that it comes back on that cross-site redirect, and
// scoped to the callback's path.
const oidcCookie = "kw_oidc"

// signInButton is a provider's button on the sign-in page.
type signInButton struct {
	Name string
	URL  string
}

// providerButtons returns the sign-in buttons of org's enabled providers
// (none without an organisation or a federation service).
func (h *Handler) providerButtons(r *http.Request, org, next string) ([]signInButton, error) {
	if h.Federation == nil || org == "" {
		return nil, nil
	}
	list, err := h.Federation.SignInOptions(r.Context(), domain.OrgID(org))
	if err != nil {
		return nil, err
	}
	var out []signInButton
	for _, b := range list {
		q := url.Values{"org": {org}, "provider": {string(b.ID)}}
		if next != "/ui/home" {
			q.Set("next", next)
		}
		out = append(out, signInButton{Name: b.Name, URL: "/ui/oidc/start?" + q.Encode()})
	}
	return out, nil
}

// oidcStart sends the browser to the provider (a link, not a form: the
// console's CSP allows forms to post only to itself, redirects included).
// Starting a sign-in in someone's browser only takes them to their
// provider's own sign-in; the state cookie binds the way back.
func (h *Handler) oidcStart(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	org, next := q.Get("org"), safeNext(q.Get("next"))
	if h.Federation == nil {
		h.renderError(w, r, nil, http.StatusNotFound, "Not found", "Single sign-on is not available on this server.")
		return nil
	}
	var cli *federation.CLIRequest
	if q.Has("cli_port") {
		port, _ := strconv.Atoi(q.Get("cli_port"))
		cli = &federation.CLIRequest{Port: port, Challenge: q.Get("cli_challenge"), State: q.Get("cli_state")}
	}
	start, err := h.Federation.Begin(r.Context(), domain.OrgID(org), domain.IdentityProviderID(q.Get("provider")), next, httpx.ClientIP(r), cli)
	if err != nil {
		return h.oidcFailed(w, r, org, next, err)
	}
	h.Cookies.SetLax(w, r, &http.Cookie{Name: oidcCookie, Value: start.Pending, Path: federation.CallbackPath,
		MaxAge: int(federation.PendingTTL.Seconds())})
	http.Redirect(w, r, start.URL, http.StatusSeeOther)
	return nil
}

// oidcCallback finishes a federated sign-in and opens the console session.
func (h *Handler) oidcCallback(w http.ResponseWriter, r *http.Request) error {
	if h.Federation == nil {
		h.renderError(w, r, nil, http.StatusNotFound, "Not found", "Single sign-on is not available on this server.")
		return nil
	}
	pendingValue := ""
	if c, err := r.Cookie(oidcCookie); err == nil {
		pendingValue = c.Value
	}
	h.Cookies.SetLax(w, r, &http.Cookie{Name: oidcCookie, Value: "", Path: federation.CallbackPath, MaxAge: -1})
	q := r.URL.Query()
	c, err := h.Federation.Complete(r.Context(), federation.Callback{Pending: pendingValue, State: q.Get("state"), Code: q.Get("code"),
		Error: q.Get("error"), ErrorDescription: q.Get("error_description"), Source: httpx.ClientIP(r), UserAgent: r.UserAgent()})
	if err != nil {
		return h.oidcFailed(w, r, q.Get("org"), "/ui/home", err)
	}
	if c.CLIRedirect != "" {
		// keywarden login --sso: the CLI's listener gets the session, not
		// this browser, once the person says so (a start link someone else
		// made would otherwise hand a session to whatever listens on that
		// port).
		h.render(w, r, nil, http.StatusOK, "continue", &page{Title: "Signed in", Bare: true, Data: continueData{URL: c.CLIRedirect, CLI: true}})
		return nil
	}
	h.Cookies.SetSession(w, r, c.Token.Reveal(), c.Session.ExpiresAt)
	// The provider's redirect was a navigation from another site, which a
	// SameSite=Strict session cookie does not follow: go on from this
	// page, a same-site navigation, instead of redirecting.
	next := safeNext(c.Next)
	h.render(w, r, nil, http.StatusOK, "continue", &page{Title: "Signed in", Bare: true, Refresh: next, Data: continueData{URL: next}})
	return nil
}

// continueData is the page after a federated sign-in.
type continueData struct {
	URL string
	CLI bool // the URL is keywarden login's listener
}

// oidcFailed shows the sign-in page with what went wrong, and no session.
func (h *Handler) oidcFailed(w http.ResponseWriter, r *http.Request, org, next string, err error) error {
	var se *federation.SignInError
	var refused *account.FederatedRefusedError
	status, msg := http.StatusBadRequest, ""
	switch {
	case errors.As(err, &se):
		msg = se.Reason
		if se.Unavailable {
			status = http.StatusBadGateway
		}
	case errors.As(err, &refused):
		status, msg = http.StatusForbidden, refused.Reason
	default:
		return err
	}
	f := newForm()
	f.formErr("Single sign-on failed: " + sentence(msg))
	if se != nil && se.Org != "" {
		org = string(se.Org)
	}
	h.renderLogin(w, r, status, loginData{Form: f, Next: next, Org: org})
	return nil
}
