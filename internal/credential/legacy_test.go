package credential_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"keywarden/internal/account"
	"keywarden/internal/credential"
	"keywarden/internal/domain"
	"keywarden/internal/store"
	"keywarden/internal/store/enginetest"
	"keywarden/internal/testkit"
)

// legacyUser invites a developer who then chooses their own password (a
// one-time password replaced is not a change), and returns them with it.
func (e *env) legacyUser(t *testing.T, email string) (domain.User, domain.Actor, string) {
	t.Helper()
	n, err := e.accts.InviteUser(t.Context(), e.admin, email, domain.RoleDeveloper)
	if err != nil {
		t.Fatal(err)
	}
	by := domain.UserActor(n.User.OrgID, n.User.ID, domain.RoleDeveloper, "192.0.2.10")
	pw := "correct horse battery " + email
	if err := e.accts.ChangePassword(t.Context(), by, n.Password.Reveal(), pw); err != nil {
		t.Fatal(err)
	}
	u, err := e.store.GetUser(t.Context(), n.User.OrgID, n.User.ID)
	if err != nil {
		t.Fatal(err)
	}
	if u.LegacyPasswordEndedAt != nil {
		t.Fatal("replacing the one-time password ended the legacy login")
	}
	return u, by, pw
}

// openLegacy opens the migration for users created until now, for 30 days.
func (e *env) openLegacy(t *testing.T) {
	t.Helper()
	now := e.clock.Now()
	until := now.AddDate(0, 0, 30)
	on := true
	if _, _, err := e.accts.UpdatePolicy(t.Context(), e.admin, account.PolicyPatch{LegacyPasswordLogin: &on,
		LegacyPasswordCreatedBefore: account.OptionalTime{Set: true, Value: &now},
		LegacyPasswordUntil:         account.OptionalTime{Set: true, Value: &until}}); err != nil {
		t.Fatal(err)
	}
	e.svc.OrgChanged(e.admin.OrgID)
}

// legacyLogins returns the user's audited legacy logins: the successes,
// or with failed, the failures.
func (e *env) legacyLogins(t *testing.T, u domain.UserID, failed ...bool) []domain.AuditEvent {
	t.Helper()
	events, _, err := e.audit.List(t.Context(), e.admin.OrgID, domain.AuditFilter{Action: "auth.login", Target: string(u), Page: domain.Page{Limit: 100}})
	if err != nil {
		t.Fatal(err)
	}
	var out []domain.AuditEvent
	for _, ev := range events {
		if (ev.Result == domain.ResultFailure) == (len(failed) > 0 && failed[0]) {
			out = append(out, ev)
		}
	}
	return out
}

