package cli

import (
	"strings"
	"testing"

	"keywarden/pkg/apiv1"
)

func (s *testServer) listRefreshTokens(t *testing.T, clientID string) []apiv1.RefreshToken {
	t.Helper()
	var list apiv1.RefreshTokenList
	decodeJSON(t, s.mustRun(t, "refresh-tokens", "list", clientID, "-o", "json"), &list)
	return list.Items
}

func TestRefreshTokensCreateAndList(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c := srv.createClient(t, "refresh-table")

	out := srv.mustRun(t, "refresh-tokens", "create", c.ClientID)
	value := valueLine(t, out, "kwr_")
	wantIn(t, "create", out, "Refresh token ID", "rft_", c.ClientID, "active", "refresh token is shown", "cannot be shown again")
	list := srv.listRefreshTokens(t, c.ClientID)
	if len(list) != 1 || !strings.HasSuffix(value, list[0].Hint) || list[0].Status != "active" {
		t.Fatalf("refresh-tokens list -o json = %+v (value ends %q)", list, value[len(value)-4:])
	}
	table := srv.mustRun(t, "refresh-tokens", "list", c.ClientID)
	wantIn(t, "list", table, "REFRESH TOKEN ID", "STATUS", "EXPIRES", list[0].ID, "kwr_…"+list[0].Hint, "active")
	wantNotIn(t, "list", table+srv.mustRun(t, "refresh-tokens", "list", c.ClientID, "-o", "json"), value)

	j := srv.createClient(t, "refresh-json")
	var a, b apiv1.CreatedRefreshToken
	decodeJSON(t, srv.mustRun(t, "refresh-tokens", "create", j.ClientID, "-o", "json"), &a)
	decodeJSON(t, srv.mustRun(t, "refresh-tokens", "create", j.ClientID, "-o", "json"), &b)
	if !strings.HasPrefix(a.Value, "kwr_") || !strings.HasPrefix(a.ID, "rft_") || a.ClientID != j.ClientID ||
		a.Status != "active" || !strings.HasSuffix(a.Value, a.Hint) || !a.ExpiresAt.After(a.CreatedAt) || a.Value == b.Value {
		t.Errorf("created = %+v, %+v", a, b)
	}
	if list := srv.listRefreshTokens(t, j.ClientID); len(list) != 2 || list[0].ID != b.ID || list[1].ID != a.ID {
		t.Errorf("list = %+v, want the two tokens newest first", list)
	}
}

func TestRefreshTokensRevokeAll(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c := srv.createClient(t, "refresh-revoke-all")
	srv.mustRun(t, "refresh-tokens", "create", c.ClientID, "-o", "json")
	srv.mustRun(t, "clients", "revoke-all", c.ClientID)
	if list := srv.listRefreshTokens(t, c.ClientID); len(list) != 1 || list[0].Status != "revoked" || list[0].RevokedAt == nil {
		t.Errorf("after revoke-all: %+v", list)
	}
}
