package cli

import (
	"os"
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

func TestSecrets(t *testing.T) {
	t.Parallel()
	srv := startServer(t)

	t.Run("create prints the value once with a warning", func(t *testing.T) {
		c := srv.createClient(t, "create-table")
		out := srv.mustRun(t, "secrets", "create", c.ClientID, "--description", "prod")
		var value string
		for line := range strings.Lines(out) {
			if strings.HasPrefix(line, "kws_") {
				value = strings.TrimSpace(line)
			}
		}
		if len(value) < 30 || strings.ContainsAny(value, " \t") {
			t.Fatalf("no line holds just the value:\n%s", out)
		}
		if !strings.Contains(out, "cannot be shown again") {
			t.Errorf("no warning that the value is shown once:\n%s", out)
		}
		for _, x := range srv.listSecrets(t, c.ClientID) {
			if !strings.HasSuffix(value, x.Hint) {
				t.Errorf("value does not end in the hint %q", x.Hint)
			}
		}
	})

	t.Run("create -o json is the API object with the value", func(t *testing.T) {
		c := srv.createClient(t, "create-json")
		s := srv.createSecret(t, c.ClientID, "json", "--expires", "2026-12-31")
		if !strings.HasPrefix(s.Value, "kws_") || !strings.HasPrefix(s.ID, "sec_") || s.ClientID != c.ClientID ||
			s.Status != "active" || s.Origin != "generated" || s.Description != "json" || !strings.HasSuffix(s.Value, s.Hint) {
			t.Errorf("created secret = %+v", s.Secret)
		}
		want := time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC)
		if s.ExpiresAt == nil || !s.ExpiresAt.Equal(want) {
			t.Errorf("expires_at = %v, want %v (the end of the day, UTC)", s.ExpiresAt, want)
		}
	})

	t.Run("create with an RFC 3339 expiry", func(t *testing.T) {
		c := srv.createClient(t, "create-rfc3339")
		at := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
		s := srv.createSecret(t, c.ClientID, "rfc3339", "--expires", at.Format(time.RFC3339))
		if s.ExpiresAt == nil || !s.ExpiresAt.Equal(at) {
			t.Errorf("expires_at = %v, want %v", s.ExpiresAt, at)
		}
	})

	t.Run("list shows hint and status, never the value", func(t *testing.T) {
		c := srv.createClient(t, "list")
		s := srv.createSecret(t, c.ClientID, "listed")
		out := srv.mustRun(t, "secrets", "list", c.ClientID)
		for _, want := range []string{"SECRET ID", "STATUS", "LAST USED", s.ID, "listed", s.Masked, s.Hint, "active"} {
			if !strings.Contains(out, want) {
				t.Errorf("list lacks %q:\n%s", want, out)
			}
		}
		jsonOut := srv.mustRun(t, "secrets", "list", c.ClientID, "-o", "json")
		if strings.Contains(out, s.Value) || strings.Contains(jsonOut, s.Value) {
			t.Errorf("list shows the secret value:\n%s\n%s", out, jsonOut)
		}
		show := srv.mustRun(t, "secrets", "show", c.ClientID, s.ID)
		if !strings.Contains(show, s.Masked) || strings.Contains(show, s.Value) {
			t.Errorf("show output:\n%s", show)
		}
	})

	t.Run("rotate with --grace marks the new secret and schedules the old one", func(t *testing.T) {
		c := srv.createClient(t, "rotate")
		old := srv.createSecret(t, c.ClientID, "old")
		before := time.Now()
		out := srv.mustRun(t, "secrets", "rotate", c.ClientID, "--grace", "24h", "--description", "new")
		if !strings.Contains(out, "active (New)") || !strings.Contains(out, "Previous secrets") || !strings.Contains(out, old.ID) ||
			!strings.Contains(out, "cannot be shown again") || !strings.Contains(out, "\nkws_") {
			t.Errorf("rotate output:\n%s", out)
		}
		list := srv.listSecrets(t, c.ClientID)
		if len(list) != 2 {
			t.Fatalf("%d secrets after rotate, want 2", len(list))
		}
		if list[0].ID != old.ID || list[0].New || !list[1].New {
			t.Errorf("New marker: %+v", list)
		}
		grace := list[0].ExpiresAt
		if grace == nil || grace.Before(before.Add(24*time.Hour-time.Minute)) || grace.After(time.Now().Add(24*time.Hour+time.Minute)) {
			t.Errorf("old secret expires at %v, want in 24h", grace)
		}
		if table := srv.mustRun(t, "secrets", "list", c.ClientID); !strings.Contains(table, "(New)") {
			t.Errorf("list does not show New:\n%s", table)
		}
	})

	t.Run("rotate -o json", func(t *testing.T) {
		c := srv.createClient(t, "rotate-json")
		old := srv.createSecret(t, c.ClientID, "old")
		var rot apiv1.RotateResult
		decodeJSON(t, srv.mustRun(t, "secrets", "rotate", c.ClientID, "--grace", "3600s", "-o", "json"), &rot)
		if !strings.HasPrefix(rot.Value, "kws_") || !rot.New || len(rot.Previous) != 1 || rot.Previous[0].ID != old.ID {
			t.Errorf("rotation = %+v", rot)
		}
	})

	t.Run("update", func(t *testing.T) {
		c := srv.createClient(t, "update")
		s := srv.createSecret(t, c.ClientID, "before")
		var got apiv1.Secret
		decodeJSON(t, srv.mustRun(t, "secrets", "update", c.ClientID, s.ID, "--description", "after", "--expires", time.Now().AddDate(0, 0, 10).Format(time.DateOnly), "-o", "json"), &got)
		if got.Description != "after" || got.ExpiresAt == nil || got.ExpiresAt.Equal(*s.ExpiresAt) {
			t.Errorf("updated secret = %+v", got)
		}
	})

	t.Run("delete and its alias revoke", func(t *testing.T) {
		c := srv.createClient(t, "delete")
		a, b := srv.createSecret(t, c.ClientID, "a"), srv.createSecret(t, c.ClientID, "b")
		if out := srv.mustRun(t, "secrets", "delete", c.ClientID, a.ID); !strings.Contains(out, "Revoked secret "+a.ID) {
			t.Errorf("delete output:\n%s", out)
		}
		var got apiv1.Secret
		decodeJSON(t, srv.mustRun(t, "secrets", "revoke", c.ClientID, b.ID, "-o", "json"), &got)
		if got.Status != "revoked" || got.RevokedAt == nil {
			t.Errorf("revoke -o json = %+v", got)
		}
		for _, x := range srv.listSecrets(t, c.ClientID) {
			if x.Status != "revoked" {
				t.Errorf("secret %s is %s after delete", x.ID, x.Status)
			}
		}
	})

	t.Run("delete kills the tokens by default, --keep-tokens lets them run out", func(t *testing.T) {
		c := srv.createClient(t, "delete-keep-tokens")
		a, b := srv.createSecret(t, c.ClientID, "a"), srv.createSecret(t, c.ClientID, "b")
		out := srv.mustRun(t, "secrets", "delete", c.ClientID, a.ID, "--keep-tokens")
		if !strings.Contains(out, "Revoked secret "+a.ID) || !strings.Contains(out, "keep working until they expire") {
			t.Errorf("delete --keep-tokens output:\n%s", out)
		}
		var got apiv1.Secret
		decodeJSON(t, srv.mustRun(t, "secrets", "show", c.ClientID, a.ID, "-o", "json"), &got)
		if got.Status != "revoked" || !got.KeepTokens {
			t.Errorf("show -o json after delete --keep-tokens = %+v, want revoked with keep_tokens", got)
		}
		if show := srv.mustRun(t, "secrets", "show", c.ClientID, a.ID); !strings.Contains(show, "run out on their own") {
			t.Errorf("show does not say the tokens were kept:\n%s", show)
		}

		decodeJSON(t, srv.mustRun(t, "secrets", "revoke", c.ClientID, b.ID, "-o", "json"), &got)
		if got.Status != "revoked" || got.KeepTokens {
			t.Errorf("revoke -o json = %+v, want revoked without keep_tokens", got)
		}
		if show := srv.mustRun(t, "secrets", "show", c.ClientID, b.ID); !strings.Contains(show, "stopped working") {
			t.Errorf("show does not say the tokens stopped working:\n%s", show)
		}
	})

	t.Run("allowed CIDRs on create, update and clear", func(t *testing.T) {
		c := srv.createClient(t, "cidrs")
		out := srv.mustRun(t, "secrets", "create", c.ClientID, "--description", "office", "--allow-cidr", "10.0.0.0/8")
		if !strings.Contains(out, "Allowed CIDRs") || !strings.Contains(out, "10.0.0.0/8") {
			t.Errorf("create --allow-cidr output lacks the CIDR:\n%s", out)
		}
		open := srv.createSecret(t, c.ClientID, "anywhere")
		if len(open.AllowedCIDRs) != 0 {
			t.Errorf("secret without --allow-cidr has allowed_cidrs %v", open.AllowedCIDRs)
		}
		list := srv.listSecrets(t, c.ClientID)
		if len(list) != 2 || !slices.Equal(list[0].AllowedCIDRs, []string{"10.0.0.0/8"}) {
			t.Fatalf("list -o json = %+v", list)
		}
		table := srv.mustRun(t, "secrets", "list", c.ClientID)
		for _, want := range []string{"ALLOWED CIDRS", "10.0.0.0/8", "any"} {
			if !strings.Contains(table, want) {
				t.Errorf("list lacks %q:\n%s", want, table)
			}
		}
		if show := srv.mustRun(t, "secrets", "show", c.ClientID, open.ID); !strings.Contains(show, "any") {
			t.Errorf("show of an unrestricted secret does not say any:\n%s", show)
		}

		var got apiv1.Secret
		decodeJSON(t, srv.mustRun(t, "secrets", "update", c.ClientID, list[0].ID, "--allow-cidr", "192.168.0.0/16", "--allow-cidr", "2001:db8::/32", "-o", "json"), &got)
		if !slices.Equal(got.AllowedCIDRs, []string{"192.168.0.0/16", "2001:db8::/32"}) || got.Description != "office" {
			t.Errorf("after update --allow-cidr: %+v, want the list replaced", got)
		}
		decodeJSON(t, srv.mustRun(t, "secrets", "update", c.ClientID, list[0].ID, "--clear-cidrs", "-o", "json"), &got)
		if len(got.AllowedCIDRs) != 0 {
			t.Errorf("after update --clear-cidrs: allowed_cidrs %v", got.AllowedCIDRs)
		}
	})

	t.Run("rotate --auto-complete --quiet --keep-tokens", func(t *testing.T) {
		c := srv.createClient(t, "rotate-auto")
		srv.createSecret(t, c.ClientID, "old")
		out := srv.mustRun(t, "secrets", "rotate", c.ClientID, "--auto-complete", "--quiet", "90m")
		if !strings.Contains(out, "Rotation rot_") || !strings.Contains(out, ": started") ||
			!strings.Contains(out, "revoked automatically once unused for 1h30m") || !strings.Contains(out, "keywarden rotations show "+c.ClientID) {
			t.Errorf("rotate output:\n%s", out)
		}
		var rot apiv1.RotateResult
		decodeJSON(t, srv.mustRun(t, "secrets", "rotate", c.ClientID, "--auto-complete", "--quiet", "1s", "--keep-tokens", "-o", "json"), &rot)
		r := rot.Rotation
		if !strings.HasPrefix(r.ID, "rot_") || r.State != "started" || !r.AutoComplete || r.QuietSeconds != 1 || !r.KeepTokens ||
			r.NewSecret.ID != rot.ID || len(r.OldSecrets) != 2 {
			t.Errorf("rotation = %+v", r)
		}
	})

	t.Run("revoke-all under clients and secrets", func(t *testing.T) {
		for _, group := range []string{"clients", "secrets"} {
			c := srv.createClient(t, "revoke-all-"+group)
			srv.createSecret(t, c.ClientID, "a")
			srv.createSecret(t, c.ClientID, "b")
			out := srv.mustRun(t, group, "revoke-all", c.ClientID)
			if !strings.Contains(out, "Revoked 2 secrets of client "+c.ClientID) {
				t.Errorf("%s revoke-all output:\n%s", group, out)
			}
			var res apiv1.RevokeAll
			decodeJSON(t, srv.mustRun(t, group, "revoke-all", c.ClientID, "-o", "json"), &res)
			if res.ClientID != c.ClientID || res.Revoked != 0 {
				t.Errorf("second %s revoke-all = %+v, want 0 revoked", group, res)
			}
		}
	})
}

