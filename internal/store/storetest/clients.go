package storetest

import (
	"cmp"
	"encoding/base64"
	"errors"
	"slices"
	"testing"
	"time"

	"keywarden/internal/domain"
	"keywarden/internal/store"
)

func testClientCRUD(t *testing.T, s store.Store) {
	ctx := t.Context()
	o := mustOrg(t, s, "Acme")
	c := newClient(o.ID, at(1))
	if err := s.CreateClient(ctx, c); err != nil {
		t.Fatalf("CreateClient: %v", err)
	}
	bare := newClient(o.ID, at(2))
	bare.Scopes, bare.Description, bare.WebhookURL, bare.TokenTTL = nil, "", "", 0
	if err := s.CreateClient(ctx, bare); err != nil {
		t.Fatalf("CreateClient(no scopes): %v", err)
	}
	sec := mustSecret(t, s, generatedSecret(c, at(3)))
	keep := mustSecret(t, s, generatedSecret(bare, at(3)))

	for _, want := range []domain.Client{c, bare} {
		if got, err := s.GetClient(ctx, o.ID, want.ID); err != nil || !sameClient(got, want) {
			t.Errorf("GetClient = %+v, %v; want %+v", got, err, want)
		}
		if got, err := s.LookupClient(ctx, want.ID); err != nil || !sameClient(got, want) {
			t.Errorf("LookupClient = %+v, %v; want %+v", got, err, want)
		}
	}
	if err := s.CreateClient(ctx, c); !errors.Is(err, domain.ErrConflict) {
		t.Errorf("CreateClient twice: err = %v, want ErrConflict", err)
	}

	updated := c
	updated.Name = "billing-v2"
	updated.Description = "pays fewer bills"
	updated.Scopes = []string{"invoices:read"}
	updated.TokenTTL = 120
	updated.WebhookURL = "https://hooks.example.org/v2"
	updated.Disabled = true
	updated.UpdatedAt = at(10)
	updated.TokensRevokedAt = ptr(at(9))
	if err := putClient(ctx, s, updated); err != nil {
		t.Fatalf("UpdateClient: %v", err)
	}
	moved := updated
	moved.CreatedAt = at(99) // UpdateClient must not store the creation time
	if err := putClient(ctx, s, moved); err != nil {
		t.Fatalf("UpdateClient(other created-at): %v", err)
	}
	if got, err := s.GetClient(ctx, o.ID, c.ID); err != nil || !sameClient(got, updated) {
		t.Errorf("GetClient after UpdateClient = %+v, %v; want %+v", got, err, updated)
	}

	if err := s.DeleteClient(ctx, o.ID, c.ID); err != nil {
		t.Fatalf("DeleteClient: %v", err)
	}
	gone := []struct {
		name string
		op   func() error
	}{
		{"GetClient", func() error { _, err := s.GetClient(ctx, o.ID, c.ID); return err }},
		{"LookupClient", func() error { _, err := s.LookupClient(ctx, c.ID); return err }},
		{"UpdateClient", func() error { return putClient(ctx, s, updated) }},
		{"DeleteClient again", func() error { return s.DeleteClient(ctx, o.ID, c.ID) }},
		{"GetSecret of its secret", func() error { _, err := s.GetSecret(ctx, o.ID, sec.ID); return err }},
		{"SecretByVerifier of its secret", func() error { _, err := s.SecretByVerifier(ctx, sec.Verifier); return err }},
	}
	for _, tc := range gone {
		t.Run("deleted/"+tc.name, func(t *testing.T) {
			if err := tc.op(); !errors.Is(err, domain.ErrNotFound) {
				t.Errorf("err = %v, want ErrNotFound", err)
			}
		})
	}
	if got, err := s.ListSecrets(ctx, o.ID, c.ID); err != nil || len(got) != 0 {
		t.Errorf("ListSecrets of a deleted client = %v, %v; want none", secretIDs(got), err)
	}
	if got, err := s.GetSecret(ctx, o.ID, keep.ID); err != nil || !sameSecret(got, keep) {
		t.Errorf("another client's secret after DeleteClient = %+v, %v; want %+v", got, err, keep)
	}
	if got, _, err := s.ListClients(ctx, o.ID, domain.Page{}); err != nil || !slices.Equal(clientIDs(got), []domain.ClientID{bare.ID}) {
		t.Errorf("ListClients after DeleteClient = %v, %v; want [%s]", clientIDs(got), err, bare.ID)
	}
}

