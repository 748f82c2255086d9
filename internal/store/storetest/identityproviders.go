package storetest

import (
	"errors"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"

	"keywarden/internal/domain"
	"keywarden/internal/store"
)

// testIdentityProviders: providers round-trip every field, names are
// unique per organisation, another organisation's provider is not found,
// users link to a (provider, subject) once, and sessions remember the
// provider they were opened through.
func testIdentityProviders(t *testing.T, s store.Store) {
	ctx := t.Context()
	acme, globex := mustOrg(t, s, "acme"), mustOrg(t, s, "globex")
	p := domain.IdentityProvider{ID: "idp_1", OrgID: acme.ID, Name: "Okta", Issuer: "https://acme.okta.example", ClientID: "kw",
		ClientSecretSealed: []byte{1, 2, 3}, Scopes: []string{"email", "groups"}, EmailClaim: "email",
		AllowedDomains: []string{"acme.example"}, DefaultRole: domain.RoleMember, GroupsClaim: "groups",
		GroupRoles: map[string]domain.Role{"kw-admins": domain.RoleAdmin}, CreatedAt: at(1), UpdatedAt: at(1)}
	if err := s.CreateIdentityProvider(ctx, p); err != nil {
		t.Fatalf("CreateIdentityProvider: %v", err)
	}
	dup := p
	dup.ID = "idp_2"
	if err := s.CreateIdentityProvider(ctx, dup); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("second provider named Okta: err = %v, want ErrConflict", err)
	}
	dup.OrgID = globex.ID // the same name in another organisation is fine
	if err := s.CreateIdentityProvider(ctx, dup); err != nil {
		t.Fatalf("CreateIdentityProvider in globex: %v", err)
	}
	got, err := s.GetIdentityProvider(ctx, acme.ID, p.ID)
	if err != nil {
		t.Fatalf("GetIdentityProvider: %v", err)
	}
	if !got.CreatedAt.Equal(p.CreatedAt) || !got.UpdatedAt.Equal(p.UpdatedAt) {
		t.Errorf("times = %v, %v; want %v", got.CreatedAt, got.UpdatedAt, p.CreatedAt)
	}
	got.CreatedAt, got.UpdatedAt = p.CreatedAt, p.UpdatedAt
	if !reflect.DeepEqual(got, p) {
		t.Errorf("GetIdentityProvider = %+v\nwant %+v", got, p)
	}
	if _, err := s.GetIdentityProvider(ctx, globex.ID, p.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("acme's provider from globex: err = %v, want ErrNotFound", err)
	}
	up, err := s.UpdateIdentityProvider(ctx, acme.ID, p.ID, func(x *domain.IdentityProvider) error {
		x.Disabled, x.ClientSecretSealed, x.GroupRoles, x.UpdatedAt = true, nil, nil, at(2)
		return nil
	})
	if err != nil || !up.Disabled || up.ClientSecretSealed != nil {
		t.Fatalf("UpdateIdentityProvider = %+v, %v", up, err)
	}
	if got, _ := s.GetIdentityProvider(ctx, acme.ID, p.ID); !got.Disabled || got.ClientSecretSealed != nil || len(got.GroupRoles) != 0 || !got.UpdatedAt.Equal(at(2)) {
		t.Errorf("after update: %+v", got)
	}
	if _, err := s.UpdateIdentityProvider(ctx, globex.ID, p.ID, func(*domain.IdentityProvider) error { return nil }); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("update from globex: err = %v, want ErrNotFound", err)
	}
	if l, err := s.ListIdentityProviders(ctx, acme.ID); err != nil || len(l) != 1 || l[0].ID != p.ID {
		t.Errorf("ListIdentityProviders(acme) = %v, %v", l, err)
	}

	// Users link to an identity once.
	u := mustUser(t, s, acme.ID, "ann@acme.example")
	if _, err := s.UserByIdentity(ctx, acme.ID, p.ID, "sub-ann"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("UserByIdentity before the link: %v", err)
	}
	if _, err := s.UpdateUser(ctx, acme.ID, u.ID, func(x *domain.User) error {
		x.IdentityProvider, x.IdentitySubject = p.ID, "sub-ann"
		return nil
	}); err != nil {
		t.Fatalf("link: %v", err)
	}
	if g, err := s.UserByIdentity(ctx, acme.ID, p.ID, "sub-ann"); err != nil || g.ID != u.ID || !g.Federated() {
		t.Errorf("UserByIdentity = %+v, %v", g, err)
	}
	if _, err := s.UserByIdentity(ctx, globex.ID, p.ID, "sub-ann"); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("UserByIdentity from globex: %v", err)
	}
	other := newUser(acme.ID, "bob@acme.example")
	other.IdentityProvider, other.IdentitySubject = p.ID, "sub-ann"
	if err := s.CreateUser(ctx, other); !errors.Is(err, domain.ErrConflict) {
		t.Errorf("a second user with the same identity: err = %v, want ErrConflict", err)
	}
	x := domain.Session{ID: "ses_fed", OrgID: acme.ID, UserID: u.ID, Verifier: []byte("fed-verifier"), CreatedAt: at(1), ExpiresAt: at(100),
		Source: "127.0.0.1", IdentityProvider: p.ID}
	if err := s.CreateSession(ctx, x); err != nil {
		t.Fatalf("CreateSession: %v", err)
	}
	if g, err := s.SessionByVerifier(ctx, x.Verifier); err != nil || g.IdentityProvider != p.ID {
		t.Errorf("SessionByVerifier = %+v, %v", g, err)
	}

	if err := s.DeleteIdentityProvider(ctx, globex.ID, p.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("delete from globex: err = %v, want ErrNotFound", err)
	}
	if err := s.DeleteIdentityProvider(ctx, acme.ID, p.ID); err != nil {
		t.Fatalf("DeleteIdentityProvider: %v", err)
	}
	if g, err := s.GetUser(ctx, acme.ID, u.ID); err != nil || g.IdentityProvider != p.ID {
		t.Errorf("the link after the provider is deleted: %+v, %v (want it kept)", g, err)
	}
}

// testConsumeOIDCState: of racing consumers of one state, one wins; an
// expired digest is forgotten.
func testConsumeOIDCState(t *testing.T, s store.Store) {
	ctx := t.Context()
	var won atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			ok, err := s.ConsumeOIDCState(ctx, []byte("state-1"), at(10), at(1))
			if err != nil {
				t.Errorf("ConsumeOIDCState: %v", err)
			}
			if ok {
				won.Add(1)
			}
		})
	}
	wg.Wait()
	if won.Load() != 1 {
		t.Fatalf("%d consumers won, want 1", won.Load())
	}
	if ok, err := s.ConsumeOIDCState(ctx, []byte("state-1"), at(10), at(5)); ok || err != nil {
		t.Errorf("again before expiry = %v, %v; want false", ok, err)
	}
	if ok, err := s.ConsumeOIDCState(ctx, []byte("state-2"), at(30), at(20)); !ok || err != nil {
		t.Errorf("another state = %v, %v", ok, err)
	}
}
