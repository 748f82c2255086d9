package e2e

import (
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var adminAddrRE = regexp.MustCompile(`"msg":"admin listening","addr":"([^"]+)"`)

// adminURL waits for the admin listener's address in the server's log.
func (s *server) adminURL(t *testing.T) string {
	t.Helper()
	var url string
	oauthEventually(t, 10*time.Second, "the admin listener", func() bool {
		if m := adminAddrRE.FindStringSubmatch(s.logs.String()); m != nil {
			url = "http://" + m[1]
		}
		return url != ""
	})
	return url
}

func metricsToken(t *testing.T) (file, token string) {
	t.Helper()
	token = "metrics-" + strings.Repeat("x7", 12)
	file = filepath.Join(t.TempDir(), "metrics.token")
	if err := os.WriteFile(file, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return file, token
}

func get(t *testing.T, url, bearer string) oauthResponse {
	t.Helper()
	h := http.Header{}
	if bearer != "" {
		h.Set("Authorization", "Bearer "+bearer)
	}
	return oauthDo(t, oauthHTTP, "GET", url, h, "")
}

// TestAdminListener: with --admin-listen, metrics, health, readiness and
// pprof live on their own listener and /metrics and pprof are gone from
// the main one; /openapi.yaml stays public; the metrics token is required.
func TestAdminListener(t *testing.T) {
	file, token := metricsToken(t)
	srv := newSQLite(t).start(t, "--admin-listen", "127.0.0.1:0", "--pprof", "--metrics-token-file", file)
	admin := srv.adminURL(t)
	for _, tc := range []struct {
		url, bearer string
		want        int
	}{
		{admin + "/metrics", token, 200},
		{admin + "/metrics", "", 401},
		{admin + "/metrics", "wrong-token-wrong-token", 401},
		{admin + "/healthz", "", 200},
		{admin + "/readyz", "", 200},
		{admin + "/debug/pprof/", "", 200},
		{admin + "/debug/pprof/goroutine?debug=1", "", 200},
		{admin + "/v1/clients", "", 404},
		{srv.URL + "/metrics", token, 404},
		{srv.URL + "/debug/pprof/", "", 404},
		{srv.URL + "/healthz", "", 200},
		{srv.URL + "/openapi.yaml", "", 200},
	} {
		r := get(t, tc.url, tc.bearer)
		if r.Status != tc.want {
			t.Errorf("GET %s (token %v) = %d, want %d", tc.url, tc.bearer != "", r.Status, tc.want)
		}
		if r.Status == 401 && r.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("GET %s: 401 without WWW-Authenticate", tc.url)
		}
		if strings.HasSuffix(tc.url, "/metrics") && r.Status == 200 && !strings.Contains(string(r.Body), "go_goroutines") {
			t.Errorf("metrics body lacks go_goroutines")
		}
	}
}

// TestMetricsTokenWithoutAdminListener: without --admin-listen, /metrics
// stays on the main listener, behind the token; pprof is not served.
func TestMetricsTokenWithoutAdminListener(t *testing.T) {
	file, token := metricsToken(t)
	srv := newSQLite(t).start(t, "--metrics-token-file", file)
	for _, tc := range []struct {
		path, bearer string
		want         int
	}{
		{"/metrics", token, 200}, {"/metrics", "", 401}, {"/metrics", token + "x", 401},
		{"/debug/pprof/", "", 404}, {"/openapi.yaml", "", 200},
	} {
		if r := get(t, srv.URL+tc.path, tc.bearer); r.Status != tc.want {
			t.Errorf("GET %s (token %v) = %d, want %d", tc.path, tc.bearer != "", r.Status, tc.want)
		}
	}
	// pprof without an admin listener is refused at start.
	_, errOut, code := newSQLite(t).run(t, "", "serve", "--dev", "--pprof")
	if code != 2 || !strings.Contains(errOut, "pprof: needs --admin-listen") {
		t.Errorf("serve --pprof = %d: %s", code, errOut)
	}
}
