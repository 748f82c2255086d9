package httpx

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
)

// StatusClientClosedRequest is the status recorded, in the access log and
// the metrics, for a request whose client went away before it was
// answered (nginx's 499). Nothing reaches the client; it is not a server
// error, so it is neither logged at Error nor counted as a 5xx.
const StatusClientClosedRequest = 499

// ClientGone reports whether r failed because its client went away (net/http
// cancels a request's context when the connection closes or an HTTP/2
// stream is reset). If so it records StatusClientClosedRequest on w and logs
// err at Info, and the caller's error writer stops there: whatever err
// says (a cancelled query, an interrupted hash), the cause was the client.
func ClientGone(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) bool {
	if !errors.Is(r.Context().Err(), context.Canceled) {
		return false
	}
	log.InfoContext(r.Context(), "client closed the request", "request_id", RequestID(r.Context()), "err", err)
	w.WriteHeader(StatusClientClosedRequest)
	return true
}
