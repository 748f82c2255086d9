package authz_test

import (
	"strings"
	"testing"

	"keywarden/internal/authz"
	"keywarden/internal/domain"
)

func TestRefusal(t *testing.T) {
	dev := domain.UserActor("org_a", "usr_a", domain.RoleDeveloper, "")
	viaCred := dev
	viaCred.ViaCredential = true
	tests := []struct {
		name string
		by   domain.Actor
		perm authz.Permission
		want string // a part of the refusal; "" when allowed
	}{
		{"role holds it", dev, authz.WriteClients, ""},
		{"role lacks it", dev, authz.WritePolicy, "does not have permission policy:write"},
		{"credential token, ordinary permission", viaCred, authz.WriteSecrets, ""},
		{"credential token, own login", viaCred, authz.Self, "personal credential"},
		{"credential token, its own credential", viaCred, authz.OwnCredential, "personal credential"},
		{"credential token, role lacks it", viaCred, authz.WriteUsers, "does not have permission"},
		{"unknown permission", dev, authz.Permission("nope"), "does not have permission"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := authz.Refusal(tc.by, tc.perm)
			if tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want) {
				t.Errorf("Refusal(%s) = %q, want %q", tc.perm, got, tc.want)
			}
		})
	}
}
