package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"runtime"
	"text/tabwriter"

	jose "github.com/go-jose/go-jose/v4"

	"keywarden/internal/loadbench"
	"keywarden/pkg/apiv1"
)

// benchKeyJWT (-mode keyjwt) measures the token endpoint with
// private_key_jwt next to client_secret_basic on one Keywarden, in
// interleaved slices at each concurrency (loadbench.Compare, the secret
// as the reference), and prints both throughputs and their ratio. The
// load generator runs in this process (-driver go): each assertion is
// signed as its request is made (EdDSA, a fresh jti each), so the ratio
// includes the client's signing on the same CPUs.
func benchKeyJWT(ctx context.Context, conc []int, o loadbench.Options, logTo, stdout, stderr io.Writer) error {
	dir, err := os.MkdirTemp("", "keywarden-bench-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	kw, err := startKeywarden(ctx, dir, logTo, stderr, kwOptions{})
	if err != nil {
		return fmt.Errorf("start keywarden: %w", err)
	}
	defer kw.Stop()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	jwk, err := jose.JSONWebKey{Key: pub, KeyID: "bench"}.MarshalJSON()
	if err != nil {
		return err
	}
	if _, err := kw.API.CreateClientKey(ctx, kw.ClientID, apiv1.CreateClientKey{JWK: jwk, Description: "keywarden-bench"}); err != nil {
		return fmt.Errorf("register the client key: %w", err)
	}
	a, err := loadbench.NewAssertions(kw.URL, kw.ClientID, "bench", priv)
	if err != nil {
		return err
	}
	phases := []loadbench.Phase{{Name: "token",
		Subject:   loadbench.AssertionTarget(kw.URL, a),
		Reference: loadbench.TokenTarget(kw.URL, kw.ClientID, kw.Secret)}}
	fmt.Fprintf(stderr, "keywarden-bench: private_key_jwt vs client_secret_basic, %d CPUs, %s per phase after %s warm-up, concurrency %v\n",
		runtime.GOMAXPROCS(0), o.Duration, o.Warmup, conc)
	rows, err := loadbench.Compare(ctx, phases, conc, o, io.Discard)
	if err != nil {
		return err
	}
	if err := writeKeyJWT(stdout, rows); err != nil {
		return err
	}
	if loadbench.Failed(rows) {
		return errFailedRequests
	}
	return nil
}

// writeKeyJWT prints each concurrency's two rows and the ratio of
// private_key_jwt's throughput to client_secret_basic's.
func writeKeyJWT(w io.Writer, rows []loadbench.Row) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "method\tconcurrency\trequests\treq/s\tp50\tp99\terrors\tratio\t")
	name := map[string]string{loadbench.SubjectName: "private_key_jwt", loadbench.ReferenceName: "client_secret_basic"}
	for _, r := range rows {
		ratio := "-"
		if r.Target == loadbench.SubjectName {
			ratio = fmt.Sprintf("%.2f", r.Ratio)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.0f\t%.2fms\t%.2fms\t%d\t%s\t\n", name[r.Target], r.Concurrency, r.Requests, r.RPS(),
			float64(r.P50.Microseconds())/1000, float64(r.P99.Microseconds())/1000, r.Errors, ratio)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range rows {
		if r.Errors > 0 {
			if _, err := fmt.Fprintf(w, "%s c=%d: %d errors, first: %s\n", name[r.Target], r.Concurrency, r.Errors, r.FirstError); err != nil {
				return err
			}
		}
	}
	return nil
}
