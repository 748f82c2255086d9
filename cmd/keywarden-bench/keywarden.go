package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"time"

	"keywarden/internal/config"
	"keywarden/internal/loadbench"
	"keywarden/internal/server"
	"keywarden/pkg/apiv1"
	"keywarden/pkg/keywarden"
)

// instance is a Keywarden server running in this process, with one client
// and a generated secret made through its /v1 API.
type instance struct {
	URL      string
	ClientID string
	Secret   string
	// Seeded are the Authorization headers of the clients seeded through
	// the import path (kwOptions.Seed), one a client.
	Seeded []string
	API    *keywarden.Client
	stop   context.CancelFunc
	done   chan error
}

// kwOptions shape the Keywarden under test.
type kwOptions struct {
	Alg      string // signing algorithm; ES256 when empty
	Database string // "" (SQLite in the directory) or a postgres:// URL of an empty database or schema
	CacheMB  int    // client cache budget; Keywarden's default when 0
	Seed     int    // clients to seed with `keywarden import`'s path
}

// startKeywarden runs a development-mode server on SQLite in dir,
// listening on 127.0.0.1:0 and logging to logTo (io.Discard normally). Its goroutines
// carry the pprof label loadbench=keywarden.
func startKeywarden(ctx context.Context, dir string, logTo, progress io.Writer, o kwOptions) (*instance, error) {
	cfg := config.Defaults()
	if o.Alg != "" {
		cfg.SigningAlgorithm = o.Alg
	}
	cfg.Database = o.Database
	if o.CacheMB > 0 {
		cfg.ClientCacheMB = o.CacheMB
	}
	cfg.DataDir = filepath.Join(dir, "data")
	cfg.Listen = "127.0.0.1:0"
	cfg.Dev = true // generates the master key into the data directory
	cfg.ShutdownTimeout = 5 * time.Second
	cfg.TrustedProxies = []string{"127.0.0.1/32"} // -mode bruteforce names its attackers' addresses in X-Forwarded-For
	if err := cfg.Validate(); err != nil {
		return nil, err
	}

	// The organisation and its API token, as `keywarden init` makes them.
	core, err := server.OpenCore(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	boot, err := core.Accounts.Init(ctx, "keywarden-bench", "bench@example.com")
	if cerr := core.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("init: %w", err)
	}
	var seeded []string
	if o.Seed > 0 {
		if seeded, err = seed(ctx, cfg, string(boot.Org.ID), o.Seed, progress); err != nil {
			return nil, fmt.Errorf("seed: %w", err)
		}
	}

	srv, err := server.New(ctx, cfg, slog.New(slog.NewTextHandler(logTo, nil)))
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	kw := &instance{stop: stop, done: make(chan error, 1), Seeded: seeded}
	readyFile := filepath.Join(dir, "ready")
	go pprof.Do(runCtx, pprof.Labels("loadbench", loadbench.SubjectName), func(ctx context.Context) {
		kw.done <- srv.Run(ctx, readyFile)
	})
	addr, err := waitReady(ctx, readyFile, kw.done)
	if err != nil {
		stop()
		return nil, err
	}
	kw.URL = "http://" + addr

	api := keywarden.New(kw.URL, boot.APIToken.Reveal(), loadbench.NewClient(4))
	kw.API = api
	c, err := api.CreateClient(ctx, apiv1.CreateClient{Name: "keywarden-bench", Description: "load test client",
		Scopes: []string{"bench:read"}})
	if err != nil {
		kw.Stop()
		return nil, fmt.Errorf("create client: %w", err)
	}
	s, err := api.CreateSecret(ctx, c.ClientID, apiv1.CreateSecret{Description: "keywarden-bench load"})
	if err != nil {
		kw.Stop()
		return nil, fmt.Errorf("create secret: %w", err)
	}
	kw.ClientID, kw.Secret = c.ClientID, s.Value
	return kw, nil
}

// waitReady waits for Run to write the bound address into readyFile.
func waitReady(ctx context.Context, readyFile string, done <-chan error) (string, error) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		if b, err := os.ReadFile(readyFile); err == nil && len(b) > 0 {
			return strings.TrimSpace(string(b)), nil
		}
		select {
		case err := <-done:
			return "", fmt.Errorf("server stopped before it was ready: %w", err)
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return "", errors.New("server not ready after 30s")
		}
	}
}

// Stop shuts the server down and waits for it.
func (kw *instance) Stop() error {
	kw.stop()
	return <-kw.done
}

// seed imports n clients with one generated secret each through the bulk
// import path (server.ImportClients, as `keywarden import clients`) and
// returns their Basic Authorization headers.
func seed(ctx context.Context, cfg config.Config, org string, n int, progress io.Writer) ([]string, error) {
	pr, pw := io.Pipe()
	auths := make([]string, n)
	go func() {
		w := bufio.NewWriterSize(pw, 1<<20)
		for i := range n {
			id := "kwc_" + rand.Text()[:22]
			secret := loadbench.NewClientSecret()
			auths[i] = loadbench.BasicAuth(id, secret)
			fmt.Fprintf(w, `{"client_id":%q,"name":"seed-%d","scopes":["bench:read"],"secrets":[{"value":%q,"never_expires":false}]}`+"\n", id, i, secret)
		}
		pw.CloseWithError(w.Flush())
	}()
	start := time.Now()
	clients, _, err := server.ImportClients(ctx, cfg, org, pr, func(clients, _ int) {
		if clients%100_000 == 0 {
			fmt.Fprintf(progress, "keywarden-bench: seeded %d clients (%s)\n", clients, time.Since(start).Round(time.Second))
		}
	})
	pr.CloseWithError(err)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(progress, "keywarden-bench: seeded %d clients in %s (%.0f clients/s)\n", clients, time.Since(start).Round(time.Millisecond),
		float64(clients)/time.Since(start).Seconds())
	return auths, nil
}
