package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"golang.org/x/time/rate"

	"keywarden/internal/loadbench"
	"keywarden/internal/secretvalue"
)

// bruteForceOptions shape -mode bruteforce.
type bruteForceOptions struct {
	load       loadbench.Options // the legitimate client's token load
	addresses  int               // the attacker's source addresses (X-Forwarded-For)
	attackRate float64           // attack requests per second, all addresses together
	secrets    string            // "generated" (kws_-shaped) or "supplied" (anything else: argon2id)
	// wrk, when set, generates the legitimate load (the judged figures);
	// nil: the in-process Go generator.
	wrk *wrkDriver
}

// wrkDriver is what -driver wrk needs in bruteforce mode.
type wrkDriver struct {
	path    string
	threads int
}

// legitResult is one phase of the legitimate load, from either generator.
type legitResult struct {
	rps        float64
	p99        time.Duration
	errors     int64
	elapsed    time.Duration
	firstError string
	// wrkShare is wrk's CPU time over the machine's (elapsed × CPUs);
	// wrkBusy its threads' busy share. Both 0 for the Go generator.
	wrkShare, wrkBusy float64
}

// attack is one brute force: what it sends. basic is the Authorization
// header of request i; without one the attack is the reference, GET
// /healthz at the same rate (what the traffic costs before any
// authentication).
type attack struct {
	name  string
	basic func(i int64) string
}

// bruteForce measures the legitimate client's token throughput alone and
// during brute forces from o.addresses addresses, in one run, and prints
// each as a ratio of alone (issue 9, rule 9: the target is 0.8). Alone is
// measured before and after the attacks and the mean is the reference, so
// that drift on a shared machine shows as the two disagreeing.
func bruteForce(ctx context.Context, o bruteForceOptions, serverLog, stdout, stderr io.Writer) error {
	dir, err := os.MkdirTemp("", "keywarden-bench-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	kw, err := startKeywarden(ctx, dir, serverLog, io.Discard, kwOptions{})
	if err != nil {
		return fmt.Errorf("start keywarden: %w", err)
	}
	defer kw.Stop()

	// Wrong secrets made up front: the attacker's CPU is this machine's too.
	guesses := make([]string, 4096)
	for i := range guesses {
		guesses[i] = secretvalue.Generate(secretvalue.PrefixClientSecret).Reveal()
		if o.secrets == "supplied" {
			guesses[i] = fmt.Sprintf("guess number %d of a supplied secret", i)
		}
	}
	wrong := func(i int64) string { return guesses[i%int64(len(guesses))] }
	attacks := []attack{
		{"reference: the same rate of GET /healthz", nil},
		{"wrong secrets, real client", func(i int64) string { return loadbench.BasicAuth(kw.ClientID, wrong(i)) }},
		{"unknown clients", func(i int64) string { return loadbench.BasicAuth(fmt.Sprintf("kwc_unknown%011d", i), wrong(i)) }},
	}
	runLegit := func() (legitResult, error) {
		res, err := loadbench.Run(ctx, loadbench.TokenTarget(kw.URL, kw.ClientID, kw.Secret), o.load)
		return legitResult{rps: res.RPS(), p99: res.P99, errors: res.Errors, elapsed: res.Elapsed, firstError: res.FirstError}, err
	}
	generator := "the in-process Go generator"
	if o.wrk != nil {
		w, err := loadbench.NewWrk(o.wrk.path, dir, o.wrk.threads)
		if err != nil {
			return err
		}
		generator = fmt.Sprintf("wrk (%d thread(s))", w.Threads)
		t := loadbench.WrkTarget{URL: kw.URL + "/oauth2/token", Auths: []string{loadbench.BasicAuth(kw.ClientID, kw.Secret)},
			Body: tokenBody, Expect: tokenExpect}
		runLegit = func() (legitResult, error) {
			if o.load.Warmup > 0 {
				if _, err := w.Run(ctx, t, o.load.Concurrency, o.load.Warmup); err != nil {
					return legitResult{}, err
				}
			}
			r, err := w.Run(ctx, t, o.load.Concurrency, o.load.Duration)
			res := legitResult{rps: r.RPS, p99: r.P99, errors: r.Errors(), elapsed: r.Elapsed, wrkBusy: r.GeneratorBusy()}
			if r.Elapsed > 0 {
				res.wrkShare = float64(r.GeneratorCPU) / float64(r.Elapsed) / float64(runtime.NumCPU())
			}
			if res.errors > 0 {
				res.firstError = fmt.Sprintf("%d answers were not 200 with a token, %d socket errors", r.Bad, r.SockErr)
			}
			return res, err
		}
	}
	fmt.Fprintf(stderr, "keywarden-bench: brute force: %d CPUs, %d legitimate connections from %s, %s per phase after %s warm-up; attack %.0f req/s from %d addresses, %s secrets\n",
		runtime.GOMAXPROCS(0), o.load.Concurrency, generator, o.load.Duration, o.load.Warmup, o.attackRate, o.addresses, o.secrets)

	type row struct {
		name     string
		res      legitResult
		statuses map[int]int64
		sentRate float64
	}
	var rows []row
	measure := func(name string, a *attack) error {
		fmt.Fprintf(stderr, "keywarden-bench: %s …\n", name)
		var stop func() (map[int]int64, float64)
		if a != nil {
			stop = runAttack(ctx, kw.URL, *a, o)
		}
		res, err := runLegit()
		r := row{name: name, res: res}
		if stop != nil {
			r.statuses, r.sentRate = stop()
		}
		rows = append(rows, r)
		return err
	}
	if err := measure("alone (before)", nil); err != nil {
		return err
	}
	for i := range attacks {
		name := "during a brute force: " + attacks[i].name
		if attacks[i].basic == nil {
			name = "during " + attacks[i].name
		}
		if err := measure(name, &attacks[i]); err != nil {
			return err
		}
	}
	if err := measure("alone (after)", nil); err != nil {
		return err
	}

	ref := (rows[0].res.rps + rows[len(rows)-1].res.rps) / 2
	w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "legitimate token load\ttokens/s\tratio\tp99\terrors\twrk CPU share\twrk busy\tattack sent/s\tattack answers")
	failed := false
	for _, r := range rows {
		attackRate, answers := "-", "-"
		if r.statuses != nil {
			attackRate = fmt.Sprintf("%.0f", r.sentRate)
			answers = formatStatuses(r.statuses)
		}
		share, busy := "-", "-"
		if o.wrk != nil {
			share, busy = fmt.Sprintf("%.0f%%", 100*r.res.wrkShare), fmt.Sprintf("%.0f%%", 100*r.res.wrkBusy)
		}
		fmt.Fprintf(w, "%s\t%.0f\t%.2f\t%s\t%d\t%s\t%s\t%s\t%s\n", r.name, r.res.rps, r.res.rps/ref, r.res.p99.Round(10*time.Microsecond),
			r.res.errors, share, busy, attackRate, answers)
		failed = failed || r.res.errors > 0
	}
	if err := w.Flush(); err != nil {
		return err
	}
	for _, r := range rows {
		if r.res.errors > 0 {
			fmt.Fprintf(stdout, "%s: first failed request: %s\n", r.name, r.res.firstError)
		}
	}
	fmt.Fprintf(stdout, "ratio = tokens/s ÷ %.0f (the mean of alone before and after); target ≥ 0.80 during a brute force.\n", ref)
	fmt.Fprintln(stdout, "The attacker runs on this machine: the /healthz reference shows what its traffic alone costs the legitimate load.")
	if o.wrk != nil {
		fmt.Fprintf(stdout, "wrk CPU share: wrk's CPU time over the machine's (%d CPUs); wrk busy ≥ %.0f%% would mean the generator, not the server, was the limit.\n",
			runtime.NumCPU(), 100*loadbench.WrkSaturated)
	}
	if failed {
		return errFailedRequests
	}
	return nil
}