// TestLegacyPasswordLogin follows seed 000's migration: who may use their
// console password at POST /v1/auth/login, and what ends it.
func TestLegacyPasswordLogin(t *testing.T) {
	type step func(t *testing.T, e *env, u domain.User, by domain.Actor, pw string) string // returns the password to try
	cases := []struct {
		name string
		open bool
		// before runs between the user's creation and the attempt.
		before step
		ok     bool
		// eligible: the password is checked (whether right or wrong).
		eligible bool
	}{
		{name: "migration off", open: false, ok: false},
		{name: "eligible user", open: true, ok: true, eligible: true},
		{name: "wrong password", open: true, ok: false, eligible: true, before: func(t *testing.T, e *env, u domain.User, by domain.Actor, pw string) string {
			return pw + " not"
		}},
		{name: "after the end date", open: true, ok: false, before: func(t *testing.T, e *env, u domain.User, by domain.Actor, pw string) string {
			e.clock.Add(31 * 24 * time.Hour)
			return pw
		}},
		{name: "old password after a change", open: true, ok: false, before: func(t *testing.T, e *env, u domain.User, by domain.Actor, pw string) string {
			if err := e.accts.ChangePassword(t.Context(), by, pw, pw+" v2"); err != nil {
				t.Fatal(err)
			}
			return pw
		}},
		{name: "new password after a change", open: true, ok: false, before: func(t *testing.T, e *env, u domain.User, by domain.Actor, pw string) string {
			if err := e.accts.ChangePassword(t.Context(), by, pw, pw+" v2"); err != nil {
				t.Fatal(err)
			}
			return pw + " v2"
		}},
		{name: "after generating a personal credential", open: true, ok: false, before: func(t *testing.T, e *env, u domain.User, by domain.Actor, pw string) string {
			if _, err := e.svc.CreatePersonal(t.Context(), by, credential.PersonalInput{}); err != nil {
				t.Fatal(err)
			}
			return pw
		}},
		{name: "disabled user", open: true, ok: false, before: func(t *testing.T, e *env, u domain.User, by domain.Actor, pw string) string {
			off := true
			if _, err := e.accts.UpdateUser(t.Context(), e.admin, u.ID, account.UserPatch{Disabled: &off}); err != nil {
				t.Fatal(err)
			}
			e.svc.OrgChanged(e.admin.OrgID)
			return pw
		}},
	}
	enginetest.Run(t, func(t *testing.T, open func(*testing.T) store.Store) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				e := newEnvOn(t, open(t))
				u, by, pw := e.legacyUser(t, "dev@acme.test")
				e.clock.Add(time.Hour)
				if tc.open {
					e.openLegacy(t)
				}
				try := pw
				if tc.before != nil {
					try = tc.before(t, e, u, by, pw)
				}
				checks, turns := e.hashes.Checks(), e.hashes.Turns()
				auth, err := e.svc.AuthenticatePersonal(t.Context(), u.Email, "", try, "192.0.2.10")
				// Every attempt holds the slow-hash gate once; an eligible
				// user's costs one argon2id check, right or wrong.
				if got := e.hashes.Turns() - turns; got != 1 {
					t.Errorf("%d slow-hash turns, want 1", got)
				}
				if got := e.hashes.Checks() - checks; tc.eligible && got != 1 {
					t.Errorf("%d argon2id checks, want 1", got)
				}
				if !tc.ok {
					if !errors.Is(err, credential.ErrBadCredentials) {
						t.Fatalf("err = %v, want bad credentials", err)
					}
					if n := len(e.legacyLogins(t, u.ID)); n != 0 {
						t.Errorf("%d legacy logins audited", n)
					}
					if f := e.legacyLogins(t, u.ID, true); tc.eligible && (len(f) != 1 || f[0].Detail["method"] != "legacy_password") {
						t.Errorf("the failed legacy login audited as %+v", f)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if auth.Owner != u.ID || auth.SecretID != domain.LegacyPasswordSecret || auth.Client.OwnerUserID != u.ID {
					t.Errorf("auth = %+v", auth)
				}
				logins := e.legacyLogins(t, u.ID)
				if len(logins) != 1 || logins[0].Detail["method"] != "legacy_password" {
					t.Errorf("audited %+v, want one auth.login with method legacy_password", logins)
				}
				active, user, err := e.svc.TokenActive(t.Context(), u.OrgID, auth.Client.ID, auth.SecretID, "", e.clock.Now().Unix())
				if err != nil || !active || user != u.ID {
					t.Errorf("TokenActive = %v, %v, %v", active, user, err)
				}
			})
		}
	})
}

