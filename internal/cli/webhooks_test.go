package cli

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"keywarden/pkg/apiv1"
	"keywarden/pkg/webhooksig"
)

func TestWebhooksHelpGolden(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"help-webhooks", []string{"webhooks", "--help"}},
		{"help-webhooks-verify", []string{"webhook", "verify", "--help"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := run(t, tc.args...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			assertGolden(t, tc.name, []byte(r.stdout))
		})
	}
}

// verifyRun runs keywarden webhooks verify with body on standard input.
func verifyRun(t *testing.T, body []byte, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	cmd := newWebhooksVerifyCmd(bytes.NewReader(body), &out)
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	err := cmd.ExecuteContext(t.Context())
	return out.String(), err
}

func TestWebhooksVerify(t *testing.T) {
	t.Parallel()
	const (
		oldSecret = "kws_0ldSecretValueFromBeforeTheRotation9xQ2"
		newSecret = "kws_NewSecretValueCreatedByTheRotationZz7Kp"
	)
	body := []byte(`{"type":"secret.created","timestamp":"2031-03-04T05:06:07Z","data":{}}`)
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "secrets")
	os.WriteFile(secretFile, []byte("# ours\n\n"+newSecret+"\n"), 0o600)
	signed := webhooksig.Sign("msg_2bW3ZkPq8s1Xv0aLmN4cRt", time.Now(), body, []string{oldSecret, newSecret})
	stale := webhooksig.Sign("msg_2bW3ZkPq8s1Xv0aLmN4cRt", time.Now().Add(-time.Hour), body, []string{newSecret})
	headerArgs := func(h map[string][]string) []string {
		var args []string
		for k, v := range h {
			args = append(args, "--header", k+": "+v[0])
		}
		return args
	}
	dump := filepath.Join(dir, "request.txt")
	var sb strings.Builder
	sb.WriteString("POST /hooks HTTP/1.1\n")
	for k, v := range signed {
		sb.WriteString(k + ": " + v[0] + "\n")
	}
	os.WriteFile(dump, []byte(sb.String()), 0o600)

	tests := []struct {
		name     string
		body     []byte
		args     []string
		wantCode int // 0 ok, 1 failure, 2 usage
		want     string
	}{
		{"new secret from a file", body, append([]string{"--secret-file", secretFile}, headerArgs(signed)...), 0, "…z7Kp"},
		{"old secret", body, append([]string{"--secret", oldSecret}, headerArgs(signed)...), 0, "verified"},
		{"headers from a request dump", body, []string{"--secret-file", secretFile, "--header-file", dump}, 0, "standard-webhooks"},
		{"json", body, append([]string{"--secret-file", secretFile, "-o", "json"}, headerArgs(signed)...), 0, `"ok": true`},
		{"tampered body", append(body, ' '), append([]string{"--secret-file", secretFile}, headerArgs(signed)...), 1, ""},
		{"unknown secret", body, append([]string{"--secret", "kws_someoneElse"}, headerArgs(signed)...), 1, ""},
		{"stale", body, append([]string{"--secret-file", secretFile}, headerArgs(stale)...), 1, ""},
		{"stale within a wide tolerance", body, append([]string{"--secret-file", secretFile, "--tolerance", "2h"}, headerArgs(stale)...), 0, "verified"},
		{"failure as json", append(body, ' '), append([]string{"--secret-file", secretFile, "-o", "json"}, headerArgs(signed)...), 1, `"ok": false`},
		{"only the HMAC header", body, []string{"--secret", oldSecret, "--header", webhooksig.HeaderHMAC + ": " + signed.Get(webhooksig.HeaderHMAC)}, 0, "hmac-sha256"},
		{"no headers", body, []string{"--secret", newSecret}, 1, ""},
		{"no secrets", body, headerArgs(signed), 2, ""},
		{"missing secret file", body, []string{"--secret-file", filepath.Join(dir, "nope")}, 2, ""},
		{"malformed header", body, []string{"--secret", newSecret, "--header", "no colon"}, 2, ""},
		{"zero tolerance", body, []string{"--secret", newSecret, "--tolerance", "0s"}, 2, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := verifyRun(t, tc.body, tc.args...)
			code := 0
			var ue usageError
			var ee exitError
			switch {
			case errors.As(err, &ue):
				code = 2
			case errors.As(err, &ee):
				code = ee.code
			case err != nil:
				t.Fatalf("unexpected error %v", err)
			}
			if code != tc.wantCode || !strings.Contains(out, tc.want) {
				t.Errorf("exit %d (%v), output:\n%s\nwant exit %d and %q", code, err, out, tc.wantCode, tc.want)
			}
			for _, s := range []string{oldSecret, newSecret} {
				if strings.Contains(out, s) || err != nil && strings.Contains(err.Error(), s) {
					t.Errorf("a secret was printed")
				}
			}
		})
	}
}

