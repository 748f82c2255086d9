package storetest

import (
	"bytes"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"keywarden/internal/domain"
	"keywarden/internal/store"
)

func sameSigningKey(a, b domain.SigningKey) bool {
	return a.ID == b.ID && a.Algorithm == b.Algorithm && bytes.Equal(a.Sealed, b.Sealed) && a.PublicJWK == b.PublicJWK &&
		a.CreatedAt.Equal(b.CreatedAt) && a.ActiveFrom.Equal(b.ActiveFrom) && sameTime(a.RetiredAt, b.RetiredAt)
}

func sameRefresh(a, b domain.RefreshToken) bool {
	return a.ID == b.ID && a.OrgID == b.OrgID && a.ClientID == b.ClientID && a.Family == b.Family &&
		bytes.Equal(a.Verifier, b.Verifier) && a.Hint == b.Hint && a.CreatedAt.Equal(b.CreatedAt) && a.CreatedBy == b.CreatedBy &&
		a.ExpiresAt.Equal(b.ExpiresAt) && sameTime(a.UsedAt, b.UsedAt) && sameTime(a.RevokedAt, b.RevokedAt) &&
		a.IssuedJTI == b.IssuedJTI && sameTime(a.IssuedExp, b.IssuedExp) && a.RevokedReason == b.RevokedReason
}

func sameRotation(a, b domain.Rotation) bool {
	return a.ID == b.ID && a.OrgID == b.OrgID && a.ClientID == b.ClientID && a.NewSecretID == b.NewSecretID &&
		slices.Equal(a.OldSecretIDs, b.OldSecretIDs) && a.StartedAt.Equal(b.StartedAt) && a.StartedBy == b.StartedBy &&
		a.AutoComplete == b.AutoComplete && a.QuietSeconds == b.QuietSeconds && a.KeepTokens == b.KeepTokens &&
		sameTime(a.CompletedAt, b.CompletedAt) && a.CompletedBy == b.CompletedBy
}

func newSigningKey(activeFrom time.Time) domain.SigningKey {
	return domain.SigningKey{
		ID: domain.NewID(domain.PrefixKey), Algorithm: "ES256", Sealed: randomBytes(80),
		PublicJWK: `{"kty":"EC","crv":"P-256","x":"x","y":"y"}`, CreatedAt: activeFrom.Add(-time.Hour), ActiveFrom: activeFrom,
	}
}

func newRefresh(c domain.Client, family domain.RefreshFamilyID, created time.Time) domain.RefreshToken {
	if family == "" {
		family = domain.NewRefreshFamilyID()
	}
	return domain.RefreshToken{
		ID: domain.NewRefreshTokenID(), OrgID: c.OrgID, ClientID: c.ID, Family: family, Verifier: randomBytes(32),
		Hint: "r3Fx", CreatedAt: created, CreatedBy: "usr_ada", ExpiresAt: created.Add(30 * 24 * time.Hour),
	}
}

func mustRefresh(t *testing.T, s store.Store, r domain.RefreshToken) domain.RefreshToken {
	t.Helper()
	if err := s.CreateRefreshToken(t.Context(), r); err != nil {
		t.Fatalf("CreateRefreshToken: %v", err)
	}
	return r
}

func refreshIDs(ts []domain.RefreshToken) []domain.RefreshTokenID {
	ids := make([]domain.RefreshTokenID, len(ts))
	for i, x := range ts {
		ids[i] = x.ID
	}
	return ids
}

func testSigningKeys(t *testing.T, s store.Store) {
	ctx := t.Context()
	if got, err := s.ListSigningKeys(ctx); err != nil || len(got) != 0 {
		t.Fatalf("ListSigningKeys of an empty store = %v, %v; want none", got, err)
	}
	// Created out of order: the list is oldest first.
	k2, k1, k3 := newSigningKey(at(20)), newSigningKey(at(10)), newSigningKey(at(30))
	k3.Algorithm = "EdDSA"
	for _, k := range []domain.SigningKey{k2, k1, k3} {
		if err := s.CreateSigningKey(ctx, k); err != nil {
			t.Fatalf("CreateSigningKey: %v", err)
		}
	}
	if err := s.CreateSigningKey(ctx, k1); !errors.Is(err, domain.ErrConflict) {
		t.Errorf("CreateSigningKey twice: err = %v, want ErrConflict", err)
	}
	if err := s.RetireSigningKey(ctx, k1.ID, at(40)); err != nil {
		t.Fatalf("RetireSigningKey: %v", err)
	}
	if err := s.RetireSigningKey(ctx, domain.NewID(domain.PrefixKey), at(40)); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("RetireSigningKey(unknown): err = %v, want ErrNotFound", err)
	}
	k1.RetiredAt = ptr(at(40))
	want := []domain.SigningKey{k1, k2, k3}
	got, err := s.ListSigningKeys(ctx)
	if err != nil || len(got) != len(want) {
		t.Fatalf("ListSigningKeys = %v, %v; want 3 keys", got, err)
	}
	for i := range want {
		if !sameSigningKey(got[i], want[i]) {
			t.Errorf("signing key %d = %+v,\nwant %+v", i, got[i], want[i])
		}
	}
}

