package account_test

import (
	"errors"
	"testing"

	"keywarden/internal/account"
	"keywarden/internal/domain"
)

// TestBreakGlass: password sign-in off needs an enabled break-glass super
// admin; the list names only the organisation's super admins; one who is
// demoted or deleted later does not block other policy changes while
// another remains, and when none remains the next change asks for one.
func TestBreakGlass(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	on, yes := true, true
	second, err := e.svc.InviteUser(ctx, e.admin, "second@acme.test", domain.RoleSuperAdmin)
	if err != nil {
		t.Fatal(err)
	}
	dev, err := e.svc.InviteUser(ctx, e.admin, "dev@acme.test", domain.RoleDeveloper)
	if err != nil {
		t.Fatal(err)
	}
	invalid := func(t *testing.T, err error) {
		t.Helper()
		var v *domain.ValidationError
		if !errors.As(err, &v) || v.Fields()[0].Field != "break_glass_users" {
			t.Fatalf("err = %v, want a validation error on break_glass_users", err)
		}
	}
	_, _, err = e.svc.UpdatePolicy(ctx, e.admin, account.PolicyPatch{LocalLoginDisabled: &on})
	invalid(t, err)
	_, _, err = e.svc.UpdatePolicy(ctx, e.admin, account.PolicyPatch{LocalLoginDisabled: &on, BreakGlassUsers: &[]domain.UserID{dev.User.ID}})
	invalid(t, err)
	_, _, err = e.svc.UpdatePolicy(ctx, e.admin, account.PolicyPatch{BreakGlassUsers: &[]domain.UserID{"usr_0000000000000000000000"}})
	invalid(t, err)
	both := []domain.UserID{e.boot.User.ID, second.User.ID}
	if _, _, err := e.svc.UpdatePolicy(ctx, e.admin, account.PolicyPatch{LocalLoginDisabled: &on, BreakGlassUsers: &both}); err != nil {
		t.Fatalf("password sign-in off with two break-glass super admins: %v", err)
	}
	// The second one is demoted: the policy can still change.
	member := domain.RoleMember
	if _, err := e.svc.UpdateUser(ctx, e.admin, second.User.ID, account.UserPatch{Role: &member}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.UpdatePolicy(ctx, e.admin, account.PolicyPatch{AllowNeverExpire: &yes}); err != nil {
		t.Fatalf("a policy change after a break-glass user's demotion: %v", err)
	}
	// Only the demoted one left on the list: the change is refused, as no
	// enabled break-glass super admin would remain.
	only := []domain.UserID{second.User.ID}
	_, _, err = e.svc.UpdatePolicy(ctx, e.admin, account.PolicyPatch{BreakGlassUsers: &only})
	invalid(t, err)
}
