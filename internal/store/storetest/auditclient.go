package storetest

import (
	"slices"
	"testing"

	"keywarden/internal/domain"
	"keywarden/internal/store"
)

// testAuditClientActivity: the ClientID filter keeps the events whose
// target is the client and those whose detail names it (its secrets,
// rotations, refresh tokens), in one organisation, with the changes an
// event records read back as written.
func testAuditClientActivity(t *testing.T, s store.Store) {
	ctx := t.Context()
	acme, globex := mustOrg(t, s, "Acme"), mustOrg(t, s, "Globex")
	ev := func(org domain.OrgID, action, target, client string, changes ...domain.AuditChange) domain.AuditEvent {
		e := newEvent(org, at(0), action, "usr_ada", target)
		if client != "" {
			e.Detail["client_id"] = client
		}
		e.Changes = changes
		return mustAppend(t, s, e)
	}
	rename := domain.AuditChange{Field: "name", Before: "billing", After: "billing-v2"}
	events := []domain.AuditEvent{
		ev(acme.ID, "client.create", "kwc_1", ""),                      // 1: the client itself
		ev(acme.ID, "secret.create", "sec_1", "kwc_1"),                 // 2: its secret
		ev(acme.ID, "secret.create", "sec_2", "kwc_2"),                 // 3: another client's
		ev(acme.ID, "rotation.complete", "rot_1", "kwc_1"),             // 4: its rotation
		ev(acme.ID, "user.login", "usr_ada", ""),                       // 5: no client
		ev(globex.ID, "secret.create", "sec_9", "kwc_1"),               // 6: another organisation
		ev(acme.ID, "client.update", "kwc_1", "", rename),              // 7: a change
		ev(acme.ID, "credential.create", "kwp_1", ""),                  // 8: a personal credential
		ev(acme.ID, "refresh_token.revoke_family", "rft_1", "kwp_1"),   // 9: its refresh tokens
		ev(acme.ID, "client.authenticate", "kwc_1", "kwc_2"),           // 10: the target wins
		ev(acme.ID, "secret.update", "sec_1", "kwc_1", rename, rename), // 11: two changes
	}
	tests := []struct {
		name   string
		org    domain.OrgID
		filter domain.AuditFilter
		want   []int64
	}{
		{"a client", acme.ID, domain.AuditFilter{ClientID: "kwc_1"}, []int64{11, 10, 7, 4, 2, 1}},
		{"another client", acme.ID, domain.AuditFilter{ClientID: "kwc_2"}, []int64{3}},
		{"a personal credential", acme.ID, domain.AuditFilter{ClientID: "kwp_1"}, []int64{9, 8}},
		{"another organisation's view", globex.ID, domain.AuditFilter{ClientID: "kwc_1"}, []int64{6}},
		{"with an action", acme.ID, domain.AuditFilter{ClientID: "kwc_1", Action: "secret."}, []int64{11, 2}},
		{"a page", acme.ID, domain.AuditFilter{ClientID: "kwc_1", Page: domain.Page{After: domain.EncodeSeq(7)}}, []int64{4, 2, 1}},
		{"unknown client", acme.ID, domain.AuditFilter{ClientID: "kwc_none"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, _, err := s.ListAudit(ctx, tc.org, tc.filter)
			if err != nil {
				t.Fatalf("ListAudit: %v", err)
			}
			if !slices.Equal(seqs(got), tc.want) {
				t.Errorf("ListAudit(%+v) = %v, want %v", tc.filter, seqs(got), tc.want)
			}
			for _, e := range got {
				if want := events[e.Seq-1]; !sameEvent(e, want) {
					t.Errorf("listed event %d = %+v,\nwant %+v", e.Seq, e, want)
				}
			}
		})
	}
	scanned, err := s.ScanAudit(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range scanned {
		if !sameEvent(e, events[i]) {
			t.Errorf("scanned event %d = %+v,\nwant %+v", e.Seq, e, events[i])
		}
	}
}

// testAuditNames: AuditNames names clients, personal credentials, secrets
// (the description, or the hint when there is none), users, API tokens
// and rotations of the organisation in one call, and nothing of another
// organisation or of an unknown kind.
func testAuditNames(t *testing.T, s store.Store) {
	ctx := t.Context()
	acme, globex := mustOrg(t, s, "Acme"), mustOrg(t, s, "Globex")
	c := mustClient(t, s, acme.ID)
	x := mustSecret(t, s, generatedSecret(c, base))
	bare := generatedSecret(c, base)
	bare.Description = ""
	bare = mustSecret(t, s, bare)
	u := mustUser(t, s, acme.ID, "ada@acme.example")
	other := mustClient(t, s, globex.ID)
	r := domain.Rotation{ID: domain.NewRotationID(), OrgID: acme.ID, ClientID: c.ID, NewSecretID: x.ID, StartedAt: base, StartedBy: string(u.ID)}
	if err := s.InTx(ctx, func(tx store.Tx) error { return tx.CreateRotation(ctx, r) }); err != nil {
		t.Fatalf("CreateRotation: %v", err)
	}
	ids := []string{string(c.ID), string(x.ID), string(bare.ID), string(u.ID), string(r.ID), string(other.ID), "kwc_unknown", "evt_x", string(c.ID)}
	got, err := s.AuditNames(ctx, acme.ID, ids)
	if err != nil {
		t.Fatalf("AuditNames: %v", err)
	}
	want := map[string]domain.AuditName{
		string(c.ID):    {Kind: "client", Name: c.Name},
		string(x.ID):    {Kind: "secret", Name: x.Description, ClientID: c.ID},
		string(bare.ID): {Kind: "secret", Name: "…" + bare.Hint, ClientID: c.ID},
		string(u.ID):    {Kind: "user", Name: u.Email},
		string(r.ID):    {Kind: "rotation", Name: c.Name, ClientID: c.ID},
	}
	if len(got) != len(want) {
		t.Errorf("AuditNames = %v, want %v", got, want)
	}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("AuditNames[%s] = %+v, want %+v", id, got[id], w)
		}
	}
	if none, err := s.AuditNames(ctx, acme.ID, nil); err != nil || len(none) != 0 {
		t.Errorf("AuditNames(nil) = %v, %v", none, err)
	}
}
