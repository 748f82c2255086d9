package token_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"keywarden/internal/domain"
	"keywarden/internal/metrics"
	"keywarden/internal/testkit"
	"keywarden/internal/token"
)

// issuerEnv is an Issuer over real keys, deny list and refresh tokens, with
// an organisation and two clients.
type issuerEnv struct {
	*env
	issuer *token.Issuer
	deny   *token.DenyList
	sign   *flakySigner
	admin  domain.Actor
	auth   domain.ClientAuth // the client, authenticated
	other  domain.ClientAuth // another client of the organisation
	r      *token.Refresh
	reg    *metrics.Metrics
}

// flakySigner signs with Keys, or fails while failing is set.
type flakySigner struct {
	keys    *token.Keys
	failing atomic.Bool
}

var errSign = errors.New("token_test: signing failed")

func (f *flakySigner) Mint(c token.Claims) (string, error) {
	if f.failing.Load() {
		return "", errSign
	}
	return f.keys.Mint(c)
}

// active says every token's client and secret still hold (the credential
// service's part, which its own tests cover).
type active struct{}

func (active) TokenActive(_ context.Context, _ domain.OrgID, _ domain.ClientID, _ domain.SecretID, _ domain.ClientKeyID, _ int64) (bool, domain.UserID, error) {
	return true, "", nil
}

