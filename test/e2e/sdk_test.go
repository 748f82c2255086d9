package e2e

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"keywarden/pkg/apiv1"
	"keywarden/pkg/keywarden"
)

func TestSDKSQLite(t *testing.T)   { testSDK(t, newSQLite(t)) }
func TestSDKPostgres(t *testing.T) { testSDK(t, newPostgres(t)) }

// testSDK drives the public Go SDK against the real binary: iterators over
// several pages of each paged list, problem details, the public documents.
func testSDK(t *testing.T, in *instance) {
	boot := in.init(t, "Acme", "admin@acme.test")
	srv := in.start(t)
	api, ctx := srv.api(boot.APIToken), t.Context()

	var created []string
	for i := range 7 {
		c, err := api.CreateClient(ctx, apiv1.CreateClient{Name: fmt.Sprintf("sdk-%d", i)})
		noErr(t, err)
		created = append(created, c.ClientID)
	}
	var listed []string
	for c, err := range api.Clients(ctx, keywarden.ClientQuery{ListOptions: keywarden.ListOptions{Limit: 3}}) {
		noErr(t, err)
		listed = append(listed, c.ClientID)
	}
	if !slices.Equal(listed, created) {
		t.Errorf("Clients in pages of 3 = %v, want %v", listed, created)
	}
	var events int
	for e, err := range api.AuditEvents(ctx, keywarden.AuditQuery{Action: "client.create", ListOptions: keywarden.ListOptions{Limit: 2}}) {
		noErr(t, err)
		if e.Action != "client.create" {
			t.Errorf("event %s, want only client.create", e.Action)
		}
		events++
	}
	if events != len(created) {
		t.Errorf("AuditEvents(client.create) saw %d events, want %d", events, len(created))
	}

	sdkProblems(t, srv, api, created[0])
	sdkDeliveries(t, api, created[1])

	md, err := api.OAuthMetadata(ctx)
	if err != nil || md.Issuer != srv.URL || md.TokenEndpoint != srv.URL+"/oauth2/token" {
		t.Errorf("OAuthMetadata = %+v, %v", md, err)
	}
	if h, err := api.Readyz(ctx); err != nil || h.Status != "ok" {
		t.Errorf("Readyz = %+v, %v", h, err)
	}
}

// sdkProblems checks that refusals come back as problem details.
func sdkProblems(t *testing.T, srv *server, api *keywarden.Client, clientID string) {
	t.Helper()
	ctx := t.Context()
	far := time.Now().AddDate(5, 0, 0)
	_, err := api.CreateSecret(ctx, clientID, apiv1.CreateSecret{Description: "too long", ExpiresAt: &far})
	var p *apiv1.Problem
	if !errors.As(err, &p) || p.Status != http.StatusUnprocessableEntity || p.Type != "https://keywarden.dev/problems/invalid" ||
		len(p.Errors) != 1 || p.Errors[0].Field != "expires_at" || p.Instance == "" {
		t.Errorf("a secret beyond the policy: %v (%+v), want a 422 naming expires_at", err, p)
	}
	if _, err := api.GetClient(ctx, "kwc_0000000000000000000000"); !keywarden.HasStatus(err, http.StatusNotFound) {
		t.Errorf("an unknown client: %v, want 404", err)
	}
	if _, err := srv.api("kwt_not-a-token").ListClients(ctx, keywarden.ClientQuery{}); !keywarden.HasStatus(err, http.StatusUnauthorized) {
		t.Errorf("a bad token: %v, want 401", err)
	}
}

// sdkDeliveries pages through a client's webhook deliveries. Its endpoint
// is in .invalid, which never resolves: the deliveries fail and stay.
func sdkDeliveries(t *testing.T, api *keywarden.Client, clientID string) {
	t.Helper()
	ctx := t.Context()
	url := "https://hooks.invalid/kw"
	_, err := api.UpdateClient(ctx, clientID, apiv1.UpdateClient{WebhookURL: &url, WebhookEvents: &[]string{"secret.created"}})
	noErr(t, err)
	for i := range 3 {
		_, err := api.CreateSecret(ctx, clientID, apiv1.CreateSecret{Description: fmt.Sprintf("hooked %d", i)})
		noErr(t, err)
	}
	var n int
	for d, err := range api.WebhookDeliveries(ctx, clientID, keywarden.DeliveryQuery{ListOptions: keywarden.ListOptions{Limit: 2}}) {
		noErr(t, err)
		if d.EventType != "secret.created" || d.ClientID != clientID {
			t.Errorf("delivery %+v, want secret.created for %s", d, clientID)
		}
		n++
	}
	if n != 3 {
		t.Errorf("WebhookDeliveries saw %d deliveries, want 3", n)
	}
}
