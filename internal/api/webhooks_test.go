package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"keywarden/internal/domain"
	"keywarden/pkg/apiv1"
)

func webhookPath(client string) string { return clientPath(client) + "/webhook" }

// webhookSession exercises every webhook route with success and with the
// client mistakes each can meet; every answer is checked against the
// document by e.do. clientID is a client of e's organisation that has no
// webhook URL now.
func webhookSession(t *testing.T, e *env, clientID string) {
	t.Helper()
	wantProblem(t, e.do(t, "POST", webhookPath(clientID)+"/enable", nil), http.StatusConflict)
	wantProblem(t, e.do(t, "POST", webhookPath(clientID)+"/test", nil), http.StatusConflict) // no URL yet
	res := e.do(t, "GET", webhookPath(clientID), nil)
	want(t, res, http.StatusOK)
	if ep := decode[apiv1.WebhookEndpoint](t, res); ep.Status != "none" || ep.URL != "" {
		t.Errorf("endpoint without a URL = %+v, want status none", ep)
	}

	res = e.do(t, "PATCH", clientPath(clientID), map[string]any{
		"webhook_url": "https://billing.example/hooks", "webhook_events": []string{"secret.*", "client.updated"},
	})
	want(t, res, http.StatusOK)
	if c := decode[apiv1.Client](t, res); strings.Join(c.WebhookEvents, ",") != "secret.*,client.updated" {
		t.Errorf("client webhook_events = %q", c.WebhookEvents)
	}
	res = e.do(t, "GET", webhookPath(clientID), nil)
	want(t, res, http.StatusOK)
	if ep := decode[apiv1.WebhookEndpoint](t, res); ep.Status != "active" || len(ep.Events) != 2 {
		t.Errorf("endpoint = %+v, want active with two selectors", ep)
	}
	want(t, e.do(t, "POST", webhookPath(clientID)+"/enable", nil), http.StatusOK)
	res = e.do(t, "POST", webhookPath(clientID)+"/test", nil)
	want(t, res, http.StatusAccepted)
	if d := decode[apiv1.WebhookDelivery](t, res); d.EventType != "webhook.test" || d.Status != "pending" {
		t.Errorf("test event = %+v, want a pending webhook.test", d)
	}
	wantProblem(t, e.do(t, "POST", webhookPath(clientID)+"/test", map[string]any{"x": 1}), http.StatusBadRequest)
	wantProblem(t, e.do(t, "POST", webhookPath("kwc_doesnotexist00000000000")+"/test", nil), http.StatusNotFound)
	want(t, e.do(t, "POST", webhookPath(clientID)+"/enable", map[string]any{}), http.StatusOK)
	want(t, e.do(t, "POST", webhookPath(clientID)+"/enable", map[string]any{"replay": true}), http.StatusOK)
	wantProblem(t, e.do(t, "POST", webhookPath(clientID)+"/enable", map[string]any{"replay": "yes"}), http.StatusBadRequest)
	// Replay: since is required and not in the future; which is failed or all.
	wantProblem(t, e.do(t, "POST", webhookPath(clientID)+"/replay", map[string]any{}), http.StatusUnprocessableEntity)
	wantProblem(t, e.do(t, "POST", webhookPath(clientID)+"/replay", nil), http.StatusBadRequest)
	wantProblem(t, e.do(t, "POST", webhookPath(clientID)+"/replay", map[string]any{"since": "2999-01-01T00:00:00Z"}), http.StatusUnprocessableEntity)
	wantProblem(t, e.do(t, "POST", webhookPath(clientID)+"/replay", map[string]any{"since": "2020-01-01T00:00:00Z", "which": "some"}), http.StatusUnprocessableEntity)
	wantProblem(t, e.do(t, "POST", webhookPath(clientID)+"/replay", map[string]any{"since": "yesterday"}), http.StatusBadRequest)
	wantProblem(t, e.do(t, "POST", webhookPath("kwc_doesnotexist00000000000")+"/replay", map[string]any{"since": "2020-01-01T00:00:00Z"}), http.StatusNotFound)
	res = e.do(t, "POST", webhookPath(clientID)+"/replay", map[string]any{"since": "2020-01-01T00:00:00Z", "which": "all"})
	want(t, res, http.StatusAccepted)
	if r := decode[apiv1.WebhookReplay](t, res); r.Replayed != 0 || r.More {
		t.Errorf("replay with nothing finished = %+v, want 0", r)
	}
	e.createSecret(t, clientID, apiv1.CreateSecret{Description: "hooked"})

	res = e.do(t, "GET", webhookPath(clientID)+"/deliveries", nil)
	want(t, res, http.StatusOK)
	list := decode[apiv1.WebhookDeliveryList](t, res)
	if len(list.Items) < 2 {
		t.Fatalf("deliveries = %+v, want client.updated and secret.created at least", list.Items)
	}
	if list.Items[0].EventType != "secret.created" || list.Items[0].Status != "pending" {
		t.Errorf("newest delivery = %+v, want a pending secret.created", list.Items[0])
	}
	res = e.do(t, "GET", webhookPath(clientID)+"/deliveries?limit=1&status=pending", nil)
	want(t, res, http.StatusOK)
	page := decode[apiv1.WebhookDeliveryList](t, res)
	if len(page.Items) != 1 || page.NextCursor == "" {
		t.Fatalf("first page of one = %+v", page)
	}
	want(t, e.do(t, "GET", webhookPath(clientID)+"/deliveries?limit=1&cursor="+page.NextCursor, nil), http.StatusOK)
	id := list.Items[0].ID
	res = e.do(t, "GET", webhookPath(clientID)+"/deliveries/"+id, nil)
	want(t, res, http.StatusOK)
	d := decode[apiv1.WebhookDeliveryDetail](t, res)
	var payload struct {
		Type string         `json:"type"`
		Data map[string]any `json:"data"`
	}
	if err := json.Unmarshal(d.Payload, &payload); err != nil || payload.Type != "secret.created" || payload.Data["hint"] == nil {
		t.Errorf("payload = %s, %v", d.Payload, err)
	}
	res = e.do(t, "POST", webhookPath(clientID)+"/deliveries/"+id+"/redeliver", nil)
	want(t, res, http.StatusAccepted)
	if r := decode[apiv1.WebhookDelivery](t, res); r.ID != id || r.Status != "pending" {
		t.Errorf("redelivered = %+v", r)
	}
	want(t, e.do(t, "POST", webhookPath(clientID)+"/deliveries/"+id+"/redeliver", map[string]any{}), http.StatusAccepted)

	// v1a signing keys: create, list, publish (no token), retire.
	res = e.do(t, "POST", webhookPath(clientID)+"/signing-keys", nil)
	want(t, res, http.StatusCreated)
	key := decode[apiv1.WebhookSigningKey](t, res)
	if !strings.HasPrefix(key.PublicKey, "whpk_") || key.RetiredAt != nil {
		t.Errorf("new signing key = %+v", key)
	}
	res = e.do(t, "GET", webhookPath(clientID)+"/signing-keys", nil)
	want(t, res, http.StatusOK)
	if l := decode[apiv1.WebhookSigningKeyList](t, res); len(l.Items) != 1 || l.Items[0].ID != key.ID {
		t.Errorf("signing keys = %+v", l)
	}
	res = e.do(t, "GET", "/v1/webhook-keys/"+clientID, nil, noAuth())
	want(t, res, http.StatusOK)
	if ks := decode[apiv1.WebhookKeySet](t, res); len(ks.Keys) != 1 || ks.Keys[0].KeyID != key.ID || ks.Keys[0].PublicKey != key.PublicKey || ks.Keys[0].Curve != "Ed25519" {
		t.Errorf("key set = %+v", ks)
	}
	wantProblem(t, e.do(t, "GET", "/v1/webhook-keys/kwc_doesnotexist000000000000", nil, noAuth()), http.StatusNotFound)
	wantProblem(t, e.do(t, "POST", webhookPath(clientID)+"/signing-keys", raw(`{"x":1}`)), http.StatusBadRequest)
	wantProblem(t, e.do(t, "DELETE", webhookPath(clientID)+"/signing-keys/nope", nil), http.StatusNotFound)
	want(t, e.do(t, "DELETE", webhookPath(clientID)+"/signing-keys/"+key.ID, nil), http.StatusOK)
	res = e.do(t, "GET", "/v1/webhook-keys/"+clientID, nil, noAuth())
	if ks := decode[apiv1.WebhookKeySet](t, res); len(ks.Keys) != 0 {
		t.Errorf("key set after retiring = %+v, want empty", ks)
	}

	// Deleting the payload keeps the record; the delivery cannot be sent again.
	res = e.do(t, "DELETE", webhookPath(clientID)+"/deliveries/"+id+"/payload", nil)
	want(t, res, http.StatusOK)
	if d := decode[apiv1.WebhookDeliveryDetail](t, res); d.ID != id || d.PayloadDeletedAt == nil || string(d.Payload) != "null" || d.Status != "failed" {
		t.Errorf("after deleting the payload = %+v", d)
	}
	want(t, e.do(t, "DELETE", webhookPath(clientID)+"/deliveries/"+id+"/payload", nil), http.StatusOK)
	wantProblem(t, e.do(t, "POST", webhookPath(clientID)+"/deliveries/"+id+"/redeliver", nil), http.StatusConflict)
	wantProblem(t, e.do(t, "DELETE", webhookPath(clientID)+"/deliveries/nope/payload", nil), http.StatusNotFound)

	// Client mistakes: 4xx, never 5xx.
	wantProblem(t, e.do(t, "GET", webhookPath(clientID)+"/deliveries?status=lost", nil), http.StatusUnprocessableEntity)
	wantProblem(t, e.do(t, "GET", webhookPath(clientID)+"/deliveries?limit=0", nil), http.StatusUnprocessableEntity)
	wantProblem(t, e.do(t, "GET", webhookPath(clientID)+"/deliveries?cursor=!!", nil), http.StatusUnprocessableEntity)
	wantProblem(t, e.do(t, "GET", webhookPath(clientID)+"/deliveries/"+domain.NewID("msg_"), nil), http.StatusNotFound)
	wantProblem(t, e.do(t, "GET", webhookPath(clientID)+"/deliveries/nope", nil), http.StatusNotFound)
	wantProblem(t, e.do(t, "POST", webhookPath(clientID)+"/deliveries/"+id+"/redeliver", raw(`{"now":true}`)), http.StatusBadRequest)
	wantProblem(t, e.do(t, "POST", webhookPath(clientID)+"/enable", raw(`[]`)), http.StatusBadRequest)
	wantProblem(t, e.do(t, "DELETE", webhookPath(clientID), nil), http.StatusMethodNotAllowed)
	p := wantProblem(t, e.do(t, "PATCH", clientPath(clientID), map[string]any{"webhook_events": []string{"secret.deleted"}}), http.StatusUnprocessableEntity)
	if len(p.Errors) == 0 || p.Errors[0].Field != "webhook_events" {
		t.Errorf("422 errors = %+v, want one for webhook_events", p.Errors)
	}
	wantProblem(t, e.do(t, "POST", "/v1/clients", map[string]any{"name": "x", "webhook_events": "secret.*"}), http.StatusBadRequest)
	// Without --webhook-allow-private, the API refuses what the server
	// would not deliver to.
	for _, u := range []string{"http://billing.example/hooks", "https://127.0.0.1/hooks", "https://localhost:8443/", "https://[fd00::1]/"} {
		p := wantProblem(t, e.do(t, "PATCH", clientPath(clientID), map[string]any{"webhook_url": u}), http.StatusUnprocessableEntity)
		if len(p.Errors) == 0 || p.Errors[0].Field != "webhook_url" {
			t.Errorf("PATCH webhook_url %s: errors = %+v, want one for webhook_url", u, p.Errors)
		}
	}
}

