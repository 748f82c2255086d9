package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"keywarden/pkg/apiv1"
	"keywarden/pkg/keywarden"
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
	api, ctx := srv.api(tok), t.Context()
	var revealed []string

	c, err := api.CreateClient(ctx, apiv1.CreateClient{Name: "billing", Scopes: []string{"invoices:read"}})
	noErr(t, err)
	first, err := api.CreateSecret(ctx, c.ClientID, apiv1.CreateSecret{Description: "production"})
	noErr(t, err)
	if !strings.HasPrefix(first.Value, "kws_") || first.Status != "active" || first.ExpiresAt == nil {
		t.Fatalf("created secret = %s", fmtJSON(first))
	}
	revealed = append(revealed, first.Value)

	grace := 3600
	rot, err := api.RotateSecrets(ctx, c.ClientID, apiv1.Rotate{GraceSeconds: &grace})
	noErr(t, err)
	revealed = append(revealed, rot.Value)
	if !rot.New || len(rot.Previous) != 1 || rot.Previous[0].ID != first.ID {
		t.Fatalf("rotation = %s", fmtJSON(rot))
	}
	if until := time.Until(*rot.Previous[0].ExpiresAt); until <= 0 || until > time.Hour {
		t.Errorf("old secret expires in %v, want within the one-hour grace", until)
	}

	list, err := api.ListSecrets(ctx, c.ClientID, keywarden.ListOptions{})
	noErr(t, err)
	if len(list.Items) != 2 || !list.Items[1].New || list.Items[0].New {
		t.Fatalf("secrets = %s", fmtJSON(list))
	}
	revoked, err := api.RevokeSecret(ctx, c.ClientID, first.ID, keywarden.RevokeOptions{})
	noErr(t, err)
	if revoked.Status != "revoked" {
		t.Fatalf("deleted secret status = %s", revoked.Status)
	}
	// A revoked secret never comes back.
	again := "again"
	if _, err := api.UpdateSecret(ctx, c.ClientID, first.ID, apiv1.UpdateSecret{Description: &again}); !keywarden.HasStatus(err, http.StatusConflict) {
		t.Errorf("editing a revoked secret: %v, want 409", err)
	}

	// Restart: everything is as it was.
	srv.stop(t)
	srv = in.start(t)
	api = srv.api(tok)
	list, err = api.ListSecrets(ctx, c.ClientID, keywarden.ListOptions{})
	noErr(t, err)
	if len(list.Items) != 2 || list.Items[0].Status != "revoked" || list.Items[1].Status != "active" {
		t.Fatalf("after restart secrets = %s", fmtJSON(list))
	}
	all, err := api.RevokeAll(ctx, c.ClientID)
	noErr(t, err)
	if all.Revoked != 1 {
		t.Errorf("revoke-all revoked %d, want 1 (the other was already revoked)", all.Revoked)
	}
	list, err = api.ListSecrets(ctx, c.ClientID, keywarden.ListOptions{})
	noErr(t, err)
	for _, x := range list.Items {
		if x.Status != "revoked" {
			t.Errorf("secret %s is %s after revoke-all", x.ID, x.Status)
		}
	}

	// No value ever appears again: not in lists, not in the audit log (the
	// raw answers, as they go on the wire).
	_, rawList := srv.call(t, tok, "GET", "/v1/clients/"+c.ClientID+"/secrets", nil, nil)
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
	_, err := srv.api(boot.APIToken).GetPolicy(t.Context())
	noErr(t, err)
	// The same data with another master key cannot open the sealed signing
	// keys: the server refuses to start and says why.
	srv.stop(t)
	other := &instance{dataDir: in.dataDir, noDev: true, env: []string{"KEYWARDEN_MASTER_KEY=" + strings.Repeat("cd", 32)}}
	out, errOut, code := other.run(t, "", "serve", "--listen", "127.0.0.1:0", "--data-dir", in.dataDir)
	if code == 0 || !strings.Contains(errOut, "master key") {
		t.Fatalf("serve with another master key exited %d: %s %s", code, out, errOut)
	}
}
