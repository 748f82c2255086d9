package ui_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var (
	apiTokenValue = regexp.MustCompile(`kwt_[0-9A-Za-z]{46}`)
	apiTokenRowID = regexp.MustCompile(`id="row-(tok_[0-9A-Za-z]{22})"`)
)

// TestAPITokensPage: My account → API tokens lists the bootstrap token,
// creates a token shown once, rotates it (the value works, the old one is
// refused) and revokes it; a bad form is answered on the page.
func TestAPITokensPage(t *testing.T) {
	c := newConsole(t)
	page := c.get("/ui/account/api-tokens", http.StatusOK)
	for _, want := range []string{"bootstrap (keywarden init)", "Bootstrap", `aria-current="page">API tokens`} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if apiTokenValue.MatchString(page) {
		t.Fatal("the list shows a token's value")
	}

	// An empty name is refused on the page, and creates nothing.
	resp := c.post("/ui/account/api-tokens", url.Values{"csrf": {csrf(t, page)}, "once": {onceField.FindStringSubmatch(page)[1]}, "name": {" "}})
	body := read(t, resp)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Name: is required") {
		t.Fatalf("empty name: %d, want 422 with the field's problem", resp.StatusCode)
	}
	if n := len(apiTokenRowID.FindAllString(body, -1)); n != 1 {
		t.Errorf("%d tokens after a refused form, want 1", n)
	}

	// Create: the value is shown once, and works on the API.
	resp = c.post("/ui/account/api-tokens", url.Values{"csrf": {csrf(t, body)}, "once": {onceField.FindStringSubmatch(body)[1]}, "name": {"terraform"}})
	body = read(t, resp)
	value := apiTokenValue.FindString(body)
	if resp.StatusCode != http.StatusOK || value == "" {
		t.Fatalf("create: %d, value %q", resp.StatusCode, value)
	}
	c.wantAPI(value, http.StatusOK)
	if strings.Contains(c.get("/ui/account/api-tokens", http.StatusOK), value) {
		t.Fatal("the value is shown again")
	}
	id := apiTokenRowID.FindStringSubmatch(body)[1] // newest first

	// Rotate with no overlap: the new value works, the old one stops.
	page = c.get("/ui/account/api-tokens?rotate="+id, http.StatusOK)
	if !strings.Contains(page, `action="/ui/account/api-tokens/`+id+`/rotate"`) {
		t.Fatal("no rotation form for the token")
	}
	resp = c.post("/ui/account/api-tokens/"+id+"/rotate", url.Values{"csrf": {csrf(t, page)}, "once": {onceField.FindStringSubmatch(page)[1]}, "overlap": {"0"}})
	body = read(t, resp)
	next := apiTokenValue.FindString(body)
	if resp.StatusCode != http.StatusOK || next == "" || next == value || !strings.Contains(body, "The old token stopped working") {
		t.Fatalf("rotate: %d, value %q", resp.StatusCode, next)
	}
	c.wantAPI(value, http.StatusUnauthorized)
	c.wantAPI(next, http.StatusOK)

	// Revoke the replacement, after the confirmation.
	nextID := apiTokenRowID.FindStringSubmatch(body)[1]
	page = c.get("/ui/account/api-tokens?revoke="+nextID, http.StatusOK)
	resp = c.post("/ui/account/api-tokens/"+nextID+"/revoke", url.Values{"csrf": {csrf(t, page)}})
	body = read(t, resp)
	if !strings.HasSuffix(resp.Request.URL.Path, "/ui/account/api-tokens") || !strings.Contains(body, "terraform is revoked") {
		t.Fatalf("revoke ended at %s", resp.Request.URL)
	}
	c.wantAPI(next, http.StatusUnauthorized)

	// Another user's token, or none, is not found.
	resp = c.post("/ui/account/api-tokens/tok_0000000000000000000000/revoke", url.Values{"csrf": {csrf(t, body)}})
	read(t, resp)
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("revoking an unknown token = %d, want 404", resp.StatusCode)
	}
}

// wantAPI calls GET /v1/me with token and checks the status.
func (c *console) wantAPI(token string, want int) {
	c.t.Helper()
	req, _ := http.NewRequest("GET", c.srv.URL+"/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != want {
		c.t.Errorf("GET /v1/me with a token = %d, want %d", resp.StatusCode, want)
	}
}