func TestWebhooksCommands(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c := srv.createClient(t, "hooked")

	// .invalid never resolves: deliveries fail fast and stay in the log.
	out := srv.mustRun(t, "webhooks", "set", c.ClientID, "--url", "https://hooks.invalid/kw", "--event", "secret.*,client.updated")
	wantIn(t, "set", out, "https://hooks.invalid/kw", "secret.* client.updated", "active")
	var ep apiv1.WebhookEndpoint
	decodeJSON(t, srv.mustRun(t, "webhook", "show", c.ClientID, "-o", "json"), &ep)
	if ep.URL != "https://hooks.invalid/kw" || len(ep.Events) != 2 {
		t.Errorf("show -o json = %+v", ep)
	}
	srv.mustRun(t, "secrets", "create", c.ClientID, "--description", "hooked")

	var list apiv1.WebhookDeliveryList
	decodeJSON(t, srv.mustRun(t, "webhooks", "deliveries", c.ClientID, "-o", "json"), &list)
	if len(list.Items) != 2 || list.Items[0].EventType != "secret.created" || list.Items[1].EventType != "client.updated" {
		t.Fatalf("deliveries = %+v, want secret.created and client.updated", list.Items)
	}
	id := list.Items[0].ID
	wantIn(t, "deliveries --limit 1", srv.mustRun(t, "webhooks", "deliveries", c.ClientID, "--limit", "1"), id, "--cursor")
	wantIn(t, "delivery", srv.mustRun(t, "webhooks", "delivery", c.ClientID, id), id, "secret.created", `"type":"secret.created"`, "CODE")
	wantIn(t, "redeliver", srv.mustRun(t, "webhooks", "redeliver", c.ClientID, id), "due again")
	var test apiv1.WebhookDelivery
	decodeJSON(t, srv.mustRun(t, "webhooks", "test", c.ClientID, "-o", "json"), &test)
	if test.EventType != "webhook.test" {
		t.Errorf("webhooks test queued %+v", test)
	}
	wantIn(t, "the test event", srv.mustRun(t, "webhooks", "delivery", c.ClientID, test.ID), "webhook.test")
	wantIn(t, "enable", srv.mustRun(t, "webhooks", "enable", c.ClientID), "active")
	decodeJSON(t, srv.mustRun(t, "webhooks", "set", c.ClientID, "--all-events", "-o", "json"), &ep)
	if len(ep.Events) != 0 {
		t.Errorf("after --all-events: events %q", ep.Events)
	}

	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"nothing to set", []string{"webhooks", "set", c.ClientID}, 2, "nothing to change"},
		{"both event flags", []string{"webhooks", "set", c.ClientID, "--all-events", "--event", "secret.*"}, 2, "give one"},
		{"unknown event", []string{"webhooks", "set", c.ClientID, "--event", "secret.deleted"}, 1, "webhook_events"},
		{"http URL", []string{"webhooks", "set", c.ClientID, "--url", "http://hooks.example.com/"}, 1, "webhook_url"},
		{"private URL", []string{"webhooks", "set", c.ClientID, "--url", "https://10.0.0.1/"}, 1, "private"},
		{"bad status", []string{"webhooks", "deliveries", c.ClientID, "--status", "lost"}, 1, "status"},
		{"unknown delivery", []string{"webhooks", "delivery", c.ClientID, "msg_0000000000000000000000"}, 1, "Not Found"},
		{"unknown client", []string{"webhooks", "show", "kwc_0000000000000000000000"}, 1, "Not Found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv.run(t, tc.args...).fails(t, tc.code, tc.want)
		})
	}
}
