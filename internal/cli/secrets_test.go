package cli

import (
	"slices"
	"strings"
	"testing"
	"time"

	"keywarden/pkg/apiv1"
)

// createSecret adds a generated secret through the CLI and returns it.
func (s *testServer) createSecret(t *testing.T, clientID, description string, flags ...string) apiv1.CreatedSecret {
	t.Helper()
	var sec apiv1.CreatedSecret
	decodeJSON(t, s.mustRun(t, append([]string{"secrets", "create", clientID, "--description", description, "-o", "json"}, flags...)...), &sec)
	return sec
}

func (s *testServer) listSecrets(t *testing.T, clientID string) []apiv1.Secret {
	t.Helper()
	var list apiv1.SecretList
	decodeJSON(t, s.mustRun(t, "secrets", "list", clientID, "-o", "json"), &list)
	return list.Items
}

// valueLine returns the one line of out that starts with prefix: a value
// shown once, on a line of its own.
func valueLine(t *testing.T, out, prefix string) string {
	t.Helper()
	for line := range strings.Lines(out) {
		if v := strings.TrimSpace(line); strings.HasPrefix(line, prefix) && len(v) >= 30 && !strings.ContainsAny(v, " \t") {
			return v
		}
	}
	t.Fatalf("no line holds just a %s… value:\n%s", prefix, out)
	return ""
}

func TestSecretsCreate(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c := srv.createClient(t, "create")

	out := srv.mustRun(t, "secrets", "create", c.ClientID, "--description", "prod")
	value := valueLine(t, out, "kws_")
	wantIn(t, "create", out, "cannot be shown again")
	if list := srv.listSecrets(t, c.ClientID); len(list) != 1 || !strings.HasSuffix(value, list[0].Hint) {
		t.Errorf("value %q does not end in the listed hint: %+v", value, list)
	}

	s := srv.createSecret(t, c.ClientID, "json", "--expires", "2026-12-31")
	if !strings.HasPrefix(s.Value, "kws_") || !strings.HasPrefix(s.ID, "sec_") || s.ClientID != c.ClientID ||
		s.Status != "active" || s.Origin != "generated" || s.Description != "json" || !strings.HasSuffix(s.Value, s.Hint) {
		t.Errorf("created secret = %+v", s.Secret)
	}
	if want := time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC); s.ExpiresAt == nil || !s.ExpiresAt.Equal(want) {
		t.Errorf("expires_at = %v, want %v (the end of the day, UTC)", s.ExpiresAt, want)
	}

	at := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	if r := srv.createSecret(t, c.ClientID, "rfc3339", "--expires", at.Format(time.RFC3339)); r.ExpiresAt == nil || !r.ExpiresAt.Equal(at) {
		t.Errorf("expires_at = %v, want %v", r.ExpiresAt, at)
	}

	table := srv.mustRun(t, "secrets", "list", c.ClientID)
	wantIn(t, "list", table, "SECRET ID", "STATUS", "LAST USED", s.ID, "json", s.Masked, s.Hint, "active")
	wantNotIn(t, "list", table+srv.mustRun(t, "secrets", "list", c.ClientID, "-o", "json"), s.Value, value)
	show := srv.mustRun(t, "secrets", "show", c.ClientID, s.ID)
	wantIn(t, "show", show, s.Masked)
	wantNotIn(t, "show", show, s.Value)
}

