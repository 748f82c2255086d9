package cli

import (
	"strings"
	"testing"

	"keywarden/pkg/apiv1"
)

func TestRefreshTokens(t *testing.T) {
	t.Parallel()
	srv := startServer(t)

	t.Run("create prints the value once with a warning", func(t *testing.T) {
		c := srv.createClient(t, "refresh-table")
		out := srv.mustRun(t, "refresh-tokens", "create", c.ClientID)
		var value string
		for line := range strings.Lines(out) {
			if strings.HasPrefix(line, "kwr_") {
				value = strings.TrimSpace(line)
			}
		}
		if len(value) < 30 || strings.ContainsAny(value, " \t") {
			t.Fatalf("no line holds just the value:\n%s", out)
		}
		for _, want := range []string{"Refresh token ID", "rft_", c.ClientID, "active", "refresh token is shown", "cannot be shown again"} {
			if !strings.Contains(out, want) {
				t.Errorf("create output lacks %q:\n%s", want, out)
			}
		}

		var list apiv1.RefreshTokenList
		decodeJSON(t, srv.mustRun(t, "refresh-tokens", "list", c.ClientID, "-o", "json"), &list)
		if len(list.Items) != 1 || !strings.HasSuffix(value, list.Items[0].Hint) || list.Items[0].Status != "active" {
			t.Errorf("refresh-tokens list -o json = %+v (value ends %q)", list, value[len(value)-4:])
		}
		table := srv.mustRun(t, "refresh-tokens", "list", c.ClientID)
		for _, want := range []string{"REFRESH TOKEN ID", "STATUS", "EXPIRES", list.Items[0].ID, "kwr_…" + list.Items[0].Hint, "active"} {
			if !strings.Contains(table, want) {
				t.Errorf("list lacks %q:\n%s", want, table)
			}
		}
		if jsonOut := srv.mustRun(t, "refresh-tokens", "list", c.ClientID, "-o", "json"); strings.Contains(table, value) || strings.Contains(jsonOut, value) {
			t.Errorf("list shows the value:\n%s\n%s", table, jsonOut)
		}
	})

	t.Run("create -o json is the API object with the value", func(t *testing.T) {
		c := srv.createClient(t, "refresh-json")
		var a, b apiv1.CreatedRefreshToken
		decodeJSON(t, srv.mustRun(t, "refresh-tokens", "create", c.ClientID, "-o", "json"), &a)
		decodeJSON(t, srv.mustRun(t, "refresh-tokens", "create", c.ClientID, "-o", "json"), &b)
		if !strings.HasPrefix(a.Value, "kwr_") || !strings.HasPrefix(a.ID, "rft_") || a.ClientID != c.ClientID ||
			a.Status != "active" || !strings.HasSuffix(a.Value, a.Hint) || !a.ExpiresAt.After(a.CreatedAt) || a.Value == b.Value {
			t.Errorf("created = %+v, %+v", a, b)
		}
		var list apiv1.RefreshTokenList
		decodeJSON(t, srv.mustRun(t, "refresh-tokens", "list", c.ClientID, "-o", "json"), &list)
		if len(list.Items) != 2 || list.Items[0].ID != b.ID || list.Items[1].ID != a.ID {
			t.Errorf("list = %+v, want the two tokens newest first", list)
		}
	})

	t.Run("revoke-all revokes them", func(t *testing.T) {
		c := srv.createClient(t, "refresh-revoke-all")
		srv.mustRun(t, "refresh-tokens", "create", c.ClientID, "-o", "json")
		srv.mustRun(t, "clients", "revoke-all", c.ClientID)
		var list apiv1.RefreshTokenList
		decodeJSON(t, srv.mustRun(t, "refresh-tokens", "list", c.ClientID, "-o", "json"), &list)
		if len(list.Items) != 1 || list.Items[0].Status != "revoked" || list.Items[0].RevokedAt == nil {
			t.Errorf("after revoke-all: %+v", list)
		}
	})
}
