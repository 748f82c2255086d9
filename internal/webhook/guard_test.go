package webhook_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"keywarden/internal/webhook"
)

func TestCheckURL(t *testing.T) {
	tests := []struct {
		url          string
		strict, open bool // accepted without, with AllowPrivate
	}{
		{"https://hooks.example.com/kw", true, true},
		{"https://hooks.example.com:8443/kw?x=1", true, true},
		{"https://8.8.8.8/hooks", true, true},
		{"https://[2606:4700::1111]/hooks", true, true},
		{"http://hooks.example.com/kw", false, true},
		{"ftp://hooks.example.com/kw", false, false},
		{"https://localhost/hooks", false, true},
		{"https://LOCALHOST./hooks", false, true},
		{"https://api.localhost/hooks", false, true},
		{"https://printer.local/hooks", false, true},
		{"https://intranet/hooks", false, true},
		{"https://127.0.0.1/hooks", false, true},
		{"https://127.1.2.3:9/hooks", false, true},
		{"https://10.0.0.1/hooks", false, true},
		{"https://172.16.5.4/hooks", false, true},
		{"https://192.168.1.1/hooks", false, true},
		{"https://169.254.169.254/latest/meta-data", false, true},
		{"https://100.64.0.1/hooks", false, true},
		{"https://0.0.0.0/hooks", false, true},
		{"https://[::1]/hooks", false, true},
		{"https://[fe80::1]/hooks", false, true},
		{"https://[fd00::1]/hooks", false, true},
		{"https://[::ffff:127.0.0.1]/hooks", false, true},
		{"https://[::127.0.0.1]/hooks", false, true},
		{"https://[::a9fe:a9fe]/latest/meta-data", false, true},
		{"https://[64:ff9b::a00:1]/hooks", false, true},
		{"https://[2002:a00:1::1]/hooks", false, true},
		{"https://224.0.0.1/hooks", false, true},
		{"/relative", false, false},
	}
	for _, tc := range tests {
		t.Run(tc.url, func(t *testing.T) {
			for _, g := range []struct {
				guard webhook.Guard
				want  bool
			}{{webhook.Guard{}, tc.strict}, {webhook.Guard{AllowPrivate: true}, tc.open}} {
				err := g.guard.CheckURL(tc.url)
				if (err == nil) != g.want {
					t.Errorf("Guard{AllowPrivate: %v}.CheckURL = %v, want accepted %v", g.guard.AllowPrivate, err, g.want)
				}
				if err != nil && !errors.Is(err, webhook.ErrRefusedAddress) {
					t.Errorf("error %v is not ErrRefusedAddress", err)
				}
			}
		})
	}
}

func TestCheckAddr(t *testing.T) {
	for _, tc := range []struct {
		addr   string
		public bool
	}{
		{"8.8.8.8", true}, {"1.1.1.1", true}, {"2606:4700::1111", true}, {"64:ff9b::808:808", true},
		{"127.0.0.1", false}, {"10.9.8.7", false}, {"192.0.2.1", false}, {"198.18.0.1", false}, {"255.255.255.255", false},
		{"::", false}, {"::ffff:10.0.0.1", false}, {"::127.0.0.1", false}, {"::10.0.0.1", false}, {"::8.8.8.8", false},
		{"::ffff:0:7f00:1", false}, {"::1:0:0:1", false}, {"5f00::1", false}, {"4000::1", false}, {"fec0::1", false}, {"ff02::1", false}, {"2001:db8::1", false},
	} {
		err := webhook.Guard{}.CheckAddr(netip.MustParseAddr(tc.addr))
		if (err == nil) != tc.public {
			t.Errorf("CheckAddr(%s) = %v, want public %v", tc.addr, err, tc.public)
		}
	}
}

// TestConnectTimeCheck: the address is checked when the connection is
// made, after name resolution, whatever the URL said. "localhost" stands in
// for a public name that an attacker rebinds to 127.0.0.1 after it was
// registered.
func TestConnectTimeCheck(t *testing.T) {
	hit := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hit = true }))
	t.Cleanup(srv.Close)
	port := srv.URL[strings.LastIndex(srv.URL, ":"):]
	strict := webhook.NewHTTPClient(webhook.Guard{}, 2*time.Second)
	for _, u := range []string{srv.URL, "http://localhost" + port} {
		resp, err := strict.Post(u, "application/json", strings.NewReader("{}"))
		if err == nil {
			resp.Body.Close()
		}
		if !errors.Is(err, webhook.ErrRefusedAddress) {
			t.Errorf("POST %s without AllowPrivate: err = %v, want ErrRefusedAddress at connect time", u, err)
		}
	}
	if hit {
		t.Errorf("the refused address was reached")
	}
	open := webhook.NewHTTPClient(webhook.Guard{AllowPrivate: true}, 2*time.Second)
	resp, err := open.Post(srv.URL, "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatalf("POST with AllowPrivate: %v", err)
	}
	resp.Body.Close()
	if !hit {
		t.Errorf("with AllowPrivate the request did not arrive")
	}
}

func TestClientDoesNotUseEnvironmentProxy(t *testing.T) {
	t.Setenv("HTTPS_PROXY", "http://127.0.0.1:1")
	t.Setenv("HTTP_PROXY", "http://127.0.0.1:1")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }))
	t.Cleanup(srv.Close)
	resp, err := webhook.NewHTTPClient(webhook.Guard{AllowPrivate: true}, 2*time.Second).Get(srv.URL)
	if err != nil {
		t.Fatalf("GET with a proxy in the environment: %v (the proxy would hide the destination from the guard)", err)
	}
	resp.Body.Close()
}

func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	t.Cleanup(func() { close(release); srv.Close() })
	e := newEnv(t, func(o *newOpts) { o.Timeout = 200 * time.Millisecond })
	c := e.client(t, srv.URL)
	e.secret(t, c.ID)
	start := time.Now()
	e.dispatch(t)
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("a hanging endpoint held the dispatcher for %v", took)
	}
	m := e.message(t, c.ID, webhook.TypeSecretCreated)
	if m.LastError != "no answer within 200ms" || m.LastStatusCode != 0 {
		t.Errorf("after a timeout: %+v", m)
	}
}

type newOpts = webhook.Options
