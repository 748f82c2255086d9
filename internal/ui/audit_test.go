package ui_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// TestAuditNamesAndChanges: the audit log and a client's activity name
// the IDs they show and say what a change changed, before and after; the
// client filter takes a name or an ID and says when a name is ambiguous
// or matches nothing.
func TestAuditNamesAndChanges(t *testing.T) {
	c := newConsole(t)
	create := func(name string) string {
		t.Helper()
		page := c.get("/ui/clients?new=1", http.StatusOK)
		resp := c.post("/ui/clients", url.Values{"csrf": {csrf(t, page)}, "once": {onceField.FindStringSubmatch(page)[1]}, "name": {name}})
		read(t, resp)
		m := regexp.MustCompile(`/ui/clients/(kwc_[A-Za-z0-9]+)/`).FindStringSubmatch(resp.Request.URL.Path)
		if m == nil {
			t.Fatalf("creating %s ended at %s", name, resp.Request.URL)
		}
		return m[1]
	}
	create("billing")
	create("billing-eu")
	search := create("search")
	settings := c.get("/ui/clients/"+search, http.StatusOK)
	resp := c.post("/ui/clients/"+search, url.Values{"csrf": {csrf(t, settings)}, "name": {"lookup"}, "description": {"finds things"},
		"scopes": {""}, "token_ttl": {""}})
	read(t, resp)

	for _, page := range []string{"/ui/audit", "/ui/clients/" + search + "/activity", "/ui/audit?client=lookup", "/ui/audit?client=" + search} {
		body := html.UnescapeString(c.get(page, http.StatusOK))
		for _, want := range []string{
			`<a href="/ui/clients/` + search + `/activity">lookup</a>`, // the target by its name, linked
			search,                                                // and its ID beside it
			"<b>name:</b> <del>search</del>", "<ins>lookup</ins>", // before and after
			"<b>description:</b> <del>(none)</del>",
			"admin@acme.test", // the actor by email
		} {
			if !strings.Contains(body, want) {
				t.Errorf("%s lacks %q", page, want)
			}
		}
	}
	if body := c.get("/ui/audit?client=billing", http.StatusOK); strings.Contains(body, search) {
		t.Errorf("the audit log filtered to billing shows the other client's events")
	}
	for filter, want := range map[string]string{"bil": "Several clients match", "nothing-like-it": "No client has a name or ID containing"} {
		body := html.UnescapeString(c.get("/ui/audit?client="+url.QueryEscape(filter), http.StatusUnprocessableEntity))
		if !strings.Contains(body, want) {
			t.Errorf("/ui/audit?client=%s lacks %q", filter, want)
		}
	}
}
