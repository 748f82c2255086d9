package cli

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"keywarden/internal/config"
)

func TestProbeURL(t *testing.T) {
	for _, tc := range []struct {
		cfg  config.Config
		path string
		want string
	}{
		{config.Config{Listen: "127.0.0.1:8080"}, "/healthz", "http://127.0.0.1:8080/healthz"},
		{config.Config{Listen: "0.0.0.0:8080"}, "/healthz", "http://127.0.0.1:8080/healthz"},
		{config.Config{Listen: ":8443", TLSCert: "c.pem"}, "/readyz", "https://127.0.0.1:8443/readyz"},
		{config.Config{Listen: "[::]:8080"}, "/healthz", "http://[::1]:8080/healthz"},
		{config.Config{Listen: ":8443", TLSCert: "c.pem", AdminListen: "127.0.0.1:9090"}, "/healthz", "http://127.0.0.1:9090/healthz"},
	} {
		if got := probeURL(tc.cfg, tc.path); got != tc.want {
			t.Errorf("probeURL(%+v) = %s, want %s", tc.cfg, got, tc.want)
		}
	}
}

func TestHealthcheck(t *testing.T) {
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		w.WriteHeader(status)
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	if r := run(t, "healthcheck", "--listen", addr, "--ready"); r.code != 0 || !strings.Contains(r.stdout, "ok http://"+addr+"/readyz") {
		t.Errorf("healthy: %+v", r)
	}
	if r := run(t, "healthcheck", "--listen", addr); r.code != 1 || !strings.Contains(r.stderr, "404") {
		t.Errorf("wrong path: %+v", r)
	}
	status = http.StatusServiceUnavailable
	if r := run(t, "healthcheck", "--url", srv.URL+"/readyz"); r.code != 1 || !strings.Contains(r.stderr, "503") {
		t.Errorf("unready: %+v", r)
	}
	srv.Close()
	if r := run(t, "healthcheck", "--url", srv.URL+"/readyz", "--timeout", "1s"); r.code != 1 {
		t.Errorf("down: %+v", r)
	}
}
