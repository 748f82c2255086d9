package loadbench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"text/tabwriter"
	"time"
)

// Phase pairs an endpoint of the server under test with the reference
// endpoint that does the same job.
type Phase struct {
	Name      string // e.g. "token", "introspect"
	Subject   Target // the server under test
	Reference Target
}

// Row is one target measured in one phase at one concurrency.
type Row struct {
	Phase  string
	Target string // "keywarden" (the subject) or "reference"
	Result
	// Ratio is, on a subject row, its throughput over the reference's in
	// the same phase and concurrency; 0 on reference rows.
	Ratio float64
}

// Target names in rows.
const (
	SubjectName   = "keywarden"
	ReferenceName = "reference"
)

// DefaultRounds is how many alternating slices Compare cuts a phase into
// when Options.Rounds is 0: one a second, between 1 and 10.
func DefaultRounds(d time.Duration) int {
	return min(max(int(d/time.Second), 1), 10)
}

// Compare runs every phase at every concurrency. The subject and the
// reference each get o.Warmup, then o.Duration cut into o.Rounds slices
// that alternate between them, so that whatever else the machine does
// during the run weighs on both alike. Each target keeps its own
// connections. progress, when not nil, gets a line per measurement.
func Compare(ctx context.Context, phases []Phase, concurrency []int, o Options, progress io.Writer) ([]Row, error) {
	var rows []Row
	for _, c := range concurrency {
		for _, p := range phases {
			o := o
			o.Concurrency = c
			subj, ref, err := compare(ctx, p, o)
			if err != nil {
				return rows, fmt.Errorf("%s at concurrency %d: %w", p.Name, c, err)
			}
			report(progress, p.Name, SubjectName, subj)
			report(progress, p.Name, ReferenceName, ref)
			ratio := 0.0
			if ref.RPS() > 0 {
				ratio = subj.RPS() / ref.RPS()
			}
			rows = append(rows, Row{Phase: p.Name, Target: SubjectName, Result: subj, Ratio: ratio},
				Row{Phase: p.Name, Target: ReferenceName, Result: ref})
		}
	}
	return rows, nil
}

func compare(ctx context.Context, p Phase, o Options) (subject, reference Result, err error) {
	if err := o.validate(p.Subject); err != nil {
		return Result{}, Result{}, err
	}
	if err := o.validate(p.Reference); err != nil {
		return Result{}, Result{}, err
	}
	if o.MaxRequests == 0 {
		o.MaxRequests = DefaultMaxRequests
	}
	rounds := o.Rounds
	if rounds == 0 {
		rounds = DefaultRounds(o.Duration)
	}
	type side struct {
		target Target
		client *http.Client
		sum    tally
	}
	sides := []*side{{target: p.Subject}, {target: p.Reference}}
	for _, s := range sides {
		s.client = NewClient(o.Concurrency)
		defer s.client.CloseIdleConnections()
		if o.Warmup > 0 {
			phase(ctx, s.client, s.target, o.Concurrency, o.Warmup, o.MaxRequests)
		}
	}
	slice := o.Duration / time.Duration(rounds)
	for range rounds {
		for _, s := range sides {
			if err := ctx.Err(); err != nil {
				return Result{}, Result{}, err
			}
			s.sum.add(phase(ctx, s.client, s.target, o.Concurrency, slice, o.MaxRequests-s.sum.requests))
		}
	}
	return sides[0].sum.result(o.Concurrency), sides[1].sum.result(o.Concurrency), ctx.Err()
}

func report(w io.Writer, phase, target string, r Result) {
	if w == nil {
		return
	}
	fmt.Fprintf(w, "%s/%s c=%d: %d requests, %.0f req/s, p99 %s, %d errors\n",
		phase, target, r.Concurrency, r.Requests, r.RPS(), ms(r.P99), r.Errors)
}

// Failed reports whether any row had errors.
func Failed(rows []Row) bool {
	for _, r := range rows {
		if r.Errors > 0 {
			return true
		}
	}
	return false
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 2, 64) + "ms"
}

// WriteText writes rows as an aligned table, then the first error of each
// row that had errors.
func WriteText(w io.Writer, rows []Row) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "phase\ttarget\tconcurrency\trequests\treq/s\tp50\tp99\terrors\tratio\t")
	for _, r := range rows {
		ratio := "-"
		if r.Target == SubjectName {
			ratio = strconv.FormatFloat(r.Ratio, 'f', 2, 64)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%.0f\t%s\t%s\t%d\t%s\t\n",
			r.Phase, r.Target, r.Concurrency, r.Requests, r.RPS(), ms(r.P50), ms(r.P99), r.Errors, ratio)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range rows {
		if r.Errors > 0 {
			if _, err := fmt.Fprintf(w, "%s/%s c=%d: %d errors, first: %s\n", r.Phase, r.Target, r.Concurrency, r.Errors, r.FirstError); err != nil {
				return err
			}
		}
	}
	return nil
}

// jsonRow is a Row as WriteJSON prints it.
type jsonRow struct {
	Phase       string           `json:"phase"`
	Target      string           `json:"target"`
	Concurrency int              `json:"concurrency"`
	Requests    int64            `json:"requests"`
	Errors      int64            `json:"errors"`
	ElapsedS    float64          `json:"elapsed_s"`
	RPS         float64          `json:"rps"`
	P50ms       float64          `json:"p50_ms"`
	P99ms       float64          `json:"p99_ms"`
	MaxMs       float64          `json:"max_ms"`
	MeanMs      float64          `json:"mean_ms"`
	Ratio       *float64         `json:"ratio,omitempty"`
	Statuses    map[string]int64 `json:"statuses"`
	FirstError  string           `json:"first_error,omitempty"`
}

// Meta describes a run in WriteJSON's document.
type Meta struct {
	GoVersion string `json:"go_version"`
	CPUs      int    `json:"cpus"`
	Duration  string `json:"duration"`
	Warmup    string `json:"warmup"`
}

// WriteJSON writes rows as one JSON document with the run's settings.
func WriteJSON(w io.Writer, meta Meta, rows []Row) error {
	toMs := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	doc := struct {
		Meta
		Results []jsonRow `json:"results"`
	}{Meta: meta, Results: make([]jsonRow, 0, len(rows))}
	for _, r := range rows {
		j := jsonRow{Phase: r.Phase, Target: r.Target, Concurrency: r.Concurrency, Requests: r.Requests,
			Errors: r.Errors, ElapsedS: r.Elapsed.Seconds(), RPS: r.RPS(), P50ms: toMs(r.P50), P99ms: toMs(r.P99),
			MaxMs: toMs(r.Max), MeanMs: toMs(r.Mean), Statuses: map[string]int64{}, FirstError: r.FirstError}
		if r.Target == SubjectName {
			ratio := r.Ratio
			j.Ratio = &ratio
		}
		for s, n := range r.Statuses {
			j.Statuses[strconv.Itoa(s)] = n
		}
		doc.Results = append(doc.Results, j)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}
