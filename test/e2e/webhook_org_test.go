package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"keywarden/pkg/apiv1"
	"keywarden/pkg/webhooksig"
)

func TestOrgWebhookEndpointSQLite(t *testing.T)   { testOrgWebhookEndpoint(t, newSQLite(t)) }
func TestOrgWebhookEndpointPostgres(t *testing.T) { testOrgWebhookEndpoint(t, newPostgres(t)) }

// testOrgWebhookEndpoint runs the real binary: an organisation endpoint,
// created with the CLI, receives the events of a client without an
// endpoint and the health stages of a client endpoint that fails, each
// signed with its whsec_ secret (pkg/webhooksig, the official library and
// keywarden webhook verify agree); after a rotation with overlap a
// delivery verifies under either secret.
func testOrgWebhookEndpoint(t *testing.T, in *instance) {
	boot := in.init(t, "Acme", "admin@acme.test")
	tok := boot.APIToken
	srv := in.start(t, whFlags...)
	ops := newWHReceiver(t, nil)
	out, errOut, code := in.run(t, "", "webhook-endpoints", "create", "--url", ops.URL, "--event", "secret.*,webhook.*",
		"--server", srv.URL, "--token", tok, "-o", "json")
	if code != 0 {
		t.Fatalf("keywarden webhook-endpoints create: exit %d\n%s%s", code, out, errOut)
	}
	var ep apiv1.CreatedOrgWebhookEndpoint
	if err := json.Unmarshal([]byte(out), &ep); err != nil {
		t.Fatalf("create -o json: %v\n%s", err, out)
	}
	if !strings.HasPrefix(ep.Secret, "whsec_") {
		t.Fatalf("created = %s", out)
	}

	bare := whClient(t, srv, tok, "")
	s := whSecret(t, srv, tok, bare.ClientID, apiv1.CreateSecret{})
	d := ops.waitFor(t, 1, "the client's secret.created at the organisation endpoint", ofType("secret.created", s.ID))[0]
	if !whVerifies(t, d, ep.Secret) {
		t.Error("the organisation endpoint's delivery does not verify under its secret")
	}
	if whVerifies(t, d, s.Value) {
		t.Error("the organisation endpoint's delivery verifies under the client's secret")
	}
	if code := whVerifyCLI(t, in, d, d.Body, ep.Secret); code != 0 {
		t.Errorf("keywarden webhook verify with the whsec_ secret: exit %d", code)
	}

	// A client endpoint that fails: the organisation endpoint is told.
	down := newWHReceiver(t, func(int, whDelivery) int { return http.StatusServiceUnavailable })
	failing := whClient(t, srv, tok, down.URL)
	whSecret(t, srv, tok, failing.ClientID, apiv1.CreateSecret{})
	h := ops.waitFor(t, 1, "webhook.endpoint_failing", func(d whDelivery) bool {
		return d.Type == "webhook.endpoint_failing" && d.Data["client_id"] == failing.ClientID
	})[0]
	if !whVerifies(t, h, ep.Secret) {
		t.Error("the health event does not verify")
	}
	for _, d := range down.all() {
		if strings.HasPrefix(d.Type, "webhook.") {
			t.Errorf("the failing client endpoint was sent %s", d.Type)
		}
	}

	// Rotation with overlap: both signatures.
	var rotated apiv1.CreatedOrgWebhookEndpoint
	srv.must(t, http.StatusOK, tok, "POST", "/v1/webhook-endpoints/"+ep.ID+"/rotate-secret", apiv1.RotateOrgWebhookSecret{OverlapSeconds: ptrInt(3600)}, &rotated)
	s2 := whSecret(t, srv, tok, bare.ClientID, apiv1.CreateSecret{})
	d = ops.waitFor(t, 1, "secret.created after the rotation", ofType("secret.created", s2.ID))[0]
	if n := len(strings.Fields(d.Header.Get(webhooksig.HeaderSignature))); n != 2 {
		t.Errorf("after a rotation with overlap: %d signatures, want 2", n)
	}
	if !whVerifies(t, d, ep.Secret) || !whVerifies(t, d, rotated.Secret) {
		t.Error("during the overlap the delivery does not verify under both secrets")
	}
	var got apiv1.OrgWebhookEndpoint
	body := srv.must(t, http.StatusOK, tok, "GET", "/v1/webhook-endpoints/"+ep.ID, nil, &got)
	if strings.Contains(string(body), rotated.Secret) || got.PreviousSecretUntil == nil {
		t.Errorf("GET the endpoint = %s", body)
	}
}

func ptrInt(n int) *int { return &n }
