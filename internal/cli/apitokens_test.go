package cli

import (
	"strings"
	"testing"

	"keywarden/pkg/apiv1"
)

// TestAPITokens follows an admin API token through the CLI: the bootstrap
// token is listed, a new token is created and printed once, rotated (the
// old one stops) and revoked.
func TestAPITokens(t *testing.T) {
	t.Parallel()
	srv := startServer(t)

	wantIn(t, "list", srv.mustRun(t, "api-tokens", "list"), "TOKEN ID", "bootstrap (keywarden init) (this one)", "active", "kwt_…"+srv.token[len(srv.token)-4:])
	var created apiv1.CreatedAPIToken
	decodeJSON(t, srv.mustRun(t, "api-tokens", "create", "terraform", "-o", "json"), &created)
	if !strings.HasPrefix(created.Token, "kwt_") || created.APIToken.Name != "terraform" || created.APIToken.ExpiresAt == nil {
		t.Fatalf("create -o json = %+v", created)
	}
	asNew := []string{"--server", srv.url, "--token", created.Token}
	mustRun(t, as(asNew, "whoami")...)

	out := mustRun(t, as(asNew, "api-tokens", "rotate", "current")...)
	wantIn(t, "rotate", out, "terraform", "only time the token is shown")
	run(t, as(asNew, "whoami")...).fails(t, exitFailure, "Unauthorized")
	var list apiv1.APITokenList
	decodeJSON(t, srv.mustRun(t, "api-tokens", "list", "-o", "json"), &list)
	if len(list.Items) != 3 || list.Items[0].Name != "terraform" || list.Items[1].Status != "revoked" || list.Items[1].ReplacedBy != list.Items[0].ID {
		t.Fatalf("list after rotate = %+v", list.Items)
	}
	wantIn(t, "revoke", srv.mustRun(t, "api-tokens", "revoke", list.Items[0].ID), "Revoked API token "+list.Items[0].ID)
	srv.run(t, "api-tokens", "rotate", list.Items[0].ID).fails(t, exitFailure, "revoked")
	srv.run(t, "api-tokens", "rotate", list.Items[0].ID, "--overlap", "soon").fails(t, exitUsage, "--overlap")
	srv.run(t, "api-tokens", "create", "x", "--expires", "tomorrow").fails(t, exitUsage, "--expires")
	srv.run(t, "api-tokens", "revoke", "tok_0000000000000000000000").fails(t, exitFailure, "Not Found")
}
