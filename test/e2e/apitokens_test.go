package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"keywarden/pkg/apiv1"
)

// cli runs a keywarden command against srv with token in KEYWARDEN_TOKEN
// and fails the test unless it exits 0.
func (in *instance) cli(t *testing.T, srv *server, token string, args ...string) string {
	t.Helper()
	env := in.env
	in.env = append(append([]string(nil), env...), "KEYWARDEN_TOKEN="+token, "KEYWARDEN_SERVER="+srv.URL)
	defer func() { in.env = env }()
	out, errOut, code := in.run(t, "", args...)
	if code != 0 {
		t.Fatalf("keywarden %s: exit %d: %s", strings.Join(args, " "), code, errOut)
	}
	return out
}

// TestAPITokenLifecycle drives an admin API token through the real binary:
// init prints a bootstrap token that expires; the CLI creates a token,
// which the API accepts and whose last use shows up after the batched
// flush; rotating it stops the old value, revoking stops the new one; no
// token value reaches the server's log.
func TestAPITokenLifecycle(t *testing.T) {
	t.Parallel()
	in := newSQLite(t)
	out, errOut, code := in.run(t, "", append([]string{"init", "--org", "Acme", "--email", "root@acme.test", "-o", "json"}, in.storeArgs()...)...)
	if code != 0 {
		t.Fatalf("init exited %d: %s", code, errOut)
	}
	var boot struct {
		APIToken  string    `json:"api_token"`
		TokenID   string    `json:"api_token_id"`
		ExpiresAt time.Time `json:"api_token_expires_at"`
	}
	if err := json.Unmarshal([]byte(out), &boot); err != nil {
		t.Fatal(err)
	}
	if d := time.Until(boot.ExpiresAt); d < 89*24*time.Hour || d > 90*24*time.Hour {
		t.Errorf("the bootstrap token expires in %v, want 90 days", d)
	}
	srv := in.start(t, "--usage-flush-interval", "100ms")

	var list apiv1.APITokenList
	noErr(t, json.Unmarshal([]byte(in.cli(t, srv, boot.APIToken, "api-tokens", "list", "-o", "json")), &list))
	if len(list.Items) != 1 || list.Items[0].ID != boot.TokenID || !list.Items[0].Bootstrap || !list.Items[0].Current {
		t.Fatalf("list = %+v; want the bootstrap token, current", list.Items)
	}

	var created apiv1.CreatedAPIToken
	noErr(t, json.Unmarshal([]byte(in.cli(t, srv, boot.APIToken, "api-tokens", "create", "deploy", "-o", "json")), &created))
	me, err := srv.api(created.Token).GetMe(t.Context())
	noErr(t, err)
	if me.Email != "root@acme.test" {
		t.Errorf("the new token acts as %s", me.Email)
	}
	// Last use is written by the batched flush (every 100 ms here).
	deadline := time.Now().Add(10 * time.Second)
	for {
		tok, err := srv.api(boot.APIToken).GetAPIToken(t.Context(), created.APIToken.ID)
		noErr(t, err)
		if tok.LastUsedAt != nil {
			if tok.LastUsedFrom != "127.0.0.1" {
				t.Errorf("last used from %q, want 127.0.0.1", tok.LastUsedFrom)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the token's last use never showed up")
		}
		time.Sleep(50 * time.Millisecond)
	}

	// Rotate the token of the request, with no overlap.
	rotated := in.cli(t, srv, created.Token, "api-tokens", "rotate", "current", "-o", "json")
	var next apiv1.CreatedAPIToken
	noErr(t, json.Unmarshal([]byte(rotated), &next))
	if code, _ := srv.call(t, created.Token, "GET", "/v1/me", nil, nil); code != http.StatusUnauthorized {
		t.Errorf("the rotated token: GET /v1/me = %d, want 401", code)
	}
	srv.must(t, http.StatusOK, next.Token, "GET", "/v1/me", nil, nil)

	// Revoke it: refused on the very next request.
	in.cli(t, srv, boot.APIToken, "api-tokens", "revoke", next.APIToken.ID)
	if code, _ := srv.call(t, next.Token, "GET", "/v1/me", nil, nil); code != http.StatusUnauthorized {
		t.Errorf("the revoked token: GET /v1/me = %d, want 401", code)
	}

	// The audit log has the three changes; neither it nor the log holds a value.
	var events apiv1.AuditList
	srv.must(t, http.StatusOK, boot.APIToken, "GET", "/v1/audit?action=api_token.", nil, &events)
	seen := map[string]int{}
	for _, ev := range events.Items {
		seen[ev.Action]++
	}
	if seen["api_token.create"] != 1 || seen["api_token.rotate"] != 1 || seen["api_token.revoke"] != 1 {
		t.Errorf("audit events %v, want one create, rotate and revoke", seen)
	}
	raw := srv.must(t, http.StatusOK, boot.APIToken, "GET", "/v1/audit", nil, nil)
	srv.stop(t)
	for _, v := range []string{boot.APIToken, created.Token, next.Token} {
		if strings.Contains(srv.logs.String(), v) || strings.Contains(string(raw), v) {
			t.Errorf("a token value is in the server log or the audit log")
		}
	}
}

// TestAPITokenRevokedOnEveryNodePostgres: a token revoked through one node
// is refused by the other on the next request, without waiting for any
// notice or cache: every node reads the token from the database.
func TestAPITokenRevokedOnEveryNodePostgres(t *testing.T) {
	t.Parallel()
	in := newPostgres(t)
	boot := in.init(t, "Acme", "root@acme.test")
	a, b := in.start(t, "--job-interval", "1h"), in.start(t, "--job-interval", "1h")
	n, err := a.api(boot.APIToken).CreateAPIToken(t.Context(), apiv1.CreateAPIToken{Name: "ci"})
	noErr(t, err)
	b.must(t, http.StatusOK, n.Token, "GET", "/v1/me", nil, nil)
	a.must(t, http.StatusNoContent, boot.APIToken, "DELETE", "/v1/api-tokens/"+n.APIToken.ID, nil, nil)
	if code, _ := b.call(t, n.Token, "GET", "/v1/me", nil, nil); code != http.StatusUnauthorized {
		t.Fatalf("node B accepted a token node A revoked: %d", code)
	}
	// Rotation on B: A refuses the old value at once and takes the new one.
	m, err := b.api(boot.APIToken).CreateAPIToken(t.Context(), apiv1.CreateAPIToken{Name: "deploy"})
	noErr(t, err)
	r, err := b.api(m.Token).RotateAPIToken(t.Context(), "current", apiv1.RotateAPIToken{})
	noErr(t, err)
	if code, _ := a.call(t, m.Token, "GET", "/v1/me", nil, nil); code != http.StatusUnauthorized {
		t.Fatalf("node A accepted a token rotated away on node B: %d", code)
	}
	a.must(t, http.StatusOK, r.Token, "GET", "/v1/me", nil, nil)
}
