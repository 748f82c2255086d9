package servertls

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"time"
)

// Client-certificate modes (--tls-client-auth).
const (
	ClientAuthNone = "none"
	// ClientAuthRequest asks for any certificate and checks none: the
	// application decides (RFC 8705 §2.2 self-signed client certificates).
	ClientAuthRequest = "request"
	// ClientAuthVerifyIfGiven verifies a presented certificate against the
	// client CAs and refuses the handshake if it fails; a client may still
	// present none (RFC 8705 §2.1 PKI client authentication).
	ClientAuthVerifyIfGiven = "verify-if-given"
)

// Options configure the listener's TLS.
type Options struct {
	CertFile, KeyFile string
	ClientAuth        string // one of the ClientAuth modes; "" is none
	ClientCAFile      string // PEM CAs for ClientAuthVerifyIfGiven
}

// Certificate holds the current certificate pair and reloads it from its
// files. It is safe for concurrent use: handshakes read it while a reload
// replaces it.
type Certificate struct {
	certFile, keyFile string
	cur               atomic.Pointer[loaded]
}

type loaded struct {
	cert      *tls.Certificate
	certBytes []byte
	keyBytes  []byte
}

// Load reads the pair; an error here is a start-up error.
func Load(certFile, keyFile string) (*Certificate, error) {
	c := &Certificate{certFile: certFile, keyFile: keyFile}
	l, err := c.read()
	if err != nil {
		return nil, err
	}
	c.cur.Store(l)
	return c, nil
}

func (c *Certificate) read() (*loaded, error) {
	certPEM, err := os.ReadFile(c.certFile)
	if err != nil {
		return nil, fmt.Errorf("tls-cert: %w", err)
	}
	keyPEM, err := os.ReadFile(c.keyFile)
	if err != nil {
		return nil, fmt.Errorf("tls-key: %w", err)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("tls-cert/tls-key %s, %s: %w", c.certFile, c.keyFile, err)
	}
	return &loaded{cert: &pair, certBytes: certPEM, keyBytes: keyPEM}, nil
}

// Reload re-reads the files and swaps the pair in when they changed. It
// reports whether it did; on error the current pair stays.
func (c *Certificate) Reload() (bool, error) {
	old := c.cur.Load()
	certPEM, err1 := os.ReadFile(c.certFile)
	keyPEM, err2 := os.ReadFile(c.keyFile)
	if err := errors.Join(err1, err2); err == nil && bytes.Equal(certPEM, old.certBytes) && bytes.Equal(keyPEM, old.keyBytes) {
		return false, nil
	}
	l, err := c.read()
	if err != nil {
		return false, err
	}
	c.cur.Store(l)
	return true, nil
}

// GetCertificate is the tls.Config hook: every handshake takes the pair in
// use at that moment.
func (c *Certificate) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return c.cur.Load().cert, nil
}

// Describe names the pair in use for logs: subject, expiry and the
// leaf's SHA-256 fingerprint.
func (c *Certificate) Describe() (subject string, notAfter time.Time, sha256Hex string) {
	cert := c.cur.Load().cert
	if cert.Leaf == nil {
		return "", time.Time{}, ""
	}
	sum := sha256.Sum256(cert.Leaf.Raw)
	return cert.Leaf.Subject.String(), cert.Leaf.NotAfter, hex.EncodeToString(sum[:])
}

// Watch reloads the pair every interval when the files changed, and at
// once on each value from reload (SIGHUP), until ctx ends. report hears
// every reload and every failed attempt, and every forced one (from
// reload) whatever its outcome.
func (c *Certificate) Watch(ctx context.Context, interval time.Duration, reload <-chan struct{}, report func(changed, forced bool, err error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		forced := false
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-reload:
			forced = true
		}
		changed, err := c.Reload()
		if changed || err != nil || forced {
			report(changed, forced, err)
		}
	}
}

// Config returns the listener's tls.Config for opts, serving cert. The
// http.Server adds "h2" and "http/1.1" to NextProtos when it serves TLS.
func Config(opts Options, cert *Certificate) (*tls.Config, error) {
	cfg := &tls.Config{
		// TLS 1.2 and 1.3 with Go's default suites, which are the modern
		// AEAD ones and order themselves.
		MinVersion:     tls.VersionTLS12,
		GetCertificate: cert.GetCertificate,
	}
	switch opts.ClientAuth {
	case "", ClientAuthNone:
	case ClientAuthRequest:
		cfg.ClientAuth = tls.RequestClientCert
	case ClientAuthVerifyIfGiven:
		pem, err := os.ReadFile(opts.ClientCAFile)
		if err != nil {
			return nil, fmt.Errorf("tls-client-ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls-client-ca %s: no PEM certificate in it", opts.ClientCAFile)
		}
		cfg.ClientAuth, cfg.ClientCAs = tls.VerifyClientCertIfGiven, pool
	default:
		return nil, fmt.Errorf("tls-client-auth %q: must be none, request or verify-if-given", opts.ClientAuth)
	}
	return cfg, nil
}
