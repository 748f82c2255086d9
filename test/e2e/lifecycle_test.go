package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"keywarden/pkg/apiv1"
)

func TestLifecycleSQLite(t *testing.T)   { testLifecycle(t, newSQLite(t)) }
func TestLifecyclePostgres(t *testing.T) { testLifecycle(t, newPostgres(t)) }

// testLifecycle is the operator's first hour: init, create a client, add,
// rotate, revoke and revoke-all secrets, restart the server and find
// everything as it was, then verify the audit chain.
func testLifecycle(t *testing.T, in *instance) {
	boot := in.init(t, "Acme", "admin@acme.test")
	srv := in.start(t)
	tok := boot.APIToken
	var revealed []string

	var c apiv1.Client
	srv.must(t, http.StatusCreated, tok, "POST", "/v1/clients", apiv1.CreateClient{Name: "billing", Scopes: []string{"invoices:read"}}, &c)
	base := "/v1/clients/" + c.ClientID

	var first apiv1.CreatedSecret
	srv.must(t, http.StatusCreated, tok, "POST", base+"/secrets", apiv1.CreateSecret{Description: "production"}, &first)
	if !strings.HasPrefix(first.Value, "kws_") || first.Status != "active" || first.ExpiresAt == nil {
		t.Fatalf("created secret = %s", fmtJSON(first))
	}
	revealed = append(revealed, first.Value)

	grace := 3600
	var rot apiv1.RotateResult
	srv.must(t, http.StatusCreated, tok, "POST", base+"/secrets/rotate", apiv1.Rotate{GraceSeconds: &grace}, &rot)
	revealed = append(revealed, rot.Value)
	if !rot.New || len(rot.Previous) != 1 || rot.Previous[0].ID != first.ID {
		t.Fatalf("rotation = %s", fmtJSON(rot))
	}
	if until := time.Until(*rot.Previous[0].ExpiresAt); until <= 0 || until > time.Hour {
		t.Errorf("old secret expires in %v, want within the one-hour grace", until)
	}

	var list apiv1.SecretList
	srv.must(t, http.StatusOK, tok, "GET", base+"/secrets", nil, &list)
	if len(list.Items) != 2 || !list.Items[1].New || list.Items[0].New {
		t.Fatalf("secrets = %s", fmtJSON(list))
	}

	var revoked apiv1.Secret
	srv.must(t, http.StatusOK, tok, "DELETE", base+"/secrets/"+first.ID, nil, &revoked)
	if revoked.Status != "revoked" {
		t.Fatalf("deleted secret status = %s", revoked.Status)
	}
	// A revoked secret never comes back.
	srv.must(t, http.StatusConflict, tok, "PATCH", base+"/secrets/"+first.ID, map[string]any{"description": "again"}, nil)

	// Restart: everything is as it was.
	srv.stop(t)
	srv = in.start(t)
	srv.must(t, http.StatusOK, tok, "GET", base+"/secrets", nil, &list)
	if len(list.Items) != 2 || list.Items[0].Status != "revoked" || list.Items[1].Status != "active" {
		t.Fatalf("after restart secrets = %s", fmtJSON(list))
	}

	var all apiv1.RevokeAll
	srv.must(t, http.StatusOK, tok, "POST", base+"/revoke-all", nil, &all)
	if all.Revoked != 1 {
		t.Errorf("revoke-all revoked %d, want 1 (the other was already revoked)", all.Revoked)
	}
	srv.must(t, http.StatusOK, tok, "GET", base+"/secrets", nil, &list)
	for _, x := range list.Items {
		if x.Status != "revoked" {
			t.Errorf("secret %s is %s after revoke-all", x.ID, x.Status)
		}
	}

	// No value ever appears again: not in lists, not in the audit log.
	_, rawList := srv.call(t, tok, "GET", base+"/secrets", nil, nil)
	_, rawAudit := srv.call(t, tok, "GET", "/v1/audit?limit=200", nil, nil)
	for _, v := range revealed {
		for name, body := range map[string]string{"list": string(rawList), "audit": string(rawAudit)} {
			if strings.Contains(body, v) {
				t.Errorf("secret value appears in %s", name)
			}
		}
	}
	srv.stop(t)

	// The server log never holds a secret or token value.
	logs := srv.logs.String()
	for _, v := range append(revealed, tok, boot.Password) {
		if strings.Contains(logs, v) {
			t.Errorf("a secret value (…%s) appears in the server log", v[len(v)-4:])
		}
	}
	out, errOut, code := in.run(t, "", append([]string{"audit", "verify"}, in.storeArgs()...)...)
	if code != 0 || !strings.Contains(out, "OK") {
		t.Errorf("audit verify exited %d: %s %s", code, out, errOut)
	}
}

func TestServeWithoutMasterKeyFails(t *testing.T) {
	in := newSQLite(t)
	out, errOut, code := in.run(t, "", "serve", "--data-dir", in.dataDir, "--listen", "127.0.0.1:0")
	if code == 0 || !strings.Contains(errOut, "no master key") {
		t.Fatalf("serve without a master key exited %d: %s %s", code, out, errOut)
	}
}

func TestServeWithMasterKeyFromEnv(t *testing.T) {
	in := &instance{dataDir: t.TempDir(), noDev: true, env: []string{"KEYWARDEN_MASTER_KEY=" + strings.Repeat("ab", 32)}}
	boot := in.init(t, "Acme", "a@acme.test")
	srv := in.start(t)
	srv.must(t, http.StatusOK, boot.APIToken, "GET", "/v1/policy", nil, nil)
	// The same data with another master key cannot open the sealed signing
	// keys: the server refuses to start and says why.
	srv.stop(t)
	other := &instance{dataDir: in.dataDir, noDev: true, env: []string{"KEYWARDEN_MASTER_KEY=" + strings.Repeat("cd", 32)}}
	out, errOut, code := other.run(t, "", "serve", "--listen", "127.0.0.1:0", "--data-dir", in.dataDir)
	if code == 0 || !strings.Contains(errOut, "master key") {
		t.Fatalf("serve with another master key exited %d: %s %s", code, out, errOut)
	}
}
