package credential_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"keywarden/internal/account"
	"keywarden/internal/credential"
	"keywarden/internal/domain"
	"keywarden/internal/keyring"
	"keywarden/internal/store"
	"keywarden/internal/store/enginetest"
	"keywarden/internal/testkit"
	"keywarden/internal/webhook"
)

func (e *env) requireCredentials(t *testing.T, rotateBy *time.Time, events bool) {
	t.Helper()
	on := true
	p := account.PolicyPatch{RequirePersonalCredential: &on, CredentialRequiredEvents: &events}
	if rotateBy != nil {
		p.PersonalCredentialRotateBy = account.OptionalTime{Set: true, Value: rotateBy}
	}
	if _, _, err := e.accts.UpdatePolicy(t.Context(), e.admin, p); err != nil {
		t.Fatal(err)
	}
}

func (e *env) required(t *testing.T) map[string]domain.Compliance {
	t.Helper()
	o, err := e.svc.Overview(t.Context(), e.admin)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]domain.Compliance{}
	for _, c := range o.CredentialRequired {
		out[c.User.Email] = c.State
	}
	return out
}

// TestCredentialRequirementEmptiesAsUsersComply follows the overview's
// compliance list: everyone is listed when the requirement starts, each
// user leaves it as they generate a credential within their role's
// maximum, an existing credential must be rotated by the rotate-by date
// (then is overdue), and rotating it complies.
func TestCredentialRequirementEmptiesAsUsersComply(t *testing.T) {
	enginetest.Run(t, func(t *testing.T, open func(*testing.T) store.Store) {
		e := newEnvOn(t, open(t))
		ctx := t.Context()
		// The super admin's credential predates the rotate-by round.
		if _, err := e.svc.CreatePersonal(ctx, e.admin, credential.PersonalInput{}); err != nil {
			t.Fatal(err)
		}
		_, dev, _ := e.legacyUser(t, "dev@acme.test")
		_, mem, _ := e.legacyUser(t, "mem@acme.test")
		if _, err := e.accts.UpdateUser(ctx, e.admin, mem.UserID(), account.UserPatch{Role: ptr(domain.RoleMember)}); err != nil {
			t.Fatal(err)
		}
		mem.Role = domain.RoleMember
		if got := e.required(t); len(got) != 0 {
			t.Fatalf("listed %v while the requirement is off", got)
		}
		e.clock.Add(time.Minute)
		by := e.clock.Now().AddDate(0, 0, 30)
		e.requireCredentials(t, &by, false)
		want := map[string]domain.Compliance{"admin@acme.test": domain.ComplianceRotate, "dev@acme.test": domain.ComplianceMissing, "mem@acme.test": domain.ComplianceMissing}
		if got := e.required(t); !equal(got, want) {
			t.Fatalf("listed %v, want %v", got, want)
		}
		if _, err := e.svc.CreatePersonal(ctx, dev, credential.PersonalInput{}); err != nil {
			t.Fatal(err)
		}
		delete(want, "dev@acme.test")
		if got := e.required(t); !equal(got, want) {
			t.Fatalf("after dev's credential: %v, want %v", got, want)
		}
		// A member may give 1 day at most: that is what they get by default.
		if _, err := e.svc.CreatePersonal(ctx, mem, credential.PersonalInput{}); err != nil {
			t.Fatal(err)
		}
		delete(want, "mem@acme.test")
		if got := e.required(t); !equal(got, want) {
			t.Fatalf("after mem's credential: %v, want %v", got, want)
		}
		c, err := e.svc.MyCompliance(ctx, e.admin)
		if err != nil || c.State != domain.ComplianceRotate || c.RotateBy == nil || !c.RotateBy.Equal(by.Truncate(time.Microsecond)) {
			t.Fatalf("MyCompliance = %+v, %v", c, err)
		}
		e.clock.Add(31 * 24 * time.Hour)
		want = map[string]domain.Compliance{"admin@acme.test": domain.ComplianceOverdue,
			"mem@acme.test": domain.ComplianceMissing} // the member's one-day credential expired
		if got := e.required(t); !equal(got, want) {
			t.Fatalf("after the rotate-by date: %v, want %v", got, want)
		}
		if _, err := e.svc.RotatePersonal(ctx, e.admin, 0, credential.PersonalInput{}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.CreatePersonal(ctx, mem, credential.PersonalInput{}); err != nil {
			t.Fatal(err)
		}
		if got := e.required(t); len(got) != 0 {
			t.Fatalf("everyone complies, yet listed %v", got)
		}
		if c, err := e.svc.MyCompliance(ctx, e.admin); err != nil || c.State != domain.ComplianceOK {
			t.Fatalf("MyCompliance after rotating = %+v, %v", c, err)
		}
	})
}

func ptr[T any](v T) *T { return &v }

func equal(a, b map[string]domain.Compliance) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestOverviewListsLegacyPasswordUsers lists who may still use the
// legacy login until they generate a credential or change their password.
func TestOverviewListsLegacyPasswordUsers(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	_, dev, pw := e.legacyUser(t, "dev@acme.test")
	_, ops, _ := e.legacyUser(t, "ops@acme.test")
	legacy := func() []string {
		o, err := e.svc.Overview(ctx, e.admin)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, u := range o.LegacyPasswordUsers {
			out = append(out, u.Email)
		}
		slices.Sort(out)
		return out
	}
	if got := legacy(); len(got) != 0 {
		t.Fatalf("legacy users %v while the migration is off", got)
	}
	e.clock.Add(time.Hour)
	e.openLegacy(t)
	// The bootstrap super admin still has their one-time password: not listed.
	if got := legacy(); !slices.Equal(got, []string{"dev@acme.test", "ops@acme.test"}) {
		t.Fatalf("legacy users %v", got)
	}
	if err := e.accts.ChangePassword(ctx, dev, pw, pw+" v2"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.CreatePersonal(ctx, ops, credential.PersonalInput{}); err != nil {
		t.Fatal(err)
	}
	if got := legacy(); len(got) != 0 {
		t.Fatalf("legacy users %v after both ended it", got)
	}
}

// TestPersonalRevocationPolicy: under "owner" only the owner revokes their
// own credential; a super admin is refused another's. The default lets a
// super admin revoke anyone's.
func TestPersonalRevocationPolicy(t *testing.T) {
	cases := []struct {
		mode      string
		adminMay  bool
		ownerMay  bool
		offboards bool
	}{
		{mode: domain.RevocationSuperAdmins, adminMay: true, ownerMay: true},
		{mode: domain.RevocationOwner, adminMay: false, ownerMay: true},
	}
	for _, tc := range cases {
		t.Run(tc.mode, func(t *testing.T) {
			e := newEnv(t)
			ctx := t.Context()
			mode := tc.mode
			if _, _, err := e.accts.UpdatePolicy(ctx, e.admin, account.PolicyPatch{PersonalRevocation: &mode}); err != nil && tc.mode != domain.RevocationSuperAdmins {
				t.Fatal(err)
			}
			_, dev, _ := e.legacyUser(t, "dev@acme.test")
			n, err := e.svc.CreatePersonal(ctx, dev, credential.PersonalInput{})
			if err != nil {
				t.Fatal(err)
			}
			err = e.svc.RevokePersonal(ctx, e.admin, dev.UserID())
			if tc.adminMay != (err == nil) || (!tc.adminMay && !errors.Is(err, domain.ErrForbidden)) {
				t.Fatalf("super admin revoking another's: %v", err)
			}
			_, err = e.svc.AuthenticatePersonal(ctx, "dev@acme.test", "", n.Value.Reveal(), "192.0.2.1")
			if tc.adminMay != errors.Is(err, credential.ErrBadCredentials) {
				t.Fatalf("the credential after the super admin's attempt: %v", err)
			}
			if err := e.svc.RevokePersonal(ctx, dev, dev.UserID()); err != nil {
				t.Fatalf("the owner revoking their own: %v", err)
			}
			if _, err := e.svc.AuthenticatePersonal(ctx, "dev@acme.test", "", n.Value.Reveal(), "192.0.2.1"); !errors.Is(err, credential.ErrBadCredentials) {
				t.Fatalf("the credential after its owner revoked it: %v", err)
			}
		})
	}
}

// TestCredentialRequiredEventsOncePerPeriod runs the job on two nodes at
// once: each non-compliant user gets one user.credential_required per
// period, a new rotate-by date starts a new period, and complying users
// get none.
func TestCredentialRequiredEventsOncePerPeriod(t *testing.T) {
	enginetest.Run(t, func(t *testing.T, open func(*testing.T) store.Store) {
		st := open(t)
		var hooks *webhook.Service
		e := newEnvOn(t, st, func(o *credential.Options) {
			hooks = webhook.New(webhook.Options{Store: st, Keyring: o.Keyring, Audit: o.Audit, Now: o.Now})
			o.Webhooks = hooks.Outbox()
		})
		ctx := t.Context()
		node2 := credential.New(credential.Options{Store: st, Audit: e.audit, Keyring: mustKeyring(t), Now: e.clock.Now, Webhooks: hooks.Outbox()})
		ep, _, err := hooks.CreateOrgEndpoint(ctx, e.admin, webhook.OrgEndpointInput{URL: "https://hooks.example.com/in", Events: []string{webhook.TypeCredentialRequired}})
		if err != nil {
			t.Fatal(err)
		}
		_, dev, _ := e.legacyUser(t, "dev@acme.test")
		_, ops, _ := e.legacyUser(t, "ops@acme.test")
		if _, err := e.svc.CreatePersonal(ctx, ops, credential.PersonalInput{}); err != nil {
			t.Fatal(err)
		}
		count := func() int {
			msgs, _, err := hooks.OrgEndpointDeliveries(ctx, e.admin, ep.Endpoint.ID, domain.WebhookFilter{Page: domain.Page{Limit: 100}})
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, m := range msgs {
				if m.EventType == webhook.TypeCredentialRequired {
					n++
				}
			}
			return n
		}
		if n, err := e.svc.RunCredentialRequired(ctx); err != nil || n != 0 {
			t.Fatalf("with the events off: %d, %v", n, err)
		}
		e.requireCredentials(t, nil, true)
		var sent [2]int
		testkit.Race(2, func(i int) {
			svc := []*credential.Service{e.svc, node2}[i]
			n, err := svc.RunCredentialRequired(ctx)
			if err != nil {
				t.Error(err)
			}
			sent[i] = n
		})
		// The super admin (one-time password, no credential) and dev lack one.
		if sent[0]+sent[1] != 2 || count() != 2 {
			t.Fatalf("sent %v, %d delivered; want 2 in all", sent, count())
		}
		if n, _ := node2.RunCredentialRequired(ctx); n != 0 {
			t.Fatalf("a second pass sent %d", n)
		}
		if _, err := e.svc.CreatePersonal(ctx, dev, credential.PersonalInput{}); err != nil {
			t.Fatal(err)
		}
		e.clock.Add(time.Minute)
		by := e.clock.Now().AddDate(0, 0, 7)
		e.requireCredentials(t, &by, true)
		// A new round: the super admin still lacks one; dev's and ops's
		// credentials predate the round and must be rotated.
		if n, err := e.svc.RunCredentialRequired(ctx); err != nil || n != 3 {
			t.Fatalf("the rotate-by round sent %d, %v; want 3", n, err)
		}
		if n, _ := e.svc.RunCredentialRequired(ctx); n != 0 {
			t.Fatalf("a second pass of the round sent %d", n)
		}
	})
}

// mustKeyring is the keyring newEnvOn's services use (another node's).
func mustKeyring(t *testing.T) *keyring.Keyring {
	t.Helper()
	kr, err := keyring.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	return kr
}
