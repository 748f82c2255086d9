package e2e

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"keywarden/pkg/apiv1"
)

// gitHubStandIn plays GitHub's secret-scanning partner program on
// loopback: it publishes its ECDSA key list and signs reports.
type gitHubStandIn struct {
	*httptest.Server
	key     *ecdsa.PrivateKey
	fetches atomic.Int32
}

func newGitHubStandIn(t *testing.T) *gitHubStandIn {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	noErr(t, err)
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	noErr(t, err)
	list, _ := json.Marshal(map[string]any{"public_keys": []map[string]any{{"key_identifier": "stand-in-1",
		"key": string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), "is_current": true}}})
	g := &gitHubStandIn{key: key}
	g.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.fetches.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Write(list)
	}))
	t.Cleanup(g.Close)
	return g
}

// report posts body to a server's partner endpoint, signed with key (the
// stand-in's unless another is given).
func (g *gitHubStandIn) report(t *testing.T, srv *server, body []byte, key *ecdsa.PrivateKey) (int, []byte) {
	t.Helper()
	if key == nil {
		key = g.key
	}
	d := sha256.Sum256(body)
	sig, err := ecdsa.SignASN1(rand.Reader, key, d[:])
	noErr(t, err)
	return g.send(t, srv, body, base64.StdEncoding.EncodeToString(sig))
}

func (g *gitHubStandIn) send(t *testing.T, srv *server, body []byte, sig string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), "POST", srv.URL+"/v1/leaks/github", bytes.NewReader(body))
	noErr(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Github-Public-Key-Identifier", "stand-in-1")
	req.Header.Set("Github-Public-Key-Signature", sig)
	res, err := http.DefaultClient.Do(req)
	noErr(t, err)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

// TestLeakReportShutsDownOnEveryNodePostgres: two nodes on one PostgreSQL
// database, the partner key list fetched from a stand-in through the SSRF
// guard. A signed report to node A revokes the secret: within a second
// node B refuses it and finds its access token inactive, and the client's
// webhook receives secret.leaked. Forged and replayed reports to node B
// change nothing.
func TestLeakReportShutsDownOnEveryNodePostgres(t *testing.T) {
	t.Parallel()
	in := newPostgres(t)
	gh := newGitHubStandIn(t)
	hooks := newWHReceiver(t, nil)
	flags := []string{"--job-interval", "1h", "--leak-github-keys-url", gh.URL + "/meta/public_keys/secret_scanning",
		"--webhook-allow-private", "127.0.0.1/32", "--webhook-poll-interval", "50ms"}
	a := oauthStart(t, in, flags...)
	b := &oauthEnv{in: in, srv: in.start(t, flags...), admin: a.admin, org: a.org}
	c := whClient(t, a.srv, a.admin, hooks.URL)
	leaked := a.secret(t, c.ClientID, apiv1.CreateSecret{Description: "leaked"})
	spare := a.secret(t, c.ClientID, apiv1.CreateSecret{Description: "spare"})
	tok := b.token(t, c.ClientID, leaked.Value).AccessToken
	b.wantActive(t, c.ClientID, spare.Value, tok, true) // node B caches the client now

	body := []byte(`[{"token":"` + leaked.Value + `","type":"keywarden_client_secret","url":"https://github.com/acme/app/blob/0a1b/config/prod.env","source":"content"}]`)
	forger, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	noErr(t, err)
	if status, out := gh.report(t, b.srv, body, forger); status != http.StatusUnauthorized {
		t.Fatalf("a forged report = %d %s, want 401", status, out)
	}
	b.wantActive(t, c.ClientID, spare.Value, tok, true)

	sent := time.Now()
	d := sha256.Sum256(body)
	sig, err := ecdsa.SignASN1(rand.Reader, gh.key, d[:])
	noErr(t, err)
	signature := base64.StdEncoding.EncodeToString(sig)
	status, out := gh.send(t, a.srv, body, signature)
	if status != http.StatusOK || !strings.Contains(string(out), `"label":"true_positive"`) {
		t.Fatalf("the signed report = %d %s", status, out)
	}
	oauthEventually(t, time.Second, "node B finds the leaked secret's token inactive", func() bool {
		return !b.introspect(t, c.ClientID, spare.Value, tok).Active
	})
	t.Logf("node B refused the leaked secret's token %v after the report was sent", time.Since(sent).Round(time.Millisecond))
	r := b.post(t, "/oauth2/token", c.ClientID, leaked.Value, url.Values{"grant_type": {"client_credentials"}})
	r.wantError(t, http.StatusUnauthorized, "invalid_client")
	b.token(t, c.ClientID, spare.Value) // the other secret still works

	got := hooks.waitFor(t, 1, "secret.leaked", ofType("secret.leaked", leaked.ID))
	if got[0].Data["source_url"] != "https://github.com/acme/app/blob/0a1b/config/prod.env" || got[0].Data["response"] != "revoked" {
		t.Errorf("secret.leaked data = %v", got[0].Data)
	}
	if !whVerifies(t, got[0], spare.Value) {
		t.Error("secret.leaked does not verify under the client's remaining secret")
	}

	if status, out := gh.send(t, b.srv, body, signature); status != http.StatusConflict {
		t.Errorf("the replayed report on node B = %d %s, want 409", status, out)
	}
	var events apiv1.AuditList
	b.srv.must(t, http.StatusOK, b.admin, "GET", "/v1/audit?action=secret.leaked", nil, &events)
	if len(events.Items) != 1 || events.Items[0].Detail["reporter"] != "github" {
		t.Errorf("secret.leaked audit events = %s", fmtJSON(events.Items))
	}
	if n := gh.fetches.Load(); n < 1 || n > 2 {
		t.Errorf("the key list was fetched %d times by two nodes, want one each at most", n)
	}
}
