package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"keywarden/pkg/apiv1"
)

// The operator's metrics, scraped from the real binary: promtool's lint,
// the series an operator alerts on, the names the shipped rules and
// dashboard use, and a real Prometheus scraping them.

const monitoringDir = "../../deploy/monitoring"

// tool returns the binary env names, else name on PATH or under /usr/bin;
// it skips the test when there is none, unless env is set (CI sets it:
// then a missing tool fails).
func tool(t *testing.T, env, name string) string {
	t.Helper()
	if p := os.Getenv(env); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("%s=%s: %v", env, p, err)
		}
		return p
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	t.Skipf("no %s (apt-get install prometheus, or set %s); .ci/run sets it", name, env)
	return ""
}

// metricsTraffic makes every kind of event the new series count: tokens,
// a wrong secret until the client is rate limited, a refresh token used
// twice, logins that fail and succeed, a secret that expires in three days.
func metricsTraffic(t *testing.T, e *oauthEnv) {
	t.Helper()
	c, sec := e.client(t, "billing", "invoices:read")
	e.token(t, c.ClientID, sec.Value)
	soon := time.Now().Add(72 * time.Hour).UTC().Truncate(time.Second)
	e.secret(t, c.ClientID, apiv1.CreateSecret{Description: "expires soon", ExpiresAt: &soon})
	rt, err := e.srv.api(e.admin).CreateRefreshToken(t.Context(), c.ClientID)
	noErr(t, err)
	for range 2 {
		e.post(t, "/oauth2/token", c.ClientID, sec.Value, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt.Value}})
	}
	other := oauthClientFrom(t, "127.0.0.3")
	for range 11 { // ClientFailureBurst, then a refusal
		oauthPost(t, other, e.srv.URL+"/oauth2/token", c.ClientID, "kws_wrong", url.Values{"grant_type": {"client_credentials"}})
	}
	if _, err := e.srv.api("").Login(t.Context(), apiv1.Login{Email: "admin@acme.test", Password: "not the password"}); err == nil {
		t.Fatal("a wrong password logged in")
	}
}

func scrapeMetrics(t *testing.T, url, token string) string {
	t.Helper()
	r := get(t, url, token)
	if r.Status != 200 {
		t.Fatalf("GET %s = %d: %s", url, r.Status, r.Body)
	}
	return string(r.Body)
}

func TestMetricsForOperators(t *testing.T) {
	promtool := tool(t, "KEYWARDEN_PROMTOOL", "promtool")
	e := oauthStart(t, newSQLite(t))
	metricsTraffic(t, e)
	body := scrapeMetrics(t, e.srv.URL+"/metrics", "")

	// promtool's linter: names, units, help texts, counter suffixes.
	cmd := exec.CommandContext(t.Context(), promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(body)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}

	for _, want := range []string{
		`keywarden_tokens_issued_total{grant="client_credentials"} 1`,
		`keywarden_tokens_issued_total{grant="refresh_token"} 1`,
		`keywarden_refresh_token_reuse_total 1`,
		`keywarden_rate_limited_total{limit="client"} 1`,
		`keywarden_client_authentications_total{outcome="rate_limited"} 1`,
		`keywarden_logins_total{channel="api",outcome="failure"} 1`,
		`keywarden_secrets_expiring{within="1d"} 0`,
		`keywarden_secrets_expiring{within="7d"} 1`,
		`keywarden_secrets_expiring{within="14d"} 1`,
		`keywarden_webhook_outbox_messages 0`,
		`keywarden_webhook_endpoints_disabled 0`,
		`keywarden_db_connections_max 8`,
		`keywarden_change_listener_up 1`,
		`keywarden_http_requests_total{code="200",method="POST",route="/oauth2/token"} 2`,
		`keywarden_http_request_duration_seconds_count{method="POST",route="/oauth2/token",status_class="4xx"} 12`,
		`keywarden_build_info{commit=`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the exposition lacks %s", want)
		}
	}
	if regexp.MustCompile(`route="(GET|POST|PUT|PATCH|DELETE) `).MatchString(body) {
		t.Error("a route label repeats the method")
	}
	if age := seriesValue(t, body, "keywarden_signing_key_age_seconds"); age <= 0 || age > 3600 {
		t.Errorf("keywarden_signing_key_age_seconds = %v, want the age of a key made at start", age)
	}

	// Every metric the shipped rules and dashboard name is served.
	served := map[string]bool{"up": true}
	for _, m := range regexp.MustCompile(`(?m)^# TYPE (\S+) (\S+)`).FindAllStringSubmatch(body, -1) {
		served[m[1]] = true
		if m[2] == "histogram" {
			for _, s := range []string{"_bucket", "_count", "_sum"} {
				served[m[1]+s] = true
			}
		}
	}
	for _, f := range []string{"keywarden-rules.yml", "keywarden-dashboard.json"} {
		b, err := os.ReadFile(filepath.Join(monitoringDir, f))
		noErr(t, err)
		names := map[string]bool{}
		for _, n := range regexp.MustCompile(`\bkeywarden_[a-z0-9_]+`).FindAllString(string(b), -1) {
			names[n] = true
		}
		if len(names) < 10 {
			t.Errorf("%s names %d metrics; the pattern is wrong", f, len(names))
		}
		for n := range names {
			if !served[n] && !strings.HasSuffix(n, "_") { // "keywarden_db_*" in a description

				t.Errorf("%s uses %s, which the server does not serve", f, n)
			}
		}
	}
}

