package problem

import (
	"errors"
	"net/http"
	"time"

	"keywarden/internal/domain"
)

// Problem is what a caller learns of an error.
type Problem struct {
	Status int
	// Slug names the kind of problem (the end of its type URI, e.g.
	// "not-found"); Title is the status's text.
	Slug, Title string
	// Detail is the message, in the service's words (never internal
	// detail or secret material); "" when Status has nothing to add.
	Detail string
	// Fields are the invalid input fields of a 422.
	Fields []domain.FieldError
	// RetryAfter, when set, is how long a rate-limited caller waits.
	RetryAfter time.Duration
	// Header holds response headers the problem needs (WWW-Authenticate,
	// Allow).
	Header map[string]string
}

// Fault reports whether the problem is the server's, not the caller's. A
// 503 "busy" is the server shedding load on purpose: not a fault to log.
func (p Problem) Fault() bool { return p.Status >= 500 && p.Slug != "busy" }

// Error is an error that already knows its problem: one a transport raises
// itself (a malformed body, 401, 405) or a service's refusal with a status
// of its own.
type Error struct {
	Status int
	Slug   string // overrides the status's default slug
	Detail string
	Header map[string]string
	Cause  error
}

func (e *Error) Error() string { return http.StatusText(e.Status) + ": " + e.Detail }
func (e *Error) Unwrap() error { return e.Cause }

var slugs = map[int]string{
	400: "bad-request", 401: "unauthenticated", 403: "forbidden", 404: "not-found", 405: "method-not-allowed",
	409: "conflict", 413: "too-large", 415: "unsupported-media-type", 422: "invalid", 429: "rate-limited",
	500: "internal", 503: "busy",
}

// Messages of the statuses For gives without a detail of the error's own.
const (
	NotFound    = "no such object in your organization"
	Invalid     = "the request has invalid fields"
	RateLimited = "too many failed attempts; try again later"
	Busy        = "the server is checking too many passwords at once; try again shortly"
)

// For maps err to its problem.
func For(err error) Problem {
	var pe *Error
	var inval *domain.ValidationError
	var conflict *domain.ConflictError
	var forbidden *domain.ForbiddenError
	var limited *domain.RateLimitedError
	var busy *domain.BusyError
	var p Problem
	switch {
	case errors.As(err, &pe):
		p = Problem{Status: pe.Status, Slug: pe.Slug, Detail: pe.Detail, Header: pe.Header}
	case errors.As(err, &limited):
		p = Problem{Status: http.StatusTooManyRequests, Detail: RateLimited, RetryAfter: max(limited.RetryAfter, time.Second)}
	case errors.As(err, &busy):
		p = Problem{Status: http.StatusServiceUnavailable, Detail: Busy, RetryAfter: max(busy.RetryAfter, time.Second)}
	case errors.As(err, &inval):
		p = Problem{Status: http.StatusUnprocessableEntity, Detail: Invalid, Fields: inval.Fields()}
	case errors.Is(err, domain.ErrNotFound):
		p = Problem{Status: http.StatusNotFound, Detail: NotFound}
	case errors.As(err, &conflict):
		p = Problem{Status: http.StatusConflict, Detail: conflict.Reason}
	case errors.Is(err, domain.ErrConflict):
		p = Problem{Status: http.StatusConflict}
	case errors.As(err, &forbidden):
		p = Problem{Status: http.StatusForbidden, Detail: forbidden.Reason}
	case errors.Is(err, domain.ErrForbidden):
		p = Problem{Status: http.StatusForbidden}
	default:
		p = Problem{Status: http.StatusInternalServerError}
	}
	if p.Slug == "" {
		p.Slug = slugs[p.Status]
	}
	p.Title = http.StatusText(p.Status)
	return p
}
