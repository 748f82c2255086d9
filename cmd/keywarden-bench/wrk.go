package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"keywarden/internal/loadbench"
	"keywarden/pkg/apiv1"
)

// wrkOptions are the flags of the wrk driver.
type wrkOptions struct {
	Wrk        string
	Threads    int
	Alg        string
	Ceiling    string // path of the shared ceiling reference binary; "" for the in-process one
	Rounds     int
	Slice      time.Duration // one measured slice of one target
	Warmup     time.Duration
	Conc       []int
	Clients    int // scale mode: seed this many clients
	Database   string
	CacheMB    int
	AdminEvery time.Duration // scale mode: an audited admin write this often during the load (0: none)
	CPUProfile string        // a CPU profile of the measured rounds goes to this file
}

// aggregate sums the rounds of one target: throughput over all of them,
// the worst round's p99.
type aggregate struct {
	rounds    []loadbench.WrkResult
	requests  int64
	errors    int64
	elapsed   time.Duration
	genCPU    time.Duration
	serverCPU time.Duration
	p99       time.Duration
	saturated bool
	busy      float64
}

func (a *aggregate) add(r loadbench.WrkResult) {
	a.rounds = append(a.rounds, r)
	a.requests += r.Requests
	a.errors += r.Errors()
	a.elapsed += r.Elapsed
	a.genCPU += r.GeneratorCPU
	a.serverCPU += r.ServerCPU
	a.p99 = max(a.p99, r.P99)
	a.saturated = a.saturated || r.Saturated()
	a.busy = max(a.busy, r.GeneratorBusy())
}

func (a *aggregate) rps() float64 {
	if a.elapsed <= 0 {
		return 0
	}
	return float64(a.requests) / a.elapsed.Seconds()
}

func (a *aggregate) share() float64 {
	if a.genCPU+a.serverCPU <= 0 {
		return 0
	}
	return float64(a.genCPU) / float64(a.genCPU+a.serverCPU)
}

func (a *aggregate) cpuPerRequest() time.Duration {
	if a.requests == 0 {
		return 0
	}
	return a.serverCPU / time.Duration(a.requests)
}

// interleave runs A and B alternately, rounds times, after a warm-up of
// each, and returns both aggregates.
func interleave(ctx context.Context, w *loadbench.Wrk, a, b loadbench.WrkTarget, conc int, o wrkOptions, during func(bool) func()) (*aggregate, *aggregate, error) {
	if o.Warmup > 0 {
		for _, t := range []loadbench.WrkTarget{a, b} {
			if _, err := w.Run(ctx, t, conc, o.Warmup); err != nil {
				return nil, nil, err
			}
		}
	}
	if o.CPUProfile != "" {
		f, err := os.Create(o.CPUProfile)
		if err != nil {
			return nil, nil, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return nil, nil, err
		}
		defer pprof.StopCPUProfile()
	}
	var ra, rb aggregate
	for range o.Rounds {
		for i, t := range []loadbench.WrkTarget{a, b} {
			stop := func() {}
			if during != nil {
				stop = during(i == 1)
			}
			r, err := w.Run(ctx, t, conc, o.Slice)
			stop()
			if err != nil {
				return nil, nil, err
			}
			if i == 0 {
				ra.add(r)
			} else {
				rb.add(r)
			}
		}
	}
	return &ra, &rb, nil
}

