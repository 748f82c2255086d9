package cli

import (
	"strings"
	"testing"

	"keywarden/pkg/apiv1"
)

// TestOrgWebhookEndpointsCommands drives keywarden webhook-endpoints
// against a real server: the secret is printed once, never by show or
// list; updates, rotation, deliveries and delete work; mistakes are usage
// errors.
func TestOrgWebhookEndpointsCommands(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	out := srv.mustRun(t, "webhook-endpoints", "create", "--url", "https://soc.example/keywarden", "--description", "SOC", "--event", "secret.*,webhook.*")
	secret := valueLine(t, out, "whsec_")
	wantIn(t, "create", out, "Endpoint ID", "owe_", "secret.* webhook.*", "active", "signing secret is shown", "cannot be shown again")
	var list apiv1.OrgWebhookEndpointList
	decodeJSON(t, srv.mustRun(t, "webhook-endpoints", "list", "-o", "json"), &list)
	if len(list.Items) != 1 {
		t.Fatalf("list = %+v", list)
	}
	id := list.Items[0].ID
	shown := srv.mustRun(t, "webhook-endpoints", "show", id) + srv.mustRun(t, "webhook-endpoints", "list")
	wantIn(t, "show and list", shown, id, "https://soc.example/keywarden", "SOC")
	wantNotIn(t, "show and list", shown, secret)

	out = srv.mustRun(t, "webhook-endpoints", "update", id, "--all-events", "--disable")
	wantIn(t, "update", out, "disabled", "all")
	out = srv.mustRun(t, "webhook-endpoints", "update", id, "--enable", "--replay")
	wantIn(t, "enable", out, "active")

	out = srv.mustRun(t, "webhook-endpoints", "rotate-secret", id, "--overlap-seconds", "3600")
	fresh := valueLine(t, out, "whsec_")
	if fresh == secret {
		t.Error("rotate-secret printed the old secret")
	}
	wantIn(t, "rotate-secret", out, "Previous secret until", "cannot be shown again")

	c := srv.createClient(t, "for-the-org")
	srv.mustRun(t, "secrets", "create", c.ClientID, "--description", "d")
	var deliveries apiv1.WebhookDeliveryList
	decodeJSON(t, srv.mustRun(t, "webhook-endpoints", "deliveries", id, "-o", "json"), &deliveries)
	if len(deliveries.Items) == 0 || deliveries.Items[0].EndpointID != id {
		t.Fatalf("deliveries = %+v", deliveries)
	}
	d := deliveries.Items[0].ID
	wantIn(t, "delivery", srv.mustRun(t, "webhook-endpoints", "delivery", id, d), "Endpoint ID", id, "secret.created")
	wantIn(t, "redeliver", srv.mustRun(t, "webhook-endpoints", "redeliver", id, d), "due again")
	wantIn(t, "replay", srv.mustRun(t, "webhook-endpoints", "replay", id, "--since", "2020-01-01T00:00:00Z", "--all"), "due again")
	wantIn(t, "delete-payload", srv.mustRun(t, "webhook-endpoints", "delete-payload", id, d), "deleted")

	srv.run(t, "webhook-endpoints", "create").fails(t, 2, "--url")
	srv.run(t, "webhook-endpoints", "update", id).fails(t, 2, "nothing to change")
	srv.run(t, "webhook-endpoints", "update", id, "--replay").fails(t, 2, "--replay goes with --enable")
	srv.run(t, "webhook-endpoints", "create", "--url", "https://127.0.0.1/x").fails(t, 1, "url")
	if !strings.Contains(srv.mustRun(t, "webhook-endpoints", "delete", id), "Deleted webhook endpoint") {
		t.Error("delete did not say so")
	}
	srv.run(t, "webhook-endpoints", "show", id).fails(t, 1, "Not Found")
}
