package datakey_test

import (
	"bytes"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"keywarden/internal/audit"
	"keywarden/internal/datakey"
	"keywarden/internal/domain"
	"keywarden/internal/keyring"
	"keywarden/internal/store"
	"keywarden/internal/store/sqlite"
	"keywarden/internal/store/sqlstore"
)

var (
	key1 = bytes.Repeat([]byte{1}, keyring.KeySize)
	key2 = bytes.Repeat([]byte{2}, keyring.KeySize)
	key3 = bytes.Repeat([]byte{3}, keyring.KeySize)
)

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)} }

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func openStore(t *testing.T, dir string) *sqlstore.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func mustOpen(t *testing.T, svc *datakey.Service, master []byte) *keyring.Keyring {
	t.Helper()
	kr, err := svc.Open(t.Context(), master)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return kr
}

var purposes = []string{keyring.PurposeSecretVerifier, keyring.PurposeAudit, keyring.PurposeSeal, keyring.PurposeUI}

// sameKeys fails t unless a and b derive the same keys and open each
// other's sealed values.
func sameKeys(t *testing.T, a, b *keyring.Keyring) {
	t.Helper()
	for _, p := range purposes {
		if !bytes.Equal(a.Derive(p), b.Derive(p)) {
			t.Errorf("%s differs", p)
		}
	}
	if got, err := b.Open(a.Seal([]byte("v"), []byte("row")), []byte("row")); err != nil || string(got) != "v" {
		t.Errorf("a value sealed by one keyring does not open with the other: %q, %v", got, err)
	}
}

func wantWrongKey(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, datakey.ErrWrongMasterKey) || !strings.HasPrefix(err.Error(), "wrong master key") {
		t.Errorf("err = %v, want one that says wrong master key", err)
	}
	if err != nil && strings.Contains(strings.ToLower(err.Error()), "tamper") {
		t.Errorf("a wrong key is reported as tampering: %v", err)
	}
}

func TestNewStoreGetsARandomDataKey(t *testing.T) {
	s := openStore(t, t.TempDir())
	c := newClock()
	svc := datakey.New(s, c.now)
	kr := mustOpen(t, svc, key1)
	legacy, _ := keyring.New(key1)
	if bytes.Equal(kr.Derive(keyring.PurposeSeal), legacy.Derive(keyring.PurposeSeal)) {
		t.Error("a new store's data key is its master key")
	}
	k, err := s.DataKey(t.Context())
	if err != nil || k.Origin != store.DataKeyGenerated || len(k.Wrappings) != 1 || !k.CreatedAt.Equal(c.now()) {
		t.Fatalf("DataKey = %+v, %v", k, err)
	}
	c.advance(time.Hour)
	sameKeys(t, kr, mustOpen(t, svc, key1))
	if k, _ := s.DataKey(t.Context()); !k.Wrappings[0].OpenedAt.Equal(c.now()) {
		t.Errorf("opened at %v, want %v", k.Wrappings[0].OpenedAt, c.now())
	}
	_, err = svc.Open(t.Context(), key2)
	wantWrongKey(t, err)
	if _, err := svc.Open(t.Context(), key1[:16]); err == nil {
		t.Error("Open accepted a 16-byte master key")
	}
}