// startCeiling runs the shared ceiling reference binary for one client.
func startCeiling(ctx context.Context, path, alg, clientID, secret string) (url string, pid int, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", 0, nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.CommandContext(ctx, path, "-alg", alg, "-addr", addr, "-issuer", "http://"+addr+"/",
		"-client-id", clientID, "-client-secret", secret)
	if err := cmd.Start(); err != nil {
		return "", 0, nil, fmt.Errorf("start ceiling: %w", err)
	}
	stop = func() { cmd.Process.Kill(); cmd.Wait() }
	for deadline := time.Now().Add(10 * time.Second); ; {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return "http://" + addr, cmd.Process.Pid, stop, nil
		}
		if time.Now().After(deadline) {
			stop()
			return "", 0, nil, fmt.Errorf("ceiling not listening on %s after 10s", addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

const (
	tokenBody   = "grant_type=client_credentials"
	tokenExpect = `"access_token"`
	activeText  = `"active":true`
)

// benchWrk measures with wrk: Keywarden against a reference signing with
// the same algorithm, or (o.Clients > 0) Keywarden with every seeded
// client in use against Keywarden with ten of them.
func benchWrk(ctx context.Context, o wrkOptions, serverLog, stdout, stderr io.Writer) error {
	dir, err := os.MkdirTemp("", "keywarden-bench-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	w, err := loadbench.NewWrk(o.Wrk, dir, o.Threads)
	if err != nil {
		return err
	}
	kw, err := startKeywarden(ctx, dir, serverLog, stderr, kwOptions{Alg: o.Alg, Database: o.Database, CacheMB: o.CacheMB, Seed: o.Clients})
	if err != nil {
		return fmt.Errorf("start keywarden: %w", err)
	}
	defer kw.Stop()
	fmt.Fprintf(stderr, "keywarden-bench: wrk %s, %d thread(s), %d rounds of %s per target after %s warm-up, %s, concurrency %v\n",
		w.Path, w.Threads, o.Rounds, o.Slice, o.Warmup, o.Alg, o.Conc)
	if o.Clients > 0 {
		return benchScale(ctx, w, kw, o, stdout, stderr)
	}

	refURL, refPID, refName := "", 0, "reference (in-process, go-jose)"
	if o.Ceiling != "" {
		url, pid, stop, err := startCeiling(ctx, o.Ceiling, o.Alg, kw.ClientID, kw.Secret)
		if err != nil {
			return err
		}
		defer stop()
		refURL, refPID, refName = url, pid, "ceiling ("+o.Ceiling+")"
	} else {
		ref, err := loadbench.StartReferenceAlg(ctx, o.Alg)
		if err != nil {
			return err
		}
		defer ref.Close()
		if err := ref.AddClient(kw.ClientID, kw.Secret, "bench:read"); err != nil {
			return err
		}
		refURL = ref.URL
	}
	client := loadbench.NewClient(1)
	kwToken, err := loadbench.FetchToken(ctx, client, kw.URL, kw.ClientID, kw.Secret)
	if err != nil {
		return err
	}
	refToken, err := loadbench.FetchToken(ctx, client, refURL, kw.ClientID, kw.Secret)
	if err != nil {
		return err
	}
	client.CloseIdleConnections()
	auth := []string{loadbench.BasicAuth(kw.ClientID, kw.Secret)}
	type phase struct {
		name    string
		kw, ref loadbench.WrkTarget
	}
	phases := []phase{
		{"token", loadbench.WrkTarget{URL: kw.URL + "/oauth2/token", Auths: auth, Body: tokenBody, Expect: tokenExpect},
			loadbench.WrkTarget{URL: refURL + "/oauth2/token", Auths: auth, Body: tokenBody, Expect: tokenExpect, PID: refPID}},
		{"introspect", loadbench.WrkTarget{URL: kw.URL + "/oauth2/introspect", Auths: auth, Body: "token=" + kwToken, Expect: activeText},
			loadbench.WrkTarget{URL: refURL + "/oauth2/introspect", Auths: auth, Body: "token=" + refToken, Expect: activeText, PID: refPID}},
	}
	fmt.Fprintf(stdout, "subject: keywarden (%s); reference: %s\n", o.Alg, refName)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "phase\tconc\ttarget\treq/s\tp99 ms\terrors\tCPU µs/req\twrk CPU share\twrk busy\tratio req/s\tratio CPU/req\tp99 ×ref\t")
	failed := false
	for _, c := range o.Conc {
		for _, p := range phases {
			a, b, err := interleave(ctx, w, p.kw, p.ref, c, o, nil)
			if err != nil {
				return fmt.Errorf("%s at c=%d: %w", p.name, c, err)
			}
			failed = failed || a.errors > 0 || b.errors > 0
			row := func(name string, x *aggregate) string {
				return fmt.Sprintf("%s\t%d\t%s\t%.0f\t%.1f\t%d\t%.0f\t%.2f\t%.2f\t", p.name, c, name, x.rps(), ms(x.p99), x.errors,
					float64(x.cpuPerRequest())/1e3, x.share(), x.busy)
			}
			ratio := "\t\t\t"
			switch {
			case a.saturated || b.saturated:
				ratio = "withheld: wrk saturated\t\t\t"
			case b.rps() > 0 && a.cpuPerRequest() > 0:
				ratio = fmt.Sprintf("%.2f\t%.2f\t%.2f\t", a.rps()/b.rps(), float64(b.cpuPerRequest())/float64(a.cpuPerRequest()),
					float64(a.p99)/float64(max(b.p99, 1)))
			}
			fmt.Fprintln(tw, row("keywarden", a)+ratio)
			fmt.Fprintln(tw, row("reference", b)+"\t\t\t")
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "ratio req/s: Keywarden's throughput over the reference's, interleaved rounds; ratio CPU/req: the reference's server CPU time per request over Keywarden's (the fairer figure on a machine shared with other work); p99: the worst round's.")
	if failed {
		return errFailedRequests
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// benchScale compares token throughput with every seeded client in use
// (a random one per request) against ten of them, interleaved, after a
// warm-up that uses each client once; with o.AdminEvery, audited admin
// writes run during the all-clients slices and their latency is printed.
func benchScale(ctx context.Context, w *loadbench.Wrk, kw *instance, o wrkOptions, stdout, stderr io.Writer) error {
	url := kw.URL + "/oauth2/token"
	few := loadbench.WrkTarget{URL: url, Auths: kw.Seeded[:min(10, len(kw.Seeded))], Body: tokenBody, Expect: tokenExpect}
	all := loadbench.WrkTarget{URL: url, Auths: kw.Seeded, Body: tokenBody, Expect: tokenExpect}
	conc := o.Conc[len(o.Conc)-1]
	probe, err := w.Run(ctx, few, conc, 3*time.Second)
	if err != nil {
		return err
	}
	// The warm-up walks the clients in order, one wrk run after another,
	// until every one was used once.
	fmt.Fprintf(stderr, "keywarden-bench: warming the cache: every one of %d clients once (about %s at %.0f req/s)\n",
		len(kw.Seeded), (time.Duration(float64(len(kw.Seeded))/max(probe.RPS, 1)) * time.Second).Round(time.Second), probe.RPS)
	walk := all
	walk.Sequential = true
	for walk.Start < len(kw.Seeded) {
		r, err := w.Run(ctx, walk, conc, 30*time.Second)
		if err != nil {
			return err
		}
		if r.Errors() > 0 || r.Requests == 0 {
			return fmt.Errorf("warm-up: %d failed requests of %d", r.Errors(), r.Requests)
		}
		walk.Start += int(r.Requests)
	}
	var mu sync.Mutex
	var lat []time.Duration
	var adminErrs int
	during := func(allSlice bool) func() {
		if o.AdminEvery <= 0 || !allSlice {
			return func() {}
		}
		actx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			t := time.NewTicker(o.AdminEvery)
			defer t.Stop()
			for i := 0; ; i++ {
				select {
				case <-actx.Done():
					return
				case <-t.C:
				}
				desc := "admin write " + strconv.Itoa(i)
				start := time.Now()
				_, err := kw.API.UpdateClient(actx, kw.ClientID, apiv1.UpdateClient{Description: &desc})
				d := time.Since(start)
				mu.Lock()
				if err != nil && !errors.Is(err, context.Canceled) {
					adminErrs++
				} else if err == nil {
					lat = append(lat, d)
				}
				mu.Unlock()
			}
		}()
		return func() { cancel(); <-done }
	}
	o.Warmup = 0
	a, b, err := interleave(ctx, w, few, all, conc, o, during)
	if err != nil {
		return err
	}
	engine := "SQLite"
	if o.Database != "" {
		engine = "PostgreSQL"
	}
	fmt.Fprintf(stdout, "scale: %d clients on %s, %s, c=%d\n", len(kw.Seeded), engine, o.Alg, conc)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "target\treq/s\tp99 ms\terrors\tCPU µs/req\twrk CPU share\twrk busy\t")
	for _, x := range []struct {
		name string
		a    *aggregate
	}{{"10 clients", a}, {fmt.Sprintf("%d clients", len(kw.Seeded)), b}} {
		fmt.Fprintf(tw, "%s\t%.0f\t%.1f\t%d\t%.0f\t%.2f\t%.2f\t\n", x.name, x.a.rps(), ms(x.a.p99), x.a.errors,
			float64(x.a.cpuPerRequest())/1e3, x.a.share(), x.a.busy)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if a.saturated || b.saturated {
		fmt.Fprintln(stdout, "ratio withheld: wrk saturated")
	} else {
		fmt.Fprintf(stdout, "ratio all/10: req/s %.2f, CPU per request %.2f\n", b.rps()/a.rps(), float64(a.cpuPerRequest())/float64(b.cpuPerRequest()))
	}
	if rss, err := residentMB(); err == nil {
		fmt.Fprintf(stdout, "resident memory of the bench process (Keywarden in it): %d MiB\n", rss)
	}
	if o.AdminEvery > 0 {
		slices.Sort(lat)
		q := func(f float64) float64 {
			if len(lat) == 0 {
				return 0
			}
			return ms(lat[min(int(f*float64(len(lat))), len(lat)-1)])
		}
		fmt.Fprintf(stdout, "audited admin writes (PATCH /v1/clients/{id}) during the %d-client load: %d, errors %d, p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
			len(kw.Seeded), len(lat), adminErrs, q(0.5), q(0.99), q(1))
	}
	if a.errors > 0 || b.errors > 0 || adminErrs > 0 {
		return errFailedRequests
	}
	return nil
}

// residentMB is this process's resident set size in MiB.
func residentMB() (int, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return kb / 1024, err
		}
	}
	return 0, errors.New("no VmRSS in /proc/self/status")
}