func testRefreshTokens(t *testing.T, s store.Store) {
	ctx := t.Context()
	acme, globex := mustOrg(t, s, "Acme"), mustOrg(t, s, "Globex")
	c, other := mustClient(t, s, acme.ID), mustClient(t, s, acme.ID)
	r1 := mustRefresh(t, s, newRefresh(c, "", at(1)))
	r3 := mustRefresh(t, s, newRefresh(c, "", at(3)))
	r2 := mustRefresh(t, s, newRefresh(c, "", at(2)))
	mustRefresh(t, s, newRefresh(other, "", at(4)))

	t.Run("by verifier", func(t *testing.T) {
		if got, err := s.RefreshTokenByVerifier(ctx, r2.Verifier); err != nil || !sameRefresh(got, r2) {
			t.Errorf("RefreshTokenByVerifier = %+v, %v; want %+v", got, err, r2)
		}
		if _, err := s.RefreshTokenByVerifier(ctx, randomBytes(32)); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("RefreshTokenByVerifier(unknown): err = %v, want ErrNotFound", err)
		}
	})
	t.Run("duplicate verifier", func(t *testing.T) {
		dup := newRefresh(c, "", at(5))
		dup.Verifier = r1.Verifier
		if err := s.CreateRefreshToken(ctx, dup); !errors.Is(err, domain.ErrConflict) {
			t.Errorf("CreateRefreshToken with a taken verifier: err = %v, want ErrConflict", err)
		}
	})
	t.Run("list newest first", func(t *testing.T) {
		got, _, err := s.ListRefreshTokens(ctx, acme.ID, c.ID, domain.Page{})
		if want := []domain.RefreshTokenID{r3.ID, r2.ID, r1.ID}; err != nil || !slices.Equal(refreshIDs(got), want) {
			t.Errorf("ListRefreshTokens = %v, %v; want %v", refreshIDs(got), err, want)
		}
		if got, _, err := s.ListRefreshTokens(ctx, globex.ID, c.ID, domain.Page{}); err != nil || len(got) != 0 {
			t.Errorf("ListRefreshTokens from another organisation = %v, %v; want none", refreshIDs(got), err)
		}
	})

	steps := []struct {
		name    string
		op      func() error
		wantErr error
	}{
		{"use", func() error { return s.UseRefreshToken(ctx, r1.ID, at(10), "jti-1", at(70)) }, nil},
		{"use again", func() error { return s.UseRefreshToken(ctx, r1.ID, at(11), "jti-2", at(71)) }, domain.ErrConflict},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			if err := step.op(); !errors.Is(err, step.wantErr) {
				t.Fatalf("err = %v, want %v", err, step.wantErr)
			}
			want := r1
			want.UsedAt, want.IssuedJTI, want.IssuedExp = ptr(at(10)), "jti-1", ptr(at(70))
			if got, err := s.RefreshTokenByVerifier(ctx, r1.Verifier); err != nil || !sameRefresh(got, want) {
				t.Errorf("token after %s = %+v, %v; want %+v", step.name, got, err, want)
			}
		})
	}

	t.Run("revoked token cannot be used", func(t *testing.T) {
		if n, err := s.RevokeRefreshFamily(ctx, r3.Family, at(20), domain.RefreshReuse); err != nil || n != 1 {
			t.Fatalf("RevokeRefreshFamily = %d, %v; want 1", n, err)
		}
		if err := s.UseRefreshToken(ctx, r3.ID, at(21), "jti-3", at(80)); !errors.Is(err, domain.ErrConflict) {
			t.Errorf("UseRefreshToken(revoked): err = %v, want ErrConflict", err)
		}
		if got, err := s.RefreshTokenByVerifier(ctx, r3.Verifier); err != nil || got.UsedAt != nil || got.IssuedJTI != "" {
			t.Errorf("revoked token after a refused use = %+v, %v; want unused", got, err)
		}
	})
}

