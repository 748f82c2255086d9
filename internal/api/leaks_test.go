package api_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"keywarden/internal/config"
	"keywarden/internal/domain"
	"keywarden/internal/secretvalue"
	"keywarden/pkg/apiv1"
)

func (e *env) reportLeaks(t *testing.T, values []apiv1.LeakedValue, opts ...reqOpt) []string {
	t.Helper()
	res := e.do(t, "POST", "/v1/leaks", apiv1.ReportLeaks{Values: values}, opts...)
	want(t, res, http.StatusOK)
	return decode[apiv1.LeakReportResult](t, res).Labels
}

// introspect reports whether the token endpoint's introspection says tok
// is active, authenticated as clientID:secret.
func (e *env) introspectActive(t *testing.T, clientID, secret, tok string) bool {
	t.Helper()
	res := e.form(t, "/oauth2/introspect", url.Values{"token": {tok}}, basicAuth(clientID, secret))
	want(t, res, http.StatusOK)
	var out struct {
		Active bool `json:"active"`
	}
	if err := json.Unmarshal(res.Body, &out); err != nil {
		t.Fatal(err)
	}
	return out.Active
}

// TestLeakReportRevokes: a reported live secret is revoked with its access
// tokens at once, recorded, audited with its source, and announced to the
// client's webhook; the reporter learns only the label; a second report
// changes nothing; look-alikes and unknown values change nothing.
func TestLeakReportRevokes(t *testing.T) {
	e := newEnv(t)
	c := e.createClient(t, "Billing")
	leaked := e.createSecret(t, c.ClientID, apiv1.CreateSecret{Description: "Production"})
	other := e.createSecret(t, c.ClientID, apiv1.CreateSecret{Description: "Standby"})
	tok := e.personalToken(t, c.ClientID, leaked.Value)
	if !e.introspectActive(t, c.ClientID, other.Value, tok) {
		t.Fatal("the access token is not active before the leak")
	}

	before := auditHead(t, e)
	flip := "a"
	if strings.HasSuffix(leaked.Value, "a") {
		flip = "b"
	}
	lookalike := leaked.Value[:len(leaked.Value)-1] + flip // the checksum fails
	unknown := secretvalue.Generate(secretvalue.PrefixClientSecret).Reveal()
	labels := e.reportLeaks(t, []apiv1.LeakedValue{{Value: lookalike}, {Value: unknown}, {Value: "hello"}})
	if strings.Join(labels, ",") != "invalid,unknown,invalid" {
		t.Fatalf("labels = %v, want invalid, unknown, invalid", labels)
	}
	if got := auditHead(t, e); got != before {
		t.Fatalf("a report of look-alikes added %d audit events", got-before)
	}
	rec := httptest.NewRecorder() // /metrics is not the API's: not in its document
	e.handler.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	metrics := rec.Body.String()
	for _, want := range []string{`keywarden_leak_findings_total{label="invalid"} 2`, `keywarden_leak_findings_total{label="unknown"} 1`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	src := "https://github.com/acme/billing/blob/main/.env"
	res := e.do(t, "POST", "/v1/leaks", apiv1.ReportLeaks{Values: []apiv1.LeakedValue{{Value: leaked.Value, SourceURL: src, Source: "content"}}})
	want(t, res, http.StatusOK)
	if strings.Contains(string(res.Body), string(c.ClientID)) || strings.Contains(string(res.Body), leaked.ID) {
		t.Fatalf("the answer %s names the client or the secret", res.Body)
	}
	if labels := decode[apiv1.LeakReportResult](t, res).Labels; len(labels) != 1 || labels[0] != "revoked" {
		t.Fatalf("labels = %v, want revoked", labels)
	}
	for _, s := range e.listSecrets(t, c.ClientID) {
		if want := map[string]string{leaked.ID: "revoked", other.ID: "active"}[s.ID]; s.Status != want {
			t.Errorf("secret %s (%s) is %s, want %s", s.ID, s.Description, s.Status, want)
		}
	}
	if e.introspectActive(t, c.ClientID, other.Value, tok) {
		t.Error("the leaked secret's access token is still active")
	}
	events := e.auditEvents(t, "action=secret.leaked")
	if len(events) != 1 || events[0].Target != leaked.ID || events[0].Detail["source_url"] != src || events[0].Detail["response"] != "revoked" {
		t.Fatalf("secret.leaked events = %+v", events)
	}
	res = e.do(t, "GET", "/v1/leaks?client_id="+c.ClientID, nil)
	want(t, res, http.StatusOK)
	list := decode[apiv1.LeakList](t, res).Items
	if len(list) != 1 || list[0].TargetID != leaked.ID || list[0].Kind != "secret" || list[0].SourceURL != src ||
		list[0].Reporter != "user:"+string(e.boot.User.ID) || list[0].Response != "revoked" || list[0].Hint != leaked.Hint {
		t.Fatalf("GET /v1/leaks = %+v", list)
	}

	before = auditHead(t, e)
	if labels := e.reportLeaks(t, []apiv1.LeakedValue{{Value: leaked.Value}}); labels[0] != "inactive" {
		t.Fatalf("a second report = %v, want inactive", labels)
	}
	if got := auditHead(t, e); got != before {
		t.Fatalf("a report of a revoked value added %d audit events", got-before)
	}
}

// TestLeakQuarantine: with the quarantine policy a leaked secret keeps
// working until the quarantine ends, never past its own expiry; a second
// report while it is quarantined changes nothing.
func TestLeakQuarantine(t *testing.T) {
	e := newEnv(t)
	want(t, e.do(t, "PATCH", "/v1/policy", apiv1.UpdatePolicy{LeakResponse: ptr("quarantine"), LeakQuarantineHours: ptr(2)}), http.StatusOK)
	wantProblem(t, e.do(t, "PATCH", "/v1/policy", apiv1.UpdatePolicy{LeakResponse: ptr("ignore")}), http.StatusUnprocessableEntity)
	wantProblem(t, e.do(t, "PATCH", "/v1/policy", apiv1.UpdatePolicy{LeakQuarantineHours: ptr(0)}), http.StatusUnprocessableEntity)
	wantProblem(t, e.do(t, "PATCH", "/v1/policy", apiv1.UpdatePolicy{LeakQuarantineHours: ptr(169)}), http.StatusUnprocessableEntity)
	res := e.do(t, "GET", "/v1/policy", nil)
	if p := decode[apiv1.Policy](t, res); p.LeakResponse != "quarantine" || p.LeakQuarantineHours != 2 {
		t.Fatalf("policy = %+v", p)
	}
	c := e.createClient(t, "Reports")
	x := e.createSecret(t, c.ClientID, apiv1.CreateSecret{Description: "Production"})
	soon := e.createSecret(t, c.ClientID, apiv1.CreateSecret{Description: "Expires soon", ExpiresAt: ptr(time.Now().Add(time.Hour).UTC().Truncate(time.Second))})
	start := time.Now()
	if labels := e.reportLeaks(t, []apiv1.LeakedValue{{Value: x.Value}, {Value: soon.Value}}); strings.Join(labels, ",") != "quarantined,quarantined" {
		t.Fatalf("labels = %v", labels)
	}
	for _, s := range e.listSecrets(t, c.ClientID) {
		if s.Status != "active" || s.ExpiresAt == nil {
			t.Fatalf("quarantined secret %+v is not active with an expiry", s)
		}
		limit := start.Add(2 * time.Hour)
		if s.ID == soon.ID {
			limit = *soon.ExpiresAt
		}
		if s.ExpiresAt.After(limit.Add(time.Second)) || s.ExpiresAt.Before(limit.Add(-time.Minute)) {
			t.Errorf("secret %s expires at %s, want about %s", s.Description, s.ExpiresAt, limit)
		}
	}
	e.personalToken(t, c.ClientID, x.Value) // still works
	before := auditHead(t, e)
	if labels := e.reportLeaks(t, []apiv1.LeakedValue{{Value: x.Value}}); labels[0] != "already_reported" {
		t.Fatalf("second report = %v, want already_reported", labels)
	}
	if got := auditHead(t, e); got != before {
		t.Fatalf("a second report added %d audit events", got-before)
	}
}

// TestLeakedTokens: an API token, a session and a refresh token are
// revoked by a report.
func TestLeakedTokens(t *testing.T) {
	e := newEnv(t)
	_, apiTok := e.userToken(t, e.boot.Org.ID, domain.RoleDeveloper, nil, nil)
	want(t, e.do(t, "GET", "/v1/me", nil, as(apiTok)), http.StatusOK)
	sess := e.login(t, apiv1.Login{Email: e.boot.User.Email, Password: e.boot.Password.Reveal()})
	c := e.createClient(t, "Mobile")
	res := e.do(t, "POST", "/v1/clients/"+c.ClientID+"/refresh-tokens", nil)
	want(t, res, http.StatusCreated)
	rt := decode[apiv1.CreatedRefreshToken](t, res)

	labels := e.reportLeaks(t, []apiv1.LeakedValue{{Value: apiTok}, {Value: sess.Token}, {Value: rt.Value}})
	if strings.Join(labels, ",") != "revoked,revoked,revoked" {
		t.Fatalf("labels = %v", labels)
	}
	wantProblem(t, e.do(t, "GET", "/v1/me", nil, as(apiTok)), http.StatusUnauthorized)
	wantProblem(t, e.do(t, "GET", "/v1/me", nil, as(sess.Token)), http.StatusUnauthorized)
	for _, action := range []string{"api_token.leaked", "session.leaked", "refresh_token.leaked"} {
		if ev := e.auditEvents(t, "action="+action); len(ev) != 1 {
			t.Errorf("%s events = %+v", action, ev)
		}
	}
	res = e.do(t, "GET", "/v1/clients/"+c.ClientID+"/refresh-tokens", nil)
	if list := decode[apiv1.RefreshTokenList](t, res); len(list.Items) != 1 || list.Items[0].Status != "revoked" {
		t.Fatalf("refresh tokens after the leak = %+v", list.Items)
	}
}

// TestLeakReporterToken: the installation's leak-reporter token reports
// and does nothing else; members may not report.
func TestLeakReporterToken(t *testing.T) {
	reporter := strings.Repeat("r", 40)
	file := filepath.Join(t.TempDir(), "reporter")
	if err := os.WriteFile(file, []byte(reporter+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e := newEnvWith(t, func(c *config.Config) { c.LeakReporterTokenFile = file })
	c := e.createClient(t, "Billing")
	x := e.createSecret(t, c.ClientID, apiv1.CreateSecret{Description: "Production"})
	if labels := e.reportLeaks(t, []apiv1.LeakedValue{{Value: x.Value}}, as(reporter)); labels[0] != "revoked" {
		t.Fatalf("labels = %v", labels)
	}
	if ev := e.auditEvents(t, "action=secret.leaked"); len(ev) != 1 || ev[0].Detail["reporter"] != "leak-reporter" {
		t.Fatalf("events = %+v", ev)
	}
	for _, path := range []string{"/v1/leaks", "/v1/clients", "/v1/me"} {
		wantProblem(t, e.do(t, "GET", path, nil, as(reporter)), http.StatusUnauthorized)
	}
	wantProblem(t, e.do(t, "POST", "/v1/leaks", apiv1.ReportLeaks{Values: []apiv1.LeakedValue{{Value: x.Value}}}, as(reporter[:39]+"x")), http.StatusUnauthorized)
	_, member := e.userToken(t, e.boot.Org.ID, domain.RoleMember, nil, nil)
	wantProblem(t, e.do(t, "POST", "/v1/leaks", apiv1.ReportLeaks{Values: []apiv1.LeakedValue{{Value: x.Value}}}, as(member)), http.StatusForbidden)
	wantProblem(t, e.do(t, "POST", "/v1/leaks", raw(`{"values":[]}`)), http.StatusUnprocessableEntity)
	many := make([]apiv1.LeakedValue, 101)
	for i := range many {
		many[i].Value = "x"
	}
	wantProblem(t, e.do(t, "POST", "/v1/leaks", apiv1.ReportLeaks{Values: many}), http.StatusUnprocessableEntity)
}

// TestGitHubPartnerReports: a report signed by the stand-in's key revokes
// and answers GitHub's labels; unsigned, forged, tampered, replayed and
// malformed reports are refused and change nothing.
func TestGitHubPartnerReports(t *testing.T) {
	e := newEnv(t)
	c := e.createClient(t, "Billing")
	x := e.createSecret(t, c.ClientID, apiv1.CreateSecret{Description: "Production"})
	body := []byte(`[{"token":"` + x.Value + `","type":"keywarden_client_secret","url":"https://github.com/acme/app/blob/abc/config.yml","source":"content"},` +
		`{"token":"kws_definitely-not-ours","type":"keywarden_client_secret","url":"https://github.com/acme/app/blob/abc/README","source":"content"}]`)
	signed := e.github.sign(t, body)

	stranger := &gitHubReporter{keyID: e.github.keyID}
	var err error
	if stranger.key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		t.Fatal(err)
	}
	tampered := []byte(strings.Replace(string(body), "config.yml", "config.yaml", 1))
	otherKey := e.github.sign(t, body)
	otherKey[0] = header("Github-Public-Key-Identifier", "unknown-key")
	before := auditHead(t, e)
	for _, tc := range []struct {
		name   string
		body   []byte
		opts   []reqOpt
		status int
	}{
		{"unsigned", body, nil, http.StatusUnauthorized},
		{"signed by another key", body, stranger.sign(t, body), http.StatusUnauthorized},
		{"tampered after signing", tampered, signed, http.StatusUnauthorized},
		{"unknown key identifier", body, otherKey, http.StatusUnauthorized},
		{"signature not base64", body, []reqOpt{signed[0], header("Github-Public-Key-Signature", "%%%")}, http.StatusUnauthorized},
		{"malformed but signed", []byte(`{"token":"x"}`), e.github.sign(t, []byte(`{"token":"x"}`)), http.StatusUnprocessableEntity},
		{"empty list, signed", []byte(`[]`), e.github.sign(t, []byte(`[]`)), http.StatusUnprocessableEntity},
		{"not JSON", body, append(signed, header("Content-Type", "text/plain")), http.StatusUnsupportedMediaType},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantProblem(t, e.do(t, "POST", "/v1/leaks/github", raw(tc.body), append([]reqOpt{noAuth()}, tc.opts...)...), tc.status)
		})
	}
	if got := auditHead(t, e); got != before {
		t.Fatalf("refused reports added %d audit events", got-before)
	}
	if s := e.listSecrets(t, c.ClientID); s[0].Status != "active" {
		t.Fatalf("a refused report changed the secret: %+v", s[0])
	}

	res := e.do(t, "POST", "/v1/leaks/github", raw(body), append([]reqOpt{noAuth()}, signed...)...)
	want(t, res, http.StatusOK)
	var labels []struct {
		TokenRaw  string `json:"token_raw"`
		TokenType string `json:"token_type"`
		Label     string `json:"label"`
	}
	if err := json.Unmarshal(res.Body, &labels); err != nil {
		t.Fatal(err)
	}
	if len(labels) != 2 || labels[0].Label != "true_positive" || labels[0].TokenRaw != x.Value || labels[0].TokenType != "keywarden_client_secret" ||
		labels[1].Label != "false_positive" {
		t.Fatalf("labels = %+v", labels)
	}
	if s := e.listSecrets(t, c.ClientID); s[0].Status != "revoked" {
		t.Fatalf("the leaked secret is %s, want revoked", s[0].Status)
	}
	if ev := e.auditEvents(t, "action=secret.leaked"); len(ev) != 1 || ev[0].Detail["reporter"] != "github" ||
		ev[0].Detail["source_url"] != "https://github.com/acme/app/blob/abc/config.yml" {
		t.Fatalf("events = %+v", ev)
	}

	before = auditHead(t, e)
	wantProblem(t, e.do(t, "POST", "/v1/leaks/github", raw(body), append([]reqOpt{noAuth()}, signed...)...), http.StatusConflict)
	// The same body signed again (GitHub retrying) is answered, and changes nothing.
	res = e.do(t, "POST", "/v1/leaks/github", raw(body), append([]reqOpt{noAuth()}, e.github.sign(t, body)...)...)
	want(t, res, http.StatusOK)
	if !strings.Contains(string(res.Body), `"true_positive"`) {
		t.Fatalf("a repeated report of a revoked value = %s, want true_positive", res.Body)
	}
	if got := auditHead(t, e); got != before {
		t.Fatalf("a replay and a repeat added %d audit events", got-before)
	}
}

