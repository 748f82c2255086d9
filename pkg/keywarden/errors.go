package keywarden

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"keywarden/pkg/apiv1"
)

// Error is an answer of the server other than 2xx. It wraps the answer's
// RFC 9457 problem details, so that
//
//	var p *apiv1.Problem
//	if errors.As(err, &p) { … p.Status, p.Type, p.Detail, p.Errors … }
//
// finds them. An answer that is not a problem document (a proxy's HTML
// error page, say) still gets a Problem, built from the status code.
type Error struct {
	Method  string         // the request's method
	Path    string         // the request's path, e.g. "/v1/clients/kwc_…"
	Problem *apiv1.Problem // never nil
	// RetryAfter is how long the server asked the caller to wait
	// (Retry-After, RFC 9110 §10.2.3), typically with 429 and 503; 0 when
	// it did not say.
	RetryAfter time.Duration
}

// Error is the problem's text: title, detail and the invalid fields.
func (e *Error) Error() string { return e.Problem.Error() }

// Unwrap returns the problem details.
func (e *Error) Unwrap() error { return e.Problem }

// HasStatus reports whether err is the server's answer with the HTTP
// status.
func HasStatus(err error, status int) bool {
	var p *apiv1.Problem
	return errors.As(err, &p) && p.Status == status
}

// MFARequired reports whether err is the server's answer to a login that
// needs a TOTP or recovery code: none was sent, or the one sent was wrong.
func MFARequired(err error) bool {
	var p *apiv1.Problem
	return errors.As(err, &p) && p.Status == http.StatusUnauthorized && strings.HasSuffix(p.Type, "/mfa-required")
}

// readError turns an answer other than 2xx into an *Error and closes it.
func readError(resp *http.Response, method, path string, now time.Time) *Error {
	defer closeBody(resp)
	return &Error{Method: method, Path: path, Problem: readProblem(resp), RetryAfter: retryAfter(resp.Header.Get("Retry-After"), now)}
}

func readProblem(resp *http.Response) *apiv1.Problem {
	p := &apiv1.Problem{}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	isJSON := mt == "application/problem+json" || mt == "application/json"
	if !isJSON || json.NewDecoder(io.LimitReader(resp.Body, maxProblemBytes)).Decode(p) != nil {
		p = &apiv1.Problem{Type: "about:blank", Detail: "the server answered " + strconv.Itoa(resp.StatusCode) + " without a problem document"}
		if mt != "" {
			p.Detail += " (" + mt + ")"
		}
	}
	if p.Status == 0 {
		p.Status = resp.StatusCode
	}
	if p.Title == "" {
		p.Title = http.StatusText(resp.StatusCode)
	}
	if p.Title == "" {
		p.Title = "HTTP " + strconv.Itoa(resp.StatusCode)
	}
	return p
}

// retryAfter reads a Retry-After header: delay-seconds or an HTTP-date
// (RFC 9110 §10.2.3). Anything else, or a date in the past, is 0.
func retryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if n, err := strconv.ParseInt(h, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		return time.Duration(min(n, int64(24*time.Hour/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
