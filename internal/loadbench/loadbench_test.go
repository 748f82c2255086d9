package loadbench

import (
	"bytes"
	"context"
	"crypto/ed25519"
	cryptorand "crypto/rand"
	"encoding/base64"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"

	"keywarden/internal/secretvalue"
)

func TestHistogramBuckets(t *testing.T) {
	prev := -1
	for _, v := range []uint64{0, 1, 127, 128, 129, 255, 256, 1000, 1 << 20, 1<<40 + 12345, 1<<63 - 1, 1<<64 - 1} {
		i := bucketOf(v)
		if i < prev {
			t.Errorf("bucketOf(%d) = %d, below the previous value's bucket %d", v, i, prev)
		}
		prev = i
		if i >= numBuckets {
			t.Fatalf("bucketOf(%d) = %d, out of range", v, i)
		}
		mid := bucketValue(i)
		if diff := absDiff(mid, v); float64(diff) > float64(v)/100 {
			t.Errorf("bucketValue(bucketOf(%d)) = %d: off by more than 1%%", v, mid)
		}
	}
}

func absDiff(a, b uint64) uint64 {
	if a > b {
		return a - b
	}
	return b - a
}

func TestHistogramQuantiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var a, b histogram // recorded separately and merged, as workers do
	var all []time.Duration
	for i := range 20000 {
		d := time.Duration(rng.ExpFloat64() * float64(2*time.Millisecond))
		all = append(all, d)
		if i%2 == 0 {
			a.record(d)
		} else {
			b.record(d)
		}
	}
	a.merge(&b)
	slices.Sort(all)
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999, 1} {
		want := all[max(int(float64(len(all))*q+0.999999)-1, 0)]
		got := a.quantile(q)
		if diff := absDiff(uint64(got), uint64(want)); float64(diff) > float64(want)/100+1 {
			t.Errorf("quantile(%v) = %v, want %v ±1%%", q, got, want)
		}
	}
	if a.max != all[len(all)-1] || a.n != uint64(len(all)) {
		t.Errorf("max, n = %v, %d; want %v, %d", a.max, a.n, all[len(all)-1], len(all))
	}
	var empty histogram
	if empty.quantile(0.5) != 0 || empty.mean() != 0 {
		t.Error("an empty histogram reports a latency")
	}
}

// refServer serves a reference with one client and counts the requests it
// receives.
type refServer struct {
	*httptest.Server
	ref              *Reference
	handler          http.Handler
	clientID, secret string
	served           atomic.Int64
}

func newRefServer(t *testing.T) *refServer {
	t.Helper()
	s := &refServer{clientID: "kwc_bench", secret: secretvalue.Generate(secretvalue.PrefixClientSecret).Reveal()}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.served.Add(1)
		s.handler.ServeHTTP(w, r)
	}))
	ref, err := NewReference("http://" + s.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	if err := ref.AddClient(s.clientID, s.secret, "bench:read"); err != nil {
		t.Fatal(err)
	}
	s.ref, s.handler = ref, ref.Handler()
	s.Start()
	t.Cleanup(s.Close)
	return s
}

func (s *refServer) mint(t *testing.T) string {
	t.Helper()
	tgt := TokenTarget(s.URL, s.clientID, s.secret)
	req, _ := http.NewRequest("POST", tgt.URL, bytes.NewReader(tgt.Body))
	req.Header = tgt.Header
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out refTokenResponse
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 || out.AccessToken == "" {
		t.Fatalf("token: status %d, %+v, %v", resp.StatusCode, out, err)
	}
	return out.AccessToken
}

