package problem_test

import (
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"keywarden/internal/domain"
	"keywarden/internal/problem"
)

func TestFor(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		status     int
		slug       string
		detail     string
		retryAfter time.Duration
	}{
		{"not found", fmt.Errorf("get: %w", domain.ErrNotFound), 404, "not-found", problem.NotFound, 0},
		{"validation", domain.Invalid("name", "is required"), 422, "invalid", problem.Invalid, 0},
		{"conflict with a reason", domain.Conflict("the secret is revoked"), 409, "conflict", "the secret is revoked", 0},
		{"bare conflict", domain.ErrConflict, 409, "conflict", "", 0},
		{"forbidden with a reason", domain.Forbidden("super admins only"), 403, "forbidden", "super admins only", 0},
		{"rate limited", fmt.Errorf("login: %w", domain.RateLimited(30*time.Second)), 429, "rate-limited", problem.RateLimited, 30 * time.Second},
		{"rate limited under a second waits a second", domain.RateLimited(time.Millisecond), 429, "rate-limited", problem.RateLimited, time.Second},
		{"busy", fmt.Errorf("login: %w", domain.Busy(2*time.Second)), 503, "busy", problem.Busy, 2 * time.Second},
		{"transport error", &problem.Error{Status: 405, Detail: "GET only"}, 405, "method-not-allowed", "GET only", 0},
		{"transport error with its own slug", &problem.Error{Status: 401, Slug: "mfa-required", Detail: "enter the code"}, 401, "mfa-required", "enter the code", 0},
		{"anything else is a fault", errors.New("disk full"), 500, "internal", "", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := problem.For(tc.err)
			if p.Status != tc.status || p.Slug != tc.slug || p.Detail != tc.detail || p.RetryAfter != tc.retryAfter || p.Title != http.StatusText(tc.status) {
				t.Errorf("For = %+v; want status %d, slug %s, detail %q, retry after %v", p, tc.status, tc.slug, tc.detail, tc.retryAfter)
			}
			if p.Fault() != (tc.status >= 500 && tc.slug != "busy") {
				t.Errorf("Fault = %v", p.Fault())
			}
		})
	}
	if p := problem.For(domain.Invalid("name", "is required")); len(p.Fields) != 1 || p.Fields[0].Field != "name" {
		t.Errorf("validation fields = %+v", p.Fields)
	}
}
