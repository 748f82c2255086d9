package server

import (
	"context"
	"log/slog"
	"net"
	"net/url"
	"time"
)

// setupMessage is the one log record of a first run. Its setup_url holds
// a secret (the token, in the URL's fragment), which is why the record
// says so in a field of its own: a log pipeline can drop or redact records
// with contains_secret before they leave the machine (docs/operations.md,
// "First run").
const setupMessage = "first run: open setup_url in a browser to create the organisation and its super admin; " +
	"the link is a one-time secret, valid until used or until expires_at"

// announceSetup writes, when the store has no organisation yet, the
// one-time setup link to the log, whatever --log-level: it is the one way
// into a new installation besides keywarden init. base is the address
// people reach the server at.
func (s *Server) announceSetup(ctx context.Context, base string) error {
	link, ok, err := s.core.Accounts.NewSetupLink(ctx)
	if err != nil || !ok {
		return err
	}
	u, err := url.Parse(base)
	if err != nil {
		return err
	}
	if host, port, err := net.SplitHostPort(u.Host); err == nil {
		if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
			u.Host = net.JoinHostPort("127.0.0.1", port) // listening everywhere: this machine at least
		}
	}
	u.Path, u.RawQuery = "/ui/setup", ""
	u.Fragment = link.Token.Reveal()
	r := slog.NewRecord(time.Now(), slog.LevelWarn, setupMessage, 0)
	r.AddAttrs(slog.String("setup_url", u.String()), slog.Time("expires_at", link.ExpiresAt.UTC()), slog.Bool("contains_secret", true))
	// Handle, not Log: the record is written at every log level.
	return s.log.Handler().Handle(ctx, r)
}
