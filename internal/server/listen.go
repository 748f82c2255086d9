package server

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"keywarden/internal/httpx"
	"keywarden/internal/servertls"
)

// certPollInterval is how often the TLS files are compared with the pair
// in use; SIGHUP reloads at once.
const certPollInterval = 5 * time.Second

// network is the listener-side setup of a server: who is a trusted proxy,
// the TLS certificate, the admin listener and the metrics token.
type network struct {
	trust        httpx.Trust
	cert         *servertls.Certificate // nil: plain HTTP
	tls          *tls.Config
	admin        *http.Server // nil: no --admin-listen
	metricsToken [sha256.Size]byte
	hasToken     bool
}

// setupNetwork reads the TLS pair, client CAs and metrics token named by
// the configuration (a missing or bad file is a start-up error).
func (s *Server) setupNetwork() error {
	cfg := s.cfg
	n := &s.net
	n.trust = httpx.Trust{Proxies: cfg.TrustedProxyPrefixes(), Header: httpx.ForwardHeader(cfg.ProxyHeader)}
	if cfg.TLSCert != "" {
		cert, err := servertls.Load(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return err
		}
		tc, err := servertls.Config(servertls.Options{CertFile: cfg.TLSCert, KeyFile: cfg.TLSKey,
			ClientAuth: cfg.TLSClientAuth, ClientCAFile: cfg.TLSClientCA}, cert)
		if err != nil {
			return err
		}
		n.cert, n.tls = cert, tc
	}
	if cfg.MetricsTokenFile != "" {
		b, err := os.ReadFile(cfg.MetricsTokenFile)
		if err != nil {
			return fmt.Errorf("metrics-token-file: %w", err)
		}
		tok := strings.TrimSpace(string(b))
		if len(tok) < 16 {
			return fmt.Errorf("metrics-token-file %s: the token must have at least 16 characters", cfg.MetricsTokenFile)
		}
		n.metricsToken, n.hasToken = sha256.Sum256([]byte(tok)), true
	}
	return nil
}

// scheme is the scheme clients reach the main listener by.
func (n *network) scheme() string {
	if n.tls != nil {
		return "https"
	}
	return "http"
}

// metricsHandler serves the Prometheus metrics, behind the bearer token
// when --metrics-token-file is set.
func (s *Server) metricsHandler() http.Handler {
	h := s.metrics.Handler()
	if !s.net.hasToken {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		sum := sha256.Sum256([]byte(strings.TrimSpace(tok)))
		if !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare(sum[:], s.net.metricsToken[:]) != 1 {
			// RFC 6750 §3: a 401 names the scheme it wants.
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			httpx.WriteJSON(w, http.StatusUnauthorized, map[string]any{"type": "about:blank", "title": "Unauthorized",
				"status": 401, "detail": "/metrics needs the bearer token of --metrics-token-file", "instance": httpx.RequestID(r.Context())},
				"application/problem+json")
			return
		}
		h.ServeHTTP(w, r)
	})
}

// adminHandler is the operational surface of --admin-listen: metrics,
// health, readiness (served by the same handlers as on the main
// listener) and, with --pprof, Go's profiler.
func (s *Server) adminHandler(root http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", s.metricsHandler())
	mux.Handle("GET /healthz", root)
	mux.Handle("GET /readyz", root)
	if s.cfg.Pprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	return httpx.ResolvePeer(httpx.Trust{}, httpx.Middleware(s.log, nil, mux))
}

func (s *Server) newAdminServer(root http.Handler) {
	if s.cfg.AdminListen == "" {
		return
	}
	s.net.admin = &http.Server{
		Handler:           s.adminHandler(root),
		ReadHeaderTimeout: 10 * time.Second,
		WriteTimeout:      5 * time.Minute, // pprof profiles run for up to its ?seconds=
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}

// serveMain serves the main listener, over TLS when configured.
func (s *Server) serveMain(ln net.Listener) error {
	if s.net.tls != nil {
		s.http.TLSConfig = s.net.tls
		return s.http.ServeTLS(ln, "", "")
	}
	return s.http.Serve(ln)
}

// startAdmin listens on --admin-listen and serves it until shutdownAdmin.
func (s *Server) startAdmin(errc chan<- error) error {
	if s.net.admin == nil {
		return nil
	}
	ln, err := net.Listen("tcp", s.cfg.AdminListen)
	if err != nil {
		return fmt.Errorf("admin-listen: %w", err)
	}
	s.log.Info("admin listening", "addr", ln.Addr().String(), "pprof", s.cfg.Pprof)
	go func() {
		if err := s.net.admin.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("admin listener: %w", err)
		}
	}()
	return nil
}

func (s *Server) shutdownAdmin(ctx context.Context) {
	if s.net.admin != nil {
		s.net.admin.Shutdown(ctx)
	}
}

// catchHUP starts catching SIGHUP, even without TLS, so that a reload
// signal (systemctl reload) never ends the process.
func catchHUP() (<-chan os.Signal, func()) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	return hup, func() { signal.Stop(hup) }
}

// watchReloads reloads the TLS pair when its files change and on each
// SIGHUP from hup, until ctx ends.
func (s *Server) watchReloads(ctx context.Context, hup <-chan os.Signal) {
	reload := make(chan struct{})
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				if s.net.cert == nil {
					s.log.Info("SIGHUP: nothing to reload (no --tls-cert)")
					continue
				}
				select {
				case reload <- struct{}{}:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	if s.net.cert == nil {
		<-ctx.Done()
		return
	}
	s.net.cert.Watch(ctx, certPollInterval, reload, func(changed, forced bool, err error) {
		trigger := "file change"
		if forced {
			trigger = "SIGHUP"
		}
		switch {
		case err != nil:
			s.log.Error("TLS certificate not reloaded; the previous one stays in use", "trigger", trigger, "err", err)
		case changed:
			subject, notAfter, fp := s.net.cert.Describe()
			s.log.Info("TLS certificate reloaded", "trigger", trigger, "subject", subject, "not_after", notAfter, "sha256", fp)
		default:
			s.log.Info("TLS certificate unchanged", "trigger", trigger)
		}
	})
}
