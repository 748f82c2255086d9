package account_test

import (
	"errors"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"keywarden/internal/account"
	"keywarden/internal/audit"
	"keywarden/internal/domain"
	"keywarden/internal/keyring"
	"keywarden/internal/slowhash"
	"keywarden/internal/store"
	"keywarden/internal/store/sqlite"
	"keywarden/internal/testkit"
)

type env struct {
	store store.Store
	svc   *account.Service
	clock *testkit.Clock
	boot  account.Bootstrap
	admin domain.Actor
}

func newEnv(t *testing.T) *env {
	t.Helper()
	st, err := sqlite.Open(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return newEnvOn(t, st)
}

// newEnvOn is newEnv on a store of the caller's (another engine's); tune
// changes the service's options.
func newEnvOn(t *testing.T, st store.Store, tune ...func(*account.Options)) *env {
	t.Helper()
	kr, _ := keyring.New(make([]byte, 32))
	clk := testkit.NewClock(time.Date(2026, 11, 24, 12, 0, 10, 0, time.UTC))
	o := account.Options{Store: st, Audit: audit.New(st, kr.Derive(keyring.PurposeAudit), clk.Now), Keyring: kr, Now: clk.Now,
		// A patient gate: these tests are about other rules than load shedding.
		Hashes: slowhash.New(slowhash.Options{Concurrency: 2, Queue: 1000, MaxWait: time.Minute})}
	for _, f := range tune {
		f(&o)
	}
	svc := account.New(o)
	b, err := svc.Init(t.Context(), "Acme", "Admin@Acme.test")
	if err != nil {
		t.Fatal(err)
	}
	return &env{store: st, svc: svc, clock: clk, boot: b, admin: domain.UserActor(b.Org.ID, b.User.ID, domain.RoleSuperAdmin, "")}
}

func code(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestLoginAndOneTimePassword(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	if _, err := e.svc.Login(ctx, account.LoginInput{Email: "admin@acme.test", Password: "wrong password!", Source: "192.0.2.1"}); !errors.Is(err, account.ErrBadCredentials) {
		t.Fatalf("wrong password: %v", err)
	}
	n, err := e.svc.Login(ctx, account.LoginInput{Email: "ADMIN@acme.test", Password: e.boot.Password.Reveal(), Source: "192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	a, err := e.svc.AuthenticateSession(ctx, n.Token.Reveal(), "192.0.2.1")
	if err != nil || a.Restricted == "" {
		t.Fatalf("session with a one-time password: %+v, %v; want a restricted actor", a, err)
	}
	if err := e.svc.ChangePassword(ctx, a, e.boot.Password.Reveal(), "a brand new password"); err != nil {
		t.Fatal(err)
	}
	if a, err = e.svc.AuthenticateSession(ctx, n.Token.Reveal(), "192.0.2.1"); err != nil || a.Restricted != "" {
		t.Fatalf("after the change: %+v, %v", a, err)
	}
	if err := e.svc.EndSession(ctx, a, "current"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.AuthenticateSession(ctx, n.Token.Reveal(), "192.0.2.1"); !errors.Is(err, account.ErrBadCredentials) {
		t.Fatalf("ended session still works: %v", err)
	}
}

func TestLoginRateLimit(t *testing.T) {
	e := newEnv(t)
	for range account.LoginFailureBurst {
		e.svc.Login(t.Context(), account.LoginInput{Email: "admin@acme.test", Password: "nope nope nope", Source: "192.0.2.1"})
	}
	var limited *account.LoginRateLimitedError
	if _, err := e.svc.Login(t.Context(), account.LoginInput{Email: "admin@acme.test", Password: e.boot.Password.Reveal(), Source: "192.0.2.1"}); !errors.As(err, &limited) {
		t.Fatalf("after %d failures: %v, want rate limited", account.LoginFailureBurst, err)
	}
	if _, err := e.svc.Login(t.Context(), account.LoginInput{Email: "admin@acme.test", Password: e.boot.Password.Reveal(), Source: "198.51.100.1"}); err != nil {
		t.Fatalf("from another address: %v", err)
	}
}

func TestMFA(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	enr, err := e.svc.BeginMFA(ctx, e.admin)
	if err != nil {
		t.Fatal(err)
	}
	if len(enr.QRPNG) < 100 || string(enr.QRPNG[1:4]) != "PNG" {
		t.Fatal("QR code is not a PNG")
	}
	if _, err := e.svc.ConfirmMFA(ctx, e.admin, "000000"); err == nil {
		t.Fatal("a wrong code enabled MFA")
	}
	recovery, err := e.svc.ConfirmMFA(ctx, e.admin, code(t, enr.Secret, e.clock.Now()))
	if err != nil || len(recovery) != account.RecoveryCodeCount {
		t.Fatalf("confirm: %d codes, %v", len(recovery), err)
	}
	login := func(totpCode, recoveryCode string) error {
		_, err := e.svc.Login(ctx, account.LoginInput{Email: "admin@acme.test", Password: e.boot.Password.Reveal(), TOTPCode: totpCode,
			RecoveryCode: recoveryCode, Source: "192.0.2.7"})
		return err
	}
	if err := login("", ""); !errors.Is(err, account.ErrMFARequired) {
		t.Fatalf("no code: %v, want MFA required", err)
	}
	e.clock.Add(30 * time.Second)
	c := code(t, enr.Secret, e.clock.Now())
	if err := login(c, ""); err != nil {
		t.Fatalf("current code: %v", err)
	}
	if err := login(c, ""); !errors.Is(err, account.ErrMFARequired) {
		t.Fatalf("the same code twice: %v, want refused (RFC 6238 §5.2)", err)
	}
	if err := login(code(t, enr.Secret, e.clock.Now().Add(-30*time.Second)), ""); !errors.Is(err, account.ErrMFARequired) {
		t.Fatalf("an older code after a newer one: %v, want refused", err)
	}
	if err := login("", recovery[0]); err != nil {
		t.Fatalf("recovery code: %v", err)
	}
	if err := login("", recovery[0]); !errors.Is(err, account.ErrMFARequired) {
		t.Fatalf("recovery code twice: %v", err)
	}
	e.clock.Add(30 * time.Second)
	if err := e.svc.DisableMFA(ctx, e.admin, "123456"); err == nil {
		t.Fatal("MFA disabled with a wrong code")
	}
	if err := e.svc.DisableMFA(ctx, e.admin, code(t, enr.Secret, e.clock.Now())); err != nil {
		t.Fatal(err)
	}
	if err := login("", ""); err != nil {
		t.Fatalf("login after disabling MFA: %v", err)
	}
}

func TestLastSuperAdmin(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	member := domain.RoleMember
	disabled := true
	if _, err := e.svc.UpdateUser(ctx, e.admin, e.admin.UserID(), account.UserPatch{Role: &member}); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("demote the last super admin: %v", err)
	}
	if _, err := e.svc.UpdateUser(ctx, e.admin, e.admin.UserID(), account.UserPatch{Disabled: &disabled}); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("disable the last super admin: %v", err)
	}
	if err := e.svc.DeleteUser(ctx, e.admin, e.admin.UserID()); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("delete the last super admin: %v", err)
	}
	other, err := e.svc.InviteUser(ctx, e.admin, "second@acme.test", domain.RoleSuperAdmin)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.UpdateUser(ctx, e.admin, e.admin.UserID(), account.UserPatch{Role: &member}); err != nil {
		t.Fatalf("demote with another super admin: %v", err)
	}
	if _, err := e.svc.InviteUser(ctx, e.admin, "second@acme.test", domain.RoleMember); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("duplicate email: %v", err)
	}
	_ = other
}

func TestChangePasswordIsRateLimited(t *testing.T) {
	e := newEnv(t)
	for range account.LoginFailureBurst {
		if err := e.svc.ChangePassword(t.Context(), e.admin, "not the password", "a brand new password"); !errors.Is(err, domain.ErrNotFound) {
			var v *domain.ValidationError
			if !errors.As(err, &v) {
				t.Fatalf("wrong current password: %v", err)
			}
		}
	}
	var limited *account.LoginRateLimitedError
	if err := e.svc.ChangePassword(t.Context(), e.admin, e.boot.Password.Reveal(), "a brand new password"); !errors.As(err, &limited) {
		t.Fatalf("after %d wrong guesses: %v, want rate limited", account.LoginFailureBurst, err)
	}
}
