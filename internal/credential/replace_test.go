package credential_test

import (
	"errors"
	"strings"
	"testing"

	"keywarden/internal/credential"
	"keywarden/internal/domain"
)

// TestRotateReplacesAnOpenRotation: a second rotation is a conflict that
// names the open one; with Replace it abandons it — the first rotation's
// new secret is revoked and is not an "old" secret of the second — and
// says so in the audit log.
func TestRotateReplacesAnOpenRotation(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	c := e.client(t)
	old := e.secret(t, c.ID, credential.SecretInput{Description: "prod"})
	first, err := e.svc.Rotate(ctx, e.admin, c.ID, credential.RotateInput{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Rotate(ctx, e.admin, c.ID, credential.RotateInput{})
	if !errors.Is(err, domain.ErrConflict) || !strings.Contains(err.Error(), string(first.Rotation.Rotation.ID)) {
		t.Fatalf("a second rotation = %v, want a conflict naming %s", err, first.Rotation.Rotation.ID)
	}
	second, err := e.svc.Rotate(ctx, e.admin, c.ID, credential.RotateInput{Replace: true})
	if err != nil {
		t.Fatalf("Rotate(Replace) = %v", err)
	}
	if len(second.Previous) != 1 || second.Previous[0].ID != old.Secret.ID {
		t.Errorf("the replacing rotation's old secrets = %v, want only %s", second.Previous, old.Secret.ID)
	}
	v, err := e.svc.GetSecret(ctx, e.admin, c.ID, first.New.Secret.ID)
	if err != nil || v.Secret.RevokedAt == nil {
		t.Errorf("the replaced rotation's new secret = %+v, %v; want revoked", v.Secret, err)
	}
	got, err := e.svc.GetRotation(ctx, e.admin, c.ID, first.Rotation.Rotation.ID)
	if err != nil || got.State != domain.RotationAbandoned {
		t.Errorf("the replaced rotation is %s, %v; want abandoned", got.State, err)
	}
	events, _, err := e.store.ListAudit(ctx, e.admin.OrgID, domain.AuditFilter{Action: "rotation.abandon", Page: domain.Page{Limit: 5}})
	if err != nil || len(events) != 1 || events[0].Target != string(first.Rotation.Rotation.ID) {
		t.Errorf("rotation.abandon events = %+v, %v", events, err)
	}
}
