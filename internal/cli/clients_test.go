package cli

import (
	"slices"
	"strings"
	"testing"

	"keywarden/pkg/apiv1"
)

// createClient creates a client through the CLI and returns it.
func (s *testServer) createClient(t *testing.T, name string, flags ...string) apiv1.Client {
	t.Helper()
	var c apiv1.Client
	decodeJSON(t, s.mustRun(t, append([]string{"clients", "create", name, "-o", "json"}, flags...)...), &c)
	return c
}

func TestClientsCreateAndShow(t *testing.T) {
	t.Parallel()
	srv := startServer(t)

	out := srv.mustRun(t, "clients", "create", "billing", "--description", "invoices", "--scope", "invoices:read", "--scope", "invoices:write", "--token-ttl", "3600")
	wantIn(t, "create", out, "Client ID", "kwc_", "billing", "invoices:read invoices:write", "3600s", "active")

	c := srv.createClient(t, "reports", "--scope", "a,b", "--webhook-url", "https://hooks.example.com/kw?x=1&y=2")
	if !strings.HasPrefix(c.ClientID, "kwc_") || c.Name != "reports" || !slices.Equal(c.Scopes, []string{"a", "b"}) ||
		c.Status != "active" || c.WebhookURL != "https://hooks.example.com/kw?x=1&y=2" || c.CreatedAt.IsZero() {
		t.Errorf("create -o json = %+v", c)
	}

	wantIn(t, "show", srv.mustRun(t, "clients", "show", c.ClientID), c.ClientID, "reports", "organization default")
	var got apiv1.Client
	decodeJSON(t, srv.mustRun(t, "clients", "show", c.ClientID, "-o", "json"), &got)
	if got.ClientID != c.ClientID || got.Name != "reports" {
		t.Errorf("show -o json = %+v", got)
	}
}

func TestClientsList(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	a, b := srv.createClient(t, "list-a"), srv.createClient(t, "list-b")

	wantIn(t, "list --all", srv.mustRun(t, "clients", "list", "--all"), "CLIENT ID", "NAME", a.ClientID, b.ClientID, "list-a", "list-b")

	var page, next apiv1.ClientList
	decodeJSON(t, srv.mustRun(t, "clients", "list", "--limit", "1", "-o", "json"), &page)
	if len(page.Items) != 1 || page.NextCursor == "" {
		t.Fatalf("first page = %+v, want one item and a cursor", page)
	}
	decodeJSON(t, srv.mustRun(t, "clients", "list", "--limit", "1", "--cursor", page.NextCursor, "-o", "json"), &next)
	if len(next.Items) != 1 || next.Items[0].ClientID == page.Items[0].ClientID {
		t.Fatalf("second page = %+v, want another client", next)
	}
	wantIn(t, "a page's table", srv.mustRun(t, "clients", "list", "--limit", "1"), "--cursor "+page.NextCursor)

	var all, one apiv1.ClientList
	decodeJSON(t, srv.mustRun(t, "clients", "list", "--all", "--limit", "1", "-o", "json"), &all)
	decodeJSON(t, srv.mustRun(t, "clients", "list", "--limit", "100", "-o", "json"), &one)
	if len(all.Items) != 2 || !slices.Equal(clientIDs(all), clientIDs(one)) || all.NextCursor != "" {
		t.Errorf("--all --limit 1 listed %v (cursor %q), one big page %v", clientIDs(all), all.NextCursor, clientIDs(one))
	}
}

func clientIDs(l apiv1.ClientList) []string {
	var ids []string
	for _, c := range l.Items {
		ids = append(ids, c.ClientID)
	}
	return ids
}

func TestClientsUpdateAndDelete(t *testing.T) {
	t.Parallel()
	srv := startServer(t)

	c := srv.createClient(t, "before", "--description", "keep me", "--scope", "s1")
	var got apiv1.Client
	decodeJSON(t, srv.mustRun(t, "clients", "update", c.ClientID, "--name", "after", "--disable", "-o", "json"), &got)
	if got.Name != "after" || got.Description != "keep me" || !slices.Equal(got.Scopes, []string{"s1"}) || got.Status != "disabled" {
		t.Errorf("after update: %+v", got)
	}
	decodeJSON(t, srv.mustRun(t, "clients", "update", c.ClientID, "--enable", "--scope", "", "-o", "json"), &got)
	if got.Status != "active" || len(got.Scopes) != 0 || got.Name != "after" {
		t.Errorf("after enable: %+v", got)
	}
	wantIn(t, "update", srv.mustRun(t, "clients", "update", c.ClientID, "--token-ttl", "120"), "120s")

	wantIn(t, "delete", srv.mustRun(t, "clients", "delete", c.ClientID), "Deleted client "+c.ClientID)
	srv.run(t, "clients", "show", c.ClientID).fails(t, exitFailure, "Not Found")

	d := srv.createClient(t, "doomed-json")
	var deleted struct {
		ClientID string `json:"client_id"`
		Deleted  bool   `json:"deleted"`
	}
	decodeJSON(t, srv.mustRun(t, "clients", "delete", d.ClientID, "-o", "json"), &deleted)
	if deleted.ClientID != d.ClientID || !deleted.Deleted {
		t.Errorf("delete -o json = %+v", deleted)
	}
}

// TestAPIFlagsFromEnv checks KEYWARDEN_SERVER and KEYWARDEN_TOKEN, and
// that flags win over them.
func TestAPIFlagsFromEnv(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	e := newEnv(t)

	e.with(envServer, srv.url, envToken, srv.token+"\n").mustRun(t, "clients", "list")
	e.with(envServer, "http://127.0.0.1:1", envToken, "kwt_wrong").mustRun(t, "clients", "list", "--server", srv.url, "--token", srv.token)
	e.run(t, "clients", "list", "--server", srv.url).fails(t, exitUsage, envToken)

	r := e.run(t, "clients", "list", "--server", srv.url, "--token", "kwt_not-a-real-token")
	r.fails(t, exitFailure, "Unauthorized")
	wantNotIn(t, "stderr", r.stderr, "not-a-real-token")
}
