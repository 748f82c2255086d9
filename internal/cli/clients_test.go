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

func TestClients(t *testing.T) {
	t.Parallel()
	srv := startServer(t)

	t.Run("create prints the client", func(t *testing.T) {
		out := srv.mustRun(t, "clients", "create", "billing", "--description", "invoices", "--scope", "invoices:read", "--scope", "invoices:write", "--token-ttl", "3600")
		for _, want := range []string{"Client ID", "kwc_", "billing", "invoices:read invoices:write", "3600s", "active"} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
	})

	t.Run("create -o json is the API object", func(t *testing.T) {
		c := srv.createClient(t, "reports", "--scope", "a,b", "--webhook-url", "https://hooks.example.com/kw?x=1&y=2")
		if !strings.HasPrefix(c.ClientID, "kwc_") || c.Name != "reports" || !slices.Equal(c.Scopes, []string{"a", "b"}) ||
			c.Status != "active" || c.WebhookURL != "https://hooks.example.com/kw?x=1&y=2" || c.CreatedAt.IsZero() {
			t.Errorf("client = %+v", c)
		}
	})

	t.Run("show", func(t *testing.T) {
		c := srv.createClient(t, "shown")
		out := srv.mustRun(t, "clients", "show", c.ClientID)
		if !strings.Contains(out, c.ClientID) || !strings.Contains(out, "shown") || !strings.Contains(out, "organization default") {
			t.Errorf("show output:\n%s", out)
		}
		var got apiv1.Client
		decodeJSON(t, srv.mustRun(t, "clients", "show", c.ClientID, "-o", "json"), &got)
		if got.ClientID != c.ClientID || got.Name != "shown" {
			t.Errorf("show -o json = %+v", got)
		}
	})

	t.Run("list shows every client", func(t *testing.T) {
		a, b := srv.createClient(t, "list-a"), srv.createClient(t, "list-b")
		out := srv.mustRun(t, "clients", "list", "--all")
		for _, want := range []string{"CLIENT ID", "NAME", a.ClientID, b.ClientID, "list-a", "list-b"} {
			if !strings.Contains(out, want) {
				t.Errorf("list lacks %q:\n%s", want, out)
			}
		}
	})

	t.Run("list pages with --limit and --cursor", func(t *testing.T) {
		srv.createClient(t, "page-1")
		srv.createClient(t, "page-2")
		var page apiv1.ClientList
		decodeJSON(t, srv.mustRun(t, "clients", "list", "--limit", "1", "-o", "json"), &page)
		if len(page.Items) != 1 || page.NextCursor == "" {
			t.Fatalf("first page = %+v, want one item and a cursor", page)
		}
		var next apiv1.ClientList
		decodeJSON(t, srv.mustRun(t, "clients", "list", "--limit", "1", "--cursor", page.NextCursor, "-o", "json"), &next)
		if len(next.Items) != 1 || next.Items[0].ClientID == page.Items[0].ClientID {
			t.Fatalf("second page = %+v, want another client", next)
		}
		out := srv.mustRun(t, "clients", "list", "--limit", "1")
		if !strings.Contains(out, "--cursor "+page.NextCursor) {
			t.Errorf("table output does not say how to get the next page:\n%s", out)
		}
	})

	t.Run("list --all follows the cursors", func(t *testing.T) {
		var all, one apiv1.ClientList
		decodeJSON(t, srv.mustRun(t, "clients", "list", "--all", "--limit", "1", "-o", "json"), &all)
		decodeJSON(t, srv.mustRun(t, "clients", "list", "--limit", "100", "-o", "json"), &one)
		if len(all.Items) < 2 || len(all.Items) != len(one.Items) || all.NextCursor != "" {
			t.Errorf("--all --limit 1 listed %d clients (cursor %q), one big page %d", len(all.Items), all.NextCursor, len(one.Items))
		}
	})

	t.Run("update sends only the flags given", func(t *testing.T) {
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
		out := srv.mustRun(t, "clients", "update", c.ClientID, "--token-ttl", "120")
		if !strings.Contains(out, "120s") {
			t.Errorf("update output:\n%s", out)
		}
	})

	t.Run("delete", func(t *testing.T) {
		c := srv.createClient(t, "doomed")
		out := srv.mustRun(t, "clients", "delete", c.ClientID)
		if !strings.Contains(out, "Deleted client "+c.ClientID) {
			t.Errorf("delete output:\n%s", out)
		}
		r := srv.run(t, "clients", "show", c.ClientID)
		if r.code != exitFailure || !strings.Contains(r.stderr, "Not Found") {
			t.Errorf("show after delete: exit %d, stderr %q; want 1 and Not Found", r.code, r.stderr)
		}
	})

	t.Run("delete -o json", func(t *testing.T) {
		c := srv.createClient(t, "doomed-json")
		var got struct {
			ClientID string `json:"client_id"`
			Deleted  bool   `json:"deleted"`
		}
		decodeJSON(t, srv.mustRun(t, "clients", "delete", c.ClientID, "-o", "json"), &got)
		if got.ClientID != c.ClientID || !got.Deleted {
			t.Errorf("delete -o json = %+v", got)
		}
	})
}

// TestAPIFlagsFromEnv sets process environment variables, so it cannot
// run in parallel.
func TestAPIFlagsFromEnv(t *testing.T) {
	srv := startServer(t)

	t.Run("token and server from the environment", func(t *testing.T) {
		t.Setenv(envServer, srv.url)
		t.Setenv(envToken, srv.token+"\n")
		mustRun(t, "clients", "list")
	})

	t.Run("flags win over the environment", func(t *testing.T) {
		t.Setenv(envServer, "http://127.0.0.1:1")
		t.Setenv(envToken, "kwt_wrong")
		mustRun(t, "clients", "list", "--server", srv.url, "--token", srv.token)
	})

	t.Run("no token is a usage error", func(t *testing.T) {
		t.Setenv(envToken, "")
		r := run(t, "clients", "list", "--server", srv.url)
		if r.code != exitUsage || !strings.Contains(r.stderr, envToken) {
			t.Errorf("exit %d, stderr %q; want 2 and a hint about %s", r.code, r.stderr, envToken)
		}
	})

	t.Run("a wrong token is refused without echoing it", func(t *testing.T) {
		t.Setenv(envToken, "")
		r := run(t, "clients", "list", "--server", srv.url, "--token", "kwt_not-a-real-token")
		if r.code != exitFailure || !strings.Contains(r.stderr, "Unauthorized") || strings.Contains(r.stderr, "not-a-real-token") {
			t.Errorf("exit %d, stderr %q; want 1, Unauthorized and no token", r.code, r.stderr)
		}
	})
}
