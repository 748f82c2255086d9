package storetest

import (
	"slices"
	"testing"

	"keywarden/internal/domain"
	"keywarden/internal/store"
)

// testSearchClients checks every filter and order of SearchClients, its
// figures (active secrets, next expiry, client-level last use kept by
// TouchLastUsed) and that its cursor pages walk every match once.
func testSearchClients(t *testing.T, s store.Store) {
	ctx := t.Context()
	o := mustOrg(t, s, "Acme")
	other := mustOrg(t, s, "Other")
	now := at(1000)
	mk := func(org domain.OrgID, name string, created int, disabled bool) domain.Client {
		c := newClient(org, at(created))
		c.Name, c.Description, c.Disabled = name, "about "+name, disabled
		if err := s.CreateClient(ctx, c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	alpha := mk(o.ID, "Alpha", 1, false)   // active secret, used just now
	beta := mk(o.ID, "beta_50%", 2, false) // active secret expiring soon, never used
	gamma := mk(o.ID, "Gamma", 3, true)    // disabled, only a revoked secret, used long ago
	delta := mk(o.ID, "delta", 4, false)   // no secret at all
	mk(other.ID, "Alpha elsewhere", 1, false)
	a1 := generatedSecret(alpha, at(1))
	a1.ExpiresAt = ptr(at(5000))
	mustSecret(t, s, a1)
	b1 := generatedSecret(beta, at(2))
	b1.ExpiresAt = ptr(at(1010))
	mustSecret(t, s, b1)
	b2 := generatedSecret(beta, at(2))
	b2.ExpiresAt = ptr(at(2000))
	mustSecret(t, s, b2)
	g1 := mustSecret(t, s, generatedSecret(gamma, at(3)))
	if err := s.TouchLastUsed(ctx, []domain.SecretUse{{SecretID: a1.ID, At: at(999), From: "192.0.2.1"}, {SecretID: g1.ID, At: at(10), From: "192.0.2.2"}}); err != nil {
		t.Fatal(err)
	}
	// An older use never moves the client's last use back.
	if err := s.TouchLastUsed(ctx, []domain.SecretUse{{SecretID: a1.ID, At: at(500), From: "192.0.2.1"}}); err != nil {
		t.Fatal(err)
	}
	if err := revoke(ctx, s, o.ID, g1.ID, at(20), false); err != nil {
		t.Fatal(err)
	}
	names := func(q domain.ClientQuery) []string {
		t.Helper()
		q.Now = now
		list, _, err := s.SearchClients(ctx, o.ID, q)
		if err != nil {
			t.Fatalf("SearchClients(%+v): %v", q, err)
		}
		var out []string
		for _, c := range list {
			out = append(out, c.Name)
		}
		return out
	}
	yes, no := ptr(true), ptr(false)
	cases := []struct {
		name string
		q    domain.ClientQuery
		want []string
		// skip leaves out a client that ties with another (both never
		// used), whose place in the order is its random ID's.
		skip string
	}{
		{"all, created order", domain.ClientQuery{}, []string{"Alpha", "beta_50%", "Gamma", "delta"}, ""},
		{"newest first", domain.ClientQuery{Desc: true}, []string{"delta", "Gamma", "beta_50%", "Alpha"}, ""},
		{"by name, case-insensitive", domain.ClientQuery{Sort: domain.SortName}, []string{"Alpha", "beta_50%", "delta", "Gamma"}, ""},
		{"by last use, most recent first (never used last)", domain.ClientQuery{Sort: domain.SortLastUsed, Desc: true}, []string{"Alpha", "Gamma", "beta_50%"}, "delta"},
		{"by last use, least recent first", domain.ClientQuery{Sort: domain.SortLastUsed}, []string{"beta_50%", "Gamma", "Alpha"}, "delta"},
		{"text in the name", domain.ClientQuery{Text: "AMM"}, []string{"Gamma"}, ""},
		{"text in the description", domain.ClientQuery{Text: "about del"}, []string{"delta"}, ""},
		{"text in the client ID", domain.ClientQuery{Text: string(delta.ID)}, []string{"delta"}, ""},
		{"LIKE wildcards are literal", domain.ClientQuery{Text: "_50%"}, []string{"beta_50%"}, ""},
		{"wildcard matching nothing literally", domain.ClientQuery{Text: "a%a"}, nil, ""},
		{"disabled", domain.ClientQuery{Disabled: yes}, []string{"Gamma"}, ""},
		{"enabled", domain.ClientQuery{Disabled: no}, []string{"Alpha", "beta_50%", "delta"}, ""},
		{"with an active secret", domain.ClientQuery{HasActiveSecret: yes}, []string{"Alpha", "beta_50%"}, ""},
		{"without an active secret", domain.ClientQuery{HasActiveSecret: no}, []string{"Gamma", "delta"}, ""},
		{"unused since", domain.ClientQuery{UnusedSince: ptr(at(900))}, []string{"beta_50%", "Gamma", "delta"}, ""},
		{"unused since, created later does not count", domain.ClientQuery{UnusedSince: ptr(at(3))}, []string{"beta_50%"}, ""},
		{"expiring before", domain.ClientQuery{ExpiringBefore: ptr(at(1100))}, []string{"beta_50%"}, ""},
		{"filters combine", domain.ClientQuery{HasActiveSecret: yes, UnusedSince: ptr(at(900))}, []string{"beta_50%"}, ""},
	}
	for _, tc := range cases {
		got := slices.DeleteFunc(names(tc.q), func(n string) bool { return n == tc.skip && n != "" })
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}

	list, _, err := s.SearchClients(ctx, o.ID, domain.ClientQuery{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	figs := map[string]domain.ClientSummary{}
	for _, c := range list {
		figs[c.Name] = c
	}
	if f := figs["Alpha"]; f.ActiveSecrets != 1 || !sameTime(f.LastUsedAt, ptr(at(999))) || !sameTime(f.NextExpiry, ptr(at(5000))) {
		t.Errorf("Alpha's figures = %d active, last used %v, next expiry %v", f.ActiveSecrets, f.LastUsedAt, f.NextExpiry)
	}
	if f := figs["beta_50%"]; f.ActiveSecrets != 2 || f.LastUsedAt != nil || !sameTime(f.NextExpiry, ptr(at(1010))) {
		t.Errorf("beta's figures = %d active, last used %v, next expiry %v", f.ActiveSecrets, f.LastUsedAt, f.NextExpiry)
	}
	if f := figs["Gamma"]; f.ActiveSecrets != 0 || !sameTime(f.LastUsedAt, ptr(at(10))) || f.NextExpiry != nil {
		t.Errorf("Gamma's figures = %d active, last used %v, next expiry %v", f.ActiveSecrets, f.LastUsedAt, f.NextExpiry)
	}

	// Pages of one walk every client once, in every order and direction.
	for i := range 7 {
		mk(o.ID, "Same name", 10+i%2, false)
	}
	for _, sort := range []domain.ClientSort{domain.SortCreated, domain.SortName, domain.SortLastUsed} {
		for _, desc := range []bool{false, true} {
			want := names(domain.ClientQuery{Sort: sort, Desc: desc, Page: domain.Page{Limit: domain.MaxLimit}})
			var got []string
			q := domain.ClientQuery{Sort: sort, Desc: desc, Now: now, Page: domain.Page{Limit: 3}}
			for range 10 {
				page, next, err := s.SearchClients(ctx, o.ID, q)
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range page {
					got = append(got, c.Name)
				}
				if next == "" {
					break
				}
				q.Page.After = next
			}
			if len(want) != 11 || !slices.Equal(got, want) {
				t.Errorf("sort %s desc=%v: pages %q, want %q", sort, desc, got, want)
			}
		}
	}
	_, next, err := s.SearchClients(ctx, o.ID, domain.ClientQuery{Now: now, Page: domain.Page{Limit: 2}})
	if err != nil || next == "" {
		t.Fatalf("first page: next %q, %v", next, err)
	}
	for _, bad := range []domain.ClientQuery{{Sort: domain.SortName, Page: domain.Page{After: next}}, {Page: domain.Page{After: "bm9wZQ"}}} {
		bad.Now = now
		if _, _, err := s.SearchClients(ctx, o.ID, bad); err == nil {
			t.Errorf("cursor %q for sort %q accepted", bad.Page.After, bad.Sort)
		}
	}
}
