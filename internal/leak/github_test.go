package leak

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"keywarden/internal/domain"
	"keywarden/internal/secretvalue"
)

// publisher is a stand-in for GitHub's key list endpoint: it serves the
// keys it holds and counts the fetches.
type publisher struct {
	mu      sync.Mutex
	keys    map[string]*ecdsa.PrivateKey
	fetches atomic.Int32
	srv     *httptest.Server
}

func newPublisher(t *testing.T, ids ...string) *publisher {
	p := &publisher{keys: map[string]*ecdsa.PrivateKey{}}
	for _, id := range ids {
		p.add(t, id)
	}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.fetches.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Write(p.list(t))
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *publisher) add(t *testing.T, id string) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	p.keys[id] = k
	p.mu.Unlock()
	return k
}

func (p *publisher) list(t *testing.T) []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out struct {
		PublicKeys []map[string]any `json:"public_keys"`
	}
	for id, k := range p.keys {
		der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
		if err != nil {
			t.Error(err)
		}
		out.PublicKeys = append(out.PublicKeys, map[string]any{"key_identifier": id,
			"key": string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), "is_current": true})
	}
	b, _ := json.Marshal(out)
	return b
}

func sign(t *testing.T, k *ecdsa.PrivateKey, body []byte) string {
	d := sha256.Sum256(body)
	sig, err := ecdsa.SignASN1(rand.Reader, k, d[:])
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}

