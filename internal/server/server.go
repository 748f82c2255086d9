package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	kwapi "keywarden/api"
	"keywarden/internal/api"
	"keywarden/internal/config"
	"keywarden/internal/httpx"
	"keywarden/internal/keyring"
	"keywarden/internal/metrics"
	"keywarden/internal/oauth"
	"keywarden/internal/store"
	"keywarden/internal/token"
	"keywarden/internal/ui"
)

// Server is a running Keywarden HTTP server.
type Server struct {
	cfg     config.Config
	core    *Core
	tokens  *Tokens
	log     *slog.Logger
	http    *http.Server
	issuer  atomic.Value // string
	metrics *metrics.Metrics
	net     network // trusted proxies, TLS, admin listener (listen.go)
	// issuance is the token issuer both the OAuth endpoints and the API's
	// password login use.
	issuance *token.Issuer
}

// New builds the server for cfg.
func New(ctx context.Context, cfg config.Config, log *slog.Logger) (*Server, error) {
	core, err := OpenCore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	tokens, err := core.OpenTokens(ctx, cfg)
	if err != nil {
		core.Close()
		return nil, err
	}
	s := &Server{cfg: cfg, core: core, tokens: tokens, log: log, metrics: core.Metrics}
	s.watchMetrics()
	core.Webhooks = core.Webhooks.WithLog(log)
	s.issuer.Store(cfg.PublicURL)
	s.issuance = token.NewIssuer(token.IssuerOptions{Keys: tokens.Keys, DenyList: tokens.DenyList, Refresh: tokens.Refresh,
		Backing: core.Credentials, Issuer: s.Issuer})
	if err := s.setupNetwork(); err != nil {
		core.Close()
		return nil, err
	}
	root := s.routes()
	s.newAdminServer(root)
	s.http = &http.Server{
		Handler:           httpx.ResolvePeer(s.net.trust, httpx.Middleware(log, s.metrics.Observe, root)),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	return s, nil
}

// Issuer returns the OAuth issuer: --public-url, else the listening address.
func (s *Server) Issuer() string { return s.issuer.Load().(string) }

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	a := &api.Handler{
		Accounts: s.core.Accounts, Credentials: s.core.Credentials, Audit: s.core.Audit, Log: s.log,
		Refresh: s.tokens.Refresh, Keys: s.tokens.Keys, Tokens: s.issuance,
		Ready: s.core.Store.Ping, OpenAPI: kwapi.OpenAPI, Webhooks: s.core.Webhooks, Cookies: s.cookies(),
	}
	a.Register(mux)
	o := &oauth.Handler{
		Credentials: s.core.Credentials, Tokens: s.issuance, Keys: s.tokens.Keys,
		Log: s.log, Issuer: s.Issuer, Metrics: s.metrics,
	}
	o.Register(mux)
	(&ui.Handler{
		Accounts: s.core.Accounts, Credentials: s.core.Credentials, Audit: s.core.Audit, Refresh: s.tokens.Refresh, Webhooks: s.core.Webhooks, Log: s.log,
		Key: s.core.Keyring.Derive(keyring.PurposeUI), Cookies: s.cookies(),
	}).Register(mux)
	if s.cfg.AdminListen == "" {
		mux.Handle("GET /metrics", s.metricsHandler())
	}
	mux.Handle("/", a.NotFound())
	notFound := a.NotFound()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The std mux redirects unclean paths (//, /./, /../) with an HTML
		// body; no API path needs that, so they are a JSON 404.
		if p := r.URL.Path; p != "/" && path.Clean(p) != strings.TrimSuffix(p, "/") {
			notFound.ServeHTTP(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// cookies is the transports' one cookie policy: Secure always when the
// public URL is https (a TLS-terminating proxy in front).
func (s *Server) cookies() httpx.Cookies {
	return httpx.Cookies{SecureAlways: strings.HasPrefix(s.cfg.PublicURL, "https://")}
}

// Handler returns the server's root handler, for in-process tests.
func (s *Server) Handler() http.Handler { return s.http.Handler }

// Close releases what New opened (the store) for a server that is not
// Run, or after Run returned; closing twice does nothing.
func (s *Server) Close() error { return s.core.Close() }

// Run listens on cfg.Listen and serves until ctx ends, then drains
// requests in flight for up to the shutdown timeout and flushes batched
// usage. When readyFile is set, the bound address is written there once the
// server accepts connections (tests listen on port 0 and read it).
func (s *Server) Run(ctx context.Context, readyFile string) error {
	defer s.core.Close()
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	addr := ln.Addr().String()
	if s.cfg.PublicURL == "" {
		s.issuer.Store(s.net.scheme() + "://" + addr)
	}
	s.log.Info("keywarden listening", "addr", addr, "issuer", s.Issuer(), "store", storeName(s.cfg), "dev", s.cfg.Dev)
	if err := s.announceSetup(ctx, s.Issuer()); err != nil {
		ln.Close()
		return fmt.Errorf("first-run setup link: %w", err)
	}

	jobsCtx, stopJobs := context.WithCancel(context.WithoutCancel(ctx))
	var jobs sync.WaitGroup
	defer func() { stopJobs(); jobs.Wait() }()
	s.startJobs(jobsCtx, &jobs)
	hup, stopHUP := catchHUP()
	defer stopHUP()
	jobs.Add(1)
	go func() { defer jobs.Done(); s.watchReloads(jobsCtx, hup) }()
	errc := make(chan error, 2)
	if err := s.startAdmin(errc); err != nil {
		ln.Close()
		return err
	}

	if readyFile != "" {
		tmp := readyFile + ".tmp"
		if err := os.WriteFile(tmp, []byte(addr), 0o600); err != nil {
			return err
		}
		if err := os.Rename(tmp, filepath.Clean(readyFile)); err != nil {
			return err
		}
	}
	go func() { errc <- s.serveMain(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down", "timeout", s.cfg.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	shutdownErr := s.http.Shutdown(sctx)
	s.shutdownAdmin(sctx)
	// Jobs stop after the last request: the usage flusher writes what the
	// drained requests recorded.
	stopJobs()
	jobs.Wait()
	if shutdownErr != nil {
		return fmt.Errorf("shutdown: %w", shutdownErr)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	s.log.Info("stopped")
	return nil
}

// startJobs runs the background work until ctx ends.
func (s *Server) startJobs(ctx context.Context, wg *sync.WaitGroup) {
	wg.Add(3)
	go func() {
		defer wg.Done()
		s.listenForChanges(ctx)
	}()
	go func() {
		defer wg.Done()
		s.core.Credentials.RunUsageFlusher(ctx, s.cfg.UsageFlushInterval, func(err error) {
			s.log.Error("flush last-used times", "err", err)
		})
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.core.Accounts.RunAPITokenUseFlusher(ctx, s.cfg.UsageFlushInterval, func(err error) { s.log.Error("flush API token last use", "err", err) })
	}()
	if s.cfg.WebhookDispatch {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.core.Webhooks.RunDispatcher(ctx)
		}()
	}
	go func() {
		defer wg.Done()
		t := time.NewTicker(s.cfg.JobInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				s.runJobs(ctx)
			}
		}
	}()
}

// listenForChanges applies, until ctx ends, what every node (this one too)
// announces on store.ChangesChannel: changed clients, secrets and policies,
// revoked access tokens, new and retired signing keys. Every node so sees a
// change at once; the client cache's lifetime and the periodic reloads
// remain for notices missed while the listener was disconnected (it
// reloads everything when it listens again).
func (s *Server) listenForChanges(ctx context.Context) {
	interrupted := false
	apply := func(payload string) {
		if payload == "" { // (re)connected: Listen hands "" each time it listens
			s.metrics.ListenerUp(interrupted)
		}
		if payload == "" && interrupted {
			s.log.Info("listening for changes again")
			interrupted = false
		}
		s.core.Credentials.ApplyChange(payload)
		if err := s.tokens.DenyList.ApplyChange(ctx, payload); err != nil && ctx.Err() == nil {
			s.log.Error("apply change notice", "notice", payload, "err", err)
		}
		if err := s.tokens.Keys.ApplyChange(ctx, payload); err != nil && ctx.Err() == nil {
			s.log.Error("apply change notice", "notice", payload, "err", err)
		}
	}
	onError := func(err error) {
		interrupted = true
		s.metrics.ListenerDown()
		s.log.Warn("change notices interrupted; other nodes' changes arrive within the cache lifetime and job interval until reconnected", "err", err)
	}
	if err := s.core.Store.Listen(ctx, store.ChangesChannel, apply, onError); err != nil {
		s.log.Error("listen for changes", "err", err)
	}
}

// runJobs is one round of periodic work. Each job is safe to run on every
// node at once: they only reload shared state or make idempotent,
// conditional changes.
func (s *Server) runJobs(ctx context.Context) {
	report := func(job string, err error) {
		if err != nil && ctx.Err() == nil {
			s.log.Error("background job failed", "job", job, "err", err)
		}
	}
	_, err := s.tokens.Keys.RetireExpired(ctx)
	report("retire signing keys", err)
	report("reload signing keys", s.tokens.Keys.Reload(ctx))
	report("reload deny list", s.tokens.DenyList.Reload(ctx))
	if n, err := s.core.Credentials.AutoCompleteRotations(ctx); n > 0 || err != nil {
		report("auto-complete rotations", err)
		if n > 0 {
			s.log.Info("auto-completed rotations", "count", n)
		}
	}
	_, err = s.tokens.DenyList.Prune(ctx)
	report("prune deny list", err)
	_, err = s.tokens.Refresh.DeleteExpired(ctx)
	report("delete expired refresh tokens", err)
	_, err = s.core.Accounts.DeleteExpiredSessions(ctx)
	report("delete expired sessions", err)
	_, err = s.core.Accounts.DeleteExpiredSetupLinks(ctx)
	report("delete expired setup links", err)
	_, err = s.core.Accounts.DeleteEndedAPITokens(ctx)
	report("delete ended API tokens", err)
	_, err = s.core.Webhooks.RunExpiry(ctx)
	report("webhook expiry notices", err)
	_, err = s.core.Webhooks.Prune(ctx)
	report("prune webhook deliveries", err)
}

func storeName(cfg config.Config) string {
	if cfg.IsPostgres() {
		return "postgres"
	}
	return "sqlite:" + filepath.Join(cfg.DataDir)
}
