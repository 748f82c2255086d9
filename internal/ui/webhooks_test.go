package ui_test

import (
	"keywarden/internal/webhook"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// newClient creates a client through the console and returns its ID.
func (c *console) newClient(name string) string {
	c.t.Helper()
	page := c.get("/ui/clients?new=1", http.StatusOK)
	resp := c.post("/ui/clients", url.Values{"csrf": {csrf(c.t, page)}, "once": {onceField.FindStringSubmatch(page)[1]}, "name": {name}})
	read(c.t, resp)
	m := regexp.MustCompile(`/ui/clients/(kwc_[A-Za-z0-9]+)/secrets`).FindStringSubmatch(resp.Request.URL.Path)
	if m == nil {
		c.t.Fatalf("creating a client ended at %s", resp.Request.URL)
	}
	return m[1]
}

// noInlineCode fails the test if a page needs what the CSP forbids.
func noInlineCode(t *testing.T, what, body string) {
	t.Helper()
	for name, re := range map[string]*regexp.Regexp{"an inline script": inlineScript, "a style attribute": styleAttr, "an inline event handler": inlineEvent} {
		if loc := re.FindStringIndex(body); loc != nil {
			t.Errorf("%s has %s, which the CSP blocks: %q", what, name, body[loc[0]:min(loc[1]+40, len(body))])
		}
	}
}

var deliveryLink = regexp.MustCompile(`/webhook/deliveries/(msg_[A-Za-z0-9]+)"`)

// hasLog fails the test unless the tab shows the delivery log, which needs
// the webhook service (server.New sets ui.Handler.Webhooks).
func hasLog(t *testing.T, page string) {
	t.Helper()
	if !strings.Contains(page, `id="deliveries"`) {
		t.Fatal("the Webhooks tab has no delivery log: ui.Handler.Webhooks is not set (internal/server wires it)")
	}
}

// TestWebhooksTab sets a client's endpoint and events on its Webhooks tab
// and reads the delivery log and a delivery's page: every page carries the
// CSP and needs nothing it forbids, the server's refusal of a URL is shown
// on the field, and a saved selection comes back ticked.
func TestWebhooksTab(t *testing.T) {
	c := newConsole(t)
	id := c.newClient("billing")
	tab := "/ui/clients/" + id + "/webhook"

	page := c.get(tab, http.StatusOK)
	noInlineCode(t, tab, page)
	hasLog(t, page)
	for _, want := range []string{"No deliveries yet", "Not set up", "Endpoint URL", "webhook-signature", `href="/ui/docs/webhooks#signatures"`, `id="send-test" disabled`, `value="all" id="events-all" checked`} {
		if !strings.Contains(page, want) {
			t.Errorf("the empty Webhooks tab lacks %q", want)
		}
	}
	if n := len(webhook.Types()); strings.Count(page, `name="type"`) != n {
		t.Errorf("the tab has %d event checkboxes, want one per event type (%d)", strings.Count(page, `name="type"`), n)
	}
	if strings.Contains(c.get("/ui/clients/"+id, http.StatusOK), `name="webhook_url"`) {
		t.Error("the Settings tab still edits the webhook URL; the Webhooks tab does")
	}

	// The server's own words for a URL it will not send to.
	resp := c.post(tab, url.Values{"csrf": {csrf(t, page)}, "url": {"http://hooks.example.com/kw"}, "events": {"all"}})
	body := read(t, resp)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "only https URLs") || !strings.Contains(body, `aria-invalid="true"`) {
		t.Fatalf("an http URL: %d, the page does not show the server's refusal on the field", resp.StatusCode)
	}
	noInlineCode(t, "POST "+tab+" (refused)", body)

	// "Only the events ticked" with none ticked.
	resp = c.post(tab, url.Values{"csrf": {csrf(t, page)}, "url": {"https://hooks.example.com/kw"}, "events": {"some"}})
	if body = read(t, resp); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Tick at least one event") {
		t.Fatalf("no event ticked: %d", resp.StatusCode)
	}

	resp = c.post(tab, url.Values{"csrf": {csrf(t, page)}, "url": {"https://hooks.example.com/kw"}, "events": {"some"},
		"type": {"secret.created", "secret.revoked", "no.such_type"}})
	body = read(t, resp)
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != tab || !strings.Contains(body, "Webhook settings saved") {
		t.Fatalf("saving the endpoint: %d at %s", resp.StatusCode, resp.Request.URL)
	}
	for _, want := range []string{`value="https://hooks.example.com/kw"`, `value="some" id="events-some" checked`,
		`value="secret.created" checked`, `value="secret.revoked" checked`} {
		if !strings.Contains(body, want) {
			t.Errorf("after saving, the tab lacks %s", want)
		}
	}
	if strings.Contains(body, `value="client.updated" checked`) {
		t.Error("an event that was not ticked is ticked")
	}

	// A secret makes a secret.created delivery: in the log, and on its page.
	sec := c.get("/ui/clients/"+id+"/secrets?add=1", http.StatusOK)
	read(t, c.post("/ui/clients/"+id+"/secrets", url.Values{"csrf": {csrf(t, sec)}, "once": {onceField.FindStringSubmatch(sec)[1]},
		"description": {"<b>Production</b>"}}))
	page = c.get(tab, http.StatusOK)
	m := deliveryLink.FindStringSubmatch(page)
	if m == nil || !strings.Contains(page, "Secret created") || !strings.Contains(page, "Pending") {
		t.Fatalf("the log does not list the secret.created delivery:\n%s", page)
	}
	detail := tab + "/deliveries/" + m[1]
	for p, want := range map[string]int{
		tab + "?status=pending": 200, tab + "?status=failed": 200, tab + "?status=nonsense&after=garbage": 200,
		detail: 200, tab + "/deliveries/msg_missing": 404, "/ui/clients/kwc_missing/webhook": 404,
	} {
		body := c.get(p, want)
		noInlineCode(t, p, body)
	}
	if page := c.get(tab+"?status=failed", http.StatusOK); !strings.Contains(page, "No deliveries with this status") {
		t.Error("the failed filter does not say that none matches")
	}
	page = c.get(detail, http.StatusOK)
	for _, want := range []string{m[1], "secret.created", "Not attempted yet", "&#34;type&#34;: &#34;secret.created&#34;", "Redeliver"} {
		if !strings.Contains(page, want) {
			t.Errorf("the delivery's page lacks %q", want)
		}
	}
	if strings.Contains(page, "<b>Production</b>") {
		t.Error("the payload is not escaped")
	}

	// Redelivery comes back to the log page it was asked from.
	resp = c.post(detail+"/redeliver", url.Values{"csrf": {csrf(t, page)}, "log": {"status=pending&evil=1"}})
	body = read(t, resp)
	if resp.Request.URL.RequestURI() != tab+"?status=pending" || !strings.Contains(body, "queued for redelivery") {
		t.Fatalf("after a redelivery at %s", resp.Request.URL)
	}
	resp = c.post(detail+"/redeliver", url.Values{"csrf": {csrf(t, page)}, "from": {"delivery"}})
	if read(t, resp); resp.Request.URL.Path != detail {
		t.Fatalf("a redelivery from the delivery's page ended at %s", resp.Request.URL)
	}
	if audit := c.get("/ui/audit?action=webhook.", http.StatusOK); strings.Count(audit, "Webhook redelivered") != 2 {
		t.Error("the audit log does not show the two redeliveries")
	}
	// Enabling an endpoint that is not disabled changes nothing.
	resp = c.post(tab+"/enable", url.Values{"csrf": {csrf(t, page)}})
	if read(t, resp); resp.StatusCode != http.StatusOK || resp.Request.URL.Path != tab {
		t.Fatalf("enable: %d at %s", resp.StatusCode, resp.Request.URL)
	}
}

