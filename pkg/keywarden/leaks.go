package keywarden

import (
	"context"
	"net/url"
	"strconv"

	"keywarden/pkg/apiv1"
)

// ReportLeaks reports values found exposed (at most 100): every live one
// is shut down at once, whichever organisation it belongs to, and the
// answer holds one label per value, in order (docs/leaks.md). An admin's
// token, or the installation's leak-reporter token, may report.
func (c *Client) ReportLeaks(ctx context.Context, values []apiv1.LeakedValue) (apiv1.LeakReportResult, error) {
	return call[apiv1.LeakReportResult](ctx, c, post("/v1/leaks", apiv1.ReportLeaks{Values: values}))
}

// LeakQuery selects the organisation's recorded leaks; zero fields do not
// filter.
type LeakQuery struct {
	ClientID string // only this client's
	Limit    int    // at most this many (1–200; 0: the server's default)
}

// ListLeaks returns the organisation's recorded leaks, newest first.
func (c *Client) ListLeaks(ctx context.Context, q LeakQuery) (apiv1.LeakList, error) {
	v := url.Values{}
	if q.ClientID != "" {
		v.Set("client_id", q.ClientID)
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	return call[apiv1.LeakList](ctx, c, get("/v1/leaks").withQuery(v))
}
