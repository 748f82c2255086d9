package e2e

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"keywarden/pkg/apiv1"
	"keywarden/pkg/webhooksig"
)

// uiReceiver is a webhook endpoint that answers its first request with a
// 500 and every later one with a 200, each with a body that looks like
// HTML: the console must show it as text.
type uiReceiver struct {
	*httptest.Server
	mu  sync.Mutex
	ids []string // webhook-id of each request
}

const (
	uiReceiverFail = `<html><b id="injected">upstream down</b></html>`
	uiReceiverOK   = `{"received":true,"note":"<img src=x id=injected>"}`
)

func newUIReceiver(t *testing.T) *uiReceiver {
	r := &uiReceiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		io.Copy(io.Discard, req.Body)
		r.mu.Lock()
		n := len(r.ids)
		r.ids = append(r.ids, req.Header.Get(webhooksig.HeaderID))
		r.mu.Unlock()
		if n == 0 {
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, uiReceiverFail)
			return
		}
		io.WriteString(w, uiReceiverOK)
	}))
	t.Cleanup(r.Close)
	return r
}

// waitRequests waits until the receiver got n requests and returns their
// webhook-ids.
func (r *uiReceiver) waitRequests(t *testing.T, n int) []string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		r.mu.Lock()
		ids := append([]string(nil), r.ids...)
		r.mu.Unlock()
		if len(ids) >= n {
			return ids
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited 20s for %d webhook requests; got %d", n, len(ids))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// newWebhookConsole is newConsole with a server that delivers webhooks to
// 127.0.0.1, looks for due deliveries every 50ms, retries after about
// 200ms and disables an endpoint that failed for a second.
func newWebhookConsole(t *testing.T) consoleSetup {
	t.Helper()
	in := newSQLite(t)
	boot := in.init(t, "Acme Payments", "admin@acme.test")
	srv := in.start(t, "--webhook-allow-private", "127.0.0.1/32", "--webhook-poll-interval", "50ms", "--webhook-retry-schedule", "200ms,200ms,200ms,200ms,200ms,200ms,200ms",
		"--webhook-disable-after", "1s")
	c := consoleSetup{srv: srv, token: boot.APIToken, admin: consoleUser{ID: boot.UserID, Email: "admin@acme.test", Password: "correct horse battery staple"}}
	setPassword(t, srv, c.admin.Email, boot.Password, c.admin.Password)
	return c
}

// press sends keys to the focused element.
func (b *browser) press(sel, keys string) {
	b.t.Helper()
	b.do(chromedp.Focus(chromedp.CSS(sel), chromedp.NodeVisible), chromedp.KeyEvent(keys))
}

// reloadUntil reloads path until the element sel holds want.
func (b *browser) reloadUntil(path, sel, want string) {
	b.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		b.open(path)
		got := run(b, chromedp.Evaluate[string](fmt.Sprintf(`(function(e){return e ? e.innerText : ""})(document.querySelector(%q))`, sel)))
		if strings.Contains(got, want) {
			return
		}
		if time.Now().After(deadline) {
			b.shot("failure")
			b.t.Fatalf("after 20s, %s on %s shows %q, want %q", sel, path, got, want)
		}
		time.Sleep(150 * time.Millisecond)
	}
}

// shotTop saves a screenshot of the page scrolled to its top (a full-page
// screenshot of a scrolled page shows the sticky top bar mid-page).
func (b *browser) shotTop(name string) {
	b.eval(`(window.scrollTo(0, 0), true)`)
	b.shot(name)
}

// noHorizontalScroll fails the test if the page is wider than the screen.
func (b *browser) noHorizontalScroll() {
	b.t.Helper()
	if !b.eval(`document.documentElement.scrollWidth <= window.innerWidth`) {
		b.shot("too-wide")
		b.t.Fatalf("%s scrolls sideways at %dpx", b.location(), b.vp.width)
	}
}

