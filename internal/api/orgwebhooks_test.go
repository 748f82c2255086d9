package api_test

import (
	"net/http"
	"strings"
	"testing"

	"keywarden/internal/domain"
	"keywarden/pkg/apiv1"
)

const orgHooksPath = "/v1/webhook-endpoints"

// orgWebhookSession drives every /v1/webhook-endpoints route to success
// and through the mistakes a caller makes; TestOpenAPIResponses runs it
// so that every answer is validated against the document.
func orgWebhookSession(t *testing.T, e *env) {
	t.Helper()
	// Bad input: 4xx problems that change nothing.
	before := e.snapshot(t)
	for name, body := range map[string]any{
		"no url":           map[string]any{},
		"not a url":        map[string]any{"url": "hooks"},
		"private address":  map[string]any{"url": "https://10.1.2.3/hooks"},
		"loopback":         map[string]any{"url": "https://127.0.0.1/hooks"},
		"plain http":       map[string]any{"url": "http://soc.example/hooks"},
		"with a password":  map[string]any{"url": "https://u:p@soc.example/hooks"},
		"unknown event":    map[string]any{"url": "https://soc.example/hooks", "events": []string{"secret.deleted"}},
		"long description": map[string]any{"url": "https://soc.example/hooks", "description": strings.Repeat("d", 201)},
	} {
		p := wantProblem(t, e.do(t, "POST", orgHooksPath, body), http.StatusUnprocessableEntity)
		if len(p.Errors) == 0 {
			t.Errorf("%s: 422 without field errors", name)
		}
	}
	wantProblem(t, e.do(t, "POST", orgHooksPath, raw(`{"url":"https://soc.example/hooks","secret":"mine"}`)), http.StatusBadRequest)
	wantProblem(t, e.do(t, "POST", orgHooksPath, raw(`{"url":1}`)), http.StatusBadRequest)
	sameState(t, before, e.snapshot(t), 0)

	res := e.do(t, "POST", orgHooksPath, apiv1.CreateOrgWebhookEndpoint{URL: "https://soc.example/keywarden", Description: "SOC",
		Events: []string{"credential.revoked", "secret.*", "webhook.*", "secrets.expiring_summary", "secret.leaked"}})
	want(t, res, http.StatusCreated)
	created := decode[apiv1.CreatedOrgWebhookEndpoint](t, res)
	if !strings.HasPrefix(created.Secret, "whsec_") || created.Status != "active" || !strings.HasPrefix(created.ID, "owe_") || len(created.Events) != 5 {
		t.Fatalf("created = %+v", created)
	}
	if loc := res.Header.Get("Location"); loc != orgHooksPath+"/"+created.ID {
		t.Errorf("Location = %q", loc)
	}
	path := orgHooksPath + "/" + created.ID
	secretFree := func(res response) {
		t.Helper()
		if strings.Contains(string(res.Body), created.Secret) || strings.Contains(string(res.Body), strings.TrimPrefix(created.Secret, "whsec_")) {
			t.Errorf("%s answered the signing secret again", res)
		}
	}
	res = e.do(t, "GET", orgHooksPath, nil)
	want(t, res, http.StatusOK)
	secretFree(res)
	if l := decode[apiv1.OrgWebhookEndpointList](t, res); len(l.Items) != 1 || l.Items[0].ID != created.ID {
		t.Errorf("list = %+v", l)
	}
	res = e.do(t, "GET", path, nil)
	want(t, res, http.StatusOK)
	secretFree(res)

	// Updates; a bad one changes nothing.
	before = e.snapshot(t)
	wantProblem(t, e.do(t, "PATCH", path, map[string]any{"url": "https://192.168.1.1/x"}), http.StatusUnprocessableEntity)
	wantProblem(t, e.do(t, "PATCH", path, map[string]any{"events": []string{"people.*"}}), http.StatusUnprocessableEntity)
	wantProblem(t, e.do(t, "PATCH", path, map[string]any{"disabled": "yes"}), http.StatusBadRequest)
	sameState(t, before, e.snapshot(t), 0)
	res = e.do(t, "PATCH", path, map[string]any{"description": "Security operations", "events": []string{}})
	want(t, res, http.StatusOK)
	if v := decode[apiv1.OrgWebhookEndpoint](t, res); v.Description != "Security operations" || len(v.Events) != 0 {
		t.Errorf("after PATCH = %+v", v)
	}
	res = e.do(t, "PATCH", path, map[string]any{"disabled": true})
	want(t, res, http.StatusOK)
	if v := decode[apiv1.OrgWebhookEndpoint](t, res); v.Status != "disabled" || v.DisabledAt == nil || v.ReplaySince == nil {
		t.Errorf("disabled = %+v", v)
	}
	c := e.createClient(t, "Org-hooked")
	e.createSecret(t, c.ClientID, apiv1.CreateSecret{Description: "hooked"})
	wantProblem(t, e.do(t, "POST", path+"/replay", map[string]any{"since": "2020-01-01T00:00:00Z"}), http.StatusConflict)
	res = e.do(t, "PATCH", path, map[string]any{"disabled": false, "replay": true})
	want(t, res, http.StatusOK)
	secretFree(res)
	if v := decode[apiv1.OrgWebhookEndpoint](t, res); v.Status != "active" || v.DisabledAt != nil {
		t.Errorf("enabled = %+v", v)
	}

	// Rotation: a new secret, shown once; the old one overlaps.
	wantProblem(t, e.do(t, "POST", path+"/rotate-secret", map[string]any{"overlap_seconds": 604801}), http.StatusUnprocessableEntity)
	wantProblem(t, e.do(t, "POST", path+"/rotate-secret", map[string]any{"overlap_seconds": -1}), http.StatusUnprocessableEntity)
	wantProblem(t, e.do(t, "POST", path+"/rotate-secret", raw(`{"overlap":1}`)), http.StatusBadRequest)
	res = e.do(t, "POST", path+"/rotate-secret", nil)
	want(t, res, http.StatusOK)
	rotated := decode[apiv1.CreatedOrgWebhookEndpoint](t, res)
	if rotated.Secret == created.Secret || !strings.HasPrefix(rotated.Secret, "whsec_") || rotated.PreviousSecretUntil == nil {
		t.Errorf("rotated = %+v", rotated)
	}
	res = e.do(t, "POST", path+"/rotate-secret", map[string]any{"overlap_seconds": 0})
	want(t, res, http.StatusOK)
	if r := decode[apiv1.CreatedOrgWebhookEndpoint](t, res); r.PreviousSecretUntil != nil {
		t.Errorf("a rotation without overlap still overlaps until %v", r.PreviousSecretUntil)
	}

	// Deliveries.
	e.createSecret(t, c.ClientID, apiv1.CreateSecret{Description: "hooked again"})
	res = e.do(t, "GET", path+"/deliveries", nil)
	want(t, res, http.StatusOK)
	list := decode[apiv1.WebhookDeliveryList](t, res)
	if len(list.Items) == 0 || list.Items[0].EndpointID != created.ID || list.Items[0].ClientID != "" {
		t.Fatalf("deliveries = %+v", list.Items)
	}
	id := list.Items[0].ID
	want(t, e.do(t, "GET", path+"/deliveries?status=pending&limit=1", nil), http.StatusOK)
	wantProblem(t, e.do(t, "GET", path+"/deliveries?status=lost", nil), http.StatusUnprocessableEntity)
	res = e.do(t, "GET", path+"/deliveries/"+id, nil)
	want(t, res, http.StatusOK)
	if d := decode[apiv1.WebhookDeliveryDetail](t, res); d.ID != id || len(d.Payload) == 0 {
		t.Errorf("delivery = %+v", d)
	}
	want(t, e.do(t, "POST", path+"/deliveries/"+id+"/redeliver", nil), http.StatusAccepted)
	res = e.do(t, "POST", path+"/replay", map[string]any{"since": "2020-01-01T00:00:00Z", "which": "all"})
	want(t, res, http.StatusAccepted)
	wantProblem(t, e.do(t, "POST", path+"/replay", map[string]any{"since": "2020-01-01T00:00:00Z", "which": "some"}), http.StatusUnprocessableEntity)
	wantProblem(t, e.do(t, "POST", path+"/replay", map[string]any{}), http.StatusUnprocessableEntity)
	res = e.do(t, "DELETE", path+"/deliveries/"+id+"/payload", nil)
	want(t, res, http.StatusOK)
	if d := decode[apiv1.WebhookDeliveryDetail](t, res); d.PayloadDeletedAt == nil || string(d.Payload) != "null" {
		t.Errorf("after deleting the payload = %+v", d)
	}
	wantProblem(t, e.do(t, "POST", path+"/deliveries/"+id+"/redeliver", nil), http.StatusConflict)
	wantProblem(t, e.do(t, "GET", path+"/deliveries/nope", nil), http.StatusNotFound)
	wantProblem(t, e.do(t, "GET", path+"/deliveries/"+domain.NewID("msg_"), nil), http.StatusNotFound)
	// A client's delivery is not the endpoint's.
	res = e.do(t, "GET", clientPath(c.ClientID)+"/webhook/deliveries", nil)
	want(t, res, http.StatusOK)

	// Another organisation sees none of it.
	foreign := e.newOrg(t, "Initech", "root@initech.test")
	ft := foreign.APIToken.Reveal()
	res = e.do(t, "GET", orgHooksPath, nil, as(ft))
	want(t, res, http.StatusOK)
	if l := decode[apiv1.OrgWebhookEndpointList](t, res); len(l.Items) != 0 {
		t.Errorf("another organisation lists %+v", l.Items)
	}
	for _, r := range []struct{ method, path string }{
		{"GET", path}, {"PATCH", path}, {"DELETE", path}, {"POST", path + "/rotate-secret"},
		{"GET", path + "/deliveries"}, {"GET", path + "/deliveries/" + id}, {"POST", path + "/deliveries/" + id + "/redeliver"},
	} {
		var body any
		if r.method == "PATCH" {
			body = map[string]any{"description": "mine"}
		}
		wantProblem(t, e.do(t, r.method, r.path, body, as(ft)), http.StatusNotFound)
	}
	wantProblem(t, e.do(t, "GET", orgHooksPath+"/nope", nil), http.StatusNotFound)

	// An admin reads but may not change; a developer may not read.
	_, admin := e.userToken(t, e.boot.Org.ID, domain.RoleAdmin, nil, nil)
	want(t, e.do(t, "GET", path, nil, as(admin)), http.StatusOK)
	wantProblem(t, e.do(t, "PATCH", path, map[string]any{"description": "x"}, as(admin)), http.StatusForbidden)
	_, dev := e.userToken(t, e.boot.Org.ID, domain.RoleDeveloper, nil, nil)
	wantProblem(t, e.do(t, "GET", orgHooksPath, nil, as(dev)), http.StatusForbidden)

	want(t, e.do(t, "DELETE", path, nil), http.StatusNoContent)
	wantProblem(t, e.do(t, "GET", path, nil), http.StatusNotFound)
}

func TestOrgWebhookRoutes(t *testing.T) {
	orgWebhookSession(t, newEnv(t))
}
