package api

import (
	"errors"
	"net/http"
	"strconv"

	"keywarden/internal/httpx"
	"keywarden/internal/problem"
	"keywarden/pkg/apiv1"
)

const problemBase = "https://keywarden.dev/problems/"

func badRequest(detail string) error {
	return &problem.Error{Status: http.StatusBadRequest, Detail: detail}
}

func unauthenticated(cause error) error {
	p := &problem.Error{Status: http.StatusUnauthorized, Cause: cause,
		Detail: "send an API token as Authorization: Bearer <token>",
		Header: map[string]string{"WWW-Authenticate": `Bearer realm="keywarden"`}}
	if !errors.Is(cause, errNoCredentials) {
		p.Detail = "the credentials are invalid, expired or revoked"
		p.Header["WWW-Authenticate"] = `Bearer realm="keywarden", error="invalid_token"`
	}
	return p
}

// problemJSON renders a problem as RFC 9457 problem+json; a fault says
// nothing but its status.
func problemJSON(p problem.Problem) apiv1.Problem {
	if p.Fault() {
		return apiv1.Problem{Type: "about:blank", Title: p.Title, Status: p.Status}
	}
	out := apiv1.Problem{Type: problemBase + p.Slug, Title: p.Title, Status: p.Status, Detail: p.Detail}
	for _, f := range p.Fields {
		out.Errors = append(out.Errors, apiv1.FieldError{Field: f.Field, Message: f.Message})
	}
	return out
}

func (h *Handler) writeProblem(w http.ResponseWriter, r *http.Request, err error) {
	if httpx.ClientGone(w, r, h.Log, err) {
		return
	}
	p := problem.For(err)
	body := problemJSON(p)
	body.Instance = httpx.RequestID(r.Context())
	if p.Fault() {
		h.Log.ErrorContext(r.Context(), "request failed", "request_id", body.Instance, "err", err)
	} else {
		h.Log.InfoContext(r.Context(), "request rejected", "request_id", body.Instance, "status", p.Status, "problem", p.Detail)
	}
	for k, v := range p.Header {
		w.Header().Set(k, v)
	}
	if p.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(p.RetryAfter.Seconds())))
	}
	httpx.WriteJSON(w, p.Status, body, "application/problem+json")
}
