package cli

import (
	"testing"

	"keywarden/pkg/apiv1"
)

// TestAuditStreams follows an organization's audit stream through the
// CLI: created with the receiver's token from standard input (never
// printed), listed and shown with its position and health, deleted; bad
// input fails with the server's reason or a usage error.
func TestAuditStreams(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	const token = "receiver-token-9d1e"

	var created apiv1.AuditStream
	out := newEnv(t).mustRunStdin(t, token+"\n", srv.args("audit", "streams", "create", "splunk",
		"https://splunk.example.com:8088/services/collector/event", "--format", "hec", "--receiver-token-stdin", "-o", "json")...)
	decodeJSON(t, out, &created)
	if created.Name != "splunk" || created.Format != "hec" || !created.HasToken || created.Status != "ok" {
		t.Fatalf("create -o json = %+v", created)
	}
	wantNotIn(t, "create", out, token)
	out = srv.mustRun(t, "audit", "streams", "create", "lake", "https://lake.example.com/audit")
	wantIn(t, "create (table)", out, "Stream ID", "lake", "ndjson", "none", "up to event")

	out = srv.mustRun(t, "audit", "streams", "list")
	wantIn(t, "list", out, "STREAM ID", "BEHIND", created.ID, "splunk", "hec", "lake", "since ")
	wantNotIn(t, "list", out, token)
	var list apiv1.AuditStreamList
	decodeJSON(t, srv.mustRun(t, "audit", "streams", "list", "-o", "json"), &list)
	if len(list.Items) != 2 || list.Items[0].Name != "lake" || list.Items[1].ID != created.ID {
		t.Fatalf("list -o json = %+v", list.Items)
	}
	out = srv.mustRun(t, "audit", "streams", "show", created.ID)
	wantIn(t, "show", out, created.ID, "set (never shown)", "Behind", "Last delivery")
	wantNotIn(t, "show", out, token)

	srv.run(t, "audit", "streams", "create", "lake", "https://lake.example.com/other").fails(t, exitFailure, "lake")
	srv.run(t, "audit", "streams", "create", "private", "https://10.0.0.1/audit").fails(t, exitFailure, "url")
	srv.run(t, "audit", "streams", "create", "x", "https://x.example.com/a", "--format", "xml").fails(t, exitFailure, "format")
	newEnv(t).runStdin(t, "", srv.args("audit", "streams", "create", "x", "https://x.example.com/a", "--receiver-token-stdin")...).
		fails(t, exitUsage, "--receiver-token-stdin")
	newEnv(t).runStdin(t, "  \n", srv.args("audit", "streams", "create", "x", "https://x.example.com/a", "--receiver-token-stdin")...).
		fails(t, exitUsage, "empty")
	srv.run(t, "audit", "streams", "create", "only-a-name").fails(t, exitUsage)

	wantIn(t, "delete", srv.mustRun(t, "audit", "streams", "delete", created.ID), "Deleted audit stream "+created.ID)
	srv.run(t, "audit", "streams", "show", created.ID).fails(t, exitFailure, "Not Found")
	srv.run(t, "audit", "streams", "delete", created.ID).fails(t, exitFailure, "Not Found")
}
