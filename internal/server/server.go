package server

import (
	"context"
	"errors"
	"fmt"
	"keywarden/docs"
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
	"keywarden/internal/auditstream"
	"keywarden/internal/config"
	"keywarden/internal/dpop"
	"keywarden/internal/httpx"
	"keywarden/internal/keyring"
	"keywarden/internal/leak"
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
	// deaf is set while the change listener is disconnected; draining
	// once the server is stopping (/readyz answers 503).
	deaf     atomic.Bool
	draining atomic.Bool
	streams  *auditstream.Streamer // --audit-stream and the organisations' streams
	// leakReports answers leak reports; githubKeys verify GitHub's (nil:
	// off); reporterToken is the leak-reporter token ("" for none).
	leakReports   *leak.Service
	githubKeys    *leak.GitHubKeys
	reporterToken string
}

// errDraining is /readyz's reason while the server drains.
var errDraining = errors.New("draining: the server is stopping")

// ready is /readyz: unready while draining, else the store must answer.
func (s *Server) ready(ctx context.Context) error {
	if s.draining.Load() {
		return errDraining
	}
	return s.core.Store.Ping(ctx)
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
	core.Federation = core.Federation.WithBaseURL(s.Issuer)
	s.issuance = token.NewIssuer(token.IssuerOptions{Keys: tokens.Keys, DenyList: tokens.DenyList, Refresh: tokens.Refresh,
		Backing: core.Credentials, Proofs: dpopProofs{core.Store}, Issuer: s.Issuer})
	if err := s.setupNetwork(); err != nil {
		core.Close()
		return nil, err
	}
	if s.streams, err = s.auditStreams(cfg); err != nil {
		core.Close()
		return nil, err
	}
	if s.leakReports, s.githubKeys, s.reporterToken, err = s.leaks(cfg); err != nil {
		core.Close()
		return nil, err
	}
	root := s.routes()
	s.newAdminServer(root)
	s.http = &http.Server{
		Handler:           s.closeWhileDraining(httpx.ResolvePeer(s.net.trust, httpx.Middleware(log, s.metrics.Observe, root))),
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
	// DPoP proofs: the token endpoint gives and (with --dpop-nonce)
	// requires server nonces (RFC 9449 §8); the admin API, where bound
	// personal-credential tokens act, relies on each proof's jti and age.
	proofs := &dpop.Verifier{NonceKey: s.core.Keyring.Derive(keyring.PurposeDPoPNonce), RequireNonce: s.cfg.DPoPNonce}
	a := &api.Handler{
		Accounts: s.core.Accounts, Credentials: s.core.Credentials, Audit: s.core.Audit, Log: s.log,
		Refresh: s.tokens.Refresh, Keys: s.tokens.Keys, Tokens: s.issuance,
		Ready: s.ready, OpenAPI: kwapi.OpenAPI, Webhooks: s.core.Webhooks, Cookies: s.cookies(),
		Leaks: s.leakReports, GitHubKeys: s.githubKeys, LeakGate: s.core.Store, LeakReporterToken: s.reporterToken,
		AuditStreams: s.core.AuditStreams, DPoP: &dpop.Verifier{}, Issuer: s.Issuer, Federation: s.core.Federation,
	}
	a.Register(mux)
	o := &oauth.Handler{
		Credentials: s.core.Credentials, Tokens: s.issuance, Keys: s.tokens.Keys,
		Log: s.log, Issuer: s.Issuer, Metrics: s.metrics, DPoP: proofs,
	}
	o.Register(mux)
	(&ui.Handler{
		Accounts: s.core.Accounts, Credentials: s.core.Credentials, Audit: s.core.Audit, Refresh: s.tokens.Refresh, Webhooks: s.core.Webhooks, Log: s.log,
		Key: s.core.Keyring.Derive(keyring.PurposeUI), Cookies: s.cookies(), Docs: docs.FS, Federation: s.core.Federation,
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

// Run listens on cfg.Listen and serves until ctx ends, then turns /readyz
// unready and keeps serving for the drain delay, then stops accepting and
// finishes requests in flight for up to the shutdown timeout and flushes
// batched usage. When readyFile is set, the bound address is written there once the
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
	s.drain()
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

// drain turns /readyz unready and keeps serving for --drain-delay, so that
// load balancers stop sending new requests before the listener closes.
// Meanwhile each response closes its connection (closeWhileDraining), so
// that clients with persistent connections move to other nodes too.
func (s *Server) drain() {
	s.draining.Store(true)
	if s.cfg.DrainDelay <= 0 {
		return
	}
	s.log.Info("draining: /readyz is unready", "drain_delay", s.cfg.DrainDelay.String())
	time.Sleep(s.cfg.DrainDelay)
}

// closeWhileDraining ends each connection after its response once the
// server drains. (http.Server.SetKeepAlivesEnabled would also close idle
// connections at once, which a proxy that has not yet seen /readyz turn
// unready may be about to reuse.)
func (s *Server) closeWhileDraining(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.draining.Load() {
			w.Header().Set("Connection", "close")
		}
		h.ServeHTTP(w, r)
	})
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
		s.core.Credentials.RunFailureFlusher(ctx, s.cfg.UsageFlushInterval, s.log)
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
	wg.Add(3)
	go func() { defer wg.Done(); s.core.Audit.RunCheckpoints(ctx, s.cfg.AuditCheckpointInterval, s.log) }()
	go func() { defer wg.Done(); s.runAuditRetention(ctx) }()
	go func() { defer wg.Done(); s.runAuditStreams(ctx) }()
	if s.cfg.WebhookDispatch {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.core.Webhooks.RunDispatcher(ctx)
		}()
	}
	wg.Add(1)
	go func() { defer wg.Done(); s.core.Webhooks.RunRetention(ctx) }()
	schedule(ctx, wg, s.log, s.jobs())
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
			s.deaf.Store(false)
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
		s.log.Warn("change notices interrupted; catching up every --listener-check until reconnected", "err", err)
		// Notices may have been lost since the connection last proved
		// alive: treat them as missed at once, then keep catching up
		// while deaf (catchUpWhileDeaf).
		s.deaf.Store(true)
		s.catchUp(ctx)
	}
	if err := s.core.Store.Listen(ctx, store.ChangesChannel, apply, onError); err != nil {
		s.log.Error("listen for changes", "err", err)
	}
}

// catchUp does what a missed notice would have: it drops the cached
// clients and adds the revocations and keys other nodes made meanwhile.
func (s *Server) catchUp(ctx context.Context) {
	s.core.Credentials.ApplyChange("")
	if err := s.tokens.DenyList.Sync(ctx); err != nil && ctx.Err() == nil {
		s.log.Error("catch up on the deny list", "err", err)
	}
	if err := s.tokens.Keys.Reload(ctx); err != nil && ctx.Err() == nil {
		s.log.Error("catch up on the signing keys", "err", err)
	}
}

// catchUpWhileDeaf is the job that, while the change listener is down,
// catches up every --listener-check, so that a revocation on another node
// takes effect here within that long even without notices.
func (s *Server) catchUpWhileDeaf(ctx context.Context) error {
	if s.deaf.Load() {
		s.catchUp(ctx)
	}
	return nil
}

func storeName(cfg config.Config) string {
	if cfg.IsPostgres() {
		return "postgres"
	}
	return "sqlite:" + filepath.Join(cfg.DataDir)
}
