package e2e

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"keywarden/pkg/apiv1"
)

// startTLS starts a server with extra flags that serve HTTPS and returns it
// with its https:// URL.
func (in *instance) startTLS(t *testing.T, extra ...string) *server {
	t.Helper()
	srv := in.start(t, extra...)
	srv.URL = "https://" + strings.TrimPrefix(srv.URL, "http://")
	return srv
}

// tlsClient trusts ca, presents certs[0] (if any) whatever CAs the server
// names, and speaks HTTP/2 when offered.
func tlsClient(ca *testCA, certs ...tls.Certificate) *http.Client {
	cfg := &tls.Config{RootCAs: ca.pool}
	if len(certs) > 0 {
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &certs[0], nil }
	}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg, ForceAttemptHTTP2: true}}
}

// servedSerial is the serial number of the certificate a new handshake sees.
func servedSerial(t *testing.T, addr string, ca *testCA) string {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: ca.pool})
	if err != nil {
		t.Fatalf("handshake: %v", err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].SerialNumber.String()
}

func curl(t *testing.T, args ...string) (string, error) {
	t.Helper()
	path, err := exec.LookPath("curl")
	if err != nil {
		t.Fatal("curl is not installed (.ci/run installs it)")
	}
	out, err := exec.CommandContext(t.Context(), path, append([]string{"-sS", "--max-time", "10"}, args...)...).CombinedOutput()
	return string(out), err
}

// TestTLS serves HTTPS from a certificate made here: Go's net/http and curl
// speak HTTP/2 to it, responses carry HSTS, the session cookie is Secure,
// the issuer is https, TLS 1.1 is refused, a client certificate may be
// presented, and a new certificate is taken up on SIGHUP and when the
// files change, without a restart.
func TestTLS(t *testing.T) {
	dir := t.TempDir()
	ca := newTestCA(t, dir, "test")
	certFile, keyFile := filepath.Join(dir, "server.pem"), filepath.Join(dir, "server.key")
	first := ca.issue(t, "first", false, certFile, keyFile)
	clientCert, clientKey := filepath.Join(dir, "client.pem"), filepath.Join(dir, "client.key")
	ca.issue(t, "client-one", true, clientCert, clientKey)

	in := newSQLite(t)
	boot := in.init(t, "Acme", "admin@acme.test")
	srv := in.startTLS(t, "--tls-cert", certFile, "--tls-key", keyFile, "--tls-client-auth", "request")
	addr := strings.TrimPrefix(srv.URL, "https://")
	hc := tlsClient(ca)

	resp, err := hc.Get(srv.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Proto != "HTTP/2.0" {
		t.Errorf("GET /healthz over TLS = %d %s, want 200 over HTTP/2.0", resp.StatusCode, resp.Proto)
	}
	if hsts := resp.Header.Get("Strict-Transport-Security"); !strings.HasPrefix(hsts, "max-age=") {
		t.Errorf("Strict-Transport-Security = %q", hsts)
	}

	// Discovery at both paths, with an https issuer.
	var meta, oidc map[string]any
	for path, out := range map[string]*map[string]any{"/.well-known/oauth-authorization-server": &meta, "/.well-known/openid-configuration": &oidc} {
		r := oauthDo(t, hc, "GET", srv.URL+path, nil, "")
		if r.Status != 200 || json.Unmarshal(r.Body, out) != nil {
			t.Fatalf("GET %s = %d %s", path, r.Status, r.Body)
		}
	}
	if meta["issuer"] != srv.URL || oidc["issuer"] != srv.URL {
		t.Errorf("issuers %v, %v; want %s", meta["issuer"], oidc["issuer"], srv.URL)
	}
	if rt, _ := meta["response_types_supported"].([]any); len(rt) == 0 {
		t.Errorf("response_types_supported = %v, want a non-empty list", meta["response_types_supported"])
	}

	// The console's session cookie is Secure over TLS.
	body, _ := json.Marshal(map[string]string{"email": "admin@acme.test", "password": boot.Password})
	resp, err = hc.Post(srv.URL+"/v1/sessions", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || len(resp.Cookies()) == 0 || !resp.Cookies()[0].Secure {
		t.Errorf("login over TLS = %d, cookies %v; want a Secure cookie", resp.StatusCode, resp.Header.Values("Set-Cookie"))
	}

	// A token through TLS, with curl, over HTTP/2 and with a client
	// certificate presented (mode request accepts any).
	env := &oauthEnv{in: in, srv: srv, admin: boot.APIToken, org: boot.OrganizationID}
	c, s := tlsAdminClient(t, env, hc)
	out, err := curl(t, "--cacert", ca.pemFile, "--http2", "-w", "\n%{http_version} %{http_code}", "-u", c+":"+s,
		"--cert", clientCert, "--key", clientKey, "-d", "grant_type=client_credentials", srv.URL+"/oauth2/token")
	if err != nil || !strings.HasSuffix(out, "\n2 200") || !strings.Contains(out, `"access_token"`) {
		t.Errorf("curl token over TLS: %v\n%s", err, out)
	}
	if out, err := curl(t, "--cacert", ca.pemFile, "--tlsv1.1", "--tls-max", "1.1", srv.URL+"/healthz"); err == nil {
		t.Errorf("curl with TLS 1.1 succeeded: %s", out)
	}
	if conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: ca.pool, MaxVersion: tls.VersionTLS11}); err == nil {
		conn.Close()
		t.Error("Go client with TLS 1.1 succeeded")
	}

	// SIGHUP takes up a new pair at once.
	if got := servedSerial(t, addr, ca); got != first.SerialNumber.String() {
		t.Fatalf("serving serial %s, want %s", got, first.SerialNumber)
	}
	second := ca.issue(t, "second", false, certFile, keyFile)
	srv.cmd.Process.Signal(syscall.SIGHUP)
	oauthEventually(t, 10*time.Second, "the certificate reloaded on SIGHUP", func() bool {
		return servedSerial(t, addr, ca) == second.SerialNumber.String()
	})
	// Whichever came first, the SIGHUP is answered (reloaded, or found
	// the pair already current) and the process lives on.
	oauthEventually(t, 10*time.Second, "SIGHUP in the log", func() bool {
		return strings.Contains(srv.logs.String(), `"trigger":"SIGHUP"`)
	})
	// Changed files are taken up without a signal (polled every 5s).
	third := ca.issue(t, "third", false, certFile, keyFile)
	oauthEventually(t, 20*time.Second, "the certificate reloaded after the files changed", func() bool {
		return servedSerial(t, addr, ca) == third.SerialNumber.String()
	})
	// The server kept serving throughout.
	resp, err = hc.Get(srv.URL + "/readyz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("after reloads: %v %v", resp, err)
	}
	resp.Body.Close()
	if !strings.Contains(srv.logs.String(), `"msg":"TLS certificate reloaded","trigger":"file change"`) {
		t.Error("no reload on a file change in the log")
	}
}

