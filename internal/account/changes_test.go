package account_test

import (
	"slices"
	"strconv"
	"testing"

	"keywarden/internal/account"
	"keywarden/internal/audit"
	"keywarden/internal/domain"
)

// TestAuditRecordsBeforeAndAfter: a policy change and a role change record
// each field they changed, as it was and as it became.
func TestAuditRecordsBeforeAndAfter(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	lastEvent := func(action string) domain.AuditEvent {
		t.Helper()
		events, _, err := e.store.ListAudit(ctx, e.boot.Org.ID, domain.AuditFilter{Action: action, Page: domain.Page{Limit: 1}})
		if err != nil || len(events) != 1 {
			t.Fatalf("ListAudit(%s) = %v, %v", action, events, err)
		}
		return events[0]
	}
	before := e.boot.Org.Policy
	mfa, ttl := !before.RequireMFA, before.AccessTokenTTLSeconds/2
	if _, changed, err := e.svc.UpdatePolicy(ctx, e.admin, account.PolicyPatch{
		RequireMFA: &mfa, AccessTokenTTLSeconds: &ttl, MaxSecretLifetimeDays: map[domain.Role]int{domain.RoleAdmin: 7},
	}); err != nil || !changed {
		t.Fatalf("UpdatePolicy = %v, %v", changed, err)
	}
	want := []domain.AuditChange{
		audit.Change("access_token_ttl_seconds", itoa(before.AccessTokenTTLSeconds), itoa(ttl)),
		audit.Change("max_secret_lifetime_days.admin", itoa(before.MaxSecretLifetimeDays[domain.RoleAdmin]), "7"),
		audit.Change("require_mfa", "false", "true"),
	}
	if got := lastEvent("policy.update"); !slices.Equal(got.Changes, want) || got.Detail["fields"] != "access_token_ttl_seconds,max_secret_lifetime_days.admin,require_mfa" {
		t.Errorf("policy.update changes = %+v (fields %q),\nwant %+v", got.Changes, got.Detail["fields"], want)
	}
	u, err := e.svc.InviteUser(ctx, e.admin, "dev@acme.test", domain.RoleDeveloper)
	if err != nil {
		t.Fatal(err)
	}
	admin := domain.RoleAdmin
	if _, err := e.svc.UpdateUser(ctx, e.admin, u.User.ID, account.UserPatch{Role: &admin}); err != nil {
		t.Fatal(err)
	}
	if got := lastEvent("user.role_change"); !slices.Equal(got.Changes, []domain.AuditChange{audit.Change("role", "developer", "admin")}) {
		t.Errorf("user.role_change changes = %+v", got.Changes)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
