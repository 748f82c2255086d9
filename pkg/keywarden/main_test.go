package keywarden_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"keywarden/internal/config"
	"keywarden/internal/server"
)

// TestMain starts one real Keywarden server in this process for the
// examples and TestAgainstServer, and names it in KEYWARDEN_SERVER and
// KEYWARDEN_TOKEN, the way a program using the SDK would find its server.
// The SDK itself imports nothing of the server; only its tests do.
func TestMain(m *testing.M) {
	stop, err := startServer()
	if err != nil {
		fmt.Fprintln(os.Stderr, "start a Keywarden server:", err)
		os.Exit(1)
	}
	code := m.Run()
	stop()
	os.Exit(code)
}

func startServer() (stop func(), err error) {
	dir, err := os.MkdirTemp("", "keywarden-sdk-test")
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	stop = func() { cancel(); os.RemoveAll(dir) }
	defer func() {
		if err != nil {
			stop()
		}
	}()
	cfg := config.Defaults()
	cfg.DataDir, cfg.Dev, cfg.Listen = dir, true, "127.0.0.1:0"
	core, err := server.OpenCore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	boot, err := core.Accounts.Init(ctx, "Acme", "admin@example.com")
	core.Close()
	if err != nil {
		return nil, err
	}
	srv, err := server.New(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return nil, err
	}
	ready := filepath.Join(dir, "ready")
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx, ready) }()
	stop = func() { cancel(); <-done; os.RemoveAll(dir) }
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		if addr, err := os.ReadFile(ready); err == nil && len(addr) > 0 {
			os.Setenv("KEYWARDEN_SERVER", "http://"+string(addr))
			os.Setenv("KEYWARDEN_TOKEN", boot.APIToken.Reveal())
			return stop, nil
		}
		select {
		case err := <-done:
			done <- err // for stop
			return nil, fmt.Errorf("the server stopped: %w", err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	return nil, fmt.Errorf("the server is not ready after 10s")
}