func testOrgIsolation(t *testing.T, s store.Store) {
	ctx := t.Context()
	acme, globex := mustOrg(t, s, "Acme"), mustOrg(t, s, "Globex")
	c := mustClient(t, s, acme.ID)
	sec := mustSecret(t, s, generatedSecret(c, at(1)))
	u := mustUser(t, s, acme.ID, "ada@example.com")

	stolen := c
	stolen.OrgID, stolen.Name, stolen.Disabled = globex.ID, "pwned", true
	stolenSecret := sec
	stolenSecret.OrgID, stolenSecret.Description, stolenSecret.ExpiresAt = globex.ID, "pwned", nil

	tests := []struct {
		name string
		op   func() error
	}{
		{"GetClient", func() error { _, err := s.GetClient(ctx, globex.ID, c.ID); return err }},
		{"UpdateClient", func() error { return putClient(ctx, s, stolen) }},
		{"DeleteClient", func() error { return s.DeleteClient(ctx, globex.ID, c.ID) }},
		{"GetSecret", func() error { _, err := s.GetSecret(ctx, globex.ID, sec.ID); return err }},
		{"UpdateSecret", func() error { return putSecret(ctx, s, stolenSecret) }},
		{"RevokeSecret", func() error { return revoke(ctx, s, globex.ID, sec.ID, at(5), false) }},
		{"GetUser", func() error { _, err := s.GetUser(ctx, globex.ID, u.ID); return err }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.op(); !errors.Is(err, domain.ErrNotFound) {
				t.Errorf("%s with another organisation's ID: err = %v, want ErrNotFound", tc.name, err)
			}
		})
	}
	t.Run("ListSecrets", func(t *testing.T) {
		if got, err := s.ListSecrets(ctx, globex.ID, c.ID); err != nil || len(got) != 0 {
			t.Errorf("ListSecrets = %v, %v; want none", secretIDs(got), err)
		}
	})
	t.Run("ListClients", func(t *testing.T) {
		if got, next, err := s.ListClients(ctx, globex.ID, domain.Page{}); err != nil || len(got) != 0 || next != "" {
			t.Errorf("ListClients = %v, %q, %v; want none", clientIDs(got), next, err)
		}
	})
	t.Run("RevokeClientSecrets", func(t *testing.T) {
		if n, err := s.RevokeClientSecrets(ctx, globex.ID, c.ID, at(5)); err != nil || n != 0 {
			t.Errorf("RevokeClientSecrets = %d, %v; want 0, nil", n, err)
		}
	})

	if got, err := s.GetClient(ctx, acme.ID, c.ID); err != nil || !sameClient(got, c) {
		t.Errorf("the client after another organisation's attempts = %+v, %v; want %+v unchanged", got, err, c)
	}
	if got, err := s.GetSecret(ctx, acme.ID, sec.ID); err != nil || !sameSecret(got, sec) {
		t.Errorf("the secret after another organisation's attempts = %+v, %v; want %+v unchanged", got, err, sec)
	}
}

