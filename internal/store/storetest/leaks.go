package storetest

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"keywarden/internal/domain"
	"keywarden/internal/store"
)

// testLeaks: a leak is recorded once per target, however many reports
// race; later reports only count; lists are per organisation and client,
// newest first; a report digest is accepted once.
func testLeaks(t *testing.T, s store.Store) {
	ctx := t.Context()
	acme, globex := mustOrg(t, s, "acme"), mustOrg(t, s, "globex")
	c := mustClient(t, s, acme.ID)
	until := at(60)
	first := domain.Leak{ID: "lk_1", OrgID: acme.ID, ClientID: c.ID, Kind: domain.LeakSecret, TargetID: "sec_1", Hint: "abcd",
		SourceURL: "https://github.com/o/r/blob/1/f", Source: "content", Reporter: "github", ReportedAt: at(1),
		Response: domain.LeakQuarantined, QuarantineUntil: &until}

	// Eight reports of one value race: one records it.
	var won atomic.Int32
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			l := first
			l.ID = fmt.Sprintf("lk_race%d", i)
			err := s.InTx(ctx, func(tx store.Tx) error {
				ok, err := tx.RecordLeak(ctx, l)
				if ok {
					won.Add(1)
				}
				return err
			})
			if err != nil {
				t.Errorf("RecordLeak: %v", err)
			}
		})
	}
	wg.Wait()
	if won.Load() != 1 {
		t.Fatalf("%d of 8 racing reports recorded the leak, want 1", won.Load())
	}
	for _, l := range []domain.Leak{
		{ID: "lk_2", OrgID: acme.ID, UserID: "usr_1", Kind: domain.LeakAPIToken, TargetID: "tok_1", Reporter: "leak-reporter", ReportedAt: at(2), Response: domain.LeakRevoked},
		{ID: "lk_3", OrgID: globex.ID, Kind: domain.LeakSecret, TargetID: "sec_2", Reporter: "github", ReportedAt: at(3), Response: domain.LeakRevoked},
		// The same target again, from another organisation's view: not recorded twice.
		{ID: "lk_4", OrgID: globex.ID, Kind: domain.LeakAPIToken, TargetID: "tok_1", Reporter: "github", ReportedAt: at(4), Response: domain.LeakRevoked},
	} {
		ok, err := s.RecordLeak(ctx, l)
		if err != nil || ok != (l.ID != "lk_4") {
			t.Fatalf("RecordLeak(%s) = %v, %v", l.ID, ok, err)
		}
	}
	all, err := s.ListLeaks(ctx, acme.ID, "", 10)
	if err != nil || len(all) != 2 || all[0].TargetID != "tok_1" || all[1].TargetID != "sec_1" {
		t.Fatalf("ListLeaks(acme) = %+v, %v; want tok_1 then sec_1", all, err)
	}
	got := all[1]
	if got.ClientID != c.ID || got.Hint != "abcd" || got.SourceURL != first.SourceURL || got.Source != "content" || got.Reporter != "github" ||
		!got.ReportedAt.Equal(at(1)) || got.Response != domain.LeakQuarantined || !sameTime(got.QuarantineUntil, &until) {
		t.Fatalf("ListLeaks(acme)[1] = %+v, want %+v", got, first)
	}
	if all[0].UserID != "usr_1" || all[0].QuarantineUntil != nil {
		t.Fatalf("ListLeaks(acme)[0] = %+v", all[0])
	}
	mine, err := s.ListLeaks(ctx, acme.ID, c.ID, 10)
	if err != nil || len(mine) != 1 || mine[0].TargetID != "sec_1" {
		t.Fatalf("ListLeaks(acme, client) = %+v, %v", mine, err)
	}
	if one, err := s.ListLeaks(ctx, acme.ID, "", 1); err != nil || len(one) != 1 {
		t.Fatalf("ListLeaks(limit 1) = %+v, %v", one, err)
	}

	d := []byte("0123456789abcdef0123456789abcdef")
	for i, want := range []bool{true, false} {
		if ok, err := s.RecordLeakReport(ctx, d, at(i)); err != nil || ok != want {
			t.Fatalf("RecordLeakReport #%d = %v, %v; want %v", i+1, ok, err, want)
		}
	}
}

// testValueDigests: the SHA-256 of a generated secret or API token, given
// at creation (one by one or imported), finds its verifier and kind; a
// supplied secret and an unknown digest find nothing.
func testValueDigests(t *testing.T, s store.Store) {
	ctx := t.Context()
	org := mustOrg(t, s, "acme")
	c := mustClient(t, s, org.ID)
	x := generatedSecret(c, at(1))
	x.Digest = randomBytes(32)
	mustSecret(t, s, x)
	sup := suppliedSecret(c, at(2))
	sup.Digest = randomBytes(32) // ignored: a supplied value has no verifier
	mustSecret(t, s, sup)
	u := mustUser(t, s, org.ID, "dev@acme.test")
	tok := newAPIToken(org.ID, u.ID, "ci", 3)
	tok.Digest = randomBytes(32)
	if err := s.CreateAPIToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	imported := newClient(org.ID, at(4))
	ix := generatedSecret(imported, at(4))
	ix.Digest = randomBytes(32)
	if err := s.ImportClients(ctx, []store.ImportedClient{{Client: imported, Secrets: []domain.Secret{ix}}}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		digest   []byte
		kind     domain.LeakKind
		verifier []byte
	}{
		{"secret", x.Digest, domain.LeakSecret, x.Verifier},
		{"imported secret", ix.Digest, domain.LeakSecret, ix.Verifier},
		{"API token", tok.Digest, domain.LeakAPIToken, tok.Verifier},
	} {
		kind, verifier, err := s.VerifierByDigest(ctx, tc.digest)
		if err != nil || kind != tc.kind || string(verifier) != string(tc.verifier) {
			t.Errorf("%s: VerifierByDigest = %s, %x, %v", tc.name, kind, verifier, err)
		}
	}
	for name, d := range map[string][]byte{"supplied secret": sup.Digest, "unknown": randomBytes(32)} {
		if _, _, err := s.VerifierByDigest(ctx, d); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("%s: VerifierByDigest = %v, want ErrNotFound", name, err)
		}
	}
}