func newIssuerEnv(t *testing.T) *issuerEnv {
	t.Helper()
	e := newEnv(t)
	e.clock.Add(time.Minute) // the first key activates at once: sign a little later
	keys := e.keys(t, "ES256")
	deny, err := token.NewDenyList(t.Context(), e.store, e.audit, e.clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	reg := metrics.New()
	r := token.NewRefresh(token.RefreshOptions{Store: e.store, Audit: e.audit, DenyList: deny, Keyring: e.ring, Now: e.clock.Now, Metrics: reg})
	sign := &flakySigner{keys: keys}
	now := e.clock.Now()
	org := domain.Organization{ID: domain.NewOrgID(), Name: "Acme", Policy: domain.DefaultPolicy(), CreatedAt: now}
	client := domain.Client{ID: domain.NewClientID(), OrgID: org.ID, Name: "c", Scopes: []string{"a", "b"}, CreatedAt: now, UpdatedAt: now}
	other := client
	other.ID = domain.NewClientID()
	for _, err := range []error{e.store.CreateOrg(t.Context(), org), e.store.CreateClient(t.Context(), client), e.store.CreateClient(t.Context(), other)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	return &issuerEnv{env: e, deny: deny, sign: sign, r: r, reg: reg,
		issuer: token.NewIssuer(token.IssuerOptions{Keys: keys, DenyList: deny, Refresh: r, Backing: active{},
			Issuer: func() string { return "https://kw.test" }, Signer: sign, Now: e.clock.Now}),
		admin: domain.UserActor(org.ID, "usr_x", domain.RoleAdmin, ""),
		auth:  domain.ClientAuth{Client: client, SecretID: "sec_1", OrgTokenTTL: 3600},
		other: domain.ClientAuth{Client: other, SecretID: "sec_2", OrgTokenTTL: 3600},
	}
}

func TestIssueClientCredentials(t *testing.T) {
	e := newIssuerEnv(t)
	ctx := t.Context()
	personal := e.auth
	personal.Owner, personal.Client.TokenTTL = "usr_owner", 600
	for _, tc := range []struct {
		name      string
		auth      domain.ClientAuth
		req       token.Request
		wantScope string
		wantSub   string
		wantTTL   int
		wantErr   bool
	}{
		{"every allowed scope", e.auth, token.Request{}, "a b", string(e.auth.Client.ID), 3600, false},
		{"some, once each", e.auth, token.Request{Scope: "b b", HasScope: true}, "b", string(e.auth.Client.ID), 3600, false},
		{"a personal credential speaks for its user, with its own lifetime", personal, token.Request{}, "a b", "usr_owner", 600, false},
		{"a scope it may not have", e.auth, token.Request{Scope: "a admin", HasScope: true}, "", "", 0, true},
		{"an empty scope token", e.auth, token.Request{Scope: "a  b", HasScope: true}, "", "", 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.req.Grant = token.GrantClientCredentials
			got, err := e.issuer.Issue(ctx, tc.auth, tc.req)
			var scopeErr *token.ScopeError
			if tc.wantErr {
				if !errors.As(err, &scopeErr) {
					t.Fatalf("Issue = %+v, %v; want a ScopeError", got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			c, err := e.sign.keys.Parse(got.AccessToken, e.clock.Now())
			if err != nil || c != got.Claims {
				t.Fatalf("the token's claims = %+v, %v; want %+v", c, err, got.Claims)
			}
			if got.Scope != tc.wantScope || c.Scope != tc.wantScope || c.Subject != tc.wantSub || got.ExpiresIn != tc.wantTTL ||
				c.Expiry-c.IssuedAt != int64(tc.wantTTL) || c.ClientID != tc.auth.Client.ID || c.OrgID != tc.auth.Client.OrgID ||
				c.SecretID != tc.auth.SecretID || c.Issuer != "https://kw.test" || got.RefreshToken != "" {
				t.Errorf("Issue = %+v", got)
			}
		})
	}
	if _, err := e.issuer.Issue(ctx, e.auth, token.Request{Grant: "password"}); !errors.Is(err, token.ErrUnsupportedGrant) {
		t.Errorf("password grant: %v, want ErrUnsupportedGrant", err)
	}
}

func TestIssueRefreshToken(t *testing.T) {
	e := newIssuerEnv(t)
	ctx := t.Context()
	redeem := func(auth domain.ClientAuth, value string) (token.Issued, error) {
		return e.issuer.Issue(ctx, auth, token.Request{Grant: token.GrantRefreshToken, RefreshToken: value, Source: "127.0.0.1"})
	}
	rt, err := e.r.Create(ctx, e.admin, e.auth.Client.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := redeem(e.other, rt.Value.Reveal()); !errors.Is(err, token.ErrInvalidGrant) {
		t.Fatalf("another client redeemed it: %v", err)
	}
	first, err := redeem(e.auth, rt.Value.Reveal())
	if err != nil || first.AccessToken == "" || first.RefreshToken == "" {
		t.Fatalf("redeem = %+v, %v", first, err)
	}
	if _, err := redeem(e.auth, rt.Value.Reveal()); !errors.Is(err, token.ErrInvalidGrant) {
		t.Fatalf("second use: %v, want invalid grant", err)
	}
	if !e.deny.Contains(first.Claims.JTI) {
		t.Error("reuse did not revoke the access token the first use issued")
	}
	if _, err := redeem(e.auth, first.RefreshToken); !errors.Is(err, token.ErrInvalidGrant) {
		t.Errorf("successor still works after reuse: %v", err)
	}
	// The family's tokens say why they ended: reuse.
	family, _, err := e.r.List(ctx, e.admin, e.auth.Client.ID, domain.Page{})
	if err != nil || len(family) != 2 {
		t.Fatalf("refresh tokens after the reuse = %+v, %v; want the used one and its successor", family, err)
	}
	for _, f := range family {
		if f.RevokedAt == nil || f.RevokedReason != domain.RefreshReuse {
			t.Errorf("after the reuse token %s is revoked at %v for %q; want reuse", f.ID, f.RevokedAt, f.RevokedReason)
		}
	}
	// Revoked by the client (RFC 7009): that reason, not reuse.
	byClient, _ := e.r.Create(ctx, e.admin, e.auth.Client.ID)
	if err := e.r.Revoke(ctx, e.auth.Client, byClient.Value.Reveal(), "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	if list, _, err := e.r.List(ctx, e.admin, e.auth.Client.ID, domain.Page{}); err != nil {
		t.Fatal(err)
	} else {
		for _, f := range list {
			if f.ID == byClient.Token.ID && f.RevokedReason != domain.RefreshRevokedByClient {
				t.Errorf("token revoked by the client has reason %q", f.RevokedReason)
			}
		}
	}
	fresh, _ := e.r.Create(ctx, e.admin, e.auth.Client.ID)
	e.clock.Add(token.DefaultRefreshTTL)
	if _, err := redeem(e.auth, fresh.Value.Reveal()); !errors.Is(err, token.ErrInvalidGrant) {
		t.Errorf("expired refresh token redeemed: %v", err)
	}
	if _, err := redeem(e.auth, "kwr_garbage"); !errors.Is(err, token.ErrInvalidGrant) {
		t.Errorf("garbage redeemed: %v", err)
	}
	// The one reuse counted; the other refusals (another client's, a
	// revoked successor, an expired or malformed token) are not reuses.
	if n := testkit.Metric(t, e.reg.Handler(), "keywarden_refresh_token_reuse_total"); n != 1 {
		t.Errorf("keywarden_refresh_token_reuse_total = %v, want 1", n)
	}
}

// TestRedeemWhenSigningFails: signing is part of the redemption's
// transaction, so when it fails the refresh token stays unused and works
// on the next try. (Before the issuer, Redeem committed first and the
// access token was signed afterwards: a failure there lost the client its
// successor refresh token and the one it had.)
func TestRedeemWhenSigningFails(t *testing.T) {
	e := newIssuerEnv(t)
	ctx := t.Context()
	rt, err := e.r.Create(ctx, e.admin, e.auth.Client.ID)
	if err != nil {
		t.Fatal(err)
	}
	req := token.Request{Grant: token.GrantRefreshToken, RefreshToken: rt.Value.Reveal(), Source: "127.0.0.1"}
	e.sign.failing.Store(true)
	if _, err := e.issuer.Issue(ctx, e.auth, req); !errors.Is(err, errSign) {
		t.Fatalf("Issue while signing fails = %v, want the signing error", err)
	}
	list, _, err := e.r.List(ctx, e.admin, e.auth.Client.ID, domain.Page{})
	if err != nil || len(list) != 1 || list[0].State(e.clock.Now()) != domain.RefreshActive {
		t.Fatalf("after the failure the client's refresh tokens are %+v, %v; want the one, unused", list, err)
	}
	e.sign.failing.Store(false)
	got, err := e.issuer.Issue(ctx, e.auth, req)
	if err != nil || got.AccessToken == "" || got.RefreshToken == "" {
		t.Fatalf("the retry = %+v, %v; want an access token and a successor", got, err)
	}
}