func TestWebhookRoutes(t *testing.T) {
	e := newEnv(t)
	c := e.createClient(t, "Billing")
	webhookSession(t, e, c.ClientID)

	// Another organisation's client and deliveries are not found.
	foreign := e.newOrg(t, "Globex", "g@globex.test")
	ft := foreign.APIToken.Reveal()
	res := e.do(t, "GET", webhookPath(c.ClientID)+"/deliveries", nil)
	want(t, res, http.StatusOK)
	id := decode[apiv1.WebhookDeliveryList](t, res).Items[0].ID
	wantProblem(t, e.do(t, "GET", webhookPath(c.ClientID), nil, as(ft)), http.StatusNotFound)
	wantProblem(t, e.do(t, "GET", webhookPath(c.ClientID)+"/deliveries/"+id, nil, as(ft)), http.StatusNotFound)
	wantProblem(t, e.do(t, "POST", webhookPath(c.ClientID)+"/deliveries/"+id+"/redeliver", nil, as(ft)), http.StatusNotFound)
	// A delivery through another client of the same organisation too.
	other := e.createClient(t, "Reports")
	wantProblem(t, e.do(t, "GET", webhookPath(other.ClientID)+"/deliveries/"+id, nil), http.StatusNotFound)
	// Members read, but may not redeliver.
	_, member := e.userToken(t, e.boot.Org.ID, "member", nil, nil)
	want(t, e.do(t, "GET", webhookPath(c.ClientID)+"/deliveries/"+id, nil, as(member)), http.StatusOK)
	wantProblem(t, e.do(t, "POST", webhookPath(c.ClientID)+"/deliveries/"+id+"/redeliver", nil, as(member)), http.StatusForbidden)
}
