package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// TestImportClients imports an NDJSON file into the store `init` made,
// then refuses a file with a bad line, saying which.
func TestImportClients(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var boot struct {
		OrgID string `json:"organization_id"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, "init", "--org", "Acme", "--email", "admin@example.com", "--data-dir", dir, "--dev", "-o", "json")), &boot); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "clients.ndjson")
	good := `{"name":"billing","scopes":["invoices:read"],"secrets":[{"value":"a supplied value, long enough"}]}
{"name":"reports","secrets":[]}
`
	if err := os.WriteFile(file, []byte(good), 0o600); err != nil {
		t.Fatal(err)
	}
	var res struct{ Clients, Secrets int }
	decodeJSON(t, mustRun(t, "import", "clients", "--org", boot.OrgID, "--data-dir", dir, "--dev", "-o", "json", file), &res)
	if res.Clients != 2 || res.Secrets != 1 {
		t.Errorf("import -o json = %+v, want 2 clients and 1 secret", res)
	}
	if err := os.WriteFile(file, []byte(`{"name":"ok"}`+"\n"+`{"nmae":"typo"}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	run(t, "import", "clients", "--org", boot.OrgID, "--data-dir", dir, "--dev", file).fails(t, exitFailure, "line 2", "unknown field")
	run(t, "import", "clients", "--org", "org_nosuch", "--data-dir", dir, "--dev", file).fails(t, exitFailure, "not found")
}
