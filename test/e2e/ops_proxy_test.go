package e2e

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"keywarden/pkg/apiv1"
)

// nginxProxy runs Debian's nginx on 127.0.0.1 in front of upstream, as an
// operator would configure it: X-Forwarded-For appended with the socket
// peer ($proxy_add_x_forwarded_for), X-Forwarded-Proto and Host set.
// It returns the proxy's base URL.
func nginxProxy(t *testing.T, upstream string) string {
	t.Helper()
	bin, err := exec.LookPath("nginx")
	if err != nil {
		if bin, err = exec.LookPath("/usr/sbin/nginx"); err != nil {
			t.Skip("nginx is not installed (apt-get install nginx; .ci/run installs it)")
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	dir := t.TempDir()
	conf := fmt.Sprintf(`daemon off;
master_process off;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events { worker_connections 256; }
http {
	access_log off;
	client_body_temp_path %[1]s/body;
	proxy_temp_path %[1]s/proxy;
	fastcgi_temp_path %[1]s/fastcgi;
	uwsgi_temp_path %[1]s/uwsgi;
	scgi_temp_path %[1]s/scgi;
	server {
		listen %[2]s;
		location / {
			proxy_pass %[3]s;
			proxy_set_header Host $http_host;
			proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
			proxy_set_header X-Forwarded-Proto $scheme;
		}
	}
}
`, dir, addr, upstream)
	file := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(file, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-p", dir, "-e", filepath.Join(dir, "error.log"), "-c", file)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGQUIT)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
		}
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Logf("nginx output:\n%s\n%s", out.String(), log)
		}
	})
	base := "http://" + addr
	oauthEventually(t, 10*time.Second, "nginx listening", func() bool {
		select {
		case err := <-done:
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("nginx exited: %v\n%s\n%s", err, out.String(), log)
		default:
		}
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == 200
	})
	return base
}

// proxyToken asks for a token through hc, with extra request headers.
func proxyToken(t *testing.T, hc *http.Client, base, id, secret string, extra map[string]string) oauthResponse {
	t.Helper()
	h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Authorization": {oauthBasic(id, secret)}}
	for k, v := range extra {
		h.Set(k, v)
	}
	return oauthDo(t, hc, "POST", base+"/oauth2/token", h, url.Values{"grant_type": {"client_credentials"}}.Encode())
}

