package ui

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"keywarden/internal/domain"
)

// FuzzFlash feeds arbitrary flash cookies to the console: a cookie it did
// not sign shows nothing, and a message it set comes back as it was.
func FuzzFlash(f *testing.F) {
	h := &Handler{Key: []byte("fuzz flash key, 32 bytes long..")}
	set := func(kind, msg string) string {
		w := httptest.NewRecorder()
		h.setFlash(w, httptest.NewRequest("GET", "/ui/", nil), kind, msg)
		for _, c := range w.Result().Cookies() {
			if c.Name == flashCookie {
				return c.Value
			}
		}
		return ""
	}
	// take sends value as the flash cookie and returns what the console
	// showed and the value as it arrived (AddCookie drops bytes a cookie
	// cannot carry, as a browser would).
	take := func(value string) (*flash, string) {
		r := httptest.NewRequest("GET", "/ui/clients", nil)
		r.AddCookie(&http.Cookie{Name: flashCookie, Value: value})
		sent := ""
		if c, err := r.Cookie(flashCookie); err == nil {
			sent = c.Value
		}
		return h.takeFlash(httptest.NewRecorder(), r), sent
	}
	f.Add(set("success", "Secret created."), "success", "Client “Billing” deleted.")
	f.Add("", "info", "")
	f.Add("a.b", "error", "x|y")
	f.Add(".", "", "\xff")
	f.Fuzz(func(t *testing.T, cookie, kind, msg string) {
		if fl, sent := take(cookie); fl != nil && set(fl.Kind, fl.Message) != sent {
			t.Fatalf("takeFlash(%q) showed %+v, which the console did not sign", sent, fl)
		}
		if strings.Contains(kind, "|") {
			return // kinds are the console's constants
		}
		v := set(kind, msg)
		if fl, _ := take(v); fl == nil || fl.Kind != kind || fl.Message != msg {
			t.Fatalf("flash %q/%q came back as %+v", kind, msg, fl)
		}
	})
}

// FuzzFormMessages feeds arbitrary field names and service messages to the
// helpers that word them for the console: text stays text (a message that
// starts with "é" must not lose a byte of it), and the result is a sentence.
func FuzzFormMessages(f *testing.F) {
	f.Add("description", "is required")
	f.Add("allowed_cidrs", `"x" is not an IP network`)
	f.Add("name", "élan is taken")
	f.Add("", "ID must be set")
	f.Add("scopes.1", "must be a scope")
	f.Fuzz(func(t *testing.T, name, msg string) {
		if !utf8.ValidString(name) || !utf8.ValidString(msg) {
			return
		}
		for _, out := range []string{sentence(msg), fieldMessage(name, msg), lowerFirst(msg)} {
			if !utf8.ValidString(out) {
				t.Fatalf("%q, %q gave invalid UTF-8 %q", name, msg, out)
			}
		}
		if s := sentence(msg); strings.TrimSpace(msg) != "" &&
			(!strings.EqualFold(strings.TrimSuffix(s, "."), strings.TrimSuffix(strings.TrimSpace(msg), ".")) || !strings.ContainsAny(s[len(s)-1:], ".?!")) {
			t.Fatalf("sentence(%q) = %q", msg, s)
		}
		fm := newForm()
		fm.take(domain.Invalid(name, msg), map[string]field{"description": {"desc", "Description"}})
		for _, s := range append(fm.Summary, fm.Errors["desc"]) {
			if !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return r == utf8.RuneError }) && !strings.ContainsRune(name+msg, utf8.RuneError) {
				t.Fatalf("form message %q from %q, %q", s, name, msg)
			}
		}
	})
}
