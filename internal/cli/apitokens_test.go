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

	// An admin's view of a user's tokens.
	dev := srv.invite(t, "dev@example.com", "developer")
	asDev := session(t, srv, dev, "the-developer-password")
	var devToken apiv1.CreatedAPIToken
	decodeJSON(t, mustRun(t, as(asDev, "api-tokens", "create", "laptop", "-o", "json")...), &devToken)
	wantIn(t, "list --user", srv.mustRun(t, "api-tokens", "list", "--user", dev.ID), "laptop", "active")
	srv.run(t, "api-tokens", "revoke", devToken.APIToken.ID).fails(t, exitFailure, "Not Found") // not the admin's own
	srv.mustRun(t, "api-tokens", "revoke", devToken.APIToken.ID, "--user", dev.ID)
	run(t, "whoami", "--server", srv.url, "--token", devToken.Token).fails(t, exitFailure, "Unauthorized")
	srv.run(t, "api-tokens", "list", "--user", "").fails(t, exitUsage, "--user")
}
