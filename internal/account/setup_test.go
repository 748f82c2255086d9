package account_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"keywarden/internal/account"
	"keywarden/internal/audit"
	"keywarden/internal/domain"
	"keywarden/internal/keyring"
	"keywarden/internal/store"
	"keywarden/internal/store/enginetest"
	"keywarden/internal/store/sqlite"
	"keywarden/internal/testkit"
)

// fresh is an account service on an empty store: no organisation yet.
type fresh struct {
	store store.Store
	svc   *account.Service
	audit *audit.Log
	clock *testkit.Clock
}

func newFresh(t *testing.T, st store.Store) *fresh {
	t.Helper()
	if st == nil {
		var err error
		if st, err = sqlite.Open(t.Context(), t.TempDir()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
	}
	kr, _ := keyring.New(make([]byte, 32))
	clk := testkit.NewClock(time.Date(2026, 11, 24, 12, 0, 10, 0, time.UTC))
	log := audit.New(st, kr.Derive(keyring.PurposeAudit), clk.Now)
	return &fresh{store: st, svc: account.New(account.Options{Store: st, Audit: log, Keyring: kr, Now: clk.Now}), audit: log, clock: clk}
}

func (f *fresh) link(t *testing.T) string {
	t.Helper()
	l, ok, err := f.svc.NewSetupLink(t.Context())
	if err != nil || !ok {
		t.Fatalf("NewSetupLink = %v, %v; want a link", ok, err)
	}
	if !strings.HasPrefix(l.Token.Reveal(), "kwi_") || !l.ExpiresAt.Equal(f.clock.Now().Add(account.SetupTTL)) {
		t.Fatalf("NewSetupLink = %q, expiring %v", l.Token.Hint(), l.ExpiresAt)
	}
	return l.Token.Reveal()
}

func setupInput(token string) account.SetupInput {
	return account.SetupInput{Token: token, Organization: "Acme", Email: "Owner@Acme.test", Password: "a long enough password", Source: "192.0.2.1"}
}

func TestSetupCreatesTheFirstOrganisationAndSignsIn(t *testing.T) {
	f := newFresh(t, nil)
	ctx := t.Context()
	if need, err := f.svc.NeedsSetup(ctx); err != nil || !need {
		t.Fatalf("NeedsSetup on an empty store = %v, %v", need, err)
	}
	tok := f.link(t)
	n, err := f.svc.Setup(ctx, setupInput(tok))
	if err != nil {
		t.Fatalf("Setup: %v", err)
	}
	if n.User.Role != domain.RoleSuperAdmin || n.User.Email != "owner@acme.test" || n.User.MustChangePassword {
		t.Errorf("Setup made %+v; want a super admin with the chosen password", n.User)
	}
	a, err := f.svc.AuthenticateSession(ctx, n.Token.Reveal(), "192.0.2.1")
	if err != nil || a.Restricted != "" || a.Role != domain.RoleSuperAdmin {
		t.Fatalf("the setup's session: %+v, %v; want an unrestricted super admin", a, err)
	}
	if _, err := f.svc.Login(ctx, account.LoginInput{Email: "owner@acme.test", Password: "a long enough password", Source: "192.0.2.1"}); err != nil {
		t.Errorf("login with the chosen password: %v", err)
	}
	events, _, err := f.store.ListAudit(ctx, n.User.OrgID, domain.AuditFilter{Action: "org.setup"})
	if err != nil || len(events) != 1 || events[0].Target != string(n.User.OrgID) {
		t.Fatalf("org.setup events = %+v, %v", events, err)
	}
	if strings.Contains(events[0].Detail["name"]+events[0].Detail["super_admin"], tok) {
		t.Error("the audit event holds the token")
	}
	if report, err := f.audit.Verify(ctx); err != nil || report.Events != 2 { // the setup and the login
		t.Errorf("audit verify after setup: %+v, %v", report, err)
	}
	if need, err := f.svc.NeedsSetup(ctx); err != nil || need {
		t.Errorf("NeedsSetup after setup = %v, %v", need, err)
	}
	if _, ok, err := f.svc.NewSetupLink(ctx); err != nil || ok {
		t.Errorf("NewSetupLink after setup = %v, %v; want none", ok, err)
	}
}

func TestSetupRefusals(t *testing.T) {
	f := newFresh(t, nil)
	ctx := t.Context()
	tok := f.link(t)
	expiring := f.link(t)
	refused := func(name string, in account.SetupInput, want func(error) bool) {
		t.Helper()
		if _, err := f.svc.Setup(ctx, in); !want(err) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	invalid := func(fields ...string) func(error) bool {
		return func(err error) bool {
			var v *domain.ValidationError
			if !errors.As(err, &v) || len(v.Fields()) != len(fields) {
				return false
			}
			for i, fe := range v.Fields() {
				if fe.Field != fields[i] {
					return false
				}
			}
			return true
		}
	}
	forbidden := func(word string) func(error) bool {
		return func(err error) bool {
			var fe *domain.ForbiddenError
			return errors.As(err, &fe) && strings.Contains(fe.Reason, word)
		}
	}
	bad := setupInput(tok)
	bad.Organization, bad.Email, bad.Password = " ", "not an email", "short"
	refused("bad input", bad, invalid("org", "email", "password"))
	refused("no token", setupInput(""), forbidden("not valid"))
	refused("malformed token", setupInput("kwi_nope"), forbidden("not valid"))
	refused("unknown token", setupInput(strings.Replace(tok, tok[4:8], "0000", 1)), forbidden("not valid"))

	f.clock.Add(account.SetupTTL - time.Second)
	if _, err := f.svc.Setup(ctx, setupInput(tok)); err != nil {
		t.Fatalf("Setup a second before expiry, after refusals: %v", err)
	}
	refused("used link", setupInput(tok), forbidden("used already"))
	f.clock.Add(time.Second)
	refused("expired link", setupInput(expiring), forbidden("expired"))
}

func TestSetupAfterInit(t *testing.T) {
	f := newFresh(t, nil)
	ctx := t.Context()
	tok := f.link(t) // printed by serve before an operator ran keywarden init
	if _, err := f.svc.Init(ctx, "Acme", "admin@acme.test"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Setup(ctx, setupInput(tok)); !errors.Is(err, account.ErrAlreadySetUp) {
		t.Errorf("Setup after init: err = %v, want ErrAlreadySetUp", err)
	}
	// A second service (another node) that never saw the init agrees.
	other := account.New(account.Options{Store: f.store, Audit: f.audit, Keyring: mustKeyring(t), Now: f.clock.Now})
	if need, err := other.NeedsSetup(ctx); err != nil || need {
		t.Errorf("NeedsSetup on another node after init = %v, %v", need, err)
	}
	if _, err := f.svc.Init(ctx, "Globex", "admin@globex.test"); err != nil {
		t.Errorf("init of a second organisation: %v", err)
	}
}

func mustKeyring(t *testing.T) *keyring.Keyring {
	kr, err := keyring.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

// TestSetupRace sends one link from several browsers at once, and
// several links at once (two nodes printed one each): one organisation.
func TestSetupRace(t *testing.T) {
	enginetest.Run(t, func(t *testing.T, open func(*testing.T) store.Store) {
		for _, shared := range []bool{true, false} {
			f := newFresh(t, open(t))
			tokens := make([]string, racers)
			for i := range tokens {
				if i == 0 || !shared {
					tokens[i] = f.link(t)
				} else {
					tokens[i] = tokens[0]
				}
			}
			var wg sync.WaitGroup
			var mu sync.Mutex
			var wins []account.NewSession
			start := make(chan struct{})
			for i := range racers {
				wg.Go(func() {
					<-start
					in := setupInput(tokens[i])
					in.Email = "owner" + string(rune('a'+i)) + "@acme.test"
					n, err := f.svc.Setup(t.Context(), in)
					var fe *domain.ForbiddenError
					switch {
					case err == nil:
						mu.Lock()
						wins = append(wins, n)
						mu.Unlock()
					case errors.Is(err, account.ErrAlreadySetUp), errors.As(err, &fe) && strings.Contains(fe.Reason, "used already"):
					default:
						t.Errorf("setup %d: %v", i, err)
					}
				})
			}
			close(start)
			wg.Wait()
			if len(wins) != 1 {
				t.Fatalf("shared link %v: %d setups won, want 1", shared, len(wins))
			}
			users, err := f.store.ListUsers(t.Context(), wins[0].User.OrgID)
			if err != nil || len(users) != 1 {
				t.Errorf("the organisation has %d users (%v), want 1", len(users), err)
			}
		}
	})
}