// TestConcurrentFirstOpens: nodes starting at once on a new store agree
// on one data key.
func TestConcurrentFirstOpens(t *testing.T) {
	dir := t.TempDir()
	const nodes = 4
	rings := make([]*keyring.Keyring, nodes)
	var wg sync.WaitGroup
	for i := range nodes {
		s := openStore(t, dir)
		wg.Go(func() {
			kr, err := datakey.New(s, nil).Open(t.Context(), key1)
			if err != nil {
				t.Errorf("node %d: %v", i, err)
				return
			}
			rings[i] = kr
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	for i := 1; i < nodes; i++ {
		sameKeys(t, rings[0], rings[i])
	}
}

// legacyStore returns the data directory of an installation from before
// envelope encryption, made with master: its migration 00040 undone, an
// audit chain and a sealed signing key made with keys derived from master
// itself, as that version did. It returns the sealed value.
func legacyStore(t *testing.T, master []byte) (string, domain.SigningKey) {
	t.Helper()
	dir := t.TempDir()
	s, err := sqlite.Open(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, q := range []string{`DROP TABLE data_key_wrappings`, `DROP TABLE data_key`, `DELETE FROM goose_db_version WHERE version_id = 40`} {
		if _, err := s.DB().ExecContext(t.Context(), q); err != nil {
			t.Fatal(err)
		}
	}
	old, _ := keyring.New(master)
	log := audit.New(s, old.Derive(keyring.PurposeAudit), nil)
	for _, target := range []string{"key_1", "org_1", "sec_1"} {
		appendAudit(t, s, log, audit.Entry{Actor: domain.System("", "test"), Action: "test.event", Target: target})
	}
	k := domain.SigningKey{ID: "key_1", Algorithm: "ES256", Sealed: old.Seal([]byte("private key"), []byte("key_1")), PublicJWK: "{}",
		CreatedAt: time.Now().UTC().Truncate(time.Second), ActiveFrom: time.Now().UTC().Truncate(time.Second)}
	if err := s.CreateSigningKey(t.Context(), k); err != nil {
		t.Fatal(err)
	}
	return dir, k
}

// appendAudit records e in a transaction of its own.
func appendAudit(t *testing.T, s store.Store, log *audit.Log, e audit.Entry) {
	t.Helper()
	if err := log.Record(t.Context(), e); err != nil {
		t.Fatal(err)
	}
}

// TestUpgradeKeepsEverything: the first start after the upgrade adopts the
// master key as the data key, so the old audit chain and sealed values
// stay valid; a wrong key is refused before anything is adopted.
func TestUpgradeKeepsEverything(t *testing.T) {
	dir, sk := legacyStore(t, key1)
	s := openStore(t, dir)
	svc := datakey.New(s, nil)
	if k, err := s.DataKey(t.Context()); err != nil || k.Origin != store.DataKeyPending {
		t.Fatalf("after the migration DataKey = %+v, %v; want pending", k, err)
	}

	_, err := svc.Open(t.Context(), key2)
	wantWrongKey(t, err)
	wantWrongKey(t, svc.Check(t.Context(), key2))
	if k, _ := s.DataKey(t.Context()); k.Origin != store.DataKeyPending {
		t.Fatalf("a wrong key changed the pending data key: %+v", k)
	}
	if err := svc.Check(t.Context(), key1); err != nil {
		t.Errorf("Check with the right key: %v", err)
	}

	kr := mustOpen(t, svc, key1)
	legacy, _ := keyring.New(key1)
	sameKeys(t, legacy, kr)
	if got, err := kr.Open(sk.Sealed, []byte(sk.ID)); err != nil || string(got) != "private key" {
		t.Errorf("the signing key sealed before the upgrade: %q, %v", got, err)
	}
	if res, err := audit.New(s, kr.Derive(keyring.PurposeAudit), nil).Verify(t.Context()); err != nil || res.Events != 3 {
		t.Errorf("audit Verify after the upgrade = %+v, %v", res, err)
	}
	if k, _ := s.DataKey(t.Context()); k.Origin != store.DataKeyFromMasterKey || len(k.Wrappings) != 1 {
		t.Errorf("DataKey = %+v, want master-key with one wrapping", k)
	}
	_, err = svc.Open(t.Context(), key2)
	wantWrongKey(t, err)

	// The upgraded installation rotates like any other.
	if _, err := svc.Rekey(t.Context(), key1, key2); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Finish(t.Context(), key2, false); err != nil {
		t.Fatal(err)
	}
	sameKeys(t, legacy, mustOpen(t, svc, key2))
	_, err = svc.Open(t.Context(), key1)
	wantWrongKey(t, err)
}

func TestRekeyAndFinish(t *testing.T) {
	s := openStore(t, t.TempDir())
	c := newClock()
	svc := datakey.New(s, c.now)
	before := mustOpen(t, svc, key1)
	c.advance(time.Minute)

	if _, err := svc.Rekey(t.Context(), key1, key1); err == nil {
		t.Error("Rekey to the same key succeeded")
	}
	_, err := svc.Rekey(t.Context(), key3, key2)
	wantWrongKey(t, err)
	res, err := svc.Rekey(t.Context(), key1, key2)
	if err != nil || res.Already || res.Wrappings != 2 {
		t.Fatalf("Rekey = %+v, %v; want a second wrapping", res, err)
	}
	if again, err := svc.Rekey(t.Context(), key1, key2); err != nil || !again.Already || again.KeyID != res.KeyID {
		t.Errorf("Rekey again = %+v, %v; want Already", again, err)
	}
	// Both keys open the store while nodes restart one at a time. The old
	// key opening it after the new wrapping was made means a node still
	// starts with it.
	c.advance(time.Minute)
	sameKeys(t, before, mustOpen(t, svc, key2))
	sameKeys(t, before, mustOpen(t, svc, key1))
	if _, err := svc.Finish(t.Context(), key2, false); !errors.Is(err, datakey.ErrStillInUse) {
		t.Fatalf("Finish while the old key is in use = %v, want ErrStillInUse", err)
	}
	// Forced, Finish does what it is told, even with the old key.
	if _, err := svc.Finish(t.Context(), key1, true); err != nil {
		t.Fatal(err)
	}
	if st, _ := svc.Status(t.Context(), key1); len(st.Keys) != 1 || !st.Keys[0].Current {
		t.Fatalf("Status after Finish(key1) = %+v", st)
	}
	_, err = svc.Open(t.Context(), key2)
	wantWrongKey(t, err)

	// Again, properly this time.
	c.advance(time.Minute)
	if _, err := svc.Rekey(t.Context(), key1, key2); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Finish(t.Context(), key1, false); !errors.Is(err, datakey.ErrStillInUse) {
		t.Errorf("Finish with the older key = %v, want ErrStillInUse", err)
	}
	c.advance(time.Minute)
	mustOpen(t, svc, key2) // the nodes restart with the new key
	n, err := svc.Finish(t.Context(), key2, false)
	if err != nil || n != 1 {
		t.Fatalf("Finish = %d, %v; want 1 removed", n, err)
	}
	_, err = svc.Open(t.Context(), key1)
	wantWrongKey(t, err)
	wantWrongKey(t, svc.Check(t.Context(), key1))
	sameKeys(t, before, mustOpen(t, svc, key2))
	if n, err := svc.Finish(t.Context(), key2, false); err != nil || n != 0 {
		t.Errorf("Finish again = %d, %v; want 0", n, err)
	}

	st, err := svc.Status(t.Context(), key2)
	if err != nil || st.Origin != store.DataKeyGenerated || len(st.Keys) != 1 || !st.Keys[0].Current || st.Keys[0].ID != res.KeyID {
		t.Errorf("Status = %+v, %v", st, err)
	}

	// Each change is in the audit chain, which verifies under the (same)
	// audit key.
	if res, err := audit.New(s, before.Derive(keyring.PurposeAudit), nil).Verify(t.Context()); err != nil || res.Events == 0 {
		t.Errorf("audit Verify = %+v, %v", res, err)
	}
	events, err := s.ScanAudit(t.Context(), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range events {
		actions = append(actions, e.Action+" "+e.Target)
	}
	want := []string{"master_key.add " + res.KeyID, "master_key.remove_others " + datakey.KeyID(mustCheck(t, key1)),
		"master_key.add " + res.KeyID, "master_key.remove_others " + res.KeyID}
	if strings.Join(actions, "; ") != strings.Join(want, "; ") {
		t.Errorf("audit events %q, want %q", actions, want)
	}
}

func mustCheck(t *testing.T, key []byte) []byte {
	t.Helper()
	m, err := keyring.NewMaster(key)
	if err != nil {
		t.Fatal(err)
	}
	return m.Check()
}

// TestAlteredWrapping: a wrapping that matches the key check but does not
// open is reported as altered, never as a wrong key.
func TestAlteredWrapping(t *testing.T) {
	s := openStore(t, t.TempDir())
	svc := datakey.New(s, nil)
	mustOpen(t, svc, key1)
	k, _ := s.DataKey(t.Context())
	w := bytes.Clone(k.Wrappings[0].Wrapped)
	w[len(w)-1] ^= 1
	if _, err := s.DB().ExecContext(t.Context(), `UPDATE data_key_wrappings SET wrapped = ?`, w); err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"Open":  func() error { _, err := svc.Open(t.Context(), key1); return err }(),
		"Check": svc.Check(t.Context(), key1),
		"Rekey": func() error { _, err := svc.Rekey(t.Context(), key1, key2); return err }(),
	} {
		if !errors.Is(err, datakey.ErrWrappingAltered) || errors.Is(err, datakey.ErrWrongMasterKey) {
			t.Errorf("%s = %v, want ErrWrappingAltered", name, err)
		}
	}
	_, err := svc.Open(t.Context(), key2)
	wantWrongKey(t, err)
}

func TestCheckChangesNothing(t *testing.T) {
	s := openStore(t, t.TempDir())
	if err := datakey.New(s, nil).Check(t.Context(), key1); err != nil {
		t.Fatalf("Check on a new store: %v", err)
	}
	if _, err := s.DataKey(t.Context()); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("Check created a data key: %v", err)
	}
}