// TestBehindNginx runs Keywarden behind a real nginx with
// --trusted-proxies 127.0.0.1: clients at 127.0.0.2 and 127.0.0.3 (Linux
// routes all of 127/8 to loopback) are told apart, so allowed_cidrs,
// last-used sources and audit addresses name the real client, forged
// forwarding headers change nothing, and a flood of failures from one
// address does not lock out the other.
func TestBehindNginx(t *testing.T) {
	in := newSQLite(t)
	e := oauthStart(t, in, "--trusted-proxies", "127.0.0.1/32", "--usage-flush-interval", "100ms")
	proxy := nginxProxy(t, e.srv.URL)
	two, three := oauthClientFrom(t, "127.0.0.2"), oauthClientFrom(t, "127.0.0.3")

	c, _ := e.client(t, "billing")
	only2 := e.secret(t, c.ClientID, apiv1.CreateSecret{Description: "from .2 only", AllowedCIDRs: []string{"127.0.0.2/32"}})

	// allowed_cidrs through the proxy, and forged headers.
	for _, tc := range []struct {
		name  string
		hc    *http.Client
		base  string
		extra map[string]string
		want  int
	}{
		{"allowed client via nginx", two, proxy, nil, 200},
		{"other client via nginx", three, proxy, nil, 401},
		{"other client via nginx, forged X-Forwarded-For", three, proxy, map[string]string{"X-Forwarded-For": "127.0.0.2"}, 401},
		{"other client via nginx, forged Forwarded", three, proxy, map[string]string{"Forwarded": "for=127.0.0.2"}, 401},
		{"other client direct, forged X-Forwarded-For", three, e.srv.URL, map[string]string{"X-Forwarded-For": "127.0.0.2", "X-Forwarded-Proto": "https"}, 401},
		{"allowed client direct", two, e.srv.URL, nil, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := proxyToken(t, tc.hc, tc.base, c.ClientID, only2.Value, tc.extra)
			if r.Status != tc.want {
				t.Errorf("token = %d, want %d: %s", r.Status, tc.want, r.Body)
			}
		})
	}
	// A direct caller's forged X-Forwarded-Proto does not get HSTS.
	r := oauthDo(t, three, "GET", e.srv.URL+"/healthz", http.Header{"X-Forwarded-Proto": {"https"}}, "")
	if r.Header.Get("Strict-Transport-Security") != "" {
		t.Error("HSTS for a forged X-Forwarded-Proto")
	}
	// Through nginx over plain http, no HSTS either ($scheme is http).
	if r := oauthDo(t, two, "GET", proxy+"/healthz", nil, ""); r.Header.Get("Strict-Transport-Security") != "" {
		t.Error("HSTS through a plain-http proxy")
	}

	// The last-used source and the audit name the client, not nginx.
	oauthEventually(t, 10*time.Second, "last used from 127.0.0.2", func() bool {
		return e.secrets(t, c.ClientID)[only2.ID].LastUsedFrom == "127.0.0.2"
	})
	// Failed authentications are aggregated (per client and minute, their
	// addresses listed) and written every --usage-flush-interval.
	sources := map[string]bool{}
	oauthEventually(t, 10*time.Second, "a failed authentication from 127.0.0.3 in the audit log", func() bool {
		clear(sources)
		for _, ev := range e.audit(t, "action=client.authenticate") {
			sources[ev.Source] = true
			for a := range strings.SplitSeq(ev.Detail["addresses"], ", ") {
				sources[a] = true
			}
		}
		return sources["127.0.0.3"]
	})
	if sources["127.0.0.1"] {
		t.Errorf("audit sources of authentications = %v, never the proxy", sources)
	}

	// A flood of failures from 127.0.0.2 (random client IDs, so it is the
	// per-address limit that trips) until it is refused with 429 ...
	other, otherSecret := e.client(t, "other")
	floodUntilLimited(t, two, proxy)
	if r := proxyToken(t, two, proxy, other.ClientID, otherSecret.Value, nil); r.Status != http.StatusTooManyRequests {
		t.Errorf("the flooding address with good credentials = %d, want 429", r.Status)
	}
	// ... leaves 127.0.0.3 unharmed.
	proxyToken(t, three, proxy, other.ClientID, otherSecret.Value, nil).wantToken(t)
}

// floodUntilLimited sends failing token requests with unknown client IDs
// from hc until the server answers 429 (at most 1,000).
func floodUntilLimited(t *testing.T, hc *http.Client, base string) {
	t.Helper()
	for i := range 1000 {
		r := proxyToken(t, hc, base, fmt.Sprintf("kwc_flood%020d", i), "wrong-secret-wrong-secret", nil)
		if r.Status == http.StatusTooManyRequests {
			return
		}
		if r.Status != http.StatusUnauthorized {
			t.Fatalf("flood request %d = %d: %s", i, r.Status, r.Body)
		}
	}
	t.Fatal("1,000 failures were never rate limited")
}

// TestBehindNginxWithoutTrust is the control: the same setup without
// --trusted-proxies sees every client as nginx, so the flood from one
// address locks out the other. It shows that TestBehindNginx's clients
// are told apart by --trusted-proxies and nothing else.
func TestBehindNginxWithoutTrust(t *testing.T) {
	e := oauthStart(t, newSQLite(t))
	proxy := nginxProxy(t, e.srv.URL)
	c, s := e.client(t, "billing")
	floodUntilLimited(t, oauthClientFrom(t, "127.0.0.2"), proxy)
	if r := proxyToken(t, oauthClientFrom(t, "127.0.0.3"), proxy, c.ClientID, s.Value, nil); r.Status != http.StatusTooManyRequests {
		t.Errorf("without trusted proxies the other client = %d, want 429 (all callers share nginx's address)", r.Status)
	}
	if !strings.Contains(e.srv.logs.String(), `"remote":"127.0.0.1"`) {
		t.Error("the log does not show nginx as the caller")
	}
}