// runAttack sends a's requests at o.attackRate from o.addresses addresses
// until the returned stop is called, which reports the answers by status
// (0: transport errors) and how many requests were sent per second over
// the whole attack (warm-up included).
func runAttack(ctx context.Context, baseURL string, a attack, o bruteForceOptions) func() (map[int]int64, float64) {
	start := time.Now()
	ctx, cancel := context.WithCancel(ctx)
	lim := rate.NewLimiter(rate.Limit(o.attackRate), max(1, int(o.attackRate/100)))
	const workers = 64
	client := loadbench.NewClient(workers)
	var n atomic.Int64
	var mu sync.Mutex
	statuses := map[int]int64{}
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			local := map[int]int64{}
			defer func() {
				mu.Lock()
				for s, c := range local {
					statuses[s] += c
				}
				mu.Unlock()
			}()
			for lim.Wait(ctx) == nil {
				i := n.Add(1)
				req, err := http.NewRequestWithContext(ctx, "GET", baseURL+"/healthz", nil)
				if a.basic != nil {
					req, err = http.NewRequestWithContext(ctx, "POST", baseURL+"/oauth2/token", strings.NewReader("grant_type=client_credentials"))
				}
				if err != nil {
					return
				}
				if a.basic != nil {
					req.Header.Set("Authorization", a.basic(i))
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				}
				req.Header.Set("X-Forwarded-For", fmt.Sprintf("10.77.0.%d", i%int64(o.addresses)+1))
				resp, err := client.Do(req)
				if err != nil {
					if !errors.Is(ctx.Err(), context.Canceled) {
						local[0]++
					}
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				local[resp.StatusCode]++
			}
		})
	}
	return func() (map[int]int64, float64) {
		cancel()
		wg.Wait()
		client.CloseIdleConnections()
		return statuses, float64(n.Load()) / time.Since(start).Seconds()
	}
}

func formatStatuses(m map[int]int64) string {
	var parts []string
	for _, s := range []int{200, 401, 429, 503, 0} {
		if m[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d×%d", m[s], s))
		}
	}
	for s, c := range m {
		if s != 200 && s != 401 && s != 429 && s != 503 && s != 0 {
			parts = append(parts, fmt.Sprintf("%d×%d", c, s))
		}
	}
	return strings.Join(parts, " ")
}
