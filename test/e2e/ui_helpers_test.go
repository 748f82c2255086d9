package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"keywarden/pkg/apiv1"
)

// Browser tests drive the console in headless Chromium (Debian's chromium
// package; .ci/run installs it). Every flow saves PNG screenshots to a
// temporary directory (artifactsDir): look at them.

// Viewports the console is checked at.
var (
	desktop = viewport{"desktop", 1280, 800, 1, false}
	phone   = viewport{"phone", 390, 844, 2, true}
)

type viewport struct {
	name          string
	width, height int64
	scale         float64
	mobile        bool
}

// artifactsDir is where screenshots go: $KEYWARDEN_SCREENSHOTS when set,
// else one temporary directory per test run (never in the repository),
// named in the log of the first test that saves one.
func artifactsDir(t *testing.T) string {
	shotsOnce.Do(func() {
		shotsDir = os.Getenv("KEYWARDEN_SCREENSHOTS")
		if shotsDir == "" {
			shotsDir, shotsErr = os.MkdirTemp("", "keywarden-ui-")
		} else {
			shotsErr = os.MkdirAll(shotsDir, 0o755)
		}
	})
	if shotsErr != nil {
		t.Fatal(shotsErr)
	}
	shotsLog.Do(func() { t.Logf("screenshots in %s", shotsDir) })
	return shotsDir
}

var (
	shotsOnce, shotsLog sync.Once
	shotsDir            string
	shotsErr            error
)

// chromium returns the browser binary, or skips the test when there is none.
func chromium(t *testing.T) string {
	path := os.Getenv("KEYWARDEN_CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	if _, err := os.Stat(path); err != nil {
		t.Skipf("no Chromium at %s (set KEYWARDEN_CHROMIUM, or: apt-get install chromium); skipping the browser test", path)
	}
	return path
}

// browser is one headless Chromium tab on a running server.
type browser struct {
	t   *testing.T
	ctx context.Context
	srv *server
	vp  viewport
	n   int
}

// newBrowser starts a headless Chromium for the test, sized as vp.
func newBrowser(t *testing.T, srv *server, vp viewport) *browser {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("mute-audio", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(int(vp.width), int(vp.height)),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	b := &browser{t: t, ctx: ctx, srv: srv, vp: vp}
	old, _ := filepath.Glob(filepath.Join(artifactsDir(t), b.prefix()+"-*.png"))
	for _, f := range old {
		os.Remove(f)
	}
	// The first run starts the browser; it lives as long as this context,
	// so it must not run under a timeout.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	b.do(vp.emulate())
	return b
}

// do runs actions with a time limit, failing the test on error.
func (b *browser) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.saveShot("failure")
		b.t.Fatalf("browser: %v", err)
	}
}

func run[T any](b *browser, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.saveShot("failure")
		b.t.Fatalf("browser: %v", err)
	}
	return v
}

// open loads a console path and waits for its main content.
func (b *browser) open(path string) {
	b.t.Helper()
	b.do(chromedp.Navigate(b.srv.URL+path), chromedp.WaitReady(chromedp.CSS("body")))
}

// shot saves a full-page PNG screenshot named after the test and step,
// and checks the page's accessibility with axe-core at both widths
// (ui_axe_test.go) unless the shot records a failure.
func (b *browser) shot(name string) {
	b.t.Helper()
	b.saveShot(name)
	switch name {
	case "failure", "missing-text", "unexpected-text":
	default:
		b.axe(name)
	}
}

