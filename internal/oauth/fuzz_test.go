package oauth

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// FuzzReadForm feeds arbitrary bodies, content types and query strings to
// the token endpoint's form parser: every refusal is an OAuth error with a
// 4xx status, and what it accepts is the body's own parameters, each given
// once, as UTF-8 text without control characters.
func FuzzReadForm(f *testing.F) {
	for _, s := range []string{
		"grant_type=client_credentials&scope=read+write",
		"grant_type=refresh_token&refresh_token=kwr_x&client_id=kwc_y&client_secret=kws_z",
		"a=1&a=2", "a=%zz", "a=%00", "a=%ff", "a;b", "=", "&&", "scope=%E2%9C%93",
	} {
		f.Add(s, "application/x-www-form-urlencoded", "")
	}
	f.Add("grant_type=client_credentials", "application/x-www-form-urlencoded; charset=UTF-8", "")
	f.Add("grant_type=client_credentials", "application/json", "")
	f.Add("grant_type=client_credentials", "application/x-www-form-urlencoded", "client_secret=x")
	f.Fuzz(func(t *testing.T, body, contentType, rawQuery string) {
		r := httptest.NewRequest("POST", "/oauth2/token", strings.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		r.URL.RawQuery = rawQuery
		form, err := readForm(httptest.NewRecorder(), r)
		if err != nil {
			var oe *Error
			if !errors.As(err, &oe) || oe.Status < 400 || oe.Status > 499 || oe.Code != "invalid_request" || !utf8.ValidString(oe.Description) {
				t.Fatalf("readForm error %#v", err)
			}
			return
		}
		values, perr := url.ParseQuery(body)
		if perr != nil || rawQuery != "" || len(values) != len(form) {
			t.Fatalf("readForm accepted %q (query %q): %v", body, rawQuery, form)
		}
		for k, v := range form {
			if len(values[k]) != 1 || values[k][0] != v || !cleanText(k) || !cleanText(v) {
				t.Fatalf("readForm accepted %q=%q from %q", k, v, body)
			}
		}
	})
}

// FuzzClientAuth feeds arbitrary Authorization headers and body
// credentials to the client authentication parser (RFC 6749 §2.3.1): it
// never panics, refuses with a 4xx OAuth error, returns exactly one method,
// and reads back the ID and secret a conforming client encoded.
func FuzzClientAuth(f *testing.F) {
	basic := func(id, secret string) string {
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
	}
	f.Add(basic("kwc_x", "kws_y"), "", "", false)
	f.Add(basic("kwc_x", "p@ss:wörd%+"), "kwc_x", "", false)
	f.Add("basic "+base64.StdEncoding.EncodeToString([]byte("a:b")), "", "", false)
	f.Add("Basic !!!", "", "", false)
	f.Add("Bearer x", "", "", false)
	f.Add("", "kwc_x", "kws_y", true)
	f.Add("", "", "kws_y", true)
	f.Add(basic("kwc_x", "y"), "kwc_z", "kws_y", true)
	f.Fuzz(func(t *testing.T, authorization, bodyID, bodySecret string, withSecret bool) {
		r := httptest.NewRequest("POST", "/oauth2/token", nil)
		if authorization != "" {
			r.Header.Set("Authorization", authorization)
		}
		body := form{}
		if bodyID != "" {
			body["client_id"] = bodyID
		}
		if withSecret {
			body["client_secret"] = bodySecret
		}
		cc, err := clientAuth(r, body)
		if err != nil {
			var oe *Error
			if !errors.As(err, &oe) || oe.Status < 400 || oe.Status > 499 || (oe.Status == http.StatusUnauthorized) != (oe.Code == "invalid_client") {
				t.Fatalf("clientAuth error %#v", err)
			}
			return
		}
		viaBasic := authorization != "" // clientAuth accepted exactly one method
		switch {
		case viaBasic && withSecret:
			t.Fatalf("Basic credentials %+v without a header, or with a body secret too", cc)
		case !viaBasic && (authorization != "" || !withSecret || cc.ID != bodyID || cc.Secret != bodySecret || cc.ID == ""):
			t.Fatalf("body credentials %+v from %q/%q", cc, bodyID, bodySecret)
		case viaBasic && (strings.ContainsFunc(cc.ID+cc.Secret, unicode.IsControl) || !utf8.ValidString(cc.ID+cc.Secret)):
			t.Fatalf("Basic credentials %+v are not clean text", cc)
		case viaBasic && bodyID != "" && bodyID != cc.ID:
			t.Fatalf("Basic client %q differs from the body's %q", cc.ID, bodyID)
		}
		// A conforming client encodes what it has; we read it back.
		if viaBasic || !cleanText(cc.ID) || !cleanText(cc.Secret) || strings.Contains(cc.ID, ":") {
			return
		}
		r.Header.Set("Authorization", basic(cc.ID, cc.Secret))
		back, err := clientAuth(r, form{})
		if err != nil || back.ID != cc.ID || back.Secret != cc.Secret {
			t.Fatalf("Basic round trip of %q/%q = %+v, %v", cc.ID, cc.Secret, back, err)
		}
	})
}