// TestUIWebhooks sets a client's endpoint and events on its Webhooks tab
// (the server's refusal shown on the field; the event selection done with
// the keyboard), has a secret's creation delivered to a receiver that
// answers 500 and then 200, reads the attempts in the delivery log and on
// the delivery's page (the receiver's HTML shown as text), redelivers it,
// enables an endpoint that was disabled for failing, and checks that a
// member sees it all read-only, at desktop and phone widths.
func TestUIWebhooks(t *testing.T) {
	c := newWebhookConsole(t)
	cl := c.client(t, "Billing service")
	recv := newUIReceiver(t)
	tab := "/ui/clients/" + cl.ClientID + "/webhook"

	b := newBrowser(t, c.srv, desktop)
	b.login(c.admin.Email, c.admin.Password)
	b.open("/ui/clients/" + cl.ClientID)
	b.click("nav.tabs a[href$='/webhook']")
	b.waitVisible("#webhook-url")
	if b.location() != c.srv.URL+tab {
		t.Fatalf("the Webhooks tab is at %s", b.location())
	}
	if b.count("#deliveries") == 0 {
		t.Fatal("the Webhooks tab has no delivery log: the server does not give the console its webhook service (ui.Handler.Webhooks)")
	}
	b.contains("Not set up", "No deliveries yet", "All events", "signed with every active secret", "Signatures, in the Webhooks guide")
	// Without an endpoint a test event has nowhere to go: the button says so.
	if !b.eval(`document.querySelector("#send-test").disabled`) {
		t.Fatal("Send test event is enabled without an endpoint URL")
	}
	b.contains("Set an endpoint URL first.")
	if b.eval(`!document.querySelector("#event-types").hidden`) {
		t.Fatal("with All events chosen, the event list shows")
	}
	b.shot("webhooks-empty")

	// The server's own words for a URL it refuses, on the field.
	b.fill("#webhook-url", "ftp://hooks.example.com/keywarden")
	b.submit("#endpoint button[type=submit]", "#endpoint .alert-error")
	b.contains("Endpoint URL: must be an absolute http(s) URL")
	if !b.eval(`document.querySelector("#webhook-url").getAttribute("aria-invalid") === "true"`) {
		t.Fatal("the refused URL field is not marked invalid")
	}
	b.shot("webhooks-url-refused")

	// URL and events, with the keyboard: arrow to "Only the events ticked",
	// space to untick all but two, Enter to save.
	b.fill("#webhook-url", recv.URL+"/hooks/keywarden")
	b.press("#events-all", kb.ArrowRight)
	if !b.eval(`document.querySelector("#events-some").checked && !document.querySelector("#event-types").hidden`) {
		t.Fatal("the arrow key did not choose Only the events ticked, or the event list stays hidden")
	}
	for _, typ := range []string{"secret.expiring", "secret.expired", "refresh_token.issued", "client.updated", "client.disabled", "credential.revoked", "secret.leaked", "credential.leaked", "key.created", "key.revoked"} {
		b.press(fmt.Sprintf("input[name=type][value=%q]", typ), " ")
	}
	if n := b.count("input[name=type]:checked"); n != 2 {
		t.Fatalf("%d events ticked, want 2", n)
	}
	b.shotTop("webhooks-events")
	b.eval(`(document.body.setAttribute("data-stale", "1"), true)`)
	b.press("#endpoint button[type=submit]", kb.Enter)
	b.waitLoad()
	b.contains("Webhook settings saved. Events now go to "+recv.URL+"/hooks/keywarden.", "Active", "No deliveries yet")
	if got := run(b, chromedp.Value(chromedp.CSS("#webhook-url"))); got != recv.URL+"/hooks/keywarden" {
		t.Fatalf("after saving, the URL field holds %q", got)
	}
	if b.count("input[name=type]:checked") != 2 || !b.eval(`document.querySelector("input[value='secret.created']").checked`) {
		t.Fatal("the saved selection does not come back")
	}

	// A new secret is delivered: 500, then the retry's 200.
	c.secret(t, cl.ClientID, "Production")
	ids := recv.waitRequests(t, 2)
	if ids[0] != ids[1] || !strings.HasPrefix(ids[0], "msg_") {
		t.Fatalf("the retry's webhook-id %s differs from the first attempt's %s", ids[1], ids[0])
	}
	row := "#delivery-" + ids[0]
	b.reloadUntil(tab, row+" td[data-label=Status]", "Delivered")
	for sel, want := range map[string]string{
		row + " td[data-label=Event]": "Secret created", row + " td[data-label=Attempts]": "2",
		row + " td[data-label='Last answer']": "HTTP 200",
	} {
		if got := b.text(sel); !strings.Contains(got, want) {
			t.Errorf("%s shows %q, want %q", sel, got, want)
		}
	}
	if got := b.text(row + " td[data-label='Last answer'] .excerpt"); got != `{"received":true,"note":"<img src=x id=injected>"}` {
		t.Errorf("the log's response excerpt is %q", got)
	}
	if !b.eval(`/· (\d+ ms|< 1 ms|\d+\.\d s)/.test(document.querySelector("` + row + ` td[data-label='Last answer']").innerText)`) {
		t.Error("the log shows no latency")
	}
	if b.count("#injected") != 0 {
		t.Fatal("the receiver's answer became HTML on the page")
	}
	b.contains("Active")
	b.shot("webhooks-log")

	// The delivery's page: both attempts, the answers as text.
	b.click(row + " td[data-label=Event] a")
	b.waitVisible("#attempts-table")
	if b.count("#attempts-table tbody tr") != 2 {
		t.Fatalf("the delivery's page lists %d attempts, want 2", b.count("#attempts-table tbody tr"))
	}
	b.contains(ids[0], "HTTP 500", "HTTP 200", uiReceiverFail, `"type": "secret.created"`)
	if b.count("#injected") != 0 {
		t.Fatal("the receiver's answer became HTML on the delivery's page")
	}
	b.shot("delivery-detail")

	// Redeliver: same webhook-id, a third attempt.
	b.submit("#redeliver", ".alert-success")
	b.contains("Secret created (" + ids[0] + ") is queued for redelivery, with the same webhook-id.")
	if ids = recv.waitRequests(t, 3); ids[2] != ids[0] {
		t.Fatalf("the redelivery has webhook-id %s, want %s", ids[2], ids[0])
	}
	b.reloadUntil(tab+"/deliveries/"+ids[0], "#delivery-attempts", "3")
	b.shot("delivery-redelivered")

	// Send test event: delivered although the endpoint selects other
	// events, logged like every delivery.
	b.open(tab)
	b.submit("#send-test", ".alert-success")
	b.contains("A test event (msg_")
	ids = recv.waitRequests(t, 4)
	b.reloadUntil(tab, "#delivery-"+ids[3]+" td[data-label=Status]", "Delivered")
	if got := b.text("#delivery-" + ids[3] + " td[data-label=Event]"); !strings.Contains(got, "Test event") || !strings.Contains(got, "webhook.test") {
		t.Fatalf("the test delivery's row says %q", got)
	}
	b.shot("webhooks-test-event")

	// The signature help is a served page of the guide, at its section.
	b.submit("#signature-help", "h2#signatures")
	if loc := b.location(); loc != c.srv.URL+"/ui/docs/webhooks#signatures" {
		t.Fatalf("the signature help opens %s", loc)
	}
	b.contains("Webhooks", "webhook-signature", "whsec_")
	b.shot("docs-webhooks")

	// An endpoint that fails for a second is disabled; Enable brings it back.
	broken := c.client(t, "Reporting")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String() + "/hooks"
	ln.Close()
	c.srv.must(t, http.StatusOK, c.token, "PATCH", "/v1/clients/"+broken.ClientID, apiv1.UpdateClient{WebhookURL: &closed}, nil)
	c.secret(t, broken.ClientID, "Production")
	brokenTab := "/ui/clients/" + broken.ClientID + "/webhook"
	b.reloadUntil(brokenTab, "#endpoint-status", "Disabled")
	b.reloadUntil(brokenTab, "#deliveries-table tbody tr:first-child td[data-label=Status]", "Failed")
	b.contains("after failing for too long", "Last error: dial tcp", "connection refused")
	if b.count("#deliveries-table button") != 0 {
		t.Fatal("a disabled endpoint offers Redeliver")
	}
	b.shot("webhooks-disabled")
	b.submit("#enable-endpoint", ".alert-success")
	b.contains("is enabled again")
	if got := b.text("#endpoint-status"); got != "Active" {
		t.Fatalf("after Enable, the endpoint is %q", got)
	}
	if b.count("#deliveries-table form[action$='/redeliver'] button") == 0 {
		t.Fatal("no Redeliver after enabling")
	}
	b.shot("webhooks-enabled")

	// The same pages at phone width: readable, nothing wider than the screen.
	p := newBrowser(t, c.srv, phone)
	p.login(c.admin.Email, c.admin.Password)
	p.open(tab)
	p.waitVisible("#deliveries-table")
	p.noHorizontalScroll()
	if !p.eval(`(function(){var r=document.querySelector("nav.tabs a[aria-current=page]").getBoundingClientRect();return r.left>=0&&r.right<=window.innerWidth})()`) {
		p.shot("tab-hidden")
		t.Fatal("at phone width the Webhooks tab is off the screen")
	}
	p.shot("webhooks")
	p.open(tab + "/deliveries/" + ids[0])
	p.waitVisible("#attempts-table")
	p.noHorizontalScroll()
	p.shot("delivery-detail")

	// A member reads it all and changes nothing; the server refuses too.
	m := c.invite(t, "member@acme.test", "member")
	p.submit("form[action='/ui/logout'] button", "#email")
	p.login(m.Email, m.Password)
	p.open(tab)
	p.waitVisible("#deliveries-table")
	p.contains("can view this endpoint and its deliveries but not change them", "Secret created", "Delivered")
	p.lacks("Save webhook settings", "Redeliver", "Enable endpoint")
	if p.count("input[name=url]") != 0 || !p.eval(`Array.from(document.querySelectorAll("input[name=type], input[name=events]")).every(function(e){return e.disabled})`) {
		t.Fatal("a member can edit the endpoint")
	}
	if got := p.text("#webhook-url"); got != recv.URL+"/hooks/keywarden" {
		t.Fatalf("a member reads the endpoint URL as %q", got)
	}
	if p.count("form[method=post]:not([action='/ui/logout']) button") != 0 {
		t.Fatal("a member's Webhooks tab has a form to send")
	}
	p.noHorizontalScroll()
	p.shot("member-webhooks")
	p.open(tab + "/deliveries/" + ids[0])
	p.lacks("Redeliver")
	p.shot("member-delivery")
	for _, path := range []string{tab, tab + "/enable", tab + "/deliveries/" + ids[0] + "/redeliver", tab + "/test"} {
		status := run(p, chromedp.Evaluate[float64](fmt.Sprintf(`(async function(){
			var csrf = document.querySelector("input[name=csrf]").value;
			var body = new URLSearchParams({csrf: csrf, url: "https://evil.example.com/", events: "all"});
			var r = await fetch(%q, {method: "POST", body: body});
			return r.status;
		})()`, path), chromedp.EvalAwaitPromise))
		if status != http.StatusForbidden {
			t.Errorf("a member's POST %s = %v, want 403", path, status)
		}
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(recv.waitRequests(t, 4)); n != 4 {
		t.Errorf("the receiver got %d requests, want 4 (a member's POST redelivered or sent a test event?)", n)
	}
	var ep apiv1.WebhookEndpoint
	c.srv.must(t, http.StatusOK, c.token, "GET", "/v1/clients/"+cl.ClientID+"/webhook", nil, &ep)
	if ep.URL != recv.URL+"/hooks/keywarden" {
		t.Errorf("after the member's POSTs the URL is %q", ep.URL)
	}
}
