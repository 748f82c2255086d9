package e2e

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"keywarden/pkg/apiv1"
)

// TestUIOverview sets up expiring, idle and secret-less clients and an
// open rotation, and checks that the overview page (the landing page) and
// GET /v1/overview report the same figures.
func TestUIOverview(t *testing.T) {
	c := newConsole(t)
	soon := c.client(t, "Expiring soon")
	var created apiv1.CreatedSecret
	c.srv.must(t, http.StatusCreated, c.token, "POST", "/v1/clients/"+soon.ClientID+"/secrets",
		map[string]any{"description": "ends tomorrow", "expires_at": time.Now().Add(20 * time.Hour).UTC().Format(time.RFC3339)}, &created)
	c.client(t, "No secret yet")
	rot := c.client(t, "Rotating")
	c.secret(t, rot.ClientID, "old")
	c.srv.must(t, http.StatusCreated, c.token, "POST", "/v1/clients/"+rot.ClientID+"/secrets/rotate", apiv1.Rotate{}, nil)

	var o apiv1.Overview
	c.srv.must(t, http.StatusOK, c.token, "GET", "/v1/overview", nil, &o)
	if o.ExpiringWithin["1d"] != 1 || o.NoSecretCount != 1 || len(o.Rotations) != 1 || len(o.UsersWithoutMFA) != 1 || len(o.UsersWithoutCredential) != 1 {
		t.Fatalf("overview = %+v", o)
	}

	b := newBrowser(t, c.srv, desktop)
	b.login(c.admin.Email, c.admin.Password)
	b.open("/ui/")
	b.contains("Overview", "Expiring soon: ends tomorrow", "No secret yet", "Rotation started")
	for id, want := range map[string]int{"#ov-expiring-1": o.ExpiringWithin["1d"], "#ov-expiring-14": o.ExpiringWithin["14d"],
		"#ov-nosecret-count": o.NoSecretCount, "#ov-rotations-count": len(o.Rotations), "#ov-nomfa": len(o.UsersWithoutMFA),
		"#ov-nocred": len(o.UsersWithoutCredential), "#ov-unused-count": o.UnusedCount} {
		if got := b.textContent(id); got != strconv.Itoa(want) {
			t.Errorf("%s = %q, the API says %d", id, got, want)
		}
	}
	b.shot("overview")

	// A leaked secret: the overview's banner, the client's banner with the
	// next step, and the Leaks page, each checked by axe like every state.
	leaked := c.secret(t, rot.ClientID, "leaked")
	var labels apiv1.LeakReportResult
	c.srv.must(t, http.StatusOK, c.token, "POST", "/v1/leaks", apiv1.ReportLeaks{Values: []apiv1.LeakedValue{
		{Value: leaked.Value, SourceURL: "https://github.com/acme/rotating/blob/main/.env", Source: "content"}}}, &labels)
	if len(labels.Labels) != 1 || labels.Labels[0] != "revoked" {
		t.Fatalf("labels = %v", labels.Labels)
	}
	b.open("/ui/overview")
	b.contains("1 leaked value in the last 30 days", "https://github.com/acme/rotating/blob/main/.env", "Rotate to a new secret")
	b.shot("overview-leak")
	b.open("/ui/clients/" + rot.ClientID + "/secrets")
	b.contains("Client secret kws_…"+leaked.Hint+" leaked", "It was revoked at once")
	b.shot("client-leak")
	b.open("/ui/leaks")
	b.contains("Revoked at once", "Rotate the client's secret")
	b.shot("leaks")
}
