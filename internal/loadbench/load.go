package loadbench

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"runtime/pprof"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"keywarden/internal/secretvalue"
)

// Bounds of one load phase.
const (
	// DefaultMaxRequests bounds a phase whatever its duration.
	DefaultMaxRequests = 5_000_000
	// MaxDuration bounds a phase's measured time and its warm-up each.
	MaxDuration = 10 * time.Minute
	// MaxConcurrency bounds the number of workers.
	MaxConcurrency = 4096
	// MaxRounds bounds Options.Rounds.
	MaxRounds = 100
	// RequestTimeout bounds one request.
	RequestTimeout = 10 * time.Second
	// maxBody bounds what a worker reads of one answer.
	maxBody = 1 << 20
)

// Target is an endpoint under load: every request is the same POST.
type Target struct {
	// URL is http://<loopback IP>:<port>/path.
	URL    string
	Header http.Header
	Body   []byte
	// NextBody, when set, makes each request's body instead of Body (a
	// request that must differ each time: a client assertion's jti).
	NextBody func() []byte
	// Check, when set, inspects the body of each 200 answer; an error
	// makes the request count as failed.
	Check func(body []byte) error
}

// Options shape one load phase.
type Options struct {
	Concurrency int           // workers, each with at most one request in flight
	Duration    time.Duration // measured time
	Warmup      time.Duration // unmeasured load first, on the same connections
	MaxRequests int64         // per phase (warm-up apart); DefaultMaxRequests when 0
	// Rounds is how many alternating slices Compare cuts Duration into;
	// DefaultRounds when 0. Run ignores it.
	Rounds int
	// Client sends the requests; NewClient(Concurrency) when nil.
	Client *http.Client
}

// Result is what one phase measured.
type Result struct {
	Concurrency int
	Requests    int64 // answered or failed
	Errors      int64
	Elapsed     time.Duration
	P50, P99    time.Duration
	Max, Mean   time.Duration
	// Statuses counts answers by HTTP status; 0 counts transport errors
	// and refused bodies.
	Statuses map[int]int64
	// FirstError describes the first failed request, if any.
	FirstError string
}

// RPS is requests per second over the phase's elapsed time.
func (r Result) RPS() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

// NewClient returns an HTTP client for load at concurrency: keep-alive
// with enough idle connections for every worker, no proxy, no
// compression, no redirects, and dials to loopback addresses only.
func NewClient(concurrency int) *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy: nil, // never through a proxy, whatever the environment says
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if err := checkLoopback(addr); err != nil {
				return nil, err
			}
			return d.DialContext(ctx, network, addr)
		},
		MaxIdleConns:        concurrency + 16,
		MaxIdleConnsPerHost: concurrency + 16,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
	return &http.Client{
		Transport: tr,
		Timeout:   RequestTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// checkLoopback accepts host:port only when host is a loopback IP literal:
// the driver never resolves names and never leaves the machine.
func checkLoopback(hostport string) error {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return fmt.Errorf("loadbench: address %q: %w", hostport, err)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !ip.Unmap().IsLoopback() {
		return fmt.Errorf("loadbench: refusing %q: load goes to loopback IP addresses only", host)
	}
	return nil
}

// checkLoopbackURL accepts http://<loopback IP>:<port>/… only.
func checkLoopbackURL(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return fmt.Errorf("loadbench: target URL: %w", err)
	case u.Scheme != "http":
		return fmt.Errorf("loadbench: target URL %q: must be http://", raw)
	case u.Port() == "":
		return fmt.Errorf("loadbench: target URL %q: must name a port", raw)
	}
	return checkLoopback(u.Host)
}

func (o Options) validate(t Target) error {
	if err := checkLoopbackURL(t.URL); err != nil {
		return err
	}
	switch {
	case o.Concurrency < 1 || o.Concurrency > MaxConcurrency:
		return fmt.Errorf("loadbench: concurrency %d: must be between 1 and %d", o.Concurrency, MaxConcurrency)
	case o.Duration <= 0 || o.Duration > MaxDuration:
		return fmt.Errorf("loadbench: duration %s: must be positive and at most %s", o.Duration, MaxDuration)
	case o.Warmup < 0 || o.Warmup > MaxDuration:
		return fmt.Errorf("loadbench: warm-up %s: must be between 0 and %s", o.Warmup, MaxDuration)
	case o.MaxRequests < 0:
		return errors.New("loadbench: max requests must not be negative")
	case o.Rounds < 0 || o.Rounds > MaxRounds:
		return fmt.Errorf("loadbench: rounds %d: must be between 0 and %d", o.Rounds, MaxRounds)
	}
	return nil
}

// Run loads t with o.Concurrency workers: first for o.Warmup without
// measuring, then for o.Duration or o.MaxRequests requests, whichever
// comes first. When ctx ends it stops early and returns what it measured
// with ctx's error.
func Run(ctx context.Context, t Target, o Options) (Result, error) {
	if err := o.validate(t); err != nil {
		return Result{}, err
	}
	if o.MaxRequests == 0 {
		o.MaxRequests = DefaultMaxRequests
	}
	client := o.Client
	if client == nil {
		client = NewClient(o.Concurrency)
		defer client.CloseIdleConnections()
	}
	if o.Warmup > 0 {
		phase(ctx, client, t, o.Concurrency, o.Warmup, o.MaxRequests)
		if err := ctx.Err(); err != nil {
			return Result{}, err
		}
	}
	res := phase(ctx, client, t, o.Concurrency, o.Duration, o.MaxRequests)
	return res.result(o.Concurrency), ctx.Err()
}

// tally is what some load measured: one worker's, a phase's or the sum of
// several phases'.
type tally struct {
	hist     histogram
	requests int64
	errors   int64
	elapsed  time.Duration
	statuses map[int]int64
	firstErr string
}