// tlsAdminClient creates a client with a secret through the API over hc.
func tlsAdminClient(t *testing.T, e *oauthEnv, hc *http.Client) (id, secret string) {
	t.Helper()
	do := func(path string, body any, out any) {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequestWithContext(t.Context(), "POST", e.srv.URL+path, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+e.admin)
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusCreated || json.Unmarshal(raw, out) != nil {
			t.Fatalf("POST %s = %d %s", path, resp.StatusCode, raw)
		}
	}
	var c apiv1.Client
	do("/v1/clients", apiv1.CreateClient{Name: "tls"}, &c)
	var s apiv1.CreatedSecret
	do("/v1/clients/"+url.PathEscape(c.ClientID)+"/secrets", apiv1.CreateSecret{Description: "tls"}, &s)
	return c.ClientID, s.Value
}

// TestTLSClientCertificateVerified: in mode verify-if-given a certificate
// from the configured CA is accepted, one from another CA fails the
// handshake, and a client without a certificate is served.
func TestTLSClientCertificateVerified(t *testing.T) {
	dir := t.TempDir()
	ca := newTestCA(t, dir, "server")
	clients := newTestCA(t, dir, "clients")
	stranger := newTestCA(t, dir, "stranger")
	certFile, keyFile := filepath.Join(dir, "server.pem"), filepath.Join(dir, "server.key")
	ca.issue(t, "keywarden.test", false, certFile, keyFile)
	goodCert, goodKey := filepath.Join(dir, "good.pem"), filepath.Join(dir, "good.key")
	clients.issue(t, "good", true, goodCert, goodKey)
	badCert, badKey := filepath.Join(dir, "bad.pem"), filepath.Join(dir, "bad.key")
	stranger.issue(t, "bad", true, badCert, badKey)

	srv := newSQLite(t).startTLS(t, "--tls-cert", certFile, "--tls-key", keyFile,
		"--tls-client-auth", "verify-if-given", "--tls-client-ca", clients.pemFile)
	for _, tc := range []struct {
		name  string
		certs []tls.Certificate
		ok    bool
	}{
		{"no certificate", nil, true},
		{"certificate from the client CA", []tls.Certificate{keyPair(t, goodCert, goodKey)}, true},
		{"certificate from another CA", []tls.Certificate{keyPair(t, badCert, badKey)}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := tlsClient(ca, tc.certs...).Get(srv.URL + "/healthz")
			if err == nil {
				resp.Body.Close()
			}
			if (err == nil && resp.StatusCode == 200) != tc.ok {
				t.Errorf("GET /healthz: %v %v, want served %v", resp, err, tc.ok)
			}
		})
	}
	if out, err := curl(t, "--cacert", ca.pemFile, "--cert", badCert, "--key", badKey, srv.URL+"/healthz"); err == nil {
		t.Errorf("curl with a stranger's certificate succeeded: %s", out)
	}
	if out, err := curl(t, "--cacert", ca.pemFile, "--cert", goodCert, "--key", goodKey, srv.URL+"/healthz"); err != nil {
		t.Errorf("curl with the client CA's certificate: %v %s", err, out)
	}
}
