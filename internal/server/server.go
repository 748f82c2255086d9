package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	kwapi "keywarden/api"
	"keywarden/internal/api"
	"keywarden/internal/config"
	"keywarden/internal/httpx"
)

// Server is a running Keywarden HTTP server.
type Server struct {
	cfg  config.Config
	core *Core
	log  *slog.Logger
	http *http.Server
}

// New builds the server for cfg.
func New(ctx context.Context, cfg config.Config, log *slog.Logger) (*Server, error) {
	core, err := OpenCore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, core: core, log: log}
	s.http = &http.Server{
		Handler:           httpx.Middleware(log, s.routes()),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	return s, nil
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	a := &api.Handler{
		Accounts: s.core.Accounts, Credentials: s.core.Credentials, Audit: s.core.Audit, Log: s.log,
		Ready: s.core.Store.Ping, OpenAPI: kwapi.OpenAPI,
	}
	a.Register(mux)
	mux.Handle("/", a.NotFound())
	return mux
}

// Handler returns the server's root handler, for in-process tests.
func (s *Server) Handler() http.Handler { return s.http.Handler }

// Run listens on cfg.Listen and serves until ctx ends, then drains
// requests in flight for up to the shutdown timeout. When readyFile is set,
// the bound address is written there once the server accepts connections
// (tests listen on port 0 and read it).
func (s *Server) Run(ctx context.Context, readyFile string) error {
	defer s.core.Close()
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	addr := ln.Addr().String()
	s.log.Info("keywarden listening", "addr", addr, "store", storeName(s.cfg), "dev", s.cfg.Dev)
	if readyFile != "" {
		tmp := readyFile + ".tmp"
		if err := os.WriteFile(tmp, []byte(addr), 0o600); err != nil {
			return err
		}
		if err := os.Rename(tmp, filepath.Clean(readyFile)); err != nil {
			return err
		}
	}
	errc := make(chan error, 1)
	go func() { errc <- s.http.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down", "timeout", s.cfg.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := s.http.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	s.log.Info("stopped")
	return nil
}

func storeName(cfg config.Config) string {
	if cfg.IsPostgres() {
		return "postgres"
	}
	return "sqlite:" + filepath.Join(cfg.DataDir)
}