// seriesValue is the value of a series without labels.
func seriesValue(t *testing.T, body, name string) float64 {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + name + ` (\S+)$`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no %s", name)
	}
	v, err := strconv.ParseFloat(m[1], 64)
	noErr(t, err)
	return v
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	noErr(t, err)
	defer ln.Close()
	return ln.Addr().String()
}

// prometheusQuery runs an instant query and returns its vector.
func prometheusQuery(t *testing.T, base, query string) []struct {
	Metric map[string]string `json:"metric"`
	Value  [2]any            `json:"value"`
} {
	t.Helper()
	r := get(t, base+"/api/v1/query?query="+url.QueryEscape(query), "")
	var out struct {
		Status string `json:"status"`
		Data   struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
				Value  [2]any            `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if r.Status != 200 || json.Unmarshal(r.Body, &out) != nil || out.Status != "success" {
		t.Fatalf("query %s = %d %s", query, r.Status, r.Body)
	}
	return out.Data.Result
}

// TestPrometheusScrapesKeywarden runs Debian's Prometheus on loopback with
// a generated configuration: it scrapes Keywarden's /metrics with the
// metrics bearer token, loads the shipped rules, and answers queries for
// the new series.
func TestPrometheusScrapesKeywarden(t *testing.T) {
	prom := tool(t, "KEYWARDEN_PROMETHEUS", "prometheus")
	tokenFile, _ := metricsToken(t)
	e := oauthStart(t, newSQLite(t), "--metrics-token-file", tokenFile)
	metricsTraffic(t, e)

	dir := t.TempDir()
	rules, err := filepath.Abs(filepath.Join(monitoringDir, "keywarden-rules.yml"))
	noErr(t, err)
	target := strings.TrimPrefix(e.srv.URL, "http://")
	config := fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [%q]
scrape_configs:
  - job_name: keywarden
    metrics_path: /metrics
    authorization:
      credentials_file: %q
    static_configs:
      - targets: [%q]
`, rules, tokenFile, target)
	noErr(t, os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(config), 0o600))
	listen := freePort(t)
	cmd := exec.Command(prom, "--config.file="+filepath.Join(dir, "prometheus.yml"), "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+listen, "--log.level=warn")
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	noErr(t, cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("prometheus log:\n%s", logs.String())
		}
	})
	base := "http://" + listen

	// Up, and scraping: the target is healthy and the series are there.
	oauthEventually(t, 60*time.Second, "Prometheus scraping Keywarden", func() bool {
		select {
		case err := <-done:
			t.Fatalf("prometheus exited: %v\n%s", err, logs.String())
		default:
		}
		r, err := oauthHTTP.Get(base + "/-/ready")
		if err != nil {
			return false
		}
		r.Body.Close()
		return r.StatusCode == 200 && len(prometheusQuery(t, base, `up{job="keywarden"} == 1`)) == 1 &&
			len(prometheusQuery(t, base, `keywarden_secrets_expiring`)) == 3
	})
	for query, want := range map[string]string{
		`keywarden_secrets_expiring{job="keywarden", within="7d"}`:        "1",
		`keywarden_refresh_token_reuse_total{job="keywarden"}`:            "1",
		`keywarden_rate_limited_total{job="keywarden", limit="client"}`:   "1",
		`keywarden_webhook_outbox_oldest_age_seconds{job="keywarden"}`:    "0",
		`sum(keywarden_logins_total{job="keywarden", outcome="failure"})`: "1",
		`keywarden_db_connections_max{job="keywarden"}`:                   "8",
		`count(keywarden_build_info{job="keywarden"})`:                    "1",
	} {
		res := prometheusQuery(t, base, query)
		if len(res) != 1 || res[0].Value[1] != want {
			t.Errorf("%s = %v, want %s", query, res, want)
		}
	}

	// The shipped rules loaded and evaluate without errors.
	var rulesResp struct {
		Data struct {
			Groups []struct {
				Name  string `json:"name"`
				Rules []struct {
					Name      string `json:"name"`
					Health    string `json:"health"`
					LastError string `json:"lastError"`
				} `json:"rules"`
			} `json:"groups"`
		} `json:"data"`
	}
	var unhealthy []string
	oauthEventually(t, 30*time.Second, "every rule evaluated", func() bool {
		noErr(t, json.Unmarshal(get(t, base+"/api/v1/rules", "").Body, &rulesResp))
		unhealthy = nil
		n := 0
		for _, g := range rulesResp.Data.Groups {
			for _, r := range g.Rules {
				n++
				if r.Health != "ok" {
					unhealthy = append(unhealthy, r.Name+": "+r.Health+" "+r.LastError)
				}
			}
		}
		sort.Strings(unhealthy)
		return n >= 17 && len(unhealthy) == 0
	})
	if len(unhealthy) > 0 {
		t.Errorf("rules not healthy: %v", unhealthy)
	}
	// Nothing fires on a healthy server; a refresh-token reuse while
	// Prometheus watches fires its alert.
	if firing := prometheusQuery(t, base, `ALERTS{alertstate="firing"}`); len(firing) > 0 {
		t.Errorf("alerts fire on a healthy server: %v", firing)
	}
	c, sec := e.client(t, "reporting")
	rt, err := e.srv.api(e.admin).CreateRefreshToken(t.Context(), c.ClientID)
	noErr(t, err)
	for range 2 {
		e.post(t, "/oauth2/token", c.ClientID, sec.Value, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt.Value}})
	}
	oauthEventually(t, 30*time.Second, "KeywardenRefreshTokenReuse firing", func() bool {
		return len(prometheusQuery(t, base, `ALERTS{alertname="KeywardenRefreshTokenReuse", alertstate="firing"}`)) == 1
	})
}