func (t *tally) add(o *tally) {
	t.hist.merge(&o.hist)
	t.requests += o.requests
	t.errors += o.errors
	t.elapsed += o.elapsed
	if t.statuses == nil {
		t.statuses = map[int]int64{}
	}
	for s, n := range o.statuses {
		t.statuses[s] += n
	}
	if t.firstErr == "" {
		t.firstErr = o.firstErr
	}
}

func (t *tally) result(concurrency int) Result {
	r := Result{Concurrency: concurrency, Requests: t.requests, Errors: t.errors, Elapsed: t.elapsed,
		P50: t.hist.quantile(0.50), P99: t.hist.quantile(0.99), Max: t.hist.max, Mean: t.hist.mean(),
		Statuses: map[int]int64{}, FirstError: t.firstErr}
	for s, n := range t.statuses {
		r.Statuses[s] = n
	}
	return r
}

// worker is one load loop's private tally, merged at the end.
type worker struct {
	tally
	buf bytes.Buffer
}

// phase runs one timed load of at most maxRequests requests. Workers stop
// starting requests at the deadline, but let the one in flight finish:
// cancelling it would close its keep-alive connection, and the next phase
// would pay for new ones.
func phase(ctx context.Context, client *http.Client, t Target, concurrency int, d time.Duration, maxRequests int64) *tally {
	var issued atomic.Int64
	workers := make([]*worker, concurrency)
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(d)
	for i := range workers {
		w := &worker{tally: tally{statuses: map[int]int64{}}}
		workers[i] = w
		wg.Go(func() {
			// The label reaches the transport's connection goroutines too,
			// so a CPU profile tells the load's cost from the servers'.
			pprof.Do(ctx, pprof.Labels("loadbench", "client"), func(ctx context.Context) {
				for time.Now().Before(deadline) && ctx.Err() == nil && issued.Add(1) <= maxRequests {
					w.do(ctx, client, t)
				}
			})
		})
	}
	wg.Wait()
	sum := &tally{elapsed: time.Since(start), statuses: map[int]int64{}}
	for _, w := range workers {
		sum.add(&w.tally)
	}
	return sum
}

// do sends one request and records its outcome. A request cut short
// because ctx ended is not counted at all.
func (w *worker) do(ctx context.Context, client *http.Client, t Target) {
	body := t.Body
	if t.NextBody != nil {
		body = t.NextBody()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.URL, bytes.NewReader(body))
	if err != nil {
		w.fail(0, err.Error())
		return
	}
	for k, vs := range t.Header {
		req.Header[k] = vs
	}
	begin := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		w.record(time.Since(begin))
		w.fail(0, err.Error())
		return
	}
	w.buf.Reset()
	_, err = w.buf.ReadFrom(io.LimitReader(resp.Body, maxBody))
	resp.Body.Close()
	took := time.Since(begin)
	if err != nil && ctx.Err() != nil {
		return
	}
	w.record(took)
	switch {
	case err != nil:
		w.fail(0, "read body: "+err.Error())
	case resp.StatusCode != http.StatusOK:
		w.fail(resp.StatusCode, "HTTP "+strconv.Itoa(resp.StatusCode)+": "+snippet(w.buf.Bytes()))
	case t.Check != nil:
		if err := t.Check(w.buf.Bytes()); err != nil {
			w.fail(0, "refused body: "+err.Error())
			return
		}
		w.statuses[resp.StatusCode]++
	default:
		w.statuses[resp.StatusCode]++
	}
}

func (w *worker) record(d time.Duration) {
	w.requests++
	w.hist.record(d)
}

func (w *worker) fail(status int, msg string) {
	w.errors++
	w.statuses[status]++
	if w.firstErr == "" {
		w.firstErr = msg
	}
}

// snippet returns the start of an error body for a message.
func snippet(b []byte) string {
	const n = 200
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}

// BasicAuth returns an Authorization header value for client_secret_basic
// (RFC 6749 §2.3.1: both parts form-urlencoded, then Basic).
func BasicAuth(clientID, secret string) string {
	raw := url.QueryEscape(clientID) + ":" + url.QueryEscape(secret)
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(raw))
}

// TokenTarget is a client_credentials grant at baseURL's /oauth2/token,
// authenticated with client_secret_basic. A 200 must carry an access token.
func TokenTarget(baseURL, clientID, secret string) Target {
	return Target{
		URL:    baseURL + "/oauth2/token",
		Header: formHeader(clientID, secret),
		Body:   []byte("grant_type=client_credentials"),
		Check:  wantSubstring(`"access_token":"`),
	}
}

// IntrospectTarget asks baseURL's /oauth2/introspect about token,
// authenticated as the client. A 200 must say the token is active.
func IntrospectTarget(baseURL, clientID, secret, token string) Target {
	return Target{
		URL:    baseURL + "/oauth2/introspect",
		Header: formHeader(clientID, secret),
		Body:   []byte(url.Values{"token": {token}}.Encode()),
		Check:  wantSubstring(`"active":true`),
	}
}

func formHeader(clientID, secret string) http.Header {
	return http.Header{
		"Authorization": {BasicAuth(clientID, secret)},
		"Content-Type":  {"application/x-www-form-urlencoded"},
		"Accept":        {"application/json"},
	}
}

func wantSubstring(s string) func([]byte) error {
	want := []byte(s)
	return func(body []byte) error {
		if !bytes.Contains(body, want) {
			return fmt.Errorf("no %s in %q", s, snippet(body))
		}
		return nil
	}
}

// NewClientSecret returns a fresh generated Keywarden client secret
// value (kws_…), for seeding.
func NewClientSecret() string {
	return secretvalue.Generate(secretvalue.PrefixClientSecret).Reveal()
}
