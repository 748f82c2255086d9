package credential_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"keywarden/internal/account"
	"keywarden/internal/audit"
	"keywarden/internal/credential"
	"keywarden/internal/domain"
	"keywarden/internal/keyring"
	"keywarden/internal/metrics"
	"keywarden/internal/secretvalue"
	"keywarden/internal/slowhash"
	"keywarden/internal/store"
	"keywarden/internal/store/enginetest"
	"keywarden/internal/store/sqlite"
	"keywarden/internal/testkit"
)

type env struct {
	store store.Store
	svc   *credential.Service
	audit *audit.Log
	clock *testkit.Clock
	admin domain.Actor
	reg   *metrics.Metrics
	accts *account.Service
	// hashes is the services' slow-hash gate: Checks counts argon2id checks.
	hashes *slowhash.Gate
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

// newEnvOn is newEnv on a store of the caller's (another engine's).
// Options, when given, change the service's; a Hashes gate among them is
// the account service's too (it replaces the patient default).
func newEnvOn(t *testing.T, st store.Store, opts ...func(*credential.Options)) *env {
	t.Helper()
	kr, err := keyring.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	clk := testkit.NewClock(time.Now().UTC())
	log := audit.New(st, kr.Derive(keyring.PurposeAudit), clk.Now)
	reg := metrics.New()
	o := credential.Options{Store: st, Audit: log, Keyring: kr, Now: clk.Now, Metrics: reg,
		// The gate's recalibration follows the test's clock, not the time a
		// slow (-race, loaded) run takes.
		Hashes: slowhash.New(slowhash.Options{Concurrency: 2, Queue: 1000, MaxWait: time.Minute, Now: clk.Now})}
	for _, f := range opts {
		f(&o)
	}
	hashes := o.Hashes
	accts := account.New(account.Options{Store: st, Audit: log, Keyring: kr, Now: clk.Now, Hashes: hashes})
	b, err := accts.Init(t.Context(), "Acme", "admin@acme.test")
	if err != nil {
		t.Fatal(err)
	}
	svc := credential.New(o)
	return &env{store: st, svc: svc, audit: log, clock: clk, reg: reg, accts: accts, hashes: hashes,
		admin: domain.UserActor(b.Org.ID, b.User.ID, domain.RoleSuperAdmin, "")}
}

func (e *env) client(t *testing.T) domain.Client {
	t.Helper()
	c, err := e.svc.CreateClient(t.Context(), e.admin, credential.ClientInput{Name: "billing", Scopes: []string{"a"}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (e *env) secret(t *testing.T, clientID domain.ClientID, in credential.SecretInput) credential.NewSecret {
	t.Helper()
	if in.Description == "" {
		in.Description = "test"
	}
	n, err := e.svc.CreateSecret(t.Context(), e.admin, clientID, in)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// lastFailure returns the reason of the newest failed authentication.
func (e *env) lastFailure(t *testing.T) string {
	t.Helper()
	if err := e.svc.FlushFailures(t.Context(), slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	events, _, err := e.audit.List(t.Context(), e.admin.OrgID, domain.AuditFilter{Action: "client.authenticate"})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range events {
		if ev.Result == domain.ResultFailure {
			return ev.Detail["reason"]
		}
	}
	return ""
}

func TestAuthenticate(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	good := e.secret(t, c.ID, credential.SecretInput{})
	supplied := "a supplied secret: with spaces + symbols %"
	sup := e.secret(t, c.ID, credential.SecretInput{Value: &supplied})
	revoked := e.secret(t, c.ID, credential.SecretInput{})
	if _, err := e.svc.RevokeSecret(t.Context(), e.admin, c.ID, revoked.Secret.ID, false); err != nil {
		t.Fatal(err)
	}
	flipped := []byte(good.Value.Reveal())
	flipped[10] ^= 1
	tests := []struct {
		name       string
		client     domain.ClientID
		secret     string
		wantReason string
		wantSecret domain.SecretID
	}{
		{"generated secret", c.ID, good.Value.Reveal(), "", good.Secret.ID},
		{"supplied secret", c.ID, supplied, "", sup.Secret.ID},
		{"supplied secret again (memoised)", c.ID, supplied, "", sup.Secret.ID},
		{"wrong supplied secret", c.ID, supplied + "x", "wrong secret", ""},
		{"well-formed but unknown secret", c.ID, secretvalue.Generate(secretvalue.PrefixClientSecret).Reveal(), "wrong secret", ""},
		{"checksum mismatch", c.ID, string(flipped), "malformed secret (checksum)", ""},
		{"revoked secret", c.ID, revoked.Value.Reveal(), "secret revoked", ""},
		{"unknown client", domain.NewClientID(), good.Value.Reveal(), "", ""},
		{"malformed client id", "nope", good.Value.Reveal(), "", ""},
		{"empty secret", c.ID, "", "no secret presented", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			auth, err := e.svc.Authenticate(t.Context(), tc.client, tc.secret, "192.0.2.1")
			if tc.wantSecret != "" {
				if err != nil || auth.SecretID != tc.wantSecret || auth.TokenTTL() != 86400 {
					t.Fatalf("Authenticate = %+v, %v; want secret %s", auth, err, tc.wantSecret)
				}
				return
			}
			if !errors.Is(err, credential.ErrBadCredentials) {
				t.Fatalf("err = %v, want ErrBadCredentials", err)
			}
			if tc.wantReason != "" {
				if got := e.lastFailure(t); got != tc.wantReason {
					t.Errorf("audited reason = %q, want %q", got, tc.wantReason)
				}
			}
		})
	}
}

func TestAuthenticateStateChangesTakeEffectAtOnce(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	n := e.secret(t, c.ID, credential.SecretInput{})
	auth := func() error {
		_, err := e.svc.Authenticate(t.Context(), c.ID, n.Value.Reveal(), "192.0.2.1")
		return err
	}
	if err := auth(); err != nil { // warms the cache
		t.Fatal(err)
	}
	disabled := true
	if _, err := e.svc.UpdateClient(t.Context(), e.admin, c.ID, credential.ClientPatch{Disabled: &disabled}); err != nil {
		t.Fatal(err)
	}
	if err := auth(); !errors.Is(err, credential.ErrBadCredentials) || e.lastFailure(t) != "client disabled" {
		t.Fatalf("disabled client: %v (%s)", err, e.lastFailure(t))
	}
	disabled = false
	e.svc.UpdateClient(t.Context(), e.admin, c.ID, credential.ClientPatch{Disabled: &disabled})
	if err := auth(); err != nil {
		t.Fatalf("re-enabled: %v", err)
	}
	if _, err := e.svc.RevokeAll(t.Context(), e.admin, c.ID); err != nil {
		t.Fatal(err)
	}
	if err := auth(); !errors.Is(err, credential.ErrBadCredentials) {
		t.Fatalf("after revoke-all: %v", err)
	}
}

func TestAuthenticateExpiry(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	exp := e.clock.Now().Add(time.Hour)
	n := e.secret(t, c.ID, credential.SecretInput{ExpiresAt: &exp})
	if _, err := e.svc.Authenticate(t.Context(), c.ID, n.Value.Reveal(), "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(time.Hour)
	if _, err := e.svc.Authenticate(t.Context(), c.ID, n.Value.Reveal(), "192.0.2.1"); !errors.Is(err, credential.ErrBadCredentials) || e.lastFailure(t) != "secret expired" {
		t.Fatalf("expired secret: %v (%s)", err, e.lastFailure(t))
	}
}

func TestAuthenticateSourceRestriction(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	n := e.secret(t, c.ID, credential.SecretInput{AllowedCIDRs: []string{"10.0.0.0/8", "2001:db8::1"}})
	tests := []struct {
		source string
		ok     bool
	}{
		{"10.1.2.3", true}, {"::ffff:10.1.2.3", true}, {"2001:db8::1", true}, {"11.0.0.1", false}, {"2001:db8::2", false}, {"garbage", false},
	}
	for _, tc := range tests {
		t.Run(tc.source, func(t *testing.T) {
			_, err := e.svc.Authenticate(t.Context(), c.ID, n.Value.Reveal(), tc.source)
			if (err == nil) != tc.ok {
				t.Fatalf("from %s: err = %v, want ok %v", tc.source, err, tc.ok)
			}
			if !tc.ok && !strings.Contains(e.lastFailure(t), "not allowed") {
				t.Errorf("reason %q does not say the source is not allowed", e.lastFailure(t))
			}
		})
	}
}

func TestRateLimit(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	n := e.secret(t, c.ID, credential.SecretInput{})
	for range credential.ClientFailureBurst {
		if _, err := e.svc.Authenticate(t.Context(), c.ID, "wrong", "192.0.2.1"); !errors.Is(err, credential.ErrBadCredentials) {
			t.Fatalf("err = %v", err)
		}
	}
	var limited *credential.RateLimitedError
	if _, err := e.svc.Authenticate(t.Context(), c.ID, n.Value.Reveal(), "192.0.2.1"); !errors.As(err, &limited) || limited.RetryAfter <= 0 {
		t.Fatalf("after %d failures: err = %v, want RateLimitedError", credential.ClientFailureBurst, err)
	}
	if got := testkit.Metric(t, e.reg.Handler(), `keywarden_rate_limited_total{limit="client"}`); got != 1 {
		t.Errorf(`keywarden_rate_limited_total{limit="client"} = %v, want 1`, got)
	}
	// Someone else's failures do not block a correct secret from another address.
	if _, err := e.svc.Authenticate(t.Context(), c.ID, n.Value.Reveal(), "198.51.100.7"); err != nil {
		t.Fatalf("from another address: %v", err)
	}
	e.clock.Add(time.Minute)
	if _, err := e.svc.Authenticate(t.Context(), c.ID, n.Value.Reveal(), "192.0.2.1"); err != nil {
		t.Fatalf("after the wait: %v", err)
	}
}

func TestUsageIsBatched(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	n := e.secret(t, c.ID, credential.SecretInput{})
	for range 5 {
		if _, err := e.svc.Authenticate(t.Context(), c.ID, n.Value.Reveal(), "192.0.2.9"); err != nil {
			t.Fatal(err)
		}
	}
	x, _ := e.store.GetSecret(t.Context(), e.admin.OrgID, n.Secret.ID)
	if x.LastUsedAt != nil {
		t.Fatal("last-used written before the flush: the token path must not write")
	}
	if err := e.svc.FlushUsage(t.Context()); err != nil {
		t.Fatal(err)
	}
	x, _ = e.store.GetSecret(t.Context(), e.admin.OrgID, n.Secret.ID)
	if x.LastUsedAt == nil || x.LastUsedFrom != "192.0.2.9" {
		t.Fatalf("after flush: last used %v from %q", x.LastUsedAt, x.LastUsedFrom)
	}
	events, _, _ := e.audit.List(t.Context(), e.admin.OrgID, domain.AuditFilter{Action: "client.authenticate"})
	if len(events) != 1 || events[0].Detail["count"] != "5" || events[0].Result != domain.ResultSuccess {
		t.Fatalf("aggregated audit events = %+v", events)
	}
	if err := e.svc.FlushUsage(t.Context()); err != nil {
		t.Fatal(err)
	}
	events, _, _ = e.audit.List(t.Context(), e.admin.OrgID, domain.AuditFilter{Action: "client.authenticate"})
	if len(events) != 1 {
		t.Errorf("an empty flush wrote %d more events", len(events)-1)
	}
}

func TestRotationLifecycle(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	old := e.secret(t, c.ID, credential.SecretInput{})
	quiet := 60
	rot, err := e.svc.Rotate(t.Context(), e.admin, c.ID, credential.RotateInput{AutoComplete: true, QuietSeconds: &quiet})
	if err != nil {
		t.Fatal(err)
	}
	state := func() domain.RotationState {
		t.Helper()
		v, err := e.svc.GetRotation(t.Context(), e.admin, c.ID, rot.Rotation.Rotation.ID)
		if err != nil {
			t.Fatal(err)
		}
		return v.State
	}
	use := func(v string) {
		t.Helper()
		if _, err := e.svc.Authenticate(t.Context(), c.ID, v, "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.FlushUsage(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if s := state(); s != domain.RotationStarted {
		t.Fatalf("state = %s, want started", s)
	}
	e.clock.Add(time.Second)
	use(old.Value.Reveal())
	use(rot.New.Value.Reveal())
	if s := state(); s != domain.RotationNewInUse {
		t.Fatalf("both in use: state = %s", s)
	}
	if _, err := e.svc.CompleteRotation(t.Context(), e.admin, c.ID, rot.Rotation.Rotation.ID, false, false); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("complete while old in use: %v, want conflict", err)
	}
	if n, err := e.svc.AutoCompleteRotations(t.Context()); err != nil || n != 0 {
		t.Fatalf("auto-complete too early: %d, %v", n, err)
	}
	e.clock.Add(61 * time.Second)
	if s := state(); s != domain.RotationOldIdle {
		t.Fatalf("after the quiet period: state = %s", s)
	}
	if n, err := e.svc.AutoCompleteRotations(t.Context()); err != nil || n != 1 {
		t.Fatalf("auto-complete: %d, %v", n, err)
	}
	if s := state(); s != domain.RotationCompleted {
		t.Fatalf("state = %s, want completed", s)
	}
	if _, err := e.svc.Authenticate(context.Background(), c.ID, old.Value.Reveal(), "192.0.2.1"); !errors.Is(err, credential.ErrBadCredentials) {
		t.Fatalf("old secret after completion: %v", err)
	}
	if _, err := e.svc.Authenticate(context.Background(), c.ID, rot.New.Value.Reveal(), "192.0.2.1"); err != nil {
		t.Fatalf("new secret after completion: %v", err)
	}
}

// TestSecondRotationRefused: while a rotation is open another is a
// conflict that names it; once it completes a new one starts, and default
// names never repeat (issue 13 item 1).
func TestSecondRotationRefused(t *testing.T) {
	enginetest.Run(t, func(t *testing.T, open func(*testing.T) store.Store) {
		e := newEnvOn(t, open(t))
		ctx := t.Context()
		c := e.client(t)
		e.secret(t, c.ID, credential.SecretInput{})
		first, err := e.svc.Rotate(ctx, e.admin, c.ID, credential.RotateInput{})
		if err != nil {
			t.Fatal(err)
		}
		id := first.Rotation.Rotation.ID
		_, err = e.svc.Rotate(ctx, e.admin, c.ID, credential.RotateInput{})
		var conflict *domain.ConflictError
		if !errors.As(err, &conflict) || !strings.Contains(conflict.Reason, string(id)) {
			t.Fatalf("second rotation: %v, want a conflict naming %s", err, id)
		}
		if _, err := e.svc.CompleteRotation(ctx, e.admin, c.ID, id, false, true); err != nil {
			t.Fatal(err)
		}
		second, err := e.svc.Rotate(ctx, e.admin, c.ID, credential.RotateInput{})
		if err != nil {
			t.Fatalf("rotation after completion: %v", err)
		}
		if a, b := first.New.Secret.Description, second.New.Secret.Description; a == b {
			t.Errorf("both new secrets are called %q", a)
		}
		if got := second.Rotation.Rotation.OldSecretIDs; len(got) != 1 || got[0] != first.New.Secret.ID {
			t.Errorf("second rotation's old secrets = %v, want the first one's new secret", got)
		}
		if _, err := e.svc.CompleteRotation(ctx, e.admin, c.ID, second.Rotation.Rotation.ID, false, true); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.Rotate(ctx, e.admin, c.ID, credential.RotateInput{Description: second.New.Secret.Description})
		var invalid *domain.ValidationError
		if !errors.As(err, &invalid) {
			t.Errorf("a new secret named like the active one: %v, want invalid", err)
		}
	})
}
