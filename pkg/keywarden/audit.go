package keywarden

import (
	"context"
	"iter"
	"time"

	"keywarden/pkg/apiv1"
)

// AuditQuery selects audit events; zero fields do not filter.
type AuditQuery struct {
	Action string    // e.g. "secret.rotate"; ending in a dot, a prefix ("secret.")
	Actor  string    // actor ID
	Target string    // the ID of the object acted on
	Client string    // a client ID: events about it and what it holds
	Since  time.Time // events at or after
	Until  time.Time // events before
	ListOptions
}

// ListAudit returns one page of audit events, newest first. AuditEvents
// iterates over all of them.
func (c *Client) ListAudit(ctx context.Context, q AuditQuery) (apiv1.AuditList, error) {
	v := q.values()
	for name, s := range map[string]string{"action": q.Action, "actor": q.Actor, "target": q.Target, "client_id": q.Client} {
		if s != "" {
			v.Set(name, s)
		}
	}
	for name, t := range map[string]time.Time{"since": q.Since, "until": q.Until} {
		if !t.IsZero() {
			v.Set(name, t.UTC().Format(time.RFC3339Nano))
		}
	}
	return call[apiv1.AuditList](ctx, c, get("/v1/audit").withQuery(v))
}

// AuditEvents iterates over the audit events q selects, newest first,
// fetching the pages as it goes (q.Limit is the page size).
func (c *Client) AuditEvents(ctx context.Context, q AuditQuery) iter.Seq2[apiv1.AuditEvent, error] {
	return pages(ctx, q.ListOptions, func(ctx context.Context, opts ListOptions) ([]apiv1.AuditEvent, string, error) {
		q.ListOptions = opts
		p, err := c.ListAudit(ctx, q)
		return p.Items, p.NextCursor, err
	})
}

// GetClientActivity returns one page of the events about a client and
// everything it holds, newest first (anyone who may read the client).
func (c *Client) GetClientActivity(ctx context.Context, clientID string, opts ListOptions) (apiv1.AuditList, error) {
	return call[apiv1.AuditList](ctx, c, get("/v1/clients/{client_id}/activity", clientID).withQuery(opts.values()))
}
