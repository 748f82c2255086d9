package loadbench

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// DefaultWrk is where Debian's wrk package installs the binary.
const DefaultWrk = "/usr/bin/wrk"

//go:embed wrk.lua
var wrkScript []byte

// Saturation: the generator is taken as the bottleneck when its threads
// were busy this share of the time or more (each wrk thread is one event
// loop on one core); a ratio measured then is not reported.
const WrkSaturated = 0.9

// WrkTarget is an endpoint loaded by wrk: every request a POST of Body
// with one of Auths as its Authorization header (one picked at random per
// request), counted good when the answer is 200 and contains Expect.
type WrkTarget struct {
	URL    string
	Auths  []string
	Body   string
	Expect string
	// PID is the process serving URL, whose CPU time the run reports
	// (0: this process).
	PID int
	// Sequential walks Auths in order from Start (0-based) instead of at
	// random; use one thread.
	Sequential bool
	Start      int
}

// WrkResult is one wrk run.
type WrkResult struct {
	Concurrency int
	Requests    int64
	Good, Bad   int64
	SockErr     int64
	RPS         float64
	P50, P99    time.Duration
	Max         time.Duration
	Elapsed     time.Duration
	// GeneratorCPU is wrk's CPU time (user and system, from its rusage);
	// ServerCPU the serving process's over the same run (/proc/PID/stat).
	GeneratorCPU, ServerCPU time.Duration
	Threads                 int
}

// Errors is every request that was not good.
func (r WrkResult) Errors() int64 { return r.Bad + r.SockErr }

// GeneratorShare is wrk's share of the CPU time the generator and the
// server used together.
func (r WrkResult) GeneratorShare() float64 {
	total := r.GeneratorCPU + r.ServerCPU
	if total <= 0 {
		return 0
	}
	return float64(r.GeneratorCPU) / float64(total)
}

// GeneratorBusy is how busy wrk's threads were: its CPU time over elapsed
// time and threads.
func (r WrkResult) GeneratorBusy() float64 {
	if r.Elapsed <= 0 || r.Threads == 0 {
		return 0
	}
	return float64(r.GeneratorCPU) / float64(r.Elapsed) / float64(r.Threads)
}

// Saturated reports whether the generator, not the server, was the limit.
func (r WrkResult) Saturated() bool { return r.GeneratorBusy() >= WrkSaturated }

// ServerCPUPerRequest is the server's CPU time per request.
func (r WrkResult) ServerCPUPerRequest() time.Duration {
	if r.Requests == 0 {
		return 0
	}
	return r.ServerCPU / time.Duration(r.Requests)
}

// Wrk runs wrk binaries against loopback targets.
type Wrk struct {
	Path    string // DefaultWrk when empty
	Threads int    // 1 when 0
	dir     string
	files   map[authKey]string // credential files already written
}

// authKey names a list of credentials by its first element and length.
type authKey struct {
	first string
	n     int
}

// authFile writes auths into a file once (a million of them take a while)
// and returns its path.
func (w *Wrk) authFile(auths []string) (string, error) {
	k := authKey{auths[0], len(auths)}
	if p, ok := w.files[k]; ok {
		return p, nil
	}
	f, err := os.CreateTemp(w.dir, "auth-*")
	if err != nil {
		return "", err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	for _, a := range auths {
		bw.WriteString(a)
		bw.WriteByte('\n')
	}
	err = bw.Flush()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", err
	}
	if w.files == nil {
		w.files = map[authKey]string{}
	}
	w.files[k] = f.Name()
	return f.Name(), nil
}

// NewWrk checks that the wrk binary runs and writes its script into dir.
func NewWrk(path, dir string, threads int) (*Wrk, error) {
	if path == "" {
		path = DefaultWrk
	}
	if _, err := exec.LookPath(path); err != nil {
		return nil, fmt.Errorf("loadbench: wrk not found at %s (Debian: apt-get install wrk): %w", path, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "wrk.lua"), wrkScript, 0o600); err != nil {
		return nil, err
	}
	return &Wrk{Path: path, Threads: max(threads, 1), dir: dir}, nil
}

// Run loads t with concurrency connections for d and reports the run.
func (w *Wrk) Run(ctx context.Context, t WrkTarget, concurrency int, d time.Duration) (WrkResult, error) {
	if err := checkLoopbackURL(t.URL); err != nil {
		return WrkResult{}, err
	}
	if len(t.Auths) == 0 {
		return WrkResult{}, errors.New("loadbench: a wrk target needs credentials")
	}
	authFile, err := w.authFile(t.Auths)
	if err != nil {
		return WrkResult{}, err
	}
	threads := min(w.Threads, concurrency)
	order := "random"
	if t.Sequential {
		order = "seq"
	}
	secs := max(int(d.Round(time.Second)/time.Second), 1)
	cmd := exec.CommandContext(ctx, w.Path, "-t"+strconv.Itoa(threads), "-c"+strconv.Itoa(concurrency), "-d"+strconv.Itoa(secs)+"s",
		"--timeout", "10s", "--latency", "-s", filepath.Join(w.dir, "wrk.lua"), t.URL, "--", authFile, t.Body, t.Expect, order, strconv.Itoa(t.Start+1))
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	pid := t.PID
	if pid == 0 {
		pid = os.Getpid()
	}
	before, err := processCPU(pid)
	if err != nil {
		return WrkResult{}, err
	}
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return WrkResult{}, fmt.Errorf("wrk: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	elapsed := time.Since(start)
	after, err := processCPU(pid)
	if err != nil {
		return WrkResult{}, err
	}
	r, err := parseWrk(out.String())
	if err != nil {
		return WrkResult{}, err
	}
	r.Concurrency, r.Threads, r.Elapsed = concurrency, threads, elapsed
	if u, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.GeneratorCPU = time.Duration(u.Utime.Nano() + u.Stime.Nano())
	}
	r.ServerCPU = after - before
	return r, nil
}

// parseWrk reads the RESULT line of wrk.lua.
func parseWrk(out string) (WrkResult, error) {
	var r WrkResult
	for line := range strings.SplitSeq(out, "\n") {
		rest, ok := strings.CutPrefix(line, "RESULT ")
		if !ok {
			continue
		}
		for f := range strings.FieldsSeq(rest) {
			k, v, _ := strings.Cut(f, "=")
			n, _ := strconv.ParseFloat(v, 64)
			switch k {
			case "requests":
				r.Requests = int64(n)
			case "good":
				r.Good = int64(n)
			case "bad":
				r.Bad = int64(n)
			case "sockerr":
				r.SockErr = int64(n)
			case "rps":
				r.RPS = n
			case "p50_us":
				r.P50 = time.Duration(n) * time.Microsecond
			case "p99_us":
				r.P99 = time.Duration(n) * time.Microsecond
			case "max_us":
				r.Max = time.Duration(n) * time.Microsecond
			}
		}
		return r, nil
	}
	return r, fmt.Errorf("loadbench: no RESULT line in wrk's output: %q", snippet([]byte(out)))
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat's times (100 on
// every Linux architecture Go supports).
const clockTicks = 100

// processCPU returns the user and system CPU time of process pid.
func processCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, fmt.Errorf("loadbench: CPU time of process %d: %w", pid, err)
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("loadbench: /proc/%d/stat: unexpected format", pid)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("loadbench: /proc/%d/stat: unexpected format", pid)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("loadbench: /proc/%d/stat: unexpected format", pid)
	}
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}