// TestLegacyPasswordEndsForTheUser follows one user: legacy logins work
// and their tokens act as the user until the password changes; then the
// old password and the token stop, and a personal credential is the way.
func TestLegacyPasswordEndsForTheUser(t *testing.T) {
	enginetest.Run(t, func(t *testing.T, open func(*testing.T) store.Store) {
		e := newEnvOn(t, open(t))
		ctx := t.Context()
		u, by, pw := e.legacyUser(t, "dev@acme.test")
		e.clock.Add(time.Hour)
		e.openLegacy(t)
		var last domain.ClientAuth
		for range 3 {
			auth, err := e.svc.AuthenticatePersonal(ctx, u.Email, "", pw, "192.0.2.10")
			if err != nil {
				t.Fatal(err)
			}
			last = auth
		}
		if n := len(e.legacyLogins(t, u.ID)); n != 3 {
			t.Errorf("%d legacy logins audited, want 3", n)
		}
		if err := e.accts.ChangePassword(ctx, by, pw, pw+" v2"); err != nil {
			t.Fatal(err)
		}
		e.svc.OrgChanged(u.OrgID) // the server wires account.Options.OnUserChange to it
		got, err := e.store.GetUser(ctx, u.OrgID, u.ID)
		if err != nil || got.LegacyPasswordEndedAt == nil {
			t.Fatalf("LegacyPasswordEndedAt = %v, %v", got.LegacyPasswordEndedAt, err)
		}
		if _, err := e.svc.AuthenticatePersonal(ctx, u.Email, "", pw, "192.0.2.10"); !errors.Is(err, credential.ErrBadCredentials) {
			t.Errorf("old password after the change: %v", err)
		}
		if active, _, _ := e.svc.TokenActive(ctx, u.OrgID, last.Client.ID, last.SecretID, "", e.clock.Now().Unix()); active {
			t.Error("a legacy token outlived the password change")
		}
		ends, _, _ := e.audit.List(ctx, u.OrgID, domain.AuditFilter{Action: "user.legacy_password_end", Target: string(u.ID)})
		if len(ends) != 1 || ends[0].Detail["reason"] != "password_change" {
			t.Errorf("legacy end audited %+v", ends)
		}
		n, err := e.svc.CreatePersonal(ctx, by, credential.PersonalInput{})
		if err != nil {
			t.Fatal(err)
		}
		if n.ClientID != last.Client.ID {
			t.Errorf("the credential's client %s, the legacy tokens' %s: want the one personal client", n.ClientID, last.Client.ID)
		}
		if _, err := e.svc.AuthenticatePersonal(ctx, u.Email, "", n.Value.Reveal(), "192.0.2.10"); err != nil {
			t.Errorf("the personal credential: %v", err)
		}
	})
}

// TestLegacyLoginRacesPasswordChange races legacy logins with the user's
// password change: no login with the old password commits after the
// change (every audited legacy login comes before it in the log), and
// none succeeds once it has.
func TestLegacyLoginRacesPasswordChange(t *testing.T) {
	enginetest.Run(t, func(t *testing.T, open func(*testing.T) store.Store) {
		e := newEnvOn(t, open(t))
		ctx := t.Context()
		for round := range 4 {
			u, by, pw := e.legacyUser(t, fmt.Sprintf("dev%d@acme.test", round))
			e.clock.Add(time.Hour)
			e.openLegacy(t)
			testkit.Race(4, func(i int) {
				if i == 0 {
					if err := e.accts.ChangePassword(ctx, by, pw, pw+" v2"); err != nil {
						t.Error(err)
					}
					e.svc.OrgChanged(u.OrgID)
					return
				}
				_, err := e.svc.AuthenticatePersonal(ctx, u.Email, "", pw, fmt.Sprintf("192.0.2.%d", i))
				var busy *domain.BusyError
				if err != nil && !errors.Is(err, credential.ErrBadCredentials) && !errors.As(err, &busy) {
					t.Error(err)
				}
			})
			changes, _, err := e.audit.List(ctx, u.OrgID, domain.AuditFilter{Action: "user.password_change", Target: string(u.ID)})
			if err != nil {
				t.Fatal(err)
			}
			var change int64
			for _, c := range changes {
				if c.Result != domain.ResultFailure && c.Seq > change {
					change = c.Seq
				}
			}
			for _, l := range e.legacyLogins(t, u.ID) {
				if l.Seq > change {
					t.Errorf("round %d: legacy login #%d committed after the password change #%d", round, l.Seq, change)
				}
			}
			if _, err := e.svc.AuthenticatePersonal(ctx, u.Email, "", pw, "192.0.2.99"); !errors.Is(err, credential.ErrBadCredentials) {
				t.Errorf("round %d: the old password after the change: %v", round, err)
			}
		}
	})
}
