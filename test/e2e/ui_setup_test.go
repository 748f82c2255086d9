package e2e

import (
	"net/url"
	"strings"
	"testing"
)

// TestUIFirstRun is a newcomer's first start, as the README says it: serve
// on an empty store, the setup link from its log, the console's setup
// page, and a working console signed in as the new super admin, with no
// other step.
func TestUIFirstRun(t *testing.T) {
	in := newSQLite(t)
	srv := in.start(t)
	link := setupLink(t, srv)
	b := newBrowser(t, srv, desktop)

	// Without the link, the console does not offer a sign-in for an
	// account that does not exist: it explains where the link is.
	b.open("/ui/clients")
	if loc := b.location(); !strings.HasSuffix(loc, "/ui/setup") {
		t.Fatalf("a first visit went to %s, want /ui/setup", loc)
	}
	b.contains("Set up Keywarden", "Setup code", "keywarden serve printed")
	b.shot("setup-without-link")

	// The link fills the code in and leaves the address bar without it.
	u, err := url.Parse(link)
	noErr(t, err)
	b.open(u.Path + "#" + u.Fragment)
	b.waitVisible("#organization")
	if loc := b.location(); strings.Contains(loc, u.Fragment) || !strings.HasSuffix(loc, "/ui/setup") {
		t.Errorf("after opening the link the address bar shows %s", loc)
	}
	if b.eval(`!document.getElementById("token-field").hidden`) || !b.eval(`document.getElementById("token").value.startsWith("kwi_")`) {
		t.Fatal("the setup code from the link is not in the form")
	}
	b.contains("The setup code comes from your link.")
	b.shot("setup")

	// A mistake keeps the link usable and what was typed.
	b.fill("#organization", "Acme Payments")
	b.fill("#email", "owner@acme.test")
	b.fill("#password", "short")
	b.fill("#confirm", "short")
	b.submit("#setup-form button[type=submit]", ".alert-error")
	b.contains("Must be at least 12 characters.")
	if got := b.eval(`document.getElementById("organization").value === "Acme Payments"`); !got {
		t.Error("the organisation name was not kept")
	}
	b.shot("setup-short-password")

	b.fill("#password", "correct horse battery staple")
	b.fill("#confirm", "correct horse battery staple")
	b.submit("#setup-form button[type=submit]", ".page-head h1")
	if loc := b.location(); !strings.HasSuffix(loc, "/ui/overview") { // a super admin lands on the overview
		t.Fatalf("setup went to %s, want /ui/overview", loc)
	}
	b.contains("Keywarden is set up", "Acme Payments", "owner@acme.test", "Overview")
	b.shot("set-up")
	b.open("/ui/clients")
	b.contains("No clients yet")

	// The console works: a first client, and the user list shows the
	// super admin.
	b.click("a[data-open=create-client]")
	b.fill("#client-name", "Billing service")
	b.submit("#create-client button[type=submit]", "#main h1")
	b.contains("Billing service")
	b.open("/ui/users")
	b.contains("owner@acme.test", "Super admin")

	// The link is spent; the setup page now leads to sign-in (and,
	// signed in, on to the console).
	b.open(u.Path + "#" + u.Fragment)
	if loc := b.location(); !strings.HasSuffix(loc, "/ui/overview") { // a super admin lands on the overview
		t.Errorf("the used link went to %s, want the console", loc)
	}
	b.submit("form[action='/ui/logout'] button[type=submit]", "#email")
	b.open(u.Path)
	if loc := b.location(); !strings.HasSuffix(loc, "/ui/login") {
		t.Errorf("the setup page after setup went to %s, want /ui/login", loc)
	}
	b.login("owner@acme.test", "correct horse battery staple")
	b.contains("Acme Payments")

	srv.stop(t)
	onlyInSetupLine(t, srv.logs.String(), u.Fragment)
}