func TestSecretsRotate(t *testing.T) {
	t.Parallel()
	srv := startServer(t)

	c := srv.createClient(t, "rotate")
	old := srv.createSecret(t, c.ClientID, "old")
	before := time.Now()
	out := srv.mustRun(t, "secrets", "rotate", c.ClientID, "--grace", "24h", "--description", "new")
	wantIn(t, "rotate", out, "active (New)", "Previous secrets", old.ID, "cannot be shown again", "\nkws_")
	list := srv.listSecrets(t, c.ClientID)
	if len(list) != 2 || list[0].ID != old.ID || list[0].New || !list[1].New {
		t.Fatalf("after rotate: %+v, want the old secret, then the new one marked New", list)
	}
	if grace := list[0].ExpiresAt; grace == nil || grace.Before(before.Add(24*time.Hour-time.Minute)) || grace.After(time.Now().Add(24*time.Hour+time.Minute)) {
		t.Errorf("old secret expires at %v, want in 24h", grace)
	}
	wantIn(t, "list", srv.mustRun(t, "secrets", "list", c.ClientID), "(New)")

	// One rotation at a time: the second names the open one.
	if r := srv.run(t, "secrets", "rotate", c.ClientID, "--grace", "3600s"); r.code == 0 || !strings.Contains(r.stderr, "rot_") || !strings.Contains(r.stderr, "still open") {
		t.Errorf("second rotation while one is open: exit %d, stderr %q", r.code, r.stderr)
	}
	c2 := srv.createClient(t, "rotate-json")
	srv.createSecret(t, c2.ClientID, "one")
	srv.createSecret(t, c2.ClientID, "two")
	var rot apiv1.RotateResult
	decodeJSON(t, srv.mustRun(t, "secrets", "rotate", c2.ClientID, "--grace", "3600s", "-o", "json"), &rot)
	if !strings.HasPrefix(rot.Value, "kws_") || !rot.New || len(rot.Previous) != 2 {
		t.Errorf("rotation = %+v", rot)
	}

	a := srv.createClient(t, "rotate-auto")
	srv.createSecret(t, a.ClientID, "old")
	out = srv.mustRun(t, "secrets", "rotate", a.ClientID, "--auto-complete", "--quiet", "90m")
	wantIn(t, "rotate --auto-complete", out, "Rotation rot_", ": started", "revoked automatically once unused for 1h30m", "keywarden rotations show "+a.ClientID)
	a2 := srv.createClient(t, "rotate-auto-json")
	srv.createSecret(t, a2.ClientID, "one")
	srv.createSecret(t, a2.ClientID, "two")
	decodeJSON(t, srv.mustRun(t, "secrets", "rotate", a2.ClientID, "--auto-complete", "--quiet", "1s", "--keep-tokens", "-o", "json"), &rot)
	if r := rot.Rotation; !strings.HasPrefix(r.ID, "rot_") || r.State != "started" || !r.AutoComplete || r.QuietSeconds != 1 || !r.KeepTokens ||
		r.NewSecret.ID != rot.ID || len(r.OldSecrets) != 2 {
		t.Errorf("rotation = %+v", r)
	}
}

func TestSecretsUpdateAndRevoke(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c := srv.createClient(t, "update")

	s := srv.createSecret(t, c.ClientID, "before")
	var got apiv1.Secret
	decodeJSON(t, srv.mustRun(t, "secrets", "update", c.ClientID, s.ID, "--description", "after", "--expires", time.Now().AddDate(0, 0, 10).Format(time.DateOnly), "-o", "json"), &got)
	if got.Description != "after" || got.ExpiresAt == nil || got.ExpiresAt.Equal(*s.ExpiresAt) {
		t.Errorf("updated secret = %+v", got)
	}

	// delete kills the tokens by default; --keep-tokens lets them run out.
	a, b := srv.createSecret(t, c.ClientID, "a"), srv.createSecret(t, c.ClientID, "b")
	wantIn(t, "delete --keep-tokens", srv.mustRun(t, "secrets", "delete", c.ClientID, a.ID, "--keep-tokens"), "Revoked secret "+a.ID, "keep working until they expire")
	decodeJSON(t, srv.mustRun(t, "secrets", "show", c.ClientID, a.ID, "-o", "json"), &got)
	if got.Status != "revoked" || !got.KeepTokens {
		t.Errorf("show -o json after delete --keep-tokens = %+v, want revoked with keep_tokens", got)
	}
	wantIn(t, "show", srv.mustRun(t, "secrets", "show", c.ClientID, a.ID), "run out on their own")

	// revoke is delete's alias.
	decodeJSON(t, srv.mustRun(t, "secrets", "revoke", c.ClientID, b.ID, "-o", "json"), &got)
	if got.Status != "revoked" || got.RevokedAt == nil || got.KeepTokens {
		t.Errorf("revoke -o json = %+v, want revoked without keep_tokens", got)
	}
	wantIn(t, "show", srv.mustRun(t, "secrets", "show", c.ClientID, b.ID), "stopped working")
	wantIn(t, "delete", srv.mustRun(t, "secrets", "delete", c.ClientID, s.ID), "Revoked secret "+s.ID, "stopped working too")
	for _, x := range srv.listSecrets(t, c.ClientID) {
		if x.Status != "revoked" {
			t.Errorf("secret %s is %s after delete", x.ID, x.Status)
		}
	}
}

