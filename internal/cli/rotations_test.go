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

func TestRotationsListAndShow(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c := srv.createClient(t, "rotations-show")
	old := srv.createSecret(t, c.ClientID, "old")
	rot := srv.rotate(t, c.ClientID, "--auto-complete", "--quiet", "1s", "--description", "new")

	var list apiv1.RotationList
	decodeJSON(t, srv.mustRun(t, "rotations", "list", c.ClientID, "-o", "json"), &list)
	if len(list.Items) != 1 || list.Items[0].ID != rot.Rotation.ID || list.Items[0].State != "started" ||
		!list.Items[0].AutoComplete || list.Items[0].QuietSeconds != 1 {
		t.Fatalf("rotations list -o json = %+v", list)
	}
	wantIn(t, "rotations list", srv.mustRun(t, "rotations", "list", c.ClientID), "ROTATION ID", "SAFE TO REVOKE", rot.Rotation.ID, "started", rot.ID, old.ID)

	var got apiv1.RotationStatus
	decodeJSON(t, srv.mustRun(t, "rotations", "show", c.ClientID, rot.Rotation.ID, "-o", "json"), &got)
	if got.ID != rot.Rotation.ID || got.SafeToRevoke || got.NewSecret.ID != rot.ID || len(got.OldSecrets) != 1 ||
		got.OldSecrets[0].ID != old.ID || got.CompletedAt != nil {
		t.Errorf("rotations show -o json = %+v", got)
	}
	show := srv.mustRun(t, "rotations", "show", c.ClientID, rot.Rotation.ID)
	wantIn(t, "rotations show", show, "started (the new secret has not authenticated yet", "Safe to revoke", "Quiet period", "1s",
		"LAST USED", "new", rot.ID, "old", old.ID, "never", "--force")
	wantNotIn(t, "rotations show", show, rot.Value, old.Value)

	none := srv.createClient(t, "rotations-none")
	decodeJSON(t, srv.mustRun(t, "rotations", "list", none.ClientID, "-o", "json"), &list)
	if list.Items == nil || len(list.Items) != 0 {
		t.Errorf("rotations list -o json = %+v, want an empty list", list)
	}
	if out := srv.mustRun(t, "rotations", "list", none.ClientID); !strings.HasPrefix(out, "ROTATION ID") {
		t.Errorf("rotations list output:\n%s", out)
	}
}

func TestRotationsComplete(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c := srv.createClient(t, "rotations-complete")
	old := srv.createSecret(t, c.ClientID, "old")
	rot := srv.rotate(t, c.ClientID, "--auto-complete", "--quiet", "1s")

	// Refused while the old secret is not idle.
	srv.run(t, "rotations", "complete", c.ClientID, rot.Rotation.ID).fails(t, exitFailure, "Conflict", "not idle")
	if s := srv.listSecrets(t, c.ClientID); s[0].Status != "active" {
		t.Fatalf("old secret is %s after a refused complete", s[0].Status)
	}

	out := srv.mustRun(t, "rotations", "complete", c.ClientID, rot.Rotation.ID, "--force")
	wantIn(t, "complete --force", out, "Completed rotation "+rot.Rotation.ID, "stopped working", "completed (the old secrets are revoked)", old.ID, "revoked")
	var got apiv1.RotationStatus
	decodeJSON(t, srv.mustRun(t, "rotations", "show", c.ClientID, rot.Rotation.ID, "-o", "json"), &got)
	if got.State != "completed" || got.CompletedAt == nil || len(got.OldSecrets) != 1 || got.OldSecrets[0].Status != "revoked" ||
		got.OldSecrets[0].KeepTokens || got.NewSecret.Status != "active" {
		t.Errorf("after complete --force: %+v", got)
	}
	srv.run(t, "rotations", "complete", c.ClientID, rot.Rotation.ID, "--force").fails(t, exitFailure, "already completed")

	k := srv.createClient(t, "rotations-keep")
	kold := srv.createSecret(t, k.ClientID, "old")
	krot := srv.rotate(t, k.ClientID)
	decodeJSON(t, srv.mustRun(t, "rotations", "complete", k.ClientID, krot.Rotation.ID, "--force", "--keep-tokens", "-o", "json"), &got)
	if got.State != "completed" || len(got.OldSecrets) != 1 || got.OldSecrets[0].ID != kold.ID ||
		got.OldSecrets[0].Status != "revoked" || !got.OldSecrets[0].KeepTokens {
		t.Errorf("complete --keep-tokens -o json = %+v", got)
	}
}
