package cli

import (
	"strings"
	"testing"

	"keywarden/pkg/apiv1"
)

// rotate starts a rotation through the CLI and returns it.
func (s *testServer) rotate(t *testing.T, clientID string, flags ...string) apiv1.RotateResult {
	t.Helper()
	var rot apiv1.RotateResult
	decodeJSON(t, s.mustRun(t, append([]string{"secrets", "rotate", clientID, "-o", "json"}, flags...)...), &rot)
	return rot
}

func TestRotations(t *testing.T) {
	t.Parallel()
	srv := startServer(t)

	t.Run("list and show a started rotation", func(t *testing.T) {
		c := srv.createClient(t, "rotations-show")
		old := srv.createSecret(t, c.ClientID, "old")
		rot := srv.rotate(t, c.ClientID, "--auto-complete", "--quiet", "1s", "--description", "new")

		var list apiv1.RotationList
		decodeJSON(t, srv.mustRun(t, "rotations", "list", c.ClientID, "-o", "json"), &list)
		if len(list.Items) != 1 || list.Items[0].ID != rot.Rotation.ID || list.Items[0].State != "started" ||
			!list.Items[0].AutoComplete || list.Items[0].QuietSeconds != 1 {
			t.Fatalf("rotations list -o json = %+v", list)
		}
		table := srv.mustRun(t, "rotations", "list", c.ClientID)
		for _, want := range []string{"ROTATION ID", "SAFE TO REVOKE", rot.Rotation.ID, "started", rot.ID, old.ID} {
			if !strings.Contains(table, want) {
				t.Errorf("rotations list lacks %q:\n%s", want, table)
			}
		}

		var got apiv1.RotationStatus
		decodeJSON(t, srv.mustRun(t, "rotations", "show", c.ClientID, rot.Rotation.ID, "-o", "json"), &got)
		if got.ID != rot.Rotation.ID || got.SafeToRevoke || got.NewSecret.ID != rot.ID || len(got.OldSecrets) != 1 ||
			got.OldSecrets[0].ID != old.ID || got.CompletedAt != nil {
			t.Errorf("rotations show -o json = %+v", got)
		}
		show := srv.mustRun(t, "rotations", "show", c.ClientID, rot.Rotation.ID)
		for _, want := range []string{
			"started (the new secret has not authenticated yet", "Safe to revoke", "Quiet period", "1s",
			"LAST USED", "new", rot.ID, "old", old.ID, "never", "--force",
		} {
			if !strings.Contains(show, want) {
				t.Errorf("rotations show lacks %q:\n%s", want, show)
			}
		}
		if strings.Contains(show, rot.Value) || strings.Contains(show, old.Value) {
			t.Errorf("rotations show holds a secret value:\n%s", show)
		}
	})

	t.Run("complete refuses while not idle, then --force revokes the old secrets", func(t *testing.T) {
		c := srv.createClient(t, "rotations-complete")
		old := srv.createSecret(t, c.ClientID, "old")
		rot := srv.rotate(t, c.ClientID, "--auto-complete", "--quiet", "1s")

		r := srv.run(t, "rotations", "complete", c.ClientID, rot.Rotation.ID)
		if r.code != exitFailure || !strings.Contains(r.stderr, "Conflict") || !strings.Contains(r.stderr, "not idle") {
			t.Errorf("complete without --force: exit %d, stderr %q", r.code, r.stderr)
		}
		if s := srv.listSecrets(t, c.ClientID); s[0].Status != "active" {
			t.Fatalf("old secret is %s after a refused complete", s[0].Status)
		}

		out := srv.mustRun(t, "rotations", "complete", c.ClientID, rot.Rotation.ID, "--force")
		for _, want := range []string{"Completed rotation " + rot.Rotation.ID, "stopped working", "completed (the old secrets are revoked)", old.ID, "revoked"} {
			if !strings.Contains(out, want) {
				t.Errorf("complete --force lacks %q:\n%s", want, out)
			}
		}
		var got apiv1.RotationStatus
		decodeJSON(t, srv.mustRun(t, "rotations", "show", c.ClientID, rot.Rotation.ID, "-o", "json"), &got)
		if got.State != "completed" || got.CompletedAt == nil || len(got.OldSecrets) != 1 || got.OldSecrets[0].Status != "revoked" ||
			got.OldSecrets[0].KeepTokens || got.NewSecret.Status != "active" {
			t.Errorf("after complete --force: %+v", got)
		}

		r = srv.run(t, "rotations", "complete", c.ClientID, rot.Rotation.ID, "--force")
		if r.code != exitFailure || !strings.Contains(r.stderr, "already completed") {
			t.Errorf("second complete: exit %d, stderr %q", r.code, r.stderr)
		}
	})

	t.Run("complete --force --keep-tokens -o json", func(t *testing.T) {
		c := srv.createClient(t, "rotations-keep")
		old := srv.createSecret(t, c.ClientID, "old")
		rot := srv.rotate(t, c.ClientID)
		var got apiv1.RotationStatus
		decodeJSON(t, srv.mustRun(t, "rotations", "complete", c.ClientID, rot.Rotation.ID, "--force", "--keep-tokens", "-o", "json"), &got)
		if got.State != "completed" || len(got.OldSecrets) != 1 || got.OldSecrets[0].ID != old.ID ||
			got.OldSecrets[0].Status != "revoked" || !got.OldSecrets[0].KeepTokens {
			t.Errorf("complete --keep-tokens -o json = %+v", got)
		}
	})

	t.Run("a client without rotations", func(t *testing.T) {
		c := srv.createClient(t, "rotations-none")
		var list apiv1.RotationList
		decodeJSON(t, srv.mustRun(t, "rotations", "list", c.ClientID, "-o", "json"), &list)
		if list.Items == nil || len(list.Items) != 0 {
			t.Errorf("rotations list -o json = %+v, want an empty list", list)
		}
		if out := srv.mustRun(t, "rotations", "list", c.ClientID); !strings.HasPrefix(out, "ROTATION ID") {
			t.Errorf("rotations list output:\n%s", out)
		}
	})
}