// TestLeakReportByFingerprint: a reporter that sends the SHA-256 of a
// value instead of the value shuts down a secret or an API token created
// since digests are recorded; a fingerprint of nothing is unknown,
// malformed hex invalid, and a finding with both or neither is refused.
func TestLeakReportByFingerprint(t *testing.T) {
	e := newEnv(t)
	c := e.createClient(t, "Billing")
	x := e.createSecret(t, c.ClientID, apiv1.CreateSecret{Description: "Production"})
	_, apiTok := e.userToken(t, e.boot.Org.ID, domain.RoleDeveloper, nil, nil)
	res := e.do(t, "POST", "/v1/api-tokens", apiv1.CreateAPIToken{Name: "ci"}, as(apiTok))
	want(t, res, http.StatusCreated)
	created := decode[apiv1.CreatedAPIToken](t, res)
	fp := func(v string) string { d := sha256.Sum256([]byte(v)); return hex.EncodeToString(d[:]) }

	labels := e.reportLeaks(t, []apiv1.LeakedValue{{Fingerprint: fp(x.Value), SourceURL: "https://paste.example/2"},
		{Fingerprint: strings.ToUpper(fp(created.Token))}, {Fingerprint: fp("nothing")}, {Fingerprint: "zz"}})
	if strings.Join(labels, ",") != "revoked,revoked,unknown,invalid" {
		t.Fatalf("labels = %v", labels)
	}
	if s := e.listSecrets(t, c.ClientID); s[0].Status != "revoked" {
		t.Errorf("the secret is %s after a report by fingerprint", s[0].Status)
	}
	wantProblem(t, e.do(t, "GET", "/v1/me", nil, as(created.Token)), http.StatusUnauthorized)
	for _, bad := range []apiv1.LeakedValue{{}, {Value: x.Value, Fingerprint: fp(x.Value)}} {
		wantProblem(t, e.do(t, "POST", "/v1/leaks", apiv1.ReportLeaks{Values: []apiv1.LeakedValue{bad}}), http.StatusUnprocessableEntity)
	}
}

// TestRotateReplace: POST …/secrets/rotate answers 409 naming the open
// rotation, and with "replace": true abandons it.
func TestRotateReplace(t *testing.T) {
	e := newEnv(t)
	c := e.createClient(t, "Billing")
	e.createSecret(t, c.ClientID, apiv1.CreateSecret{Description: "prod"})
	path := secretsPath(c.ClientID) + "/rotate"
	res := e.do(t, "POST", path, apiv1.Rotate{})
	want(t, res, http.StatusCreated)
	first := decode[apiv1.RotateResult](t, res)
	p := wantProblem(t, e.do(t, "POST", path, apiv1.Rotate{}), http.StatusConflict)
	if !strings.Contains(p.Detail, first.Rotation.ID) || !strings.Contains(p.Detail, `"replace": true`) {
		t.Errorf("409 detail %q does not name the open rotation and how to replace it", p.Detail)
	}
	res = e.do(t, "POST", path, apiv1.Rotate{Replace: true})
	want(t, res, http.StatusCreated)
	second := decode[apiv1.RotateResult](t, res)
	if len(second.Previous) != 1 || second.Previous[0].ID == first.ID {
		t.Errorf("the replacing rotation's previous secrets = %+v", second.Previous)
	}
}
