package cli

import (
	"strings"
	"testing"

	"keywarden/pkg/apiv1"
	"keywarden/pkg/keywarden"
)

// TestOverviewCredentialRequirement: with the policy's personal
// credential requirement on, keywarden overview counts the users without
// one, down to none as they generate theirs.
func TestOverviewCredentialRequirement(t *testing.T) {
	srv := startServer(t)
	sdk := keywarden.New(srv.url, srv.token, nil)
	on := true
	if _, err := sdk.UpdatePolicy(t.Context(), apiv1.UpdatePolicy{RequirePersonalCredential: &on}); err != nil {
		t.Fatal(err)
	}
	flat := func() string { return strings.Join(strings.Fields(srv.mustRun(t, "overview")), " ") }
	if o := flat(); !strings.Contains(o, "Users without a required personal credential 1 keywarden credentials create") {
		t.Fatalf("overview:\n%s", o)
	}
	if strings.Contains(flat(), "legacy password") {
		t.Error("the overview shows the legacy password row while the migration is off")
	}
	if _, err := sdk.CreateMyCredential(t.Context(), apiv1.CreatePersonalCredential{}); err != nil {
		t.Fatal(err)
	}
	if o := flat(); !strings.Contains(o, "Users without a required personal credential 0") {
		t.Fatalf("overview after the credential:\n%s", o)
	}
}