func TestRunCountsEveryRequest(t *testing.T) {
	s := newRefServer(t)
	res, err := Run(t.Context(), TokenTarget(s.URL, s.clientID, s.secret), Options{Concurrency: 4, Duration: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests == 0 || res.Errors != 0 || res.FirstError != "" {
		t.Fatalf("requests %d, errors %d (%s); want some, and none failed", res.Requests, res.Errors, res.FirstError)
	}
	if got := s.served.Load(); got != res.Requests {
		t.Errorf("the driver counted %d requests, the server served %d", res.Requests, got)
	}
	if res.Statuses[200] != res.Requests || len(res.Statuses) != 1 {
		t.Errorf("statuses %v; want %d × 200", res.Statuses, res.Requests)
	}
	if res.Elapsed < 300*time.Millisecond || res.Elapsed > 2*time.Second {
		t.Errorf("elapsed %v for a 300ms phase", res.Elapsed)
	}
	if !(0 < res.P50 && res.P50 <= res.P99 && res.P99 <= res.Max && res.Mean > 0) {
		t.Errorf("latencies p50 %v, p99 %v, max %v, mean %v: not 0 < p50 ≤ p99 ≤ max", res.P50, res.P99, res.Max, res.Mean)
	}
	if want := float64(res.Requests) / res.Elapsed.Seconds(); res.RPS() != want {
		t.Errorf("RPS() = %v, want %v", res.RPS(), want)
	}
}

func TestRunCountsErrors(t *testing.T) {
	s := newRefServer(t)
	wrong := secretvalue.Generate(secretvalue.PrefixClientSecret).Reveal()
	res, err := Run(t.Context(), TokenTarget(s.URL, s.clientID, wrong), Options{Concurrency: 2, Duration: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests == 0 || res.Errors != res.Requests || res.Statuses[401] != res.Requests {
		t.Errorf("requests %d, errors %d, statuses %v; want every request a 401 error", res.Requests, res.Errors, res.Statuses)
	}
	if got := s.served.Load(); got != res.Requests {
		t.Errorf("the driver counted %d requests, the server served %d", res.Requests, got)
	}
	if !strings.Contains(res.FirstError, "HTTP 401") || !strings.Contains(res.FirstError, "invalid_client") {
		t.Errorf("first error %q; want the status and body", res.FirstError)
	}
	if !Failed([]Row{{Result: res}}) {
		t.Error("Failed = false for a phase with errors")
	}
}

func TestRunChecksBodies(t *testing.T) {
	s := newRefServer(t)
	tok := s.mint(t)
	// A token from another signer is answered 200 {"active":false}: the
	// check must count that as an error.
	other := newRefServer(t)
	foreign := other.mint(t)
	good, err := Run(t.Context(), IntrospectTarget(s.URL, s.clientID, s.secret, tok), Options{Concurrency: 2, Duration: 100 * time.Millisecond})
	if err != nil || good.Requests == 0 || good.Errors != 0 {
		t.Fatalf("introspect own token: %d requests, %d errors (%s), %v", good.Requests, good.Errors, good.FirstError, err)
	}
	bad, err := Run(t.Context(), IntrospectTarget(s.URL, s.clientID, s.secret, foreign), Options{Concurrency: 2, MaxRequests: 10, Duration: time.Second})
	if err != nil || bad.Requests != 10 || bad.Errors != 10 || !strings.Contains(bad.FirstError, `"active":true`) {
		t.Fatalf("introspect foreign token: %d requests, %d errors (%s), %v; want 10 refused bodies", bad.Requests, bad.Errors, bad.FirstError, err)
	}
}

func TestMaxRequestsBoundsAPhase(t *testing.T) {
	s := newRefServer(t)
	start := time.Now()
	res, err := Run(t.Context(), TokenTarget(s.URL, s.clientID, s.secret), Options{Concurrency: 4, Duration: time.Minute, MaxRequests: 37})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests != 37 || s.served.Load() != 37 {
		t.Errorf("requests %d, served %d; want 37", res.Requests, s.served.Load())
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("a 37-request phase took %v", time.Since(start))
	}
}

func TestRunStopsWithContext(t *testing.T) {
	s := newRefServer(t)
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	_, err := Run(ctx, TokenTarget(s.URL, s.clientID, s.secret), Options{Concurrency: 2, Duration: time.Minute})
	if err == nil {
		t.Fatal("Run outlived its context without an error")
	}
}

func TestRefusesAnythingButLoopback(t *testing.T) {
	o := Options{Concurrency: 1, Duration: time.Second}
	for _, u := range []string{
		"http://192.0.2.1:8080/oauth2/token",
		"http://example.com:80/oauth2/token",
		"http://localhost:8080/oauth2/token", // a name: never resolved
		"https://127.0.0.1:8443/oauth2/token",
		"http://127.0.0.1/oauth2/token",
		"://bad",
	} {
		if _, err := Run(t.Context(), Target{URL: u}, o); err == nil {
			t.Errorf("Run(%q) started", u)
		}
	}
	for _, bad := range []Options{{Concurrency: 0, Duration: time.Second}, {Concurrency: 1}, {Concurrency: 1, Duration: time.Hour},
		{Concurrency: 1, Duration: time.Second, MaxRequests: -1}, {Concurrency: MaxConcurrency + 1, Duration: time.Second}} {
		if _, err := Run(t.Context(), Target{URL: "http://127.0.0.1:1/x"}, bad); err == nil {
			t.Errorf("Run with %+v started", bad)
		}
	}
	if err := checkLoopback("[::1]:80"); err != nil {
		t.Errorf("checkLoopback([::1]:80) = %v", err)
	}
}

func TestReferenceToken(t *testing.T) {
	s := newRefServer(t)
	tok := s.mint(t)
	head, _, _ := strings.Cut(tok, ".")
	raw, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		t.Fatal(err)
	}
	var h map[string]string
	if err := json.Unmarshal(raw, &h); err != nil {
		t.Fatal(err)
	}
	if h["alg"] != "ES256" || h["typ"] != "at+jwt" || h["kid"] != s.ref.kid {
		t.Errorf("JWT header %v; want ES256, at+jwt and the key's ID", h)
	}
	c, ok := s.ref.verify(tok)
	if !ok || c.ClientID != s.clientID || c.Scope != "bench:read" || c.Expiry-c.IssuedAt != 86400 || c.Issuer != s.URL {
		t.Errorf("claims %+v, ok %v", c, ok)
	}
	if _, ok := s.ref.verify(tok[:len(tok)-2] + "AA"); ok {
		t.Error("a token with a changed signature verified")
	}
	if err := s.ref.AddClient("kwc_x", "not-a-generated-secret", ""); err == nil {
		t.Error("AddClient accepted a value that is not a generated secret")
	}
}

func TestCompareAndReport(t *testing.T) {
	s := newRefServer(t)
	tgt := TokenTarget(s.URL, s.clientID, s.secret)
	var progress bytes.Buffer
	rows, err := Compare(t.Context(), []Phase{{Name: "token", Subject: tgt, Reference: tgt}}, []int{2},
		Options{Duration: 200 * time.Millisecond, Rounds: 2}, &progress)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Target != SubjectName || rows[1].Target != ReferenceName || rows[0].Ratio <= 0 || rows[1].Ratio != 0 {
		t.Fatalf("rows %+v", rows)
	}
	if got, want := s.served.Load(), rows[0].Requests+rows[1].Requests; got != want {
		t.Errorf("server served %d requests, the rows count %d", got, want)
	}
	for _, r := range rows {
		if r.Elapsed < 200*time.Millisecond || r.Elapsed > time.Second || r.Errors != 0 {
			t.Errorf("%s: elapsed %v over two 100ms rounds, %d errors", r.Target, r.Elapsed, r.Errors)
		}
	}
	if got := strings.Count(progress.String(), "\n"); got != 2 {
		t.Errorf("%d progress lines, want 2:\n%s", got, progress.String())
	}
	if Failed(rows) {
		t.Error("Failed = true without errors")
	}

	var text bytes.Buffer
	if err := WriteText(&text, rows); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(text.String(), "\n"), "\n")
	if len(lines) != 3 || !strings.Contains(lines[0], "req/s") || !strings.Contains(lines[0], "ratio") ||
		!strings.HasSuffix(strings.TrimSpace(lines[2]), "-") {
		t.Errorf("table:\n%s", text.String())
	}

	var js bytes.Buffer
	if err := WriteJSON(&js, Meta{GoVersion: "go1.x", CPUs: 2, Duration: "100ms"}, rows); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		CPUs    int `json:"cpus"`
		Results []struct {
			Target   string           `json:"target"`
			Requests int64            `json:"requests"`
			Ratio    *float64         `json:"ratio"`
			Statuses map[string]int64 `json:"statuses"`
		} `json:"results"`
	}
	if err := json.NewDecoder(&js).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if doc.CPUs != 2 || len(doc.Results) != 2 || doc.Results[0].Ratio == nil || doc.Results[1].Ratio != nil ||
		doc.Results[0].Statuses["200"] != doc.Results[0].Requests {
		t.Errorf("JSON %+v", doc)
	}
}

// TestAssertionTarget: every body is a client_credentials request with a
// new assertion that verifies with the public key and names the client
// and the token endpoint.
func TestAssertionTarget(t *testing.T) {
	pub, priv, err := ed25519.GenerateKey(cryptorand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	a, err := NewAssertions("http://127.0.0.1:1", "kwc_x", "k1", priv)
	if err != nil {
		t.Fatal(err)
	}
	tg := AssertionTarget("http://127.0.0.1:1", a)
	seen := map[string]bool{}
	for range 3 {
		form, err := url.ParseQuery(string(tg.NextBody()))
		if err != nil || form.Get("grant_type") != "client_credentials" || form.Get("client_assertion_type") != AssertionType {
			t.Fatalf("body %v, %v", form, err)
		}
		tok, err := josejwt.ParseSigned(form.Get("client_assertion"), []jose.SignatureAlgorithm{jose.EdDSA})
		if err != nil {
			t.Fatal(err)
		}
		var c josejwt.Claims
		if err := tok.Claims(pub, &c); err != nil || c.Issuer != "kwc_x" || c.Subject != "kwc_x" || c.Audience[0] != "http://127.0.0.1:1/oauth2/token" ||
			tok.Headers[0].KeyID != "k1" || seen[c.ID] {
			t.Fatalf("claims %+v (kid %q), %v", c, tok.Headers[0].KeyID, err)
		}
		seen[c.ID] = true
	}
}
