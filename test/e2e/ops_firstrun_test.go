package e2e

import (
	"database/sql"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	_ "modernc.org/sqlite"

	"keywarden/pkg/apiv1"
)

// First run over HTTP: the setup link's refusals, races between browsers
// and nodes, and where the link's secret appears (the one log line only).

var setupLineRE = regexp.MustCompile(`"setup_url":"([^"]+)"`)

// setupLink returns the setup link a server on an empty store logged.
func setupLink(t *testing.T, srv *server) string {
	t.Helper()
	m := setupLineRE.FindAllStringSubmatch(srv.logs.String(), -1)
	if len(m) != 1 {
		t.Fatalf("the server logged %d setup links, want 1:\n%s", len(m), srv.logs.String())
	}
	return m[0][1]
}

// linkToken is the token in a setup link's fragment.
func linkToken(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil || u.Path != "/ui/setup" || !strings.HasPrefix(u.Fragment, "kwi_") || u.RawQuery != "" {
		t.Fatalf("setup link %q: want /ui/setup#kwi_… (%v)", link, err)
	}
	return u.Fragment
}

// onlyInSetupLine fails unless token appears in logs exactly once, in the
// setup record, which says that it holds a secret.
func onlyInSetupLine(t *testing.T, logs, token string) {
	t.Helper()
	n := 0
	for line := range strings.Lines(logs) {
		if !strings.Contains(line, token) {
			continue
		}
		n++
		if !strings.Contains(line, `"msg":"first run: `) || !strings.Contains(line, `"contains_secret":true`) {
			t.Errorf("the setup token appears in a log line other than the setup link's: %s", line)
		}
	}
	if n != 1 {
		t.Errorf("the setup token appears %d times in the log, want once", n)
	}
}

// setupBrowser is a cookie-keeping HTTP client on the setup form, as a
// browser without JavaScript uses it.
type setupBrowser struct {
	t    *testing.T
	base string
	c    *http.Client
	csrf string
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func newSetupBrowser(t *testing.T, base string) *setupBrowser {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	b := &setupBrowser{t: t, base: base, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
	code, body, _ := b.get("/ui/setup")
	m := csrfRE.FindStringSubmatch(body)
	if code != 200 || m == nil {
		t.Fatalf("GET /ui/setup = %d without a form:\n%s", code, body)
	}
	b.csrf = m[1]
	return b
}

func (b *setupBrowser) get(path string) (int, string, string) {
	b.t.Helper()
	resp, err := b.c.Get(b.base + path)
	if err != nil {
		b.t.Fatal(err)
	}
	return readResponse(b.t, resp)
}

func readResponse(t *testing.T, resp *http.Response) (int, string, string) {
	t.Helper()
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body), resp.Header.Get("Location")
}

// post sends the setup form and returns the status, body and Location.
func (b *setupBrowser) post(token, org, email, password string) (int, string, string) {
	b.t.Helper()
	form := url.Values{"csrf": {b.csrf}, "token": {token}, "organization": {org}, "email": {email},
		"password": {password}, "confirm": {password}}
	resp, err := b.c.PostForm(b.base+"/ui/setup", form)
	if err != nil {
		b.t.Fatal(err)
	}
	return readResponse(b.t, resp)
}

const setupPassword = "correct horse battery staple"

func TestFirstRunOverHTTP(t *testing.T) {
	in := newSQLite(t)
	// Three starts on an empty store: a link each, each valid.
	var links []string
	var logs []string
	for range 3 {
		srv := in.start(t)
		links = append(links, linkToken(t, setupLink(t, srv)))
		srv.stop(t)
		logs = append(logs, srv.logs.String())
	}
	a, b, c := links[0], links[1], links[2]
	// The third link's hour is over (the store's clock is the test's
	// only lever on a running binary's time).
	db, err := sql.Open("sqlite", "file:"+filepath.Join(in.dataDir, "keywarden.db")+"?_pragma=busy_timeout(10000)")
	noErr(t, err)
	defer db.Close()
	_, err = db.ExecContext(t.Context(), `UPDATE setup_tokens SET expires_at = created_at WHERE created_at = (SELECT MAX(created_at) FROM setup_tokens)`)
	noErr(t, err)

	srv := in.start(t)
	if m := setupLineRE.FindAllString(srv.logs.String(), -1); len(m) != 1 {
		t.Fatalf("a fourth start on the empty store logged %d links, want 1", len(m))
	}
	br := newSetupBrowser(t, srv.URL)

	// The first visit to the console without the link lands on setup.
	if code, _, loc := br.get("/ui/login"); code != http.StatusSeeOther || loc != "/ui/setup" {
		t.Errorf("GET /ui/login on an empty store = %d → %q, want 303 → /ui/setup", code, loc)
	}

	for _, tc := range []struct {
		name           string
		token, pw      string
		status         int
		want           string
		org, email     string
		wantNoTokenKey bool
	}{
		{"no code", "", setupPassword, 403, "This setup link is not valid", "Acme", "owner@acme.test", true},
		{"a made-up code", "kwi_" + strings.Repeat("A", 46), setupPassword, 403, "This setup link is not valid", "Acme", "owner@acme.test", true},
		{"expired link", c, setupPassword, 403, "This setup link expired", "Acme", "owner@acme.test", true},
		{"short password", a, "short", 422, "Must be at least 12 characters", "Acme", "owner@acme.test", false},
		{"bad email", a, setupPassword, 422, "Is not an email address", "Acme", "owner", false},
		{"no organisation", a, setupPassword, 422, "Is required", " ", "owner@acme.test", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body, _ := br.post(tc.token, tc.org, tc.email, tc.pw)
			if code != tc.status || !strings.Contains(body, tc.want) {
				t.Errorf("POST /ui/setup = %d, want %d with %q:\n%s", code, tc.status, tc.want, body)
			}
			// A refused link is not put back into the page; input errors
			// keep it, so the form can be sent again.
			if tc.token != "" && strings.Contains(body, tc.token) == tc.wantNoTokenKey {
				t.Errorf("the page holds the code: %v, want %v", strings.Contains(body, tc.token), !tc.wantNoTokenKey)
			}
		})
	}

	// Another browser opens the form too, before it is too late.
	other := newSetupBrowser(t, srv.URL)
	// The mistakes left link A usable: set up.
	code, _, loc := br.post(a, "Acme", "Owner@Acme.test", setupPassword)
	if code != http.StatusSeeOther || loc != "/ui/home" {
		t.Fatalf("setup = %d → %q, want 303 → /ui/home", code, loc)
	}
	// The landing page of a super admin is the overview.
	code, body, _ := br.get("/ui/overview")
	if code != 200 || !strings.Contains(body, "Keywarden is set up") || !strings.Contains(body, "owner@acme.test") {
		t.Fatalf("GET /ui/overview after setup = %d:\n%s", code, body)
	}

	// A used link, and a second organisation through another valid link,
	// are refused; the setup page leads to sign-in.
	if code, body, _ := other.post(a, "Globex", "owner@globex.test", setupPassword); code != 403 || !strings.Contains(body, "This setup link was used already") {
		t.Errorf("the used link = %d:\n%s", code, body)
	}
	if code, body, _ := other.post(b, "Globex", "owner@globex.test", setupPassword); code != 409 || !strings.Contains(body, "Keywarden is set up already") {
		t.Errorf("a second organisation = %d:\n%s", code, body)
	}
	if code, _, loc := other.get("/ui/setup"); code != http.StatusSeeOther || loc != "/ui/login" {
		t.Errorf("GET /ui/setup after setup = %d → %q, want 303 → /ui/login", code, loc)
	}
	if code, _, _ := other.get("/ui/login"); code != 200 {
		t.Errorf("GET /ui/login after setup = %d, want the sign-in page", code)
	}

	// The super admin signs in with the password chosen at setup, and
	// the audit log holds the setup.
	sess, err := srv.api("").Login(t.Context(), apiv1.Login{Email: "owner@acme.test", Password: setupPassword})
	noErr(t, err)
	var events apiv1.AuditList
	srv.must(t, 200, sess.Token, "GET", "/v1/audit?action=org.setup", nil, &events)
	if len(events.Items) != 1 || events.Items[0].Action != "org.setup" {
		t.Errorf("org.setup audit events: %+v", events.Items)
	}
	srv.stop(t)

	// A start of the set-up store prints no link.
	again := in.start(t)
	again.stop(t)
	if strings.Contains(again.logs.String(), "setup_url") {
		t.Error("a start after setup logged a setup link")
	}
	all := strings.Join(append(logs, srv.logs.String(), again.logs.String()), "")
	for i, tok := range links {
		// Each link in its own start's line, nowhere else (not in the
		// access log of the requests that carried it).
		onlyInSetupLine(t, all, tok)
		if !strings.Contains(logs[i], tok) {
			t.Errorf("link %d is not in its own start's log", i)
		}
	}
}

