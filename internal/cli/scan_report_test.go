package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"keywarden/internal/secretvalue"
	"keywarden/pkg/apiv1"
	"keywarden/pkg/keywarden"
)

// TestScanReport: scan --report sends what it finds to the server, which
// revokes the live secret; each finding shows the server's label, and no
// value is printed.
func TestScanReport(t *testing.T) {
	srv := startServer(t)
	sdk := keywarden.New(srv.url, srv.token, nil)
	c, err := sdk.CreateClient(t.Context(), apiv1.CreateClient{Name: "Billing", Scopes: []string{"a"}})
	if err != nil {
		t.Fatal(err)
	}
	x, err := sdk.CreateSecret(t.Context(), c.ClientID, apiv1.CreateSecret{Description: "Production"})
	if err != nil {
		t.Fatal(err)
	}
	stranger := secretvalue.Generate(secretvalue.PrefixRefreshToken).Reveal()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "app.env"), []byte("SECRET="+x.Value+"\nREFRESH="+stranger+"\n"), 0o644)

	r := srv.run(t, "scan", "--report", dir)
	if r.code != exitFailure {
		t.Fatalf("exit %d, want %d\n%s%s", r.code, exitFailure, r.stdout, r.stderr)
	}
	noValueIn(t, r, x.Value, stranger)
	out := strings.Join(strings.Fields(r.stdout), " ")
	for _, want := range []string{"REPORTED", "client secret kws_…" + x.Hint + " revoked", "refresh token kwr_…" + stranger[len(stranger)-4:] + " unknown"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in\n%s", want, r.stdout)
		}
	}
	list, err := sdk.ListSecrets(t.Context(), c.ClientID, keywarden.ListOptions{})
	if err != nil || len(list.Items) != 1 || list.Items[0].Status != "revoked" {
		t.Fatalf("secrets after the report = %+v, %v", list.Items, err)
	}
	leaks, err := sdk.ListLeaks(t.Context(), keywarden.LeakQuery{})
	if err != nil || len(leaks.Items) != 1 || leaks.Items[0].Source != "keywarden scan" || !strings.HasSuffix(leaks.Items[0].SourceURL, "app.env:1") {
		t.Fatalf("leaks = %+v, %v", leaks.Items, err)
	}

	r = srv.run(t, "scan", "--report", "-o", "json", dir)
	if !strings.Contains(r.stdout, `"label": "inactive"`) {
		t.Errorf("a second report: %s", r.stdout)
	}
	run(t, "scan", "--report", dir, "--server", srv.url).fails(t, exitUsage, envToken)
}

// TestLeaksCommands: leaks report reads values from standard input (never
// the command line) and prints masked values with labels; leaks list
// shows what was recorded.
func TestLeaksCommands(t *testing.T) {
	srv := startServer(t)
	sdk := keywarden.New(srv.url, srv.token, nil)
	c, err := sdk.CreateClient(t.Context(), apiv1.CreateClient{Name: "Billing", Scopes: []string{"a"}})
	if err != nil {
		t.Fatal(err)
	}
	x, err := sdk.CreateSecret(t.Context(), c.ClientID, apiv1.CreateSecret{Description: "Production"})
	if err != nil {
		t.Fatal(err)
	}
	out := newEnv(t).mustRunStdin(t, x.Value+"\n\nnot-a-value\n", srv.args("leaks", "report", "--source-url", "https://paste.example/9", "--source", "paste")...)
	if strings.Contains(out, x.Value) {
		t.Fatalf("the output shows the value:\n%s", out)
	}
	flat := strings.Join(strings.Fields(out), " ")
	if !strings.Contains(flat, "kws_…"+x.Hint+" revoked") || !strings.Contains(flat, "… invalid") {
		t.Fatalf("report output:\n%s", out)
	}
	list := srv.mustRun(t, "leaks", "list", "--client", c.ClientID)
	if !strings.Contains(list, x.ID) || !strings.Contains(list, "https://paste.example/9") || !strings.Contains(list, "revoked") {
		t.Fatalf("leaks list:\n%s", list)
	}
	if o := srv.mustRun(t, "overview"); !strings.Contains(strings.Join(strings.Fields(o), " "), "Leaked values, last 30 days 1") {
		t.Errorf("overview:\n%s", o)
	}
	r := newEnv(t).runStdin(t, "", srv.args("leaks", "report")...)
	r.fails(t, exitUsage, "no values")
}
