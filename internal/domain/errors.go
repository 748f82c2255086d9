package domain

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

var (
	// ErrNotFound means the object does not exist in the caller's
	// organisation. Another organisation's object is also "not found".
	ErrNotFound = errors.New("not found")
	// ErrConflict means a unique key or a state rule forbids the change.
	ErrConflict = errors.New("conflict")
	// ErrForbidden means the caller is known but its role does not allow the action.
	ErrForbidden = errors.New("forbidden")
	// ErrUnauthenticated means no valid credential came with the request.
	ErrUnauthenticated = errors.New("unauthenticated")
)

// FieldError names one input field and what is wrong with it.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// ValidationError collects every problem with an input, so that a caller
// learns all of them at once.
type ValidationError struct {
	fields []FieldError
}

// Add records a problem with field ("" for the input as a whole).
func (v *ValidationError) Add(field, message string) {
	v.fields = append(v.fields, FieldError{Field: field, Message: message})
}

// Fields returns the recorded problems.
func (v *ValidationError) Fields() []FieldError { return v.fields }

// Err returns v when a problem was recorded, nil otherwise.
func (v *ValidationError) Err() error {
	if v == nil || len(v.fields) == 0 {
		return nil
	}
	return v
}

func (v *ValidationError) Error() string {
	parts := make([]string, 0, len(v.fields))
	for _, f := range v.fields {
		if f.Field == "" {
			parts = append(parts, f.Message)
		} else {
			parts = append(parts, f.Field+": "+f.Message)
		}
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// Text checks a free-text field (a name, a description): present when
// required, valid UTF-8, at most max characters, no control characters
// but newline and tab. It is the one check of every such field, on every
// route.
func (v *ValidationError) Text(field, s string, required bool, max int) {
	switch {
	case required && strings.TrimSpace(s) == "":
		v.Add(field, "is required")
	case !utf8.ValidString(s):
		v.Add(field, "must be valid UTF-8")
	case utf8.RuneCountInString(s) > max:
		v.Add(field, fmt.Sprintf("must be at most %d characters", max))
	case strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }):
		v.Add(field, "must not contain control characters")
	}
}

// Invalid returns a ValidationError with one problem.
func Invalid(field, message string) error {
	v := &ValidationError{}
	v.Add(field, message)
	return v
}

// ConflictError is ErrConflict with a message that tells the caller why.
type ConflictError struct{ Reason string }

func (e *ConflictError) Error() string        { return "conflict: " + e.Reason }
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }

// Conflict returns an error that matches ErrConflict and carries reason.
func Conflict(reason string) error { return &ConflictError{Reason: reason} }

// ForbiddenError is ErrForbidden with the rule that refused the action.
type ForbiddenError struct{ Reason string }

func (e *ForbiddenError) Error() string        { return "forbidden: " + e.Reason }
func (e *ForbiddenError) Is(target error) bool { return target == ErrForbidden }

// Forbidden returns an error that matches ErrForbidden and carries reason.
func Forbidden(reason string) error { return &ForbiddenError{Reason: reason} }

// RateLimitedError means the caller failed too often (logins, password or
// MFA guesses, client authentications) and may try again after RetryAfter.
type RateLimitedError struct{ RetryAfter time.Duration }

func (e *RateLimitedError) Error() string {
	return fmt.Sprintf("too many failed attempts; retry after %s", e.RetryAfter)
}

// RateLimited returns a RateLimitedError.
func RateLimited(retryAfter time.Duration) error { return &RateLimitedError{RetryAfter: retryAfter} }

// BusyError means the server is checking as many passwords and supplied
// secrets as it runs at once and its queue is full: the attempt was not
// evaluated, and may be retried after RetryAfter.
type BusyError struct{ RetryAfter time.Duration }

func (e *BusyError) Error() string {
	return fmt.Sprintf("too many password checks at once; retry after %s", e.RetryAfter)
}

// Busy returns a BusyError.
func Busy(retryAfter time.Duration) error { return &BusyError{RetryAfter: retryAfter} }
