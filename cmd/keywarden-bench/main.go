// Command keywarden-bench measures Keywarden's token and introspection
// endpoints under load, against a reference that does only the
// unavoidable work, and prints Keywarden's throughput as a ratio of it.
//
//	go run ./cmd/keywarden-bench [-alg ES256|EdDSA] [-concurrency 16,64] [-duration 10s] [-rounds 4] [-ceiling BIN]
//	go run ./cmd/keywarden-bench -clients 1000000 [-database postgres://…] [-client-cache-mb 3072] [-admin-every 200ms]
//	go run ./cmd/keywarden-bench -driver go [-duration 10s] [-concurrency 16,64] [-warmup 2s] [-o text|json]
//	go run ./cmd/keywarden-bench -mode bruteforce [-attack-secrets generated|supplied] [-attack-rate 2000] [-driver wrk|go]
//	go run ./cmd/keywarden-bench -mode keyjwt [-concurrency 16,64] [-duration 10s]
//
// A development-mode Keywarden runs in this process on 127.0.0.1 (SQLite
// in a temporary directory, or the PostgreSQL database given), with the
// in-process reference or the shared ceiling binary as a child process.
// The load comes from wrk (default; its CPU share is printed and a ratio
// is withheld when it saturates) or from an in-process Go generator. The
// scale mode (-clients) seeds clients through the import path and compares
// all of them in use with ten. -mode keyjwt puts private_key_jwt next to
// client_secret_basic on one Keywarden and prints the ratio. The exit status is 1 if any request
// failed, 2 on a usage error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"keywarden/internal/loadbench"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("keywarden-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	duration := fs.Duration("duration", 10*time.Second, "measured time of each phase (-driver wrk: of each round of each target)")
	warmup := fs.Duration("warmup", 2*time.Second, "unmeasured load before each phase, on the same connections")
	levels := fs.String("concurrency", "16,64", "comma-separated numbers of concurrent connections")
	format := fs.String("o", "text", "output: text or json")
	maxRequests := fs.Int64("max-requests", loadbench.DefaultMaxRequests, "upper bound on the requests of one phase")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the load phases to `file`; samples carry the label loadbench=keywarden|reference|client")
	serverLog := fs.Bool("server-log", false, "copy Keywarden's log to stderr (it goes to io.Discard otherwise)")
	mode := fs.String("mode", "reference", "reference: against the reference (-driver); bruteforce: token load alone and during brute forces (bruteforce.go); keyjwt: private_key_jwt next to client_secret_basic (keyjwt.go, in-process driver)")
	attackRate := fs.Float64("attack-rate", 2000, "-mode bruteforce: attack requests per second")
	attackAddrs := fs.Int("attack-addresses", 60, "-mode bruteforce: source addresses the attack comes from")
	attackSecrets := fs.String("attack-secrets", "generated", "-mode bruteforce: generated (kws_-shaped wrong secrets) or supplied (anything else: argon2id)")
	driver := fs.String("driver", "wrk", "load generator: wrk (an external, efficient one; the judged figures) or go (in-process)")
	var wo wrkOptions
	fs.StringVar(&wo.Wrk, "wrk", loadbench.DefaultWrk, "wrk binary (-driver wrk)")
	fs.IntVar(&wo.Threads, "wrk-threads", 1, "wrk threads (-driver wrk)")
	fs.StringVar(&wo.Alg, "alg", "ES256", "signing algorithm of Keywarden and of the reference: ES256 or EdDSA (-driver wrk)")
	fs.StringVar(&wo.Ceiling, "ceiling", "", "reference `binary` built from the shared ceiling (go build in its directory); default: the in-process go-jose reference (-driver wrk)")
	fs.IntVar(&wo.Rounds, "rounds", 4, "interleaved rounds per target, keywarden then the reference (-driver wrk)")
	fs.IntVar(&wo.Clients, "clients", 0, "scale mode: seed this many clients through the import path and compare all in use with 10 (-driver wrk)")
	fs.StringVar(&wo.Database, "database", "", "postgres:// URL of an empty database or schema (default: SQLite in a temporary directory)")
	fs.IntVar(&wo.CacheMB, "client-cache-mb", 0, "Keywarden's client cache budget in MiB (default: Keywarden's default)")
	fs.DurationVar(&wo.AdminEvery, "admin-every", 0, "scale mode: an audited admin write (PATCH a client) this often during the all-clients load, latency printed")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	conc, err := parseLevels(*levels)
	if err == nil && *format != "text" && *format != "json" {
		err = fmt.Errorf("-o %q: must be text or json", *format)
	}
	if err == nil && (*mode != "reference" && *mode != "bruteforce" && *mode != "keyjwt" || *attackRate <= 0 || *attackAddrs < 1 || *attackAddrs > 250 ||
		*attackSecrets != "generated" && *attackSecrets != "supplied") {
		err = errors.New("-mode reference|bruteforce|keyjwt, -attack-rate > 0, -attack-addresses 1…250, -attack-secrets generated|supplied")
	}
	if err == nil && *driver != "wrk" && *driver != "go" {
		err = fmt.Errorf("-driver %q: must be wrk or go", *driver)
	}
	if err == nil && wo.Alg != "ES256" && wo.Alg != "EdDSA" {
		err = fmt.Errorf("-alg %q: must be ES256 or EdDSA", wo.Alg)
	}
	if err == nil && (wo.Rounds < 1 || wo.Rounds > loadbench.MaxRounds || wo.Clients < 0 || wo.Clients > 10_000_000) {
		err = fmt.Errorf("-rounds must be between 1 and %d, -clients between 0 and 10000000", loadbench.MaxRounds)
	}
	if err == nil && fs.NArg() > 0 {
		err = fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if err != nil {
		fmt.Fprintln(stderr, "keywarden-bench:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	logTo := io.Discard
	if *serverLog {
		logTo = stderr
	}
	if *mode == "bruteforce" {
		bo := bruteForceOptions{load: loadbench.Options{Concurrency: conc[0], Duration: *duration, Warmup: *warmup, MaxRequests: *maxRequests},
			addresses: *attackAddrs, attackRate: *attackRate, secrets: *attackSecrets}
		if *driver == "wrk" {
			bo.wrk = &wrkDriver{path: wo.Wrk, threads: wo.Threads}
		}
		err = bruteForce(ctx, bo, logTo, stdout, stderr)
		if err != nil {
			fmt.Fprintln(stderr, "keywarden-bench:", err)
			return 1
		}
		return 0
	}
	if *mode == "keyjwt" {
		if err := benchKeyJWT(ctx, conc, loadbench.Options{Duration: *duration, Warmup: *warmup, MaxRequests: *maxRequests}, logTo, stdout, stderr); err != nil {
			fmt.Fprintln(stderr, "keywarden-bench:", err)
			return 1
		}
		return 0
	}
	if *driver == "wrk" {
		wo.Conc, wo.Slice, wo.Warmup, wo.CPUProfile = conc, *duration, *warmup, *cpuprofile
		if err := benchWrk(ctx, wo, logTo, stdout, stderr); err != nil {
			fmt.Fprintln(stderr, "keywarden-bench:", err)
			return 1
		}
		return 0
	}
	if err := bench(ctx, conc, loadbench.Options{Duration: *duration, Warmup: *warmup, MaxRequests: *maxRequests},
		*format, *cpuprofile, logTo, stdout, stderr); err != nil {
		fmt.Fprintln(stderr, "keywarden-bench:", err)
		return 1
	}
	return 0
}

func parseLevels(s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > loadbench.MaxConcurrency {
			return nil, fmt.Errorf("-concurrency %q: want numbers between 1 and %d separated by commas", s, loadbench.MaxConcurrency)
		}
		out = append(out, n)
	}
	return out, nil
}

// errFailedRequests makes the exit status 1 after the results are printed.
var errFailedRequests = errors.New("some requests failed")

func bench(ctx context.Context, conc []int, o loadbench.Options, format, cpuprofile string, serverLog, stdout, stderr io.Writer) error {
	dir, err := os.MkdirTemp("", "keywarden-bench-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	kw, err := startKeywarden(ctx, dir, serverLog, stderr, kwOptions{})
	if err != nil {
		return fmt.Errorf("start keywarden: %w", err)
	}
	defer kw.Stop()
	ref, err := loadbench.StartReference(ctx)
	if err != nil {
		return fmt.Errorf("start reference: %w", err)
	}
	defer ref.Close()
	if err := ref.AddClient(kw.ClientID, kw.Secret, "bench:read"); err != nil {
		return err
	}

	// One token of each, for introspection.
	client := loadbench.NewClient(1)
	kwToken, err := loadbench.FetchToken(ctx, client, kw.URL, kw.ClientID, kw.Secret)
	if err != nil {
		return err
	}
	refToken, err := loadbench.FetchToken(ctx, client, ref.URL, kw.ClientID, kw.Secret)
	if err != nil {
		return err
	}
	client.CloseIdleConnections()
	phases := []loadbench.Phase{
		{Name: "token", Subject: loadbench.TokenTarget(kw.URL, kw.ClientID, kw.Secret),
			Reference: loadbench.TokenTarget(ref.URL, kw.ClientID, kw.Secret)},
		{Name: "introspect", Subject: loadbench.IntrospectTarget(kw.URL, kw.ClientID, kw.Secret, kwToken),
			Reference: loadbench.IntrospectTarget(ref.URL, kw.ClientID, kw.Secret, refToken)},
	}

	if cpuprofile != "" {
		f, err := os.Create(cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	fmt.Fprintf(stderr, "keywarden-bench: %d CPUs, %s per phase after %s warm-up, concurrency %v\n",
		runtime.GOMAXPROCS(0), o.Duration, o.Warmup, conc)
	rows, err := loadbench.Compare(ctx, phases, conc, o, stderr)
	if err != nil {
		return err
	}
	if format == "json" {
		err = loadbench.WriteJSON(stdout, loadbench.Meta{GoVersion: runtime.Version(), CPUs: runtime.GOMAXPROCS(0),
			Duration: o.Duration.String(), Warmup: o.Warmup.String()}, rows)
	} else {
		err = loadbench.WriteText(stdout, rows)
	}
	if err != nil {
		return err
	}
	if loadbench.Failed(rows) {
		return errFailedRequests
	}
	return nil
}