// TestWebhookPostsWithoutCSRFAreRefused sends each of the Webhooks tab's
// forms without the session's token, with another, and from another site:
// every one is refused and nothing changes.
func TestWebhookPostsWithoutCSRFAreRefused(t *testing.T) {
	c := newConsole(t)
	id := c.newClient("billing")
	tab := "/ui/clients/" + id + "/webhook"
	page := c.get(tab, http.StatusOK)
	hasLog(t, page)
	good := csrf(t, page)
	read(t, c.post(tab, url.Values{"csrf": {good}, "url": {"https://hooks.example.com/kw"}, "events": {"all"}}))
	sec := c.get("/ui/clients/"+id+"/secrets?add=1", http.StatusOK)
	read(t, c.post("/ui/clients/"+id+"/secrets", url.Values{"csrf": {csrf(t, sec)}, "once": {onceField.FindStringSubmatch(sec)[1]}, "description": {"Production"}}))
	m := deliveryLink.FindStringSubmatch(c.get(tab, http.StatusOK))
	if m == nil {
		t.Fatal("no delivery in the log")
	}
	posts := map[string]url.Values{
		tab:             {"url": {"https://evil.example.com/"}, "events": {"all"}},
		tab + "/enable": {},
		tab + "/replay": {"since": {"2020-01-01T00:00:00Z"}},
		tab + "/deliveries/" + m[1] + "/redeliver":    {},
		"/ui/clients/kwc_missing/webhook":             {"url": {"https://evil.example.com/"}},
		tab + "/deliveries/msg_missing/redeliver":     {},
		"/ui/clients/" + id + "/webhook/enable?x=y":   {},
		tab + "/deliveries/" + m[1] + "/redeliver?x=": {"from": {"delivery"}},
	}
	for path, form := range posts {
		for name, token := range map[string][]string{"no token": nil, "wrong token": {otherFirst(good)}, "empty token": {""}} {
			f := url.Values{}
			for k, v := range form {
				f[k] = v
			}
			if token != nil {
				f["csrf"] = token
			}
			resp := c.post(path, f)
			read(t, resp)
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("POST %s with %s = %d, want 403", path, name, resp.StatusCode)
			}
		}
		req, _ := http.NewRequest("POST", c.srv.URL+path, strings.NewReader(url.Values{"csrf": {good}, "url": {"https://evil.example.com/"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		resp, err := c.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		read(t, resp)
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("cross-site POST %s = %d, want 403", path, resp.StatusCode)
		}
		checkHeaders(t, "cross-site POST "+path, resp)
	}
	page = c.get(tab, http.StatusOK)
	if strings.Contains(page, "evil.example.com") || !strings.Contains(page, "https://hooks.example.com/kw") {
		t.Fatal("a refused POST changed the endpoint")
	}
	if audit := c.get("/ui/audit", http.StatusOK); strings.Contains(audit, "Webhook redelivered") || strings.Contains(audit, "Webhook endpoint enabled") {
		t.Fatal("a refused POST redelivered or enabled")
	}
}

// TestWebhookLogPages pages through a delivery log longer than a page.
func TestWebhookLogPages(t *testing.T) {
	c := newConsole(t)
	id := c.newClient("billing")
	tab := "/ui/clients/" + id + "/webhook"
	page := c.get(tab, http.StatusOK)
	hasLog(t, page)
	read(t, c.post(tab, url.Values{"csrf": {csrf(t, page)}, "url": {"https://hooks.example.com/kw"}, "events": {"all"}}))
	// Each change of the client is a client.updated delivery (the URL's
	// own change included).
	for i := range 21 {
		resp := c.post("/ui/clients/"+id, url.Values{"csrf": {csrf(t, page)}, "name": {"billing"}, "description": {"change " + strconv.Itoa(i)}})
		if read(t, resp); resp.StatusCode != http.StatusOK {
			t.Fatalf("changing the client: %d", resp.StatusCode)
		}
	}
	first := c.get(tab, http.StatusOK)
	if n := len(deliveryLink.FindAllString(first, -1)); n != 20 {
		t.Fatalf("the first page lists %d deliveries, want 20", n)
	}
	older := regexp.MustCompile(`href="(/ui/clients/[^"]+/webhook\?after=[^"]+)">Older deliveries`).FindStringSubmatch(first)
	if older == nil || strings.Contains(first, ">Newest<") {
		t.Fatal("the first page has no link to older deliveries, or one to the newest")
	}
	second := c.get(strings.ReplaceAll(older[1], "&amp;", "&"), http.StatusOK)
	if n := len(deliveryLink.FindAllString(second, -1)); n != 2 || !strings.Contains(second, ">Newest<") || strings.Contains(second, "Older deliveries") {
		t.Fatalf("the second page lists %d deliveries, want 2, with a link to the newest and none to older ones", n)
	}
	for _, m := range deliveryLink.FindAllStringSubmatch(second, -1) {
		if strings.Contains(first, m[1]) {
			t.Fatalf("%s is on both pages", m[1])
		}
	}
	// A redelivery from the second page comes back to it.
	m := deliveryLink.FindStringSubmatch(second)
	q := regexp.MustCompile(`name="log" value="([^"]+)"`).FindStringSubmatch(second)
	if q == nil {
		t.Fatal("the second page's Redeliver does not carry the page")
	}
	resp := c.post(tab+"/deliveries/"+m[1]+"/redeliver", url.Values{"csrf": {csrf(t, second)}, "log": {strings.ReplaceAll(q[1], "&amp;", "&")}})
	if read(t, resp); !strings.HasPrefix(resp.Request.URL.RequestURI(), tab+"?after=") {
		t.Fatalf("a redelivery from the second page ended at %s", resp.Request.URL)
	}
}
