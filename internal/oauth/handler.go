package oauth

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"keywarden/internal/credential"
	"keywarden/internal/domain"
	"keywarden/internal/dpop"
	"keywarden/internal/httpx"
	"keywarden/internal/metrics"
	"keywarden/internal/token"
)

// Handler serves the OAuth endpoints. server.New fills in its fields.
type Handler struct {
	// Credentials authenticates clients, the first step of every endpoint.
	Credentials *credential.Service
	// Tokens issues, introspects and revokes tokens.
	Tokens *token.Issuer
	// Keys publishes the JWKS and the signing algorithms.
	Keys    *token.Keys
	Log     *slog.Logger
	Metrics *metrics.Metrics
	// Issuer returns the issuer URL (--public-url, or the listening address).
	Issuer func() string
	// DPoP checks DPoP proofs at the token endpoint (RFC 9449).
	DPoP *dpop.Verifier
}

type endpointFunc func(http.ResponseWriter, *http.Request) error

// endpoints are the routes Register mounts.
func (h *Handler) endpoints() []struct {
	method, path string
	fn           endpointFunc
} {
	return []struct {
		method, path string
		fn           endpointFunc
	}{
		{"POST", "/oauth2/token", h.token},
		{"POST", "/oauth2/introspect", h.introspect},
		{"POST", "/oauth2/revoke", h.revoke},
		{"GET", "/.well-known/oauth-authorization-server", h.metadata},
		{"GET", "/.well-known/openid-configuration", h.metadata},
		{"GET", "/.well-known/jwks.json", h.jwks},
	}
}

// Register mounts the endpoints on mux.
func (h *Handler) Register(mux *http.ServeMux) {
	for _, e := range h.endpoints() {
		h.route(mux, e.method, e.path, e.fn)
	}
}

// Paths lists the methods and paths Register mounts, for the OpenAPI test.
func Paths() [][2]string {
	var out [][2]string
	for _, e := range (&Handler{}).endpoints() {
		out = append(out, [2]string{e.method, e.path})
	}
	return out
}

// route registers fn for "METHOD path" and answers other methods with
// 405, Allow and a JSON body (the std mux's own 405 is text/plain).
func (h *Handler) route(mux *http.ServeMux, method, path string, fn endpointFunc) {
	mux.Handle(method+" "+path, h.endpoint(fn))
	allow := method
	if method == "GET" {
		allow = "GET, HEAD"
	}
	mux.Handle(path, h.endpoint(func(w http.ResponseWriter, r *http.Request) error {
		w.Header().Set("Allow", allow)
		return &Error{Code: "invalid_request", Status: http.StatusMethodNotAllowed, Description: "this endpoint accepts " + allow}
	}))
}

func (h *Handler) endpoint(fn endpointFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := fn(w, r); err != nil {
			h.writeError(w, r, err)
		}
	})
}

// authenticate checks the client's credentials and maps failures to
// invalid_client (401) or, when rate limited, 429 with Retry-After; when
// the slow-hash gate is full, 503 temporarily_unavailable with Retry-After.
func (h *Handler) authenticate(ctx context.Context, r *http.Request, f form) (domain.ClientAuth, error) {
	cc, err := clientAuth(r, f)
	if err != nil {
		return domain.ClientAuth{}, err
	}
	var auth domain.ClientAuth
	if cc.Assertion != "" {
		iss := h.Issuer()
		auth, err = h.Credentials.AuthenticateAssertion(ctx, credential.AssertionInput{ClientID: domain.ClientID(cc.ID), Assertion: cc.Assertion,
			Audiences: []string{iss, iss + "/oauth2/token"}, Source: httpx.ClientIP(r)})
	} else {
		auth, err = h.Credentials.Authenticate(ctx, domain.ClientID(cc.ID), cc.Secret, httpx.ClientIP(r))
	}
	var limited *credential.RateLimitedError
	var busy *domain.BusyError
	switch {
	case errors.As(err, &busy): // the slow-hash gate is full: nothing was checked
		h.Metrics.ClientAuthenticated(metrics.OutcomeRateLimited)
		return domain.ClientAuth{}, &Error{Code: "temporarily_unavailable", Description: "the server is busy; try again shortly",
			Status: http.StatusServiceUnavailable, RetryAfter: max(busy.RetryAfter, time.Second), cause: err}
	case errors.As(err, &limited): // §5.2 has no rate-limit code; the 429 and Retry-After carry it
		h.Metrics.ClientAuthenticated(metrics.OutcomeRateLimited)
		return domain.ClientAuth{}, &Error{Code: "invalid_client", Description: "too many failed attempts; try again later",
			Status: http.StatusTooManyRequests, RetryAfter: limited.RetryAfter, cause: err}
	case errors.Is(err, credential.ErrBadCredentials): // unknown, wrong, expired, revoked, disabled, a bad assertion: one answer
		h.Metrics.ClientAuthenticated(metrics.OutcomeFailure)
		return domain.ClientAuth{}, &Error{Code: "invalid_client", Description: "client authentication failed",
			Status: http.StatusUnauthorized, cause: err}
	case err != nil:
		return domain.ClientAuth{}, err
	}
	h.Metrics.ClientAuthenticated(metrics.OutcomeSuccess)
	return auth, nil
}