// TestFirstRunTwoNodes starts two nodes on one empty PostgreSQL database:
// each prints a link of its own, either link works on either node, and of
// two setups sent at once (each node's link to the other node) one wins.
func TestFirstRunTwoNodes(t *testing.T) {
	in := newPostgres(t)
	var nodes [2]*server
	var wg sync.WaitGroup
	for i := range nodes {
		wg.Go(func() { nodes[i] = in.start(t) })
	}
	wg.Wait()
	tokens := [2]string{linkToken(t, setupLink(t, nodes[0])), linkToken(t, setupLink(t, nodes[1]))}
	if tokens[0] == tokens[1] {
		t.Fatal("both nodes printed the same link")
	}
	browsers := [2]*setupBrowser{newSetupBrowser(t, nodes[1].URL), newSetupBrowser(t, nodes[0].URL)}
	var codes [2]int
	start := make(chan struct{})
	for i := range browsers {
		wg.Go(func() {
			<-start
			codes[i], _, _ = browsers[i].post(tokens[i], "Acme", "owner"+string(rune('a'+i))+"@acme.test", setupPassword)
		})
	}
	close(start)
	wg.Wait()
	won := 0
	for i, code := range codes {
		switch code {
		case http.StatusSeeOther:
			won = i
		case http.StatusConflict:
		default:
			t.Fatalf("setup %d = %d, want 303 or 409", i, code)
		}
	}
	if (codes[0] == http.StatusSeeOther) == (codes[1] == http.StatusSeeOther) {
		t.Fatalf("setups = %v, want one 303 and one 409", codes)
	}
	// The winner's session works on both nodes.
	for _, n := range nodes {
		br := browsers[won]
		req, _ := http.NewRequestWithContext(t.Context(), "GET", n.URL+"/ui/users", nil)
		u, _ := url.Parse(br.base)
		for _, c := range br.c.Jar.Cookies(u) {
			req.AddCookie(c)
		}
		resp, err := http.DefaultClient.Do(req)
		noErr(t, err)
		code, body, _ := readResponse(t, resp)
		if code != 200 || !strings.Contains(body, "owner"+string(rune('a'+won))+"@acme.test") {
			t.Errorf("node %s /ui/users = %d", n.URL, code)
		}
	}
}
