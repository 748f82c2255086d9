package servertls_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"keywarden/internal/servertls"
)

// writePair writes a self-signed certificate for 127.0.0.1 named cn, and
// its key, and returns the certificate.
func writePair(t *testing.T, certFile, keyFile, cn string) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if keyFile != "" {
		if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	c, _ := x509.ParseCertificate(der)
	return c
}

// serve runs an HTTPS server with cfg on loopback until the test ends.
func serve(t *testing.T, cfg *tls.Config) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}), TLSConfig: cfg,
		ErrorLog: log.New(io.Discard, "", 0)}
	go srv.ServeTLS(ln, "", "")
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// served returns the common name of the certificate a real handshake sees.
func served(t *testing.T, addr string) string {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].Subject.CommonName
}

func TestReload(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writePair(t, certFile, keyFile, "first")
	cert, err := servertls.Load(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := servertls.Config(servertls.Options{}, cert)
	if err != nil {
		t.Fatal(err)
	}
	addr := serve(t, cfg)
	if got := served(t, addr); got != "first" {
		t.Fatalf("served %q", got)
	}
	if changed, err := cert.Reload(); changed || err != nil {
		t.Errorf("Reload without a change = %v, %v", changed, err)
	}

	// A certificate whose key is not written yet (half a renewal): the
	// old pair stays in use.
	writePair(t, certFile, "", "half")
	if changed, err := cert.Reload(); changed || err == nil {
		t.Errorf("Reload of a mismatched pair = %v, %v; want an error", changed, err)
	}
	if got := served(t, addr); got != "first" {
		t.Errorf("after a failed reload served %q, want first", got)
	}

	writePair(t, certFile, keyFile, "second")
	if changed, err := cert.Reload(); !changed || err != nil {
		t.Fatalf("Reload = %v, %v", changed, err)
	}
	if got := served(t, addr); got != "second" {
		t.Errorf("after reload served %q, want second", got)
	}
	if subj, _, fp := cert.Describe(); subj != "CN=second" || len(fp) != 64 {
		t.Errorf("Describe = %q %q", subj, fp)
	}
}

// TestWatchOnSignal: a value on the reload channel reloads at once (the
// ticker is an hour away) and is reported.
func TestWatchOnSignal(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writePair(t, certFile, keyFile, "first")
	cert, err := servertls.Load(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	reload := make(chan struct{})
	reports := make(chan bool)
	go cert.Watch(ctx, time.Hour, reload, func(changed, forced bool, err error) {
		if err != nil || !forced {
			t.Error(err, forced)
		}
		reports <- changed
	})
	writePair(t, certFile, keyFile, "second")
	reload <- struct{}{}
	if !<-reports {
		t.Error("reload reported no change")
	}
	reload <- struct{}{}
	if <-reports {
		t.Error("second reload reported a change")
	}
	if subj, _, _ := cert.Describe(); subj != "CN=second" {
		t.Errorf("in use: %s", subj)
	}
}

func TestConfig(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writePair(t, certFile, keyFile, "x")
	cert, err := servertls.Load(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := servertls.Config(servertls.Options{ClientAuth: "request"}, cert)
	if err != nil || cfg.ClientAuth != tls.RequestClientCert || cfg.MinVersion != tls.VersionTLS12 {
		t.Errorf("request: %+v %v", cfg, err)
	}
	cfg, err = servertls.Config(servertls.Options{ClientAuth: "verify-if-given", ClientCAFile: certFile}, cert)
	if err != nil || cfg.ClientAuth != tls.VerifyClientCertIfGiven || cfg.ClientCAs == nil {
		t.Errorf("verify-if-given: %+v %v", cfg, err)
	}
	if _, err := servertls.Config(servertls.Options{ClientAuth: "verify-if-given", ClientCAFile: keyFile}, cert); err == nil {
		t.Error("a CA file without certificates accepted")
	}
	if _, err := servertls.Load(certFile, filepath.Join(dir, "missing.pem")); err == nil {
		t.Error("missing key accepted")
	}

	// TLS 1.1 is refused.
	cfg, _ = servertls.Config(servertls.Options{}, cert)
	if conn, err := tls.Dial("tcp", serve(t, cfg), &tls.Config{InsecureSkipVerify: true, MaxVersion: tls.VersionTLS11}); err == nil {
		conn.Close()
		t.Error("TLS 1.1 handshake succeeded")
	}
}
