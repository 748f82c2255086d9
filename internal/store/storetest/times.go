package storetest

import (
	"testing"
	"time"

	"keywarden/internal/domain"
	"keywarden/internal/store"
)

// testTimes checks that every time column comes back in UTC, cut to the
// microsecond, and equal (time.Time.Equal) to what went in.
func testTimes(t *testing.T, s store.Store) {
	ctx := t.Context()
	tests := []struct {
		name string
		in   time.Time
	}{
		{"UTC, whole microseconds", time.Date(2030, 6, 1, 12, 0, 0, 123456000, time.UTC)},
		{"nanoseconds are cut", time.Date(2030, 6, 1, 12, 0, 0, 123456789, time.UTC)},
		{"another zone", time.Date(2030, 6, 1, 17, 30, 0, 999999999, time.FixedZone("IST", 5*3600+1800))},
		{"local time with a monotonic reading", time.Now()},
		{"before 1970", time.Date(1969, 12, 31, 23, 59, 59, 500000700, time.FixedZone("PST", -8*3600))},
		{"far future", time.Date(2999, 12, 31, 23, 59, 59, 999999000, time.UTC)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := tc.in.Truncate(time.Microsecond)
			check := func(what string, got *time.Time) {
				t.Helper()
				switch {
				case got == nil:
					t.Errorf("%s = nil, want %v", what, want)
				case !got.Equal(want):
					t.Errorf("%s = %v, want %v", what, got.Format(time.RFC3339Nano), want.UTC().Format(time.RFC3339Nano))
				case got.Location() != time.UTC:
					t.Errorf("%s is in %v, want UTC", what, got.Location())
				}
			}

			o := newOrg("Acme")
			o.CreatedAt = tc.in
			if err := s.CreateOrg(ctx, o); err != nil {
				t.Fatal(err)
			}
			u := newUser(o.ID, "ada@example.com")
			u.CreatedAt, u.DisabledAt = tc.in, &tc.in
			if err := s.CreateUser(ctx, u); err != nil {
				t.Fatal(err)
			}
			tok := domain.APIToken{ID: domain.NewAPITokenID(), OrgID: o.ID, UserID: u.ID, Verifier: randomBytes(32),
				CreatedAt: tc.in, ExpiresAt: &tc.in, RevokedAt: &tc.in}
			if err := s.CreateAPIToken(ctx, tok); err != nil {
				t.Fatal(err)
			}
			c := newClient(o.ID, tc.in)
			c.TokensRevokedAt = &tc.in
			if err := s.CreateClient(ctx, c); err != nil {
				t.Fatal(err)
			}
			x := generatedSecret(c, tc.in)
			x.ExpiresAt, x.RevokedAt, x.LastUsedAt = &tc.in, &tc.in, &tc.in
			if err := s.CreateSecret(ctx, x); err != nil {
				t.Fatal(err)
			}
			y := mustSecret(t, s, generatedSecret(c, base))
			if err := s.TouchLastUsed(ctx, []domain.SecretUse{secretUse(y.ID, tc.in, "192.0.2.1")}); err != nil {
				t.Fatal(err)
			}
			if err := putSecret(ctx, s, domain.Secret{ID: y.ID, OrgID: o.ID, ExpiresAt: &tc.in}); err != nil {
				t.Fatal(err)
			}
			e := mustAppend(t, s, newEvent(o.ID, tc.in, "time.test", u.ID, c.ID))
			k := domain.SigningKey{ID: domain.NewID(domain.PrefixKey), Algorithm: "ES256", Sealed: randomBytes(8),
				CreatedAt: tc.in, ActiveFrom: tc.in, RetiredAt: &tc.in}
			if err := s.CreateSigningKey(ctx, k); err != nil {
				t.Fatal(err)
			}
			r := newRefresh(c, "", tc.in)
			r.ExpiresAt, r.UsedAt, r.RevokedAt, r.IssuedExp = tc.in, &tc.in, &tc.in, &tc.in
			if err := s.CreateRefreshToken(ctx, r); err != nil {
				t.Fatal(err)
			}
			jti := domain.NewID("jti_")
			if err := s.AddRevokedToken(ctx, domain.RevokedToken{JTI: jti, ExpiresAt: tc.in, RevokedAt: tc.in}); err != nil {
				t.Fatal(err)
			}
			rot := domain.Rotation{ID: domain.NewRotationID(), OrgID: o.ID, ClientID: c.ID, StartedAt: tc.in, CompletedAt: &tc.in}
			if err := s.CreateRotation(ctx, rot); err != nil {
				t.Fatal(err)
			}

			if got, err := s.GetOrg(ctx, o.ID); err != nil {
				t.Error(err)
			} else {
				check("Organization.CreatedAt", &got.CreatedAt)
			}
			if got, err := s.GetUser(ctx, o.ID, u.ID); err != nil {
				t.Error(err)
			} else {
				check("User.CreatedAt", &got.CreatedAt)
				check("User.DisabledAt", got.DisabledAt)
			}
			if got, err := s.APITokenByVerifier(ctx, tok.Verifier); err != nil {
				t.Error(err)
			} else {
				check("APIToken.CreatedAt", &got.CreatedAt)
				check("APIToken.ExpiresAt", got.ExpiresAt)
				check("APIToken.RevokedAt", got.RevokedAt)
			}
			if got, err := s.GetClient(ctx, o.ID, c.ID); err != nil {
				t.Error(err)
			} else {
				check("Client.CreatedAt", &got.CreatedAt)
				check("Client.UpdatedAt", &got.UpdatedAt)
				check("Client.TokensRevokedAt", got.TokensRevokedAt)
			}
			if got, _, err := s.ListClients(ctx, o.ID, domain.Page{}); err != nil || len(got) != 1 {
				t.Errorf("ListClients = %v, %v", clientIDs(got), err)
			} else {
				check("listed Client.CreatedAt", &got[0].CreatedAt)
			}
			if got, err := s.GetSecret(ctx, o.ID, x.ID); err != nil {
				t.Error(err)
			} else {
				check("Secret.CreatedAt", &got.CreatedAt)
				check("Secret.ExpiresAt", got.ExpiresAt)
				check("Secret.RevokedAt", got.RevokedAt)
				check("Secret.LastUsedAt", got.LastUsedAt)
			}
			if got, err := s.GetSecret(ctx, o.ID, y.ID); err != nil {
				t.Error(err)
			} else {
				check("Secret.LastUsedAt after TouchLastUsed", got.LastUsedAt)
				check("Secret.ExpiresAt after UpdateSecret", got.ExpiresAt)
			}
			if got, err := s.ScanAudit(ctx, e.Seq-1, 1); err != nil || len(got) != 1 {
				t.Errorf("ScanAudit = %v, %v", seqs(got), err)
			} else {
				check("AuditEvent.At", &got[0].At)
			}
			if got, _, err := s.ListAudit(ctx, o.ID, domain.AuditFilter{}); err != nil || len(got) != 1 {
				t.Errorf("ListAudit = %v, %v", seqs(got), err)
			} else {
				check("listed AuditEvent.At", &got[0].At)
			}
			if got, err := s.ListSigningKeys(ctx); err != nil {
				t.Error(err)
			} else {
				for _, got := range got {
					if got.ID == k.ID {
						check("SigningKey.CreatedAt", &got.CreatedAt)
						check("SigningKey.ActiveFrom", &got.ActiveFrom)
						check("SigningKey.RetiredAt", got.RetiredAt)
					}
				}
			}
			if got, err := s.RefreshTokenByVerifier(ctx, r.Verifier); err != nil {
				t.Error(err)
			} else {
				check("RefreshToken.CreatedAt", &got.CreatedAt)
				check("RefreshToken.ExpiresAt", &got.ExpiresAt)
				check("RefreshToken.UsedAt", got.UsedAt)
				check("RefreshToken.RevokedAt", got.RevokedAt)
				check("RefreshToken.IssuedExp", got.IssuedExp)
			}
			if got, err := s.ListRevokedTokens(ctx, tc.in.Add(-time.Second)); err != nil {
				t.Error(err)
			} else {
				found := false
				for _, got := range got {
					if got.JTI == jti {
						found = true
						check("RevokedToken.ExpiresAt", &got.ExpiresAt)
						check("RevokedToken.RevokedAt", &got.RevokedAt)
					}
				}
				if !found {
					t.Errorf("ListRevokedTokens(a second before it expires) does not list %s", jti)
				}
			}
			if got, err := s.GetRotation(ctx, o.ID, rot.ID); err != nil {
				t.Error(err)
			} else {
				check("Rotation.StartedAt", &got.StartedAt)
				check("Rotation.CompletedAt", got.CompletedAt)
			}
		})
	}
}