func testRefreshFamilies(t *testing.T, s store.Store) {
	ctx := t.Context()
	acme, globex := mustOrg(t, s, "Acme"), mustOrg(t, s, "Globex")
	c, other := mustClient(t, s, acme.ID), mustClient(t, s, acme.ID)
	family := domain.NewRefreshFamilyID()
	a := mustRefresh(t, s, newRefresh(c, family, at(1)))
	b := newRefresh(c, family, at(2))
	b.RevokedAt = ptr(at(3))
	mustRefresh(t, s, b)
	cc := mustRefresh(t, s, newRefresh(c, family, at(4)))
	loner := mustRefresh(t, s, newRefresh(c, "", at(5)))
	bystander := mustRefresh(t, s, newRefresh(other, "", at(6)))

	got, err := s.ListRefreshFamily(ctx, family)
	ids := refreshIDs(got)
	slices.Sort(ids)
	want := []domain.RefreshTokenID{a.ID, b.ID, cc.ID}
	slices.Sort(want)
	if err != nil || !slices.Equal(ids, want) {
		t.Errorf("ListRefreshFamily = %v, %v; want %v", ids, err, want)
	}

	tests := []struct {
		name string
		op   func() (int, error)
		want int
	}{
		{"family revokes only the unrevoked", func() (int, error) { return s.RevokeRefreshFamily(ctx, family, at(10), domain.RefreshRevokedByClient) }, 2},
		{"family again", func() (int, error) { return s.RevokeRefreshFamily(ctx, family, at(11), domain.RefreshReuse) }, 0},
		{"client from another organisation", func() (int, error) {
			return s.RevokeClientRefreshTokens(ctx, globex.ID, c.ID, at(12), domain.RefreshRevokeAll)
		}, 0},
		{"client", func() (int, error) {
			return s.RevokeClientRefreshTokens(ctx, acme.ID, c.ID, at(13), domain.RefreshRevokeAll)
		}, 1},
		{"client again", func() (int, error) {
			return s.RevokeClientRefreshTokens(ctx, acme.ID, c.ID, at(14), domain.RefreshReuse)
		}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if n, err := tc.op(); err != nil || n != tc.want {
				t.Errorf("revoked %d, %v; want %d", n, err, tc.want)
			}
		})
	}
	wantRevoked := map[domain.RefreshTokenID]*time.Time{a.ID: ptr(at(10)), b.ID: b.RevokedAt, cc.ID: ptr(at(10)), loner.ID: ptr(at(13)), bystander.ID: nil}
	// The reason is the first revocation's, kept by the later ones (b was
	// created revoked, with none).
	wantReason := map[domain.RefreshTokenID]domain.RefreshRevokeReason{a.ID: domain.RefreshRevokedByClient, b.ID: "",
		cc.ID: domain.RefreshRevokedByClient, loner.ID: domain.RefreshRevokeAll, bystander.ID: ""}
	for _, r := range []domain.RefreshToken{a, b, cc, loner, bystander} {
		got, err := s.RefreshTokenByVerifier(ctx, r.Verifier)
		if err != nil || !sameTime(got.RevokedAt, wantRevoked[r.ID]) {
			t.Errorf("token %s RevokedAt = %v, %v; want %v", r.ID, got.RevokedAt, err, wantRevoked[r.ID])
		}
		if got.RevokedReason != wantReason[r.ID] {
			t.Errorf("token %s RevokedReason = %q, want %q", r.ID, got.RevokedReason, wantReason[r.ID])
		}
	}
	if list, err := s.ListRefreshFamily(ctx, family); err != nil || len(list) != 3 || list[0].RevokedReason != domain.RefreshRevokedByClient {
		t.Errorf("ListRefreshFamily after the revocations = %+v, %v; want the reason read back", list, err)
	}

	t.Run("delete expired", func(t *testing.T) {
		// Every fixture expires 30 days after it was created, so only a
		// and b expired before 30 days after at(3).
		n, err := s.DeleteRefreshTokensBefore(ctx, at(3).Add(30*24*time.Hour))
		if err != nil || n != 2 {
			t.Errorf("DeleteRefreshTokensBefore = %d, %v; want 2", n, err)
		}
		got, err := s.ListRefreshFamily(ctx, family)
		if err != nil || !slices.Equal(refreshIDs(got), []domain.RefreshTokenID{cc.ID}) {
			t.Errorf("family after the purge = %v, %v; want [%s]", refreshIDs(got), err, cc.ID)
		}
	})
}

