package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"keywarden/internal/domain"
	"keywarden/internal/leak"
	"keywarden/internal/problem"
	"keywarden/pkg/apiv1"
)

// reporterActor is who a request with the leak-reporter token acts as: a
// system actor that holds no role, so no other route accepts it.
var reporterActor = domain.Actor{Kind: domain.ActorSystem, ID: "leak-reporter"}

// leakReporter reports whether r carries the installation's leak-reporter
// token (compared in constant time).
func (h *Handler) leakReporter(r *http.Request) bool {
	if h.LeakReporterToken == "" {
		return false
	}
	v := r.Header.Values("Authorization")
	if len(v) != 1 {
		return false
	}
	scheme, bearer, ok := strings.Cut(v[0], " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	a, b := sha256.Sum256([]byte(strings.TrimSpace(bearer))), sha256.Sum256([]byte(h.LeakReporterToken))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// reportLeaks is POST /v1/leaks.
func (h *Handler) reportLeaks(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	var req apiv1.ReportLeaks
	if err := decode(w, r, &req, false); err != nil {
		return err
	}
	findings := make([]leak.Finding, len(req.Values))
	for i, v := range req.Values {
		findings[i] = leak.Finding{Value: v.Value, Fingerprint: v.Fingerprint, SourceURL: v.SourceURL, Source: v.Source}
	}
	reporter := "leak-reporter"
	if by.Kind == domain.ActorUser {
		reporter = "user:" + by.ID
	}
	labels, err := h.Leaks.Report(r.Context(), reporter, findings)
	if err != nil {
		return err
	}
	out := apiv1.LeakReportResult{Labels: make([]string, len(labels))}
	for i, l := range labels {
		out.Labels[i] = string(l)
	}
	return writeJSON(w, http.StatusOK, out)
}

// listLeaks is GET /v1/leaks.
func (h *Handler) listLeaks(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	q, err := queryOf(r)
	if err != nil {
		return err
	}
	limit := 50
	if s := q["limit"]; s != "" {
		if limit, err = strconv.Atoi(s); err != nil || limit < 1 || limit > 200 {
			return domain.Invalid("limit", "must be an integer from 1 to 200")
		}
	}
	clientID := domain.ClientID(q["client_id"])
	if clientID != "" && !clientID.Valid() {
		return domain.Invalid("client_id", "is not a client ID")
	}
	leaks, err := h.Credentials.Leaks(r.Context(), by, clientID, limit)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, apiv1.LeakList{Items: leaksJSON(leaks)})
}

func leaksJSON(leaks []domain.Leak) []apiv1.Leak {
	out := make([]apiv1.Leak, 0, len(leaks))
	for _, l := range leaks {
		out = append(out, apiv1.Leak{ID: l.ID, Kind: string(l.Kind), TargetID: l.TargetID, ClientID: string(l.ClientID),
			UserID: string(l.UserID), Hint: l.Hint, SourceURL: l.SourceURL, Source: l.Source, Reporter: l.Reporter,
			ReportedAt: l.ReportedAt, Response: string(l.Response), QuarantineUntil: l.QuarantineUntil})
	}
	return out
}

// maxGitHubReport bounds a partner-program report.
const maxGitHubReport = 1 << 20

// githubLeaks is POST /v1/leaks/github: GitHub's secret-scanning partner
// program (docs/leaks.md). Public: the signature is the authentication.
func (h *Handler) githubLeaks(w http.ResponseWriter, r *http.Request) error {
	if h.GitHubKeys == nil {
		return &problem.Error{Status: http.StatusNotFound, Detail: "GitHub leak reports are not configured (--leak-github-keys-url or --leak-github-keys-file)"}
	}
	if r.URL.RawQuery != "" {
		return badRequest("the report takes no query parameters")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxGitHubReport))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return &problem.Error{Status: http.StatusRequestEntityTooLarge, Detail: fmt.Sprintf("the body must be at most %d bytes", maxGitHubReport)}
		}
		return badRequest("the body could not be read")
	}
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/json") {
		return &problem.Error{Status: http.StatusUnsupportedMediaType, Detail: "the body must be application/json"}
	}
	ids, sigs := r.Header.Values(leak.HeaderGitHubKeyID), r.Header.Values(leak.HeaderGitHubKeySig)
	if len(ids) > 1 || len(sigs) > 1 {
		return badRequest("each signature header at most once")
	}
	var id, sig string
	if len(ids) == 1 && len(sigs) == 1 {
		id, sig = ids[0], sigs[0]
	}
	labels, err := h.Leaks.GitHub(r.Context(), h.GitHubKeys, h.LeakGate, time.Now().UTC(), id, sig, body)
	switch {
	case errors.Is(err, leak.ErrUnsigned), errors.Is(err, leak.ErrBadSignature):
		return &problem.Error{Status: http.StatusUnauthorized, Detail: err.Error()}
	case errors.Is(err, leak.ErrReplayed):
		return &problem.Error{Status: http.StatusConflict, Detail: err.Error()}
	case leak.Unavailable(err):
		return &problem.Error{Status: http.StatusServiceUnavailable, Detail: "the reporter's public keys could not be fetched; retry later",
			Header: map[string]string{"Retry-After": "30"}, Cause: err}
	case err != nil:
		return err
	}
	return writeJSON(w, http.StatusOK, labels)
}
