package cli

import (
	"testing"

	"keywarden/pkg/apiv1"
	"keywarden/pkg/keywarden"
)

// TestIdentityProviders follows an identity provider through the CLI:
// created with its client secret from standard input (never printed),
// listed, shown with the redirect URI to register, changed, deleted; bad
// input fails with the server's reason or a usage error.
func TestIdentityProviders(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	const secret = "idp-client-secret-4f2a"

	var created apiv1.IdentityProvider
	out := newEnv(t).mustRunStdin(t, secret+"\n", srv.args("identity-providers", "create", "Okta", "--issuer", "https://acme.okta.example",
		"--client-id", "kw", "--client-secret-stdin", "--scope", "email,groups", "--allowed-domain", "acme.example",
		"--default-role", "member", "--groups-claim", "groups", "--group-role", "kw-admins=admin", "-o", "json")...)
	decodeJSON(t, out, &created)
	if created.Name != "Okta" || !created.HasClientSecret || created.GroupRoles["kw-admins"] != "admin" || len(created.Scopes) != 2 {
		t.Fatalf("create -o json = %+v", created)
	}
	wantNotIn(t, "create", out, secret)

	out = srv.mustRun(t, "identity-providers", "list")
	wantIn(t, "list", out, "PROVIDER ID", created.ID, "Okta", "https://acme.okta.example", "member", "on")
	out = srv.mustRun(t, "identity-providers", "show", created.ID)
	wantIn(t, "show", out, "set (never shown)", "/ui/oidc/callback", "kw-admins=admin", "acme.example")
	wantNotIn(t, "show", out, secret)

	var updated apiv1.IdentityProvider
	decodeJSON(t, srv.mustRun(t, "identity-providers", "update", created.ID, "--disabled", "--name", "Okta (old)", "-o", "json"), &updated)
	if !updated.Disabled || updated.Name != "Okta (old)" || !updated.HasClientSecret || updated.DefaultRole != "member" {
		t.Fatalf("update -o json = %+v", updated)
	}
	decodeJSON(t, srv.mustRun(t, "identity-providers", "update", created.ID, "--enabled", "-o", "json"), &updated)
	if updated.Disabled {
		t.Fatal("--enabled left the provider off")
	}

	srv.run(t, "identity-providers", "create", "Bad", "--issuer", "not a url", "--client-id", "x").fails(t, exitFailure, "issuer")
	srv.run(t, "identity-providers", "create", "Bad", "--issuer", "https://x.example", "--client-id", "x", "--group-role", "nogroup").fails(t, exitUsage, "GROUP=ROLE")
	srv.run(t, "identity-providers", "update", created.ID, "--disabled", "--enabled").fails(t, exitUsage, "not both")

	wantIn(t, "delete", srv.mustRun(t, "identity-providers", "delete", created.ID), "Deleted identity provider "+created.ID)
	srv.run(t, "identity-providers", "show", created.ID).fails(t, exitFailure, "Not Found")
}

// TestLoginPasswordSignInOff: with the organisation's password sign-in
// turned off, keywarden login says so (the server's reason) for a user
// who is not a break-glass super admin (the break-glass side is
// internal/api's TestIdentityProviders).
func TestLoginPasswordSignInOff(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	e := newEnv(t)
	dev := onboard(t, srv, e)
	sdk := keywarden.New(srv.url, srv.token, nil)
	users, err := sdk.ListUsers(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var admin string
	for _, u := range users.Items {
		if u.Role == "super_admin" {
			admin = u.ID
		}
	}
	on := true
	if _, err := sdk.UpdatePolicy(t.Context(), apiv1.UpdatePolicy{LocalLoginDisabled: &on, BreakGlassUsers: &[]string{admin}}); err != nil {
		t.Fatal(err)
	}
	newEnv(t).runStdin(t, newPassword+"\n", "login", "--email", dev.Email, "--password-stdin", "--server", srv.url).
		fails(t, exitFailure, "password sign-in is turned off")
}