// TestSecretsCreateValueStdin replaces os.Stdin (Main reads the value from
// it), so it cannot run in parallel.
func TestSecretsCreateValueStdin(t *testing.T) {
	srv := startServer(t)
	c := srv.createClient(t, "supplied")
	const value = "a-supplied-secret-value-of-32-chars"

	withStdin := func(t *testing.T, input string) {
		t.Helper()
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			w.WriteString(input)
			w.Close()
		}()
		old := os.Stdin
		os.Stdin = r
		t.Cleanup(func() {
			os.Stdin = old
			r.Close()
		})
	}

	t.Run("table output does not echo the value", func(t *testing.T) {
		withStdin(t, value+"\n")
		out := srv.mustRun(t, "secrets", "create", c.ClientID, "--description", "migrated", "--value-stdin")
		if strings.Contains(out, value) || !strings.Contains(out, "supplied") {
			t.Errorf("output:\n%s", out)
		}
	})

	t.Run("json output and the stored hint", func(t *testing.T) {
		withStdin(t, value+"2\r\n")
		var s apiv1.CreatedSecret
		decodeJSON(t, srv.mustRun(t, "secrets", "create", c.ClientID, "--description", "migrated 2", "--value-stdin", "-o", "json"), &s)
		if s.Origin != "supplied" || s.Value != value+"2" || s.Hint != (value + "2")[len(value)-3:] {
			t.Errorf("created = %+v (value %q)", s.Secret, s.Value)
		}
	})

	t.Run("empty stdin is a usage error", func(t *testing.T) {
		withStdin(t, "\n")
		r := srv.run(t, "secrets", "create", c.ClientID, "--description", "empty", "--value-stdin")
		if r.code != exitUsage || !strings.Contains(r.stderr, "standard input is empty") {
			t.Errorf("exit %d, stderr %q", r.code, r.stderr)
		}
	})

	t.Run("a short value is refused by the server without echoing it", func(t *testing.T) {
		withStdin(t, "short-value")
		r := srv.run(t, "secrets", "create", c.ClientID, "--description", "short", "--value-stdin")
		if r.code != exitFailure || !strings.Contains(r.stderr, "at least") || strings.Contains(r.stderr, "short-value") {
			t.Errorf("exit %d, stderr %q", r.code, r.stderr)
		}
	})
}
