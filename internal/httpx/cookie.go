package httpx

import (
	"net/http"
	"time"
)

// SessionCookie holds a login session's bearer value. The API's
// POST /v1/sessions and the console's sign-in set the same cookie.
const SessionCookie = "kw_session"

// Cookies is the one cookie policy of every transport: HttpOnly,
// SameSite=Strict, and Secure on a TLS request or, with SecureAlways,
// always (the server sits behind a TLS-terminating proxy: its --public-url
// is https).
type Cookies struct {
	SecureAlways bool
}

func (p Cookies) secure(r *http.Request) bool { return Secure(r) || p.SecureAlways }

// Set sends c with the policy's attributes.
func (p Cookies) Set(w http.ResponseWriter, r *http.Request, c *http.Cookie) {
	c.HttpOnly, c.Secure, c.SameSite = true, p.secure(r), http.SameSiteStrictMode
	http.SetCookie(w, c)
}

// SetLax sends c with the policy's attributes but SameSite=Lax: for a
// cookie that must come back on a top-level navigation from another site
// (an identity provider's redirect back to the console) and is good for
// nothing else.
func (p Cookies) SetLax(w http.ResponseWriter, r *http.Request, c *http.Cookie) {
	c.HttpOnly, c.Secure, c.SameSite = true, p.secure(r), http.SameSiteLaxMode
	http.SetCookie(w, c)
}

// Clear removes the cookie name set for path.
func (p Cookies) Clear(w http.ResponseWriter, r *http.Request, name, path string) {
	p.Set(w, r, &http.Cookie{Name: name, Value: "", Path: path, MaxAge: -1})
}

// SetSession sends the session cookie for a session that ends at expires.
func (p Cookies) SetSession(w http.ResponseWriter, r *http.Request, value string, expires time.Time) {
	p.Set(w, r, &http.Cookie{Name: SessionCookie, Value: value, Path: "/", Expires: expires})
}
