package storetest

import (
	"errors"
	"testing"

	"keywarden/internal/domain"
	"keywarden/internal/store"
)

func testOrgPolicy(t *testing.T, s store.Store) {
	ctx := t.Context()
	o := mustOrg(t, s, "Acme")
	got, err := s.GetOrg(ctx, o.ID)
	if err != nil {
		t.Fatalf("GetOrg: %v", err)
	}
	if !sameOrg(got, o) {
		t.Errorf("GetOrg = %+v, want %+v", got, o)
	}

	p := domain.DefaultPolicy()
	p.MaxSecretLifetimeDays[domain.RoleMember] = 7
	p.MaxSecretLifetimeDays[domain.RoleSuperAdmin] = 365
	p.AllowNeverExpire = true
	p.PersonalCredentials = domain.CredentialsSuperAdmins
	p.RefuseCredentialsWithMFA = true
	p.AccessTokenTTLSeconds = 3600
	if err := putPolicy(ctx, s, o.ID, p); err != nil {
		t.Fatalf("UpdatePolicy: %v", err)
	}
	want := o
	want.Policy = p
	if got, err := s.GetOrg(ctx, o.ID); err != nil || !sameOrg(got, want) {
		t.Errorf("GetOrg after UpdatePolicy = %+v, %v; want %+v", got, err, want)
	}

	tests := []struct {
		name    string
		op      func() error
		wantErr error
	}{
		{"create another organisation", func() error { return s.CreateOrg(ctx, newOrg("Globex")) }, nil},
		{"create the same ID twice", func() error { return s.CreateOrg(ctx, o) }, domain.ErrConflict},
		{"get unknown", func() error { _, err := s.GetOrg(ctx, domain.NewOrgID()); return err }, domain.ErrNotFound},
		{"update policy of unknown", func() error {
			return putPolicy(ctx, s, domain.NewOrgID(), domain.DefaultPolicy())
		}, domain.ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.op(); !errors.Is(err, tc.wantErr) {
				t.Errorf("err = %v, want %v", err, tc.wantErr)
			}
		})
	}
	if got, err := s.GetOrg(ctx, o.ID); err != nil || !sameOrg(got, want) {
		t.Errorf("GetOrg after failed changes = %+v, %v; want %+v", got, err, want)
	}
}

func testUserEmail(t *testing.T, s store.Store) {
	ctx := t.Context()
	acme, globex := mustOrg(t, s, "Acme"), mustOrg(t, s, "Globex")
	ada := newUser(acme.ID, "ada@example.com")
	ada.DisabledAt = ptr(at(5))
	if err := s.CreateUser(ctx, ada); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	tests := []struct {
		name    string
		org     domain.OrgID
		email   string
		wantErr error
	}{
		{"same email in the same organisation", acme.ID, "ada@example.com", domain.ErrConflict},
		{"same email in another organisation", globex.ID, "ada@example.com", nil},
		{"another email in the same organisation", acme.ID, "bob@example.com", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := newUser(tc.org, tc.email)
			err := s.CreateUser(ctx, u)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("CreateUser(%s in %s) = %v, want %v", tc.email, tc.org, err, tc.wantErr)
			}
			got, err := s.GetUser(ctx, tc.org, u.ID)
			switch {
			case tc.wantErr == nil && (err != nil || !sameUser(got, u)):
				t.Errorf("GetUser = %+v, %v; want %+v", got, err, u)
			case tc.wantErr != nil && !errors.Is(err, domain.ErrNotFound):
				t.Errorf("GetUser of the refused user = %+v, %v; want ErrNotFound", got, err)
			}
		})
	}
	if got, err := s.GetUser(ctx, acme.ID, ada.ID); err != nil || !sameUser(got, ada) {
		t.Errorf("GetUser(ada) = %+v, %v; want %+v", got, err, ada)
	}
	if _, err := s.GetUser(ctx, globex.ID, ada.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("GetUser from another organisation: err = %v, want ErrNotFound", err)
	}
}

func testAPIToken(t *testing.T, s store.Store) {
	ctx := t.Context()
	o := mustOrg(t, s, "Acme")
	u := mustUser(t, s, o.ID, "ada@example.com")
	tok := domain.APIToken{
		ID: domain.NewAPITokenID(), OrgID: o.ID, UserID: u.ID, Name: "terraform",
		Verifier: randomBytes(32), Hint: "Qx9a", CreatedAt: at(1), ExpiresAt: ptr(at(60)),
	}
	if err := s.CreateAPIToken(ctx, tok); err != nil {
		t.Fatalf("CreateAPIToken: %v", err)
	}
	dup := tok
	dup.ID = domain.NewAPITokenID()
	tests := []struct {
		name     string
		verifier []byte
		want     *domain.APIToken
		wantErr  error
	}{
		{"known verifier", tok.Verifier, &tok, nil},
		{"unknown verifier", randomBytes(32), nil, domain.ErrNotFound},
		{"empty verifier", nil, nil, domain.ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.APITokenByVerifier(ctx, tc.verifier)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("APITokenByVerifier err = %v, want %v", err, tc.wantErr)
			}
			if tc.want != nil && !sameToken(got, *tc.want) {
				t.Errorf("APITokenByVerifier = %+v, want %+v", got, *tc.want)
			}
		})
	}
	t.Run("duplicate verifier", func(t *testing.T) {
		if err := s.CreateAPIToken(ctx, dup); !errors.Is(err, domain.ErrConflict) {
			t.Errorf("CreateAPIToken with a taken verifier: err = %v, want ErrConflict", err)
		}
	})
}
