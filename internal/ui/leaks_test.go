package ui_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"keywarden/internal/ui"
)

// apiCall calls the admin API with the console's session as the bearer
// token and decodes the answer into out.
func (c *console) apiCall(method, path string, body, out any) {
	c.t.Helper()
	var token string
	u, _ := url.Parse(c.srv.URL)
	for _, ck := range c.client.Jar.Cookies(u) {
		if ck.Name == ui.SessionCookie {
			token = ck.Value
		}
	}
	b, _ := json.Marshal(body)
	req, _ := http.NewRequestWithContext(c.t.Context(), method, c.srv.URL+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	text := read(c.t, resp)
	if resp.StatusCode >= 300 {
		c.t.Fatalf("%s %s = %d: %s", method, path, resp.StatusCode, text)
	}
	if out != nil {
		if err := json.Unmarshal([]byte(text), out); err != nil {
			c.t.Fatal(err)
		}
	}
}

// TestLeaksInTheConsole: a reported leak shows on the client's pages with
// the next step, on the overview, and on the Leaks page; a quarantined one
// says until when it works.
func TestLeaksInTheConsole(t *testing.T) {
	c := newConsole(t)
	if body := c.get("/ui/leaks", http.StatusOK); !strings.Contains(body, "No leaks reported") {
		t.Error("the empty Leaks page does not say so")
	}
	if body := c.get("/ui/overview", http.StatusOK); strings.Contains(body, "ov-leaks-count") {
		t.Error("the overview shows leaks before any")
	}
	var client struct {
		ID string `json:"client_id"`
	}
	c.apiCall("POST", "/v1/clients", map[string]any{"name": "billing"}, &client)
	var first, second struct {
		ID    string `json:"id"`
		Value string `json:"secret"`
		Hint  string `json:"hint"`
	}
	c.apiCall("POST", "/v1/clients/"+client.ID+"/secrets", map[string]any{"description": "prod"}, &first)
	c.apiCall("POST", "/v1/leaks", map[string]any{"values": []map[string]string{{"value": first.Value, "source_url": "https://github.com/acme/app/blob/1/.env", "source": "content"}}}, nil)

	secrets := c.get("/ui/clients/"+client.ID+"/secrets", http.StatusOK)
	for _, want := range []string{"Client secret <code>kws_…" + first.Hint + "</code> leaked", "https://github.com/acme/app/blob/1/.env",
		"It was revoked at once", `href="/ui/clients/` + client.ID + `/rotate">Rotate to a new secret`} {
		if !strings.Contains(secrets, want) {
			t.Errorf("the client's Secrets tab lacks %q", want)
		}
	}
	if settings := c.get("/ui/clients/"+client.ID, http.StatusOK); !strings.Contains(settings, "leak-banner") {
		t.Error("the client's Settings tab has no leak banner")
	}
	overview := c.get("/ui/overview", http.StatusOK)
	if !strings.Contains(overview, `<span id="ov-leaks-count">1</span> leaked value in the last 30 days`) {
		t.Error("the overview does not count the leak")
	}
	leaks := c.get("/ui/leaks", http.StatusOK)
	if !regexp.MustCompile(`(?s)id="leak-lk_.*kws_…` + first.Hint + `.*https://github.com/acme/app/blob/1/\.env.*Revoked at once`).MatchString(leaks) {
		t.Errorf("the Leaks page does not list the leak:\n%s", leaks)
	}

	c.apiCall("PATCH", "/v1/policy", map[string]any{"leak_response": "quarantine", "leak_quarantine_hours": 6}, nil)
	c.apiCall("POST", "/v1/clients/"+client.ID+"/secrets", map[string]any{"description": "standby"}, &second)
	c.apiCall("POST", "/v1/leaks", map[string]any{"values": []map[string]string{{"value": second.Value}}}, nil)
	secrets = c.get("/ui/clients/"+client.ID+"/secrets", http.StatusOK)
	if !strings.Contains(secrets, "It is quarantined: it keeps working until") || strings.Count(secrets, "leak-banner") != 2 {
		t.Error("the Secrets tab does not show the quarantined leak next to the revoked one")
	}
}
