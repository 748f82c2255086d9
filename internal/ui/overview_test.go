package ui_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// TestConsoleListsOverviewAndRotation drives the handlers of issue 13:
// the clients list's filters and orders (a bad date is a field error, a
// foreign cursor starts over), the overview, a rotation with its live
// facts, and the second rotation that leads back to the first.
func TestConsoleListsOverviewAndRotation(t *testing.T) {
	c := newConsole(t)
	page := c.get("/ui/clients?new=1", http.StatusOK)
	resp := c.post("/ui/clients", url.Values{"csrf": {csrf(t, page)}, "once": {onceField.FindStringSubmatch(page)[1]}, "name": {"billing"}})
	read(t, resp)
	m := regexp.MustCompile(`/ui/clients/(kwc_[A-Za-z0-9]+)/secrets`).FindStringSubmatch(resp.Request.URL.Path)
	if m == nil {
		t.Fatalf("creating a client ended at %s", resp.Request.URL)
	}
	id := m[1]
	for path, want := range map[string]string{
		"/ui/clients?secret=without":                                "billing",
		"/ui/clients?secret=with":                                   "No clients match",
		"/ui/clients?unused=30&sort=name":                           "No clients match",
		"/ui/clients?sort=-last_used&status=active":                 "billing",
		"/ui/clients?expiring=31/02/2099":                           "not a date on the calendar",
		"/ui/clients?sort=name&after=Y25hbWV8a3djX3h8eA":            "billing",
		"/ui/clients?q=nothing&status=disabled&expiring=01/01/2099": "No clients match",
		"/ui/overview": "Clients without an active secret",
		"/ui/home":     "Overview",
	} {
		if body := c.get(path, http.StatusOK); !strings.Contains(body, want) {
			t.Errorf("%s does not say %q", path, want)
		}
	}
	if body := c.get("/ui/overview", http.StatusOK); !strings.Contains(body, `<span id="ov-nosecret-count">1</span>`) {
		t.Error("the overview does not count the client without a secret")
	}

	// Rotate (the client has no secret: the rotation has no old one).
	page = c.get("/ui/clients/"+id+"/rotate", http.StatusOK)
	resp = c.post("/ui/clients/"+id+"/rotate", url.Values{"csrf": {csrf(t, page)}, "once": {onceField.FindStringSubmatch(page)[1]}})
	body := read(t, resp)
	rm := regexp.MustCompile(`/ui/clients/` + id + `/rotations/(rot_[A-Za-z0-9]+)`).FindStringSubmatch(body)
	if resp.StatusCode != http.StatusOK || rm == nil {
		t.Fatalf("rotate: %d, no rotation on the page", resp.StatusCode)
	}
	if !strings.Contains(body, "Not used yet") || !strings.Contains(body, "There was no other active secret") {
		t.Error("the new rotation's page does not say the new secret is unused and there was no old one")
	}
	live, err := c.client.Get(c.srv.URL + "/ui/clients/" + id + "/rotations/" + rm[1] + "/live")
	if err != nil {
		t.Fatal(err)
	}
	var facts map[string]any
	if err := json.NewDecoder(live.Body).Decode(&facts); err != nil || live.StatusCode != http.StatusOK {
		t.Fatalf("live facts: %d, %v", live.StatusCode, err)
	}
	live.Body.Close()
	if facts["new_use"] != "Not used yet" || facts["stage"] != float64(1) {
		t.Errorf("live facts = %v", facts)
	}
	// A second rotation leads back to the open one.
	body = c.get("/ui/clients/"+id+"/rotate", http.StatusOK)
	if !strings.Contains(body, "A rotation of this client is in progress") || !strings.Contains(body, rm[1]) {
		t.Error("starting a second rotation did not lead back to the open one")
	}
	if body := c.get("/ui/clients/"+id+"/secrets", http.StatusOK); strings.Contains(body, `href="/ui/clients/`+id+`/rotate"`) {
		t.Error("the Secrets tab offers Rotate while a rotation is open")
	}
}