// saveShot saves a full-page PNG screenshot named after the test and step.
func (b *browser) saveShot(name string) {
	b.n++
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	// With a modal dialog open, the viewport is what a person sees; else
	// the whole page.
	shoot := chromedp.FullScreenshot(100)
	if modal, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!document.querySelector("dialog:modal")`)); err == nil && modal {
		shoot = chromedp.CaptureScreenshot()
	}
	png, err := chromedp.Run(ctx, shoot)
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return
	}
	file := filepath.Join(artifactsDir(b.t), fmt.Sprintf("%s-%02d-%s.png", b.prefix(), b.n, name))
	if err := os.WriteFile(file, png, 0o644); err != nil {
		b.t.Errorf("write screenshot: %v", err)
	}
}

// prefix names the test's screenshots.
func (b *browser) prefix() string {
	return regexp.MustCompile(`[^A-Za-z0-9]+`).ReplaceAllString(b.t.Name(), "_") + "-" + b.vp.name
}

func (b *browser) click(sel string) {
	b.t.Helper()
	b.do(chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
}

// fill types into a field after clearing it.
func (b *browser) fill(sel, text string) {
	b.t.Helper()
	b.do(chromedp.WaitVisible(chromedp.CSS(sel)))
	run(b, chromedp.Evaluate[bool](fmt.Sprintf("(function(e){e.value='';return true})(document.querySelector(%q))", sel)))
	b.do(chromedp.SendKeys(chromedp.CSS(sel), text))
}

func (b *browser) waitVisible(sel string) {
	b.t.Helper()
	b.do(chromedp.WaitVisible(chromedp.CSS(sel)))
}

func (b *browser) text(sel string) string {
	b.t.Helper()
	return strings.TrimSpace(run(b, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible)))
}

func (b *browser) textContent(sel string) string {
	b.t.Helper()
	return strings.TrimSpace(run(b, chromedp.TextContent(chromedp.CSS(sel), chromedp.NodeReady)))
}

// visibleText is the page's rendered text (an open modal dialog included).
func (b *browser) visibleText() string {
	b.t.Helper()
	// Chromium leaves a modal dialog (in the top layer) out of the body's
	// innerText: add it.
	return run(b, chromedp.Evaluate[string](`document.body.innerText + "\n" + Array.from(document.querySelectorAll("dialog[open]")).map(function(d){return d.innerText}).join("\n")`))
}

// html returns the whole document as the browser has it.
func (b *browser) html() string {
	b.t.Helper()
	return run(b, chromedp.OuterHTML(chromedp.CSS("html")))
}

func (b *browser) location() string {
	b.t.Helper()
	return run(b, chromedp.Location())
}

func (b *browser) eval(js string) bool {
	b.t.Helper()
	return run(b, chromedp.Evaluate[bool](js))
}

func (b *browser) count(sel string) int {
	b.t.Helper()
	return int(run(b, chromedp.Evaluate[float64](fmt.Sprintf("document.querySelectorAll(%q).length", sel))))
}

// contains fails the test unless the visible page text holds each string.
func (b *browser) contains(want ...string) {
	b.t.Helper()
	body := b.visibleText()
	for _, w := range want {
		if !strings.Contains(body, w) {
			b.shot("missing-text")
			b.t.Fatalf("page %s does not show %q; it shows:\n%s", b.location(), w, body)
		}
	}
}

// lacks fails the test if the visible page text holds any of the strings.
func (b *browser) lacks(unwanted ...string) {
	b.t.Helper()
	body := b.visibleText()
	for _, u := range unwanted {
		if strings.Contains(body, u) {
			b.shot("unexpected-text")
			b.t.Fatalf("page %s shows %q, which it must not", b.location(), u)
		}
	}
}

// submit clicks a submit button, waits for the next page to load, and
// for an element of it.
func (b *browser) submit(sel, next string) {
	b.t.Helper()
	b.eval(`(document.body.setAttribute("data-stale", "1"), true)`)
	b.click(sel)
	b.waitLoad()
	b.waitVisible(next)
}

// waitLoad waits until the page marked stale has been replaced by a loaded one.
func (b *browser) waitLoad() {
	b.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
		fresh, err := chromedp.Run(ctx, chromedp.Evaluate[bool](
			`!!document.body && !document.body.hasAttribute("data-stale") && document.readyState === "complete"`))
		cancel()
		if err == nil && fresh {
			return
		}
		if time.Now().After(deadline) {
			b.shot("failure")
			b.t.Fatalf("the next page did not load (at %s)", b.location())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// login signs in through the form (no MFA).
func (b *browser) login(email, password string) {
	b.t.Helper()
	b.open("/ui/login")
	b.fill("#email", email)
	b.fill("#password", password)
	b.submit("form[action='/ui/login'] button[type=submit]", "#main h1")
}

// consoleUser is a user with a usable password (no one-time password left).
type consoleUser struct {
	ID, Email, Password string
}

// setPassword replaces a one-time password through the API.
func setPassword(t *testing.T, srv *server, email, oneTime, password string) {
	t.Helper()
	sess, err := srv.api("").Login(t.Context(), apiv1.Login{Email: email, Password: oneTime})
	noErr(t, err)
	noErr(t, srv.api(sess.Token).ChangePassword(t.Context(), apiv1.ChangePassword{CurrentPassword: oneTime, NewPassword: password}))
}

// consoleSetup is an initialised server with its super admin ready to sign in.
type consoleSetup struct {
	srv   *server
	token string // the super admin's API token
	admin consoleUser
}

func newConsole(t *testing.T) consoleSetup {
	t.Helper()
	in := newSQLite(t)
	boot := in.init(t, "Acme Payments", "admin@acme.test")
	srv := in.start(t, "--usage-flush-interval", "1s")
	c := consoleSetup{srv: srv, token: boot.APIToken, admin: consoleUser{ID: boot.UserID, Email: "admin@acme.test", Password: "correct horse battery staple"}}
	setPassword(t, srv, c.admin.Email, boot.Password, c.admin.Password)
	return c
}

// invite creates a user with a role and a usable password.
func (c consoleSetup) invite(t *testing.T, email, role string) consoleUser {
	t.Helper()
	inv, err := c.srv.api(c.token).InviteUser(t.Context(), apiv1.InviteUser{Email: email, Role: role})
	noErr(t, err)
	u := consoleUser{ID: inv.ID, Email: email, Password: "a long enough password 1"}
	setPassword(t, c.srv, email, inv.OneTimePassword, u.Password)
	return u
}

// client creates a client through the API.
func (c consoleSetup) client(t *testing.T, name string) apiv1.Client {
	t.Helper()
	cl, err := c.srv.api(c.token).CreateClient(t.Context(), apiv1.CreateClient{Name: name, Description: "Sends invoices to customers", Scopes: []string{"invoices:read", "invoices:write"}})
	noErr(t, err)
	return cl
}

// secret adds a secret through the API.
func (c consoleSetup) secret(t *testing.T, clientID, description string) apiv1.CreatedSecret {
	t.Helper()
	s, err := c.srv.api(c.token).CreateSecret(t.Context(), clientID, apiv1.CreateSecret{Description: description})
	noErr(t, err)
	return s
}

// tokenStatus asks the token endpoint for a token with a client's secret.
func (c consoleSetup) tokenStatus(t *testing.T, clientID, secret string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), "POST", c.srv.URL+"/oauth2/token", strings.NewReader("grant_type=client_credentials"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(clientID, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// reload reloads the page, as a person pressing F5 would.
func (b *browser) reload() {
	b.t.Helper()
	b.do(chromedp.Reload())
}
