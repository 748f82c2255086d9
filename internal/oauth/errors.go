package oauth

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"keywarden/internal/httpx"
	"keywarden/internal/token"
)

// Error is an OAuth 2.0 error response (RFC 6749 §5.2). Description is
// shown to the client, so it never holds secret material or internal
// detail; cause is logged, never sent.
type Error struct {
	Code        string
	Description string
	Status      int
	RetryAfter  time.Duration
	cause       error
}

func (e *Error) Error() string { return e.Code + ": " + e.Description }
func (e *Error) Unwrap() error { return e.cause }

func invalidRequest(desc string) *Error {
	return &Error{Code: "invalid_request", Description: desc, Status: http.StatusBadRequest}
}

var errUnsupportedGrant = &Error{Code: "unsupported_grant_type", Status: http.StatusBadRequest,
	Description: "grant_type must be client_credentials or refresh_token"}

// issueError maps the issuer's refusals to their RFC 6749 §5.2 codes.
func issueError(err error) error {
	var scope *token.ScopeError
	switch {
	case errors.As(err, &scope):
		return &Error{Code: "invalid_scope", Description: scope.Description, Status: http.StatusBadRequest, cause: err}
	case errors.Is(err, token.ErrInvalidGrant):
		return &Error{Code: "invalid_grant", Description: "the refresh token is invalid, expired, revoked or was already used", Status: http.StatusBadRequest, cause: err}
	case errors.Is(err, token.ErrUnsupportedGrant):
		return errUnsupportedGrant
	}
	return err
}

func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	if httpx.ClientGone(w, r, h.Log, err) {
		return
	}
	var oe *Error
	if !errors.As(err, &oe) {
		h.Log.ErrorContext(r.Context(), "oauth endpoint failed", "request_id", httpx.RequestID(r.Context()), "err", err)
		oe = &Error{Code: "server_error", Description: "internal error; see the server log for request " + httpx.RequestID(r.Context()), Status: http.StatusInternalServerError}
	} else {
		h.Log.InfoContext(r.Context(), "oauth request rejected", "request_id", httpx.RequestID(r.Context()), "code", oe.Code, "description", oe.Description)
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "application/json")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("Pragma", "no-cache")
	if oe.Status == http.StatusUnauthorized {
		// §5.2: a 401 invalid_client names the scheme the client should use.
		hdr.Set("WWW-Authenticate", `Basic realm="keywarden", charset="UTF-8"`)
	}
	if oe.RetryAfter > 0 {
		hdr.Set("Retry-After", strconv.Itoa(int(oe.RetryAfter.Round(time.Second).Seconds())))
	}
	w.WriteHeader(oe.Status)
	json.NewEncoder(w).Encode(struct {
		Error       string `json:"error"`
		Description string `json:"error_description,omitempty"`
	}{oe.Code, oe.Description})
}

func writeJSON(w http.ResponseWriter, v any) error {
	return httpx.WriteJSON(w, http.StatusOK, v, "application/json")
}
