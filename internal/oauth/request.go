package oauth

import (
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"keywarden/internal/credential"
)

// MaxFormBytes bounds a request body at the OAuth endpoints.
const MaxFormBytes = 16 << 10

// form is a parsed application/x-www-form-urlencoded body in which every
// parameter appears at most once (RFC 6749 §3.2).
type form map[string]string

// readForm reads and checks the body. It never looks at the query string:
// credentials there would end up in logs and histories, so a query is an
// error.
func readForm(w http.ResponseWriter, r *http.Request) (form, error) {
	if r.URL.RawQuery != "" {
		return nil, invalidRequest("parameters must be sent in the body, not the URL query")
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, invalidRequest("the body must be application/x-www-form-urlencoded")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxFormBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, &Error{Code: "invalid_request", Description: "the body is larger than 16 KiB", Status: http.StatusRequestEntityTooLarge}
		}
		return nil, invalidRequest("the body could not be read")
	}
	values, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, invalidRequest("the body is not valid form encoding")
	}
	f := form{}
	for k, vs := range values {
		if len(vs) > 1 {
			return nil, invalidRequest("parameter " + quoteName(k) + " is repeated")
		}
		if !cleanText(k) || !cleanText(vs[0]) {
			return nil, invalidRequest("parameters must be UTF-8 text without control characters")
		}
		f[k] = vs[0]
	}
	return f, nil
}

func cleanText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, unicode.IsControl)
}

// quoteName quotes a parameter name for an error message, bounded so a
// huge name is not echoed.
func quoteName(k string) string {
	// The name is the caller's bytes: strconv.Quote keeps the message valid
	// UTF-8, showing invalid bytes and control characters as escapes.
	if len(k) > 40 {
		return strconv.Quote(k[:40]) + "…"
	}
	return strconv.Quote(k)
}

// clientCredentials are what the client presented to authenticate: an ID
// and secret, or (private_key_jwt) a signed assertion and, optionally, the
// ID.
type clientCredentials struct {
	ID, Secret string
	Assertion  string
}

// clientAuth extracts exactly one client authentication method from the
// request: client_secret_basic (RFC 6749 §2.3.1, with the ID and secret
// form-urlencoded inside Basic), client_secret_post, or private_key_jwt
// (RFC 7523 §2.2: client_assertion_type and client_assertion in the body,
// client_id optional).
func clientAuth(r *http.Request, f form) (clientCredentials, error) {
	headers := r.Header.Values("Authorization")
	_, postSecret := f["client_secret"]
	assertionTyp, hasType := f["client_assertion_type"]
	assertion, hasAssertion := f["client_assertion"]
	switch {
	case len(headers) > 1:
		return clientCredentials{}, invalidRequest("send one Authorization header")
	case (hasType || hasAssertion) && (len(headers) == 1 || postSecret):
		return clientCredentials{}, invalidRequest("use one client authentication method: a client assertion, Basic or client_secret, not several")
	case hasType || hasAssertion:
		switch {
		case !hasType:
			return clientCredentials{}, invalidRequest("client_assertion_type is required with client_assertion")
		case !hasAssertion || assertion == "":
			return clientCredentials{}, invalidRequest("client_assertion is required with client_assertion_type")
		case assertionTyp != credential.AssertionType:
			return clientCredentials{}, &Error{Code: "invalid_client", Description: "client_assertion_type must be " + credential.AssertionType, Status: http.StatusUnauthorized}
		}
		return clientCredentials{ID: f["client_id"], Assertion: assertion}, nil
	case len(headers) == 1:
		if postSecret {
			return clientCredentials{}, invalidRequest("use one client authentication method: Basic or client_secret in the body, not both")
		}
		scheme, payload, ok := strings.Cut(headers[0], " ")
		if !ok || !strings.EqualFold(scheme, "Basic") {
			return clientCredentials{}, &Error{Code: "invalid_client", Description: "client authentication must use HTTP Basic", Status: http.StatusUnauthorized}
		}
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(payload))
		if err != nil {
			return clientCredentials{}, &Error{Code: "invalid_client", Description: "the Basic credentials are not valid base64", Status: http.StatusUnauthorized}
		}
		id, secret, ok := strings.Cut(string(raw), ":")
		if !ok {
			return clientCredentials{}, &Error{Code: "invalid_client", Description: "the Basic credentials must be client_id:client_secret", Status: http.StatusUnauthorized}
		}
		// §2.3.1: both parts are application/x-www-form-urlencoded.
		id, err1 := url.QueryUnescape(id)
		secret, err2 := url.QueryUnescape(secret)
		if err1 != nil || err2 != nil || !cleanText(id) || !cleanText(secret) {
			return clientCredentials{}, &Error{Code: "invalid_client", Description: "the Basic credentials are not form-urlencoded text", Status: http.StatusUnauthorized}
		}
		if bodyID, ok := f["client_id"]; ok && bodyID != id {
			return clientCredentials{}, invalidRequest("client_id in the body differs from the Basic credentials")
		}
		return clientCredentials{ID: id, Secret: secret}, nil
	case postSecret:
		id := f["client_id"]
		if id == "" {
			return clientCredentials{}, invalidRequest("client_id is required with client_secret")
		}
		return clientCredentials{ID: id, Secret: f["client_secret"]}, nil
	}
	return clientCredentials{}, &Error{Code: "invalid_client", Description: "client authentication is required (HTTP Basic, client_id and client_secret in the body, or a client assertion: private_key_jwt)", Status: http.StatusUnauthorized}
}