func testRevokedTokens(t *testing.T, s store.Store) {
	ctx := t.Context()
	r1 := domain.RevokedToken{JTI: "jti-1", OrgID: "org_a", ClientID: "kwc_a", ExpiresAt: at(10), RevokedAt: at(1)}
	r2 := domain.RevokedToken{JTI: "jti-2", OrgID: "org_a", ClientID: "kwc_b", ExpiresAt: at(20), RevokedAt: at(2)}
	r3 := domain.RevokedToken{JTI: "jti-3", OrgID: "org_b", ClientID: "kwc_c", ExpiresAt: at(30), RevokedAt: at(3)}
	for _, r := range []domain.RevokedToken{r1, r2, r3, r2} {
		if err := s.AddRevokedToken(ctx, r); err != nil {
			t.Fatalf("AddRevokedToken(%s): %v", r.JTI, err)
		}
	}
	jtis := func(t *testing.T, at time.Time) []string {
		t.Helper()
		got, err := s.ListRevokedTokens(ctx, at)
		if err != nil {
			t.Fatalf("ListRevokedTokens: %v", err)
		}
		var out []string
		for _, r := range got {
			if want := map[string]domain.RevokedToken{"jti-1": r1, "jti-2": r2, "jti-3": r3}[r.JTI]; r.OrgID != want.OrgID ||
				r.ClientID != want.ClientID || !r.ExpiresAt.Equal(want.ExpiresAt) || !r.RevokedAt.Equal(want.RevokedAt) {
				t.Errorf("listed %+v, want %+v", r, want)
			}
			out = append(out, r.JTI)
		}
		slices.Sort(out)
		return out
	}
	tests := []struct {
		name string
		at   time.Time
		want []string
	}{
		{"all unexpired", at(5), []string{"jti-1", "jti-2", "jti-3"}},
		{"one expired", at(15), []string{"jti-2", "jti-3"}},
		{"all expired", at(35), nil},
	}
	for _, tc := range tests {
		t.Run("list/"+tc.name, func(t *testing.T) {
			if got := jtis(t, tc.at); !slices.Equal(got, tc.want) {
				t.Errorf("ListRevokedTokens(%v) = %v, want %v", tc.at, got, tc.want)
			}
		})
	}
	since := []struct {
		name     string
		since, t time.Time
		want     []string
	}{
		{"revoked since the first", at(1), at(5), []string{"jti-1", "jti-2", "jti-3"}},
		{"revoked since the second", at(2), at(5), []string{"jti-2", "jti-3"}},
		{"revoked since, one of them expired", at(2), at(25), []string{"jti-3"}},
		{"nothing revoked since", at(4), at(5), nil},
	}
	for _, tc := range since {
		t.Run("since/"+tc.name, func(t *testing.T) {
			got, err := s.ListRevokedTokensSince(ctx, tc.since, tc.t)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, r := range got {
				ids = append(ids, r.JTI)
			}
			slices.Sort(ids)
			if !slices.Equal(ids, tc.want) {
				t.Errorf("ListRevokedTokensSince(%v, %v) = %v, want %v", tc.since, tc.t, ids, tc.want)
			}
		})
	}
	t.Run("delete expired", func(t *testing.T) {
		if n, err := s.DeleteRevokedTokensBefore(ctx, at(25)); err != nil || n != 2 {
			t.Errorf("DeleteRevokedTokensBefore = %d, %v; want 2", n, err)
		}
		if got := jtis(t, at(0)); !slices.Equal(got, []string{"jti-3"}) {
			t.Errorf("after the purge = %v, want [jti-3]", got)
		}
	})
}