func testListClientsPages(t *testing.T, s store.Store) {
	tests := []struct {
		name      string
		created   []time.Time // one client per entry
		limit     int
		wantPages []int
	}{
		{"seven clients, pages of three", []time.Time{at(1), at(2), at(3), at(4), at(5), at(6), at(7)}, 3, []int{3, 3, 1}},
		{"six clients, pages of three", []time.Time{at(1), at(2), at(3), at(4), at(5), at(6)}, 3, []int{3, 3}},
		{"fewer clients than a page", []time.Time{at(1), at(2)}, 3, []int{2}},
		{"no clients", nil, 3, []int{0}},
		{"page boundaries inside runs of equal created-at", []time.Time{at(1), at(2), at(2), at(2), at(2), at(3), at(3)}, 3, []int{3, 3, 1}},
		{"all created at the same instant", []time.Time{at(1), at(1), at(1), at(1), at(1)}, 2, []int{2, 2, 1}},
		{"page of one", []time.Time{at(1), at(1), at(2)}, 1, []int{1, 1, 1}},
	}
	noise := mustOrg(t, s, "Noise")
	mustClient(t, s, noise.ID)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := t.Context()
			o := mustOrg(t, s, tc.name)
			var want []domain.Client
			// Insert newest first, so that insertion order is not the answer.
			for _, created := range slices.Backward(tc.created) {
				c := newClient(o.ID, created)
				if err := s.CreateClient(ctx, c); err != nil {
					t.Fatalf("CreateClient: %v", err)
				}
				want = append(want, c)
			}
			slices.SortFunc(want, func(a, b domain.Client) int {
				return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
			})

			var got []domain.Client
			var sizes []int
			after := ""
			for range len(tc.created) + 2 {
				page, next, err := s.ListClients(ctx, o.ID, domain.Page{After: after, Limit: tc.limit})
				if err != nil {
					t.Fatalf("ListClients(after %q): %v", after, err)
				}
				got, sizes = append(got, page...), append(sizes, len(page))
				if next == "" {
					break
				}
				after = next
			}
			if !slices.Equal(sizes, tc.wantPages) {
				t.Errorf("page sizes = %v, want %v", sizes, tc.wantPages)
			}
			if !slices.Equal(clientIDs(got), clientIDs(want)) {
				t.Fatalf("clients across pages = %v,\nwant (created-at, then ID) %v", clientIDs(got), clientIDs(want))
			}
			for i := range got {
				if !sameClient(got[i], want[i]) {
					t.Errorf("listed client %d = %+v, want %+v", i, got[i], want[i])
				}
			}
		})
	}
}

// testListClientsStable checks that a cursor is a position, not an offset:
// a client created before the cursor's position while a caller pages does
// not make the next page repeat or skip anything.
func testListClientsStable(t *testing.T, s store.Store) {
	ctx := t.Context()
	o := mustOrg(t, s, "Acme")
	var want []domain.ClientID
	for i := range 6 {
		c := newClient(o.ID, at(10+i))
		if err := s.CreateClient(ctx, c); err != nil {
			t.Fatalf("CreateClient: %v", err)
		}
		want = append(want, c.ID)
	}
	first, next, err := s.ListClients(ctx, o.ID, domain.Page{Limit: 3})
	if err != nil || next == "" {
		t.Fatalf("ListClients first page = %v, %q, %v", clientIDs(first), next, err)
	}
	early := newClient(o.ID, at(1))
	if err := s.CreateClient(ctx, early); err != nil {
		t.Fatalf("CreateClient: %v", err)
	}
	second, last, err := s.ListClients(ctx, o.ID, domain.Page{After: next, Limit: 3})
	if err != nil {
		t.Fatalf("ListClients second page: %v", err)
	}
	if got := append(clientIDs(first), clientIDs(second)...); !slices.Equal(got, want) || last != "" {
		t.Errorf("pages with an insert between them = %v (next %q), want %v", got, last, want)
	}
	again, _, err := s.ListClients(ctx, o.ID, domain.Page{After: next, Limit: 3})
	if err != nil || !slices.Equal(clientIDs(again), clientIDs(second)) {
		t.Errorf("the same cursor again = %v, %v; want %v", clientIDs(again), err, clientIDs(second))
	}
}

func testListClientsBadCursor(t *testing.T, s store.Store) {
	ctx := t.Context()
	o := mustOrg(t, s, "Acme")
	mustClient(t, s, o.ID)
	b64 := base64.RawURLEncoding.EncodeToString
	tests := []struct {
		name   string
		cursor string
	}{
		{"not base64", "%%not a cursor%%"},
		{"no separator", b64([]byte("1700000000000000"))},
		{"time not a number", b64([]byte("yesterday|kwc_x"))},
		{"empty ID", b64([]byte("1700000000000000|"))},
		{"an audit cursor", domain.EncodeSeq(5)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, _, err := s.ListClients(ctx, o.ID, domain.Page{After: tc.cursor, Limit: 3})
			var ve *domain.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("ListClients(after %q) = %v, %v; want a *domain.ValidationError", tc.cursor, clientIDs(got), err)
			}
			if f := ve.Fields(); len(f) != 1 || f[0].Field != "cursor" {
				t.Errorf("validation error fields = %+v, want one on \"cursor\"", f)
			}
		})
	}
}
