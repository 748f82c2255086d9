package cli

import (
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"keywarden/internal/store/sqlite"
	"keywarden/pkg/apiv1"
)

func TestAudit(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	c := srv.createClient(t, "audited")
	s := srv.createSecret(t, c.ClientID, "audited")

	t.Run("list shows the changes", func(t *testing.T) {
		out := srv.mustRun(t, "audit", "list")
		wantIn(t, "audit list", out, "ACTION", "client.create", "secret.create", "org.init", c.ClientID, s.ID)
		wantNotIn(t, "audit list", out, s.Value)
	})

	t.Run("filters and -o json", func(t *testing.T) {
		var list apiv1.AuditList
		decodeJSON(t, srv.mustRun(t, "audit", "list", "--action", "secret.create", "--target", s.ID, "-o", "json"), &list)
		if len(list.Items) != 1 {
			t.Fatalf("got %d events, want 1: %+v", len(list.Items), list.Items)
		}
		e := list.Items[0]
		if e.Action != "secret.create" || e.Target != s.ID || e.Seq == 0 || e.ID == "" || e.At.IsZero() || e.Detail["client_id"] != c.ClientID {
			t.Errorf("event = %+v", e)
		}
	})

	t.Run("a client's activity, named, with changes", func(t *testing.T) {
		srv.mustRun(t, "secrets", "update", c.ClientID, s.ID, "--description", "renamed")
		out := srv.mustRun(t, "clients", "activity", c.ClientID)
		wantIn(t, "clients activity", out, "secret.create", "secret.update", s.ID+" (renamed)", "description: audited → renamed", c.ClientID+" (audited)")
		other := srv.createClient(t, "other")
		wantNotIn(t, "clients activity", out, other.ClientID)
		var byFlag, activity apiv1.AuditList
		decodeJSON(t, srv.mustRun(t, "audit", "list", "--client", c.ClientID, "-o", "json"), &byFlag)
		decodeJSON(t, srv.mustRun(t, "clients", "activity", c.ClientID, "-o", "json"), &activity)
		if len(byFlag.Items) != len(activity.Items) || len(activity.Items) < 3 {
			t.Errorf("audit list --client has %d events, clients activity %d", len(byFlag.Items), len(activity.Items))
		}
	})

	t.Run("--since in the future lists nothing", func(t *testing.T) {
		var list apiv1.AuditList
		since := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
		decodeJSON(t, srv.mustRun(t, "audit", "list", "--since", since, "-o", "json"), &list)
		if len(list.Items) != 0 {
			t.Errorf("got %d events since %s", len(list.Items), since)
		}
	})

	t.Run("--limit pages", func(t *testing.T) {
		var list apiv1.AuditList
		decodeJSON(t, srv.mustRun(t, "audit", "list", "--limit", "1", "-o", "json"), &list)
		if len(list.Items) != 1 || list.NextCursor == "" {
			t.Errorf("page = %+v, want one event and a cursor", list)
		}
	})

	t.Run("verify OK", func(t *testing.T) {
		out := mustRun(t, "audit", "verify", "--data-dir", srv.dataDir, "--dev")
		if !strings.HasPrefix(out, "audit chain OK: ") || !strings.HasSuffix(out, " events\n") {
			t.Errorf("verify output %q", out)
		}
		var res struct {
			OK      bool   `json:"ok"`
			Events  int64  `json:"events"`
			Head    string `json:"head"`
			HeadSeq int64  `json:"head_seq"`
		}
		decodeJSON(t, mustRun(t, "audit", "verify", "--data-dir", srv.dataDir, "--dev", "-o", "json"), &res)
		if !res.OK || res.Events < 3 || len(res.Head) != 64 || res.HeadSeq != res.Events {
			t.Errorf("verify -o json = %+v", res)
		}
	})
}

func TestAuditVerifyBrokenChain(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	mustRun(t, "init", "--org", "Acme", "--email", "admin@example.com", "--data-dir", dir, "--dev")
	mustRun(t, "audit", "verify", "--data-dir", dir, "--dev")

	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, sqlite.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(t.Context(), "UPDATE audit_events SET target = 'tampered' WHERE seq = 1"); err != nil {
		t.Fatal(err)
	}
	db.Close()

	r := run(t, "audit", "verify", "--data-dir", dir, "--dev")
	if r.code != exitFailure {
		t.Errorf("exit %d, want %d", r.code, exitFailure)
	}
	wantIn(t, "stdout", r.stdout, "audit chain BROKEN at event 1")
	wantIn(t, "stderr", r.stderr, "does not verify")
	var res struct {
		OK    bool `json:"ok"`
		Break *struct {
			Seq    int64  `json:"seq"`
			Reason string `json:"reason"`
		} `json:"break"`
		Events int64 `json:"events"`
	}
	r = run(t, "audit", "verify", "--data-dir", dir, "--dev", "-o", "json")
	decodeJSON(t, r.stdout, &res)
	if r.code != exitFailure || res.OK || res.Break == nil || res.Break.Seq != 1 || res.Break.Reason == "" {
		t.Errorf("exit %d, verify -o json = %+v", r.code, res)
	}
}

func TestAuditCheckpointFindsTruncation(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	mustRun(t, "init", "--org", "Acme", "--email", "admin@example.com", "--data-dir", dir, "--dev")
	cp := strings.TrimSpace(mustRun(t, "audit", "checkpoint", "--data-dir", dir, "--dev"))
	if !strings.HasPrefix(cp, "kwcp1.") {
		t.Fatalf("audit checkpoint printed %q", cp)
	}
	out := mustRun(t, "audit", "verify", "--data-dir", dir, "--dev", "--checkpoint", cp)
	wantIn(t, "verify --checkpoint", out, "audit chain OK", "1 of 1 checkpoints found")
	// A log excerpt, as the server writes it, works as a checkpoint file.
	logFile := filepath.Join(t.TempDir(), "server.log")
	if err := os.WriteFile(logFile, []byte(`time=2026-12-03T10:00:00Z level=INFO msg="audit checkpoint" checkpoint=`+cp+" seq=1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "audit", "verify", "--data-dir", dir, "--dev", "--checkpoint-file", logFile)

	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, sqlite.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// The log wiped (internal/audit tests the newest rows removed and the
	// head rewound the same way): an empty chain holds, the checkpoint
	// finds the hole.
	for _, q := range []string{
		"DELETE FROM audit_events",
		"UPDATE audit_head SET seq = 0, hash = NULL",
	} {
		if _, err := db.ExecContext(t.Context(), q); err != nil {
			t.Fatal(err)
		}
	}
	mustRun(t, "audit", "verify", "--data-dir", dir, "--dev")
	r := run(t, "audit", "verify", "--data-dir", dir, "--dev", "--checkpoint", cp)
	if r.code != exitFailure {
		t.Errorf("verify --checkpoint after truncation: exit %d, want %d", r.code, exitFailure)
	}
	wantIn(t, "stdout", r.stdout, "audit chain BROKEN", "removed from the end")

	run(t, "audit", "verify", "--data-dir", dir, "--dev", "--checkpoint", "kwcp1.1.00.00").fails(t, exitUsage, "not a checkpoint")
	forged := cp[:len(cp)-2] + "AA"
	if forged == cp {
		forged = cp[:len(cp)-2] + "BB"
	}
	run(t, "audit", "verify", "--data-dir", dir, "--dev", "--checkpoint", forged).fails(t, exitUsage, "not made with this installation's key")
}
