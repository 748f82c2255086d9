package api

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"keywarden/internal/account"
	"keywarden/internal/credential"
	"keywarden/internal/domain"
	"keywarden/internal/httpx"
	"keywarden/pkg/apiv1"
)

const problemBase = "https://keywarden.dev/problems/"

// problemError is an error that already knows its status: decoding
// failures, 401, 403, 404 and 405 raised by the transport itself.
type problemError struct {
	status int
	slug   string // overrides the type's default slug for the status
	detail string
	header map[string]string
	cause  error
}

func (e *problemError) Error() string { return http.StatusText(e.status) + ": " + e.detail }
func (e *problemError) Unwrap() error { return e.cause }

func badRequest(detail string) error {
	return &problemError{status: http.StatusBadRequest, detail: detail}
}

func unauthenticated(cause error) error {
	p := &problemError{status: http.StatusUnauthorized, cause: cause,
		detail: "send an API token as Authorization: Bearer <token>",
		header: map[string]string{"WWW-Authenticate": `Bearer realm="keywarden"`}}
	if !errors.Is(cause, errNoCredentials) {
		p.detail = "the credentials are invalid, expired or revoked"
		p.header["WWW-Authenticate"] = `Bearer realm="keywarden", error="invalid_token"`
	}
	return p
}

var slugs = map[int]string{
	400: "bad-request", 401: "unauthenticated", 403: "forbidden", 404: "not-found", 405: "method-not-allowed",
	409: "conflict", 413: "too-large", 415: "unsupported-media-type", 422: "invalid", 429: "rate-limited",
}

// retryAfter returns how long a rate-limited caller must wait (failed
// logins, password or MFA guesses, client authentications), 0 when err is
// not a rate limit.
func retryAfter(err error) time.Duration {
	var login *account.LoginRateLimitedError
	var client *credential.RateLimitedError
	switch {
	case errors.As(err, &login):
		return max(login.RetryAfter, time.Second)
	case errors.As(err, &client):
		return max(client.RetryAfter, time.Second)
	}
	return 0
}

// problemFor is the only place that turns errors into HTTP statuses.
func problemFor(err error) (apiv1.Problem, map[string]string) {
	var pe *problemError
	var inval *domain.ValidationError
	var conflict *domain.ConflictError
	var forbidden *domain.ForbiddenError
	p := apiv1.Problem{}
	var header map[string]string
	switch {
	case errors.As(err, &pe):
		p.Status, p.Detail, header = pe.status, pe.detail, pe.header
		if pe.slug != "" {
			p.Title, p.Type = http.StatusText(p.Status), problemBase+pe.slug
			return p, header
		}
	case retryAfter(err) > 0:
		p.Status, p.Detail = http.StatusTooManyRequests, "too many failed attempts; try again later"
		header = map[string]string{"Retry-After": itoa(max(1, int(retryAfter(err).Seconds())))}
	case errors.As(err, &inval):
		p.Status, p.Detail = http.StatusUnprocessableEntity, "the request has invalid fields"
		for _, f := range inval.Fields() {
			p.Errors = append(p.Errors, apiv1.FieldError{Field: f.Field, Message: f.Message})
		}
	case errors.Is(err, domain.ErrNotFound):
		p.Status, p.Detail = http.StatusNotFound, "no such object in your organization"
	case errors.As(err, &conflict):
		p.Status, p.Detail = http.StatusConflict, conflict.Reason
	case errors.Is(err, domain.ErrConflict):
		p.Status = http.StatusConflict
	case errors.As(err, &forbidden):
		p.Status, p.Detail = http.StatusForbidden, forbidden.Reason
	case errors.Is(err, domain.ErrForbidden):
		p.Status = http.StatusForbidden
	default:
		return apiv1.Problem{Type: "about:blank", Title: "Internal Server Error", Status: 500}, nil
	}
	p.Title = http.StatusText(p.Status)
	p.Type = problemBase + slugs[p.Status]
	return p, header
}

func (h *Handler) writeProblem(w http.ResponseWriter, r *http.Request, err error) {
	if httpx.ClientGone(w, r, h.Log, err) {
		return
	}
	p, header := problemFor(err)
	p.Instance = httpx.RequestID(r.Context())
	if p.Status >= 500 {
		h.Log.ErrorContext(r.Context(), "request failed", "request_id", p.Instance, "err", err)
	} else {
		h.Log.InfoContext(r.Context(), "request rejected", "request_id", p.Instance, "status", p.Status, "problem", p.Detail)
	}
	for k, v := range header {
		w.Header().Set(k, v)
	}
	httpx.WriteJSON(w, p.Status, p, "application/problem+json")
}

func itoa(n int) string { return strconv.Itoa(n) }
