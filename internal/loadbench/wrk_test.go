package loadbench

import (
	"os"
	"testing"
	"time"
)

// TestWrkRunsAndChecks loads the reference with the real wrk: every answer
// is checked (a wrong secret counts as bad), and the run reports wrk's and
// this process's CPU time.
func TestWrkRunsAndChecks(t *testing.T) {
	path := os.Getenv("KEYWARDEN_WRK")
	if path == "" {
		t.Skip("set KEYWARDEN_WRK=/usr/bin/wrk (Debian: apt-get install wrk) to run the wrk driver's test")
	}
	ref, err := StartReferenceAlg(t.Context(), "EdDSA")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ref.Close() })
	id, secret, other := "kwc_"+newID("")[:22], NewClientSecret(), NewClientSecret()
	if err := ref.AddClient(id, secret, "bench:read"); err != nil {
		t.Fatal(err)
	}
	w, err := NewWrk(path, t.TempDir(), 1)
	if err != nil {
		t.Fatal(err)
	}
	good := WrkTarget{URL: ref.URL + "/oauth2/token", Auths: []string{BasicAuth(id, secret)}, Body: "grant_type=client_credentials", Expect: `"access_token"`}
	r, err := w.Run(t.Context(), good, 2, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if r.Requests == 0 || r.Good != r.Requests || r.Errors() != 0 || r.GeneratorCPU <= 0 || r.Elapsed < time.Second {
		t.Errorf("good run = %+v, want every request good and wrk's CPU time", r)
	}
	mixed := good
	mixed.Auths = append(mixed.Auths, BasicAuth(id, other))
	r, err = w.Run(t.Context(), mixed, 2, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if r.Good == 0 || r.Bad == 0 || r.Good+r.Bad != r.Requests {
		t.Errorf("mixed run = %+v, want good and bad answers counted", r)
	}
}

func TestParseWrk(t *testing.T) {
	r, err := parseWrk("Running 1s test\nRESULT requests=10 good=9 bad=1 sockerr=2 rps=10.5 p50_us=300 p99_us=4000 max_us=5000\n")
	if err != nil || r.Requests != 10 || r.Good != 9 || r.Errors() != 3 || r.P99 != 4*time.Millisecond || r.RPS != 10.5 {
		t.Errorf("parseWrk = %+v, %v", r, err)
	}
	if _, err := parseWrk("no result"); err == nil {
		t.Error("parseWrk accepted output without a RESULT line")
	}
	busy := WrkResult{GeneratorCPU: 950 * time.Millisecond, Elapsed: time.Second, Threads: 1}
	if !busy.Saturated() || (WrkResult{GeneratorCPU: 100 * time.Millisecond, Elapsed: time.Second, Threads: 1}).Saturated() {
		t.Error("Saturated misjudges wrk's busy time")
	}
}
