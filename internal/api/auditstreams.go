package api

import (
	"context"
	"net/http"

	"keywarden/internal/auditstream"
	"keywarden/internal/domain"
	"keywarden/pkg/apiv1"
)

// auditStreamJSON renders a stream and how far behind it is; never its
// token.
func (h *Handler) auditStreamJSON(ctx context.Context, as domain.AuditStream) (apiv1.AuditStream, error) {
	lag, err := h.AuditStreams.Lag(ctx, as)
	if err != nil {
		return apiv1.AuditStream{}, err
	}
	status := "ok"
	if as.Failures > 0 {
		status = "failing"
	}
	return apiv1.AuditStream{ID: as.ID, Name: as.Name, URL: as.URL, Format: as.Format, HasToken: as.TokenSealed != nil,
		CreatedAt: as.CreatedAt, DeliveredSeq: as.Delivered, LatestSeq: lag.Latest, UndeliveredSince: lag.Undelivered,
		DeliveredAt: as.DeliveredAt, Status: status, Failures: as.Failures, LastError: as.LastError, LastErrorAt: as.LastErrorAt}, nil
}

func (h *Handler) listAuditStreams(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	list, err := h.AuditStreams.Streams(r.Context(), by)
	if err != nil {
		return err
	}
	out := apiv1.AuditStreamList{Items: make([]apiv1.AuditStream, 0, len(list))}
	for _, as := range list {
		j, err := h.auditStreamJSON(r.Context(), as)
		if err != nil {
			return err
		}
		out.Items = append(out.Items, j)
	}
	return writeJSON(w, http.StatusOK, out)
}

func (h *Handler) createAuditStream(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	var req apiv1.CreateAuditStream
	if err := decode(w, r, &req, false); err != nil {
		return err
	}
	as, err := h.AuditStreams.CreateStream(r.Context(), by, auditstream.NewStream{Name: req.Name, URL: req.URL, Format: req.Format, Token: req.Token})
	if err != nil {
		return err
	}
	j, err := h.auditStreamJSON(r.Context(), as)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/audit/streams/"+as.ID)
	return writeJSON(w, http.StatusCreated, j)
}

func (h *Handler) getAuditStream(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	as, err := h.AuditStreams.Stream(r.Context(), by, r.PathValue("id"))
	if err != nil {
		return err
	}
	j, err := h.auditStreamJSON(r.Context(), as)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, j)
}

func (h *Handler) deleteAuditStream(w http.ResponseWriter, r *http.Request, by domain.Actor) error {
	if err := h.AuditStreams.DeleteStream(r.Context(), by, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