func TestSecretsAllowedCIDRs(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c := srv.createClient(t, "cidrs")

	wantIn(t, "create --allow-cidr", srv.mustRun(t, "secrets", "create", c.ClientID, "--description", "office", "--allow-cidr", "10.0.0.0/8"), "Allowed CIDRs", "10.0.0.0/8")
	open := srv.createSecret(t, c.ClientID, "anywhere")
	if len(open.AllowedCIDRs) != 0 {
		t.Errorf("secret without --allow-cidr has allowed_cidrs %v", open.AllowedCIDRs)
	}
	list := srv.listSecrets(t, c.ClientID)
	if len(list) != 2 || !slices.Equal(list[0].AllowedCIDRs, []string{"10.0.0.0/8"}) {
		t.Fatalf("list -o json = %+v", list)
	}
	wantIn(t, "list", srv.mustRun(t, "secrets", "list", c.ClientID), "ALLOWED CIDRS", "10.0.0.0/8", "any")
	wantIn(t, "show of an unrestricted secret", srv.mustRun(t, "secrets", "show", c.ClientID, open.ID), "any")

	var got apiv1.Secret
	decodeJSON(t, srv.mustRun(t, "secrets", "update", c.ClientID, list[0].ID, "--allow-cidr", "192.168.0.0/16", "--allow-cidr", "2001:db8::/32", "-o", "json"), &got)
	if !slices.Equal(got.AllowedCIDRs, []string{"192.168.0.0/16", "2001:db8::/32"}) || got.Description != "office" {
		t.Errorf("after update --allow-cidr: %+v, want the list replaced", got)
	}
	decodeJSON(t, srv.mustRun(t, "secrets", "update", c.ClientID, list[0].ID, "--clear-cidrs", "-o", "json"), &got)
	if len(got.AllowedCIDRs) != 0 {
		t.Errorf("after update --clear-cidrs: allowed_cidrs %v", got.AllowedCIDRs)
	}
}

func TestRevokeAllUnderClientsAndSecrets(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	for _, group := range []string{"clients", "secrets"} {
		c := srv.createClient(t, "revoke-all-"+group)
		srv.createSecret(t, c.ClientID, "a")
		srv.createSecret(t, c.ClientID, "b")
		wantIn(t, group+" revoke-all", srv.mustRun(t, group, "revoke-all", c.ClientID), "Revoked 2 secrets of client "+c.ClientID)
		var res apiv1.RevokeAll
		decodeJSON(t, srv.mustRun(t, group, "revoke-all", c.ClientID, "-o", "json"), &res)
		if res.ClientID != c.ClientID || res.Revoked != 0 {
			t.Errorf("second %s revoke-all = %+v, want 0 revoked", group, res)
		}
	}
}

// TestSecretsCreateValueStdin gives the value on standard input.
func TestSecretsCreateValueStdin(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c := srv.createClient(t, "supplied")
	const value = "a-supplied-secret-value-of-32-chars"
	e := newEnv(t)

	out := e.mustRunStdin(t, value+"\n", srv.args("secrets", "create", c.ClientID, "--description", "migrated", "--value-stdin")...)
	wantIn(t, "create --value-stdin", out, "supplied")
	wantNotIn(t, "create --value-stdin", out, value)

	var s apiv1.CreatedSecret
	decodeJSON(t, e.mustRunStdin(t, value+"2\r\n", srv.args("secrets", "create", c.ClientID, "--description", "migrated 2", "--value-stdin", "-o", "json")...), &s)
	if s.Origin != "supplied" || s.Value != value+"2" || s.Hint != (value + "2")[len(value)-3:] {
		t.Errorf("created = %+v (value %q)", s.Secret, s.Value)
	}

	e.runStdin(t, "\n", srv.args("secrets", "create", c.ClientID, "--description", "empty", "--value-stdin")...).fails(t, exitUsage, "standard input is empty")
	r := e.runStdin(t, "short-value", srv.args("secrets", "create", c.ClientID, "--description", "short", "--value-stdin")...)
	r.fails(t, exitFailure, "at least")
	wantNotIn(t, "stderr", r.stderr, "short-value")
}