func testRotations(t *testing.T, s store.Store) {
	ctx := t.Context()
	acme, globex := mustOrg(t, s, "Acme"), mustOrg(t, s, "Globex")
	c := mustClient(t, s, acme.ID)
	g := mustClient(t, s, globex.ID)
	rot := func(c domain.Client, started time.Time, auto bool) domain.Rotation {
		return domain.Rotation{
			ID: domain.NewRotationID(), OrgID: c.OrgID, ClientID: c.ID, NewSecretID: domain.NewSecretID(),
			OldSecretIDs: []domain.SecretID{domain.NewSecretID(), domain.NewSecretID()},
			StartedAt:    started, StartedBy: "usr_ada", AutoComplete: auto, QuietSeconds: 3600, KeepTokens: true,
		}
	}
	r1, r2, r3 := rot(c, at(1), true), rot(c, at(2), false), rot(g, at(3), true)
	r2.OldSecretIDs, r2.KeepTokens = nil, false
	for _, r := range []domain.Rotation{r2, r3, r1} {
		if err := s.CreateRotation(ctx, r); err != nil {
			t.Fatalf("CreateRotation: %v", err)
		}
	}
	if err := s.CreateRotation(ctx, r1); !errors.Is(err, domain.ErrConflict) {
		t.Errorf("CreateRotation twice: err = %v, want ErrConflict", err)
	}
	for _, want := range []domain.Rotation{r1, r2, r3} {
		if got, err := s.GetRotation(ctx, want.OrgID, want.ID); err != nil || !sameRotation(got, want) {
			t.Errorf("GetRotation = %+v, %v; want %+v", got, err, want)
		}
	}
	if _, err := s.GetRotation(ctx, globex.ID, r1.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("GetRotation from another organisation: err = %v, want ErrNotFound", err)
	}
	if got, _, err := s.ListRotations(ctx, acme.ID, c.ID, domain.Page{}); err != nil || len(got) != 2 || got[0].ID != r2.ID || got[1].ID != r1.ID {
		t.Errorf("ListRotations = %+v, %v; want [%s %s] (newest first)", got, err, r2.ID, r1.ID)
	}
	openAuto := func() []domain.RotationID {
		t.Helper()
		got, err := s.ListOpenAutoRotations(ctx)
		if err != nil {
			t.Fatalf("ListOpenAutoRotations: %v", err)
		}
		var ids []domain.RotationID
		for _, r := range got {
			ids = append(ids, r.ID)
		}
		slices.Sort(ids)
		return ids
	}
	want := []domain.RotationID{r1.ID, r3.ID}
	slices.Sort(want)
	if got := openAuto(); !slices.Equal(got, want) {
		t.Errorf("ListOpenAutoRotations = %v, want %v (every organisation, auto-complete only)", got, want)
	}

	steps := []struct {
		name    string
		op      func() error
		wantErr error
	}{
		{"complete from another organisation", func() error { return s.CompleteRotation(ctx, globex.ID, r1.ID, at(9), "usr_evil") }, domain.ErrNotFound},
		{"complete", func() error { return s.CompleteRotation(ctx, acme.ID, r1.ID, at(10), "rotation-job") }, nil},
		{"complete again", func() error { return s.CompleteRotation(ctx, acme.ID, r1.ID, at(11), "usr_bob") }, domain.ErrConflict},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			if err := step.op(); !errors.Is(err, step.wantErr) {
				t.Errorf("CompleteRotation err = %v, want %v", err, step.wantErr)
			}
		})
	}
	r1.CompletedAt, r1.CompletedBy = ptr(at(10)), "rotation-job"
	if got, err := s.GetRotation(ctx, acme.ID, r1.ID); err != nil || !sameRotation(got, r1) {
		t.Errorf("GetRotation after completion = %+v, %v; want %+v", got, err, r1)
	}
	if got := openAuto(); !slices.Equal(got, []domain.RotationID{r3.ID}) {
		t.Errorf("ListOpenAutoRotations after completion = %v, want [%s]", got, r3.ID)
	}
}

// testConcurrentRefreshUse races several uses of one refresh token: exactly
// one may win, the rest see ErrConflict.
func testConcurrentRefreshUse(t *testing.T, s store.Store) {
	o := mustOrg(t, s, "Acme")
	c := mustClient(t, s, o.ID)
	for i := range 10 {
		r := mustRefresh(t, s, newRefresh(c, "", at(i)))
		raceRefreshUse(t, []store.Store{s}, 4, r)
	}
}

// raceRefreshUse has perNode goroutines on each node use r at once and
// checks that exactly one succeeded and its access token is the one stored.
func raceRefreshUse(t *testing.T, nodes []store.Store, perNode int, r domain.RefreshToken) {
	t.Helper()
	ctx := t.Context()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var winners []string
	start := make(chan struct{})
	for ni, node := range nodes {
		for g := range perNode {
			jti := domain.NewID("jti_")
			wg.Go(func() {
				<-start
				err := node.UseRefreshToken(ctx, r.ID, at(100+g), jti, at(200))
				switch {
				case err == nil:
					mu.Lock()
					winners = append(winners, jti)
					mu.Unlock()
				case !errors.Is(err, domain.ErrConflict):
					t.Errorf("node %d: UseRefreshToken: %v, want nil or ErrConflict", ni+1, err)
				}
			})
		}
	}
	close(start)
	wg.Wait()
	if len(winners) != 1 {
		t.Fatalf("token %s was used %d times at once (%v), want exactly once", r.ID, len(winners), winners)
	}
	got, err := nodes[0].RefreshTokenByVerifier(ctx, r.Verifier)
	if err != nil || got.UsedAt == nil || got.IssuedJTI != winners[0] {
		t.Errorf("token after the race = %+v, %v; want used, issued %s", got, err, winners[0])
	}
}