// TestGitHubKeysCacheAndRefresh: keys are fetched once and cached; a
// rotated-in key is fetched on first sight, but an unknown identifier
// fetches at most every 30 s; a stale list is fetched again after an hour.
func TestGitHubKeysCacheAndRefresh(t *testing.T) {
	p := newPublisher(t, "k1")
	now := time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)
	keys, err := NewGitHubKeys(GitHubKeysOptions{URL: p.srv.URL, Client: p.srv.Client(), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	for range 3 {
		if _, err := keys.key(ctx, "k1"); err != nil {
			t.Fatal(err)
		}
	}
	if n := p.fetches.Load(); n != 1 {
		t.Fatalf("%d fetches for three lookups of a known key, want 1", n)
	}
	p.add(t, "k2")
	now = now.Add(31 * time.Second)
	if _, err := keys.key(ctx, "k2"); err != nil {
		t.Fatalf("a new key is not found: %v", err)
	}
	for range 5 {
		if _, err := keys.key(ctx, "nope"); !errors.Is(err, ErrBadSignature) {
			t.Fatalf("unknown key = %v, want ErrBadSignature", err)
		}
	}
	if n := p.fetches.Load(); n != 2 {
		t.Fatalf("%d fetches after a flood of unknown identifiers within 30 s, want 2", n)
	}
	now = now.Add(2 * time.Hour)
	if _, err := keys.key(ctx, "k1"); err != nil || p.fetches.Load() != 3 {
		t.Fatalf("a stale list: %v, %d fetches, want a third", err, p.fetches.Load())
	}
	p.srv.Close() // the publisher is down: the cached list still verifies
	now = now.Add(2 * time.Hour)
	if _, err := keys.key(ctx, "k1"); err != nil {
		t.Fatalf("a stale list while the publisher is down: %v", err)
	}
}

// TestGitHubKeysUnavailable: with no list yet and the publisher down, the
// answer says so (the transport answers 503 and GitHub retries).
func TestGitHubKeysUnavailable(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", http.StatusBadGateway) }))
	defer srv.Close()
	keys, err := NewGitHubKeys(GitHubKeysOptions{URL: srv.URL, Client: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := keys.key(t.Context(), "k1"); !Unavailable(err) {
		t.Fatalf("key() = %v, want unavailable", err)
	}
}

func TestParseKeyList(t *testing.T) {
	rsaDER := "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxKLxoS2tFczGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW/VDL5AaWTg0nLVkjRo9z+40RQzuVaE8AkAFmxZzow3x+VJYKdjykkJ0iT9wCS0DRTXu269V264Vf/3jvredZiKRkgwlL9xNAwxXFg0x/XFw005UWVRIkdgcKWTjpBP2dPwVZ4WWC+9aGVd+Gyn1o0CLelf4rEjGoXbAAEgAqeGUxrcIlbjXfbcmwIDAQAB"
	for _, tc := range []struct{ name, body string }{
		{"not JSON", "nope"},
		{"no keys", `{"public_keys": []}`},
		{"no identifier", `{"public_keys": [{"key": "x"}]}`},
		{"not PEM", `{"public_keys": [{"key_identifier": "k", "key": "x"}]}`},
		{"RSA", `{"public_keys": [{"key_identifier": "k", "key": "-----BEGIN PUBLIC KEY-----\n` + rsaDER + `\n-----END PUBLIC KEY-----\n"}]}`},
	} {
		if _, err := parseKeyList([]byte(tc.body)); err == nil {
			t.Errorf("%s: parsed", tc.name)
		}
	}
}

func FuzzParseKeyList(f *testing.F) {
	f.Add([]byte(`{"public_keys": [{"key_identifier": "k", "key": "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE9MJJHnMfn2+H4xL4YaPDA4RpJqUq\nkCmRCBnYERxZanmcpzQSXs1X/AljlKkbJ8qpVIW4clayyef9gWhFbNHWAA==\n-----END PUBLIC KEY-----\n"}]}`))
	f.Add([]byte(`{"public_keys": null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		keys, err := parseKeyList(b)
		if err == nil && len(keys) == 0 {
			t.Fatal("no error and no keys")
		}
	})
}

// gate is a ReportGate in memory.
type gate struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (g *gate) RecordLeakReport(_ context.Context, d []byte, _ time.Time) (bool, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.seen[string(d)] {
		return false, nil
	}
	g.seen[string(d)] = true
	return true, nil
}

// TestReportChecksBeforeResponding: only well-formed values with a valid
// checksum reach their owner; the label follows the owner's outcome; a
// forged, tampered or replayed partner report reaches nobody.
func TestReportChecksBeforeResponding(t *testing.T) {
	live := secretvalue.Generate(secretvalue.PrefixClientSecret).Reveal()
	gone := secretvalue.Generate(secretvalue.PrefixRefreshToken).Reveal()
	key := []byte("the services' verifier key")
	verifierOf := func(v string) string {
		p, err := secretvalue.Parse(v[:4], v)
		if err != nil {
			t.Fatal(err)
		}
		return string(secretvalue.Verifier(key, p))
	}
	var calls atomic.Int32
	owner := func(status domain.LeakStatus) Responder {
		return func(_ context.Context, v []byte, r domain.LeakReport) (domain.LeakOutcome, error) {
			calls.Add(1)
			if string(v) == verifierOf(live) || string(v) == verifierOf(gone) {
				return domain.LeakOutcome{Status: status}, nil
			}
			return domain.LeakOutcome{Status: domain.LeakUnknown}, nil
		}
	}
	s := New(Responders{Secret: owner(domain.LeakRevokedNow), RefreshToken: owner(domain.LeakAlreadyRevoked),
		APIToken: owner(domain.LeakUnknown), Session: owner(domain.LeakUnknown)}, key, digests{})
	bad := live[:len(live)-1] + map[bool]string{true: "b", false: "a"}[live[len(live)-1] == 'a']
	labels, err := s.Report(t.Context(), "test", []Finding{{Value: " " + live + "\n"}, {Value: gone}, {Value: bad}, {Value: "kwx_" + live[4:]}, {Value: "  "}})
	if err != nil {
		t.Fatal(err)
	}
	want := []Label{LabelRevoked, LabelInactive, LabelInvalid, LabelInvalid, LabelInvalid}
	for i := range want {
		if labels[i] != want[i] {
			t.Errorf("label %d = %s, want %s", i, labels[i], want[i])
		}
	}
	if calls.Load() != 2 {
		t.Errorf("%d values reached an owner, want 2", calls.Load())
	}

	p := newPublisher(t)
	k := p.add(t, "k1")
	keys, _ := NewGitHubKeys(GitHubKeysOptions{URL: p.srv.URL, Client: p.srv.Client()})
	g := &gate{seen: map[string]bool{}}
	body := []byte(`[{"token":"` + live + `","type":"t","url":"u","source":"content"}]`)
	sig := sign(t, k, body)
	calls.Store(0)
	stranger, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	for _, tc := range []struct {
		name     string
		id, sig  string
		body     []byte
		want     error
		wantBody bool
	}{
		{"no key id", "", sig, body, ErrUnsigned, false},
		{"no signature", "k1", "", body, ErrUnsigned, false},
		{"forged", "k1", sign(t, stranger, body), body, ErrBadSignature, false},
		{"tampered", "k1", sig, append([]byte(" "), body...), ErrBadSignature, false},
		{"good", "k1", sig, body, nil, true},
		{"replayed", "k1", sig, body, ErrReplayed, false},
	} {
		out, err := s.GitHub(t.Context(), keys, g, time.Now(), tc.id, tc.sig, tc.body)
		if !errors.Is(err, tc.want) || (out != nil) != tc.wantBody {
			t.Errorf("%s: %v, %v; want %v", tc.name, out, err, tc.want)
		}
	}
	if calls.Load() != 1 {
		t.Errorf("%d values reached an owner, want 1 (the good report's)", calls.Load())
	}
}

// digests is a Digests that knows no digest.
type digests struct{}

func (digests) VerifierByDigest(context.Context, []byte) (domain.LeakKind, []byte, error) {
	return "", nil, domain.ErrNotFound
}
