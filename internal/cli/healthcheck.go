package cli

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"keywarden/internal/config"
)

// newHealthcheckCmd probes a local server's /healthz (or /readyz) and
// exits 0 only on 200. It is the container image's HEALTHCHECK: a scratch
// image has no shell and no curl, only this binary.
func newHealthcheckCmd(stdout io.Writer, getenv func(string) string) *cobra.Command {
	var target string
	var ready bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "healthcheck",
		Short: "Probe the local server's /healthz (exit 0 when it answers 200); for container health checks",
		Long: `Probe the local server's /healthz (with --ready, /readyz) and exit 0 only on 200.

Without --url the address comes from the same settings as serve (flags, KEYWARDEN_*
environment, --config): --admin-listen when set, else --listen, over https when
--tls-cert is set. A wildcard host (0.0.0.0, ::) is probed on loopback. The TLS
certificate is not verified: the probe checks that this server answers, not who it is.`,
		Args: noArgs,
	}
	l := config.Register(cmd.Flags(), "listen", "admin-listen", "tls-cert", "tls-key")
	cmd.Flags().StringVar(&target, "url", "", "probe this URL instead")
	cmd.Flags().BoolVar(&ready, "ready", false, "probe /readyz (the database too) instead of /healthz")
	cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Second, "give up after this long")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if target == "" {
			cfg, err := loadConfig(l, getenv)
			if err != nil {
				return err
			}
			path := "/healthz"
			if ready {
				path = "/readyz"
			}
			target = probeURL(cfg, path)
		}
		hc := &http.Client{Timeout: timeout, Transport: &http.Transport{
			TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, // a liveness probe of this host's own server
			Proxy:           nil,
		}}
		req, err := http.NewRequestWithContext(cmd.Context(), "GET", target, nil)
		if err != nil {
			return usageError{fmt.Errorf("healthcheck: %w", err)}
		}
		resp, err := hc.Do(req)
		if err != nil {
			return fmt.Errorf("healthcheck %s: %w", target, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("healthcheck %s: %s", target, resp.Status)
		}
		_, err = fmt.Fprintf(stdout, "ok %s\n", target)
		return err
	}
	return cmd
}

// probeURL is the local URL of path on the configured listener.
func probeURL(cfg config.Config, path string) string {
	addr, scheme := cfg.Listen, "http"
	if cfg.AdminListen != "" {
		addr = cfg.AdminListen
	} else if cfg.TLSCert != "" {
		scheme = "https"
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return scheme + "://" + addr + path
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return scheme + "://" + net.JoinHostPort(host, port) + path
}
