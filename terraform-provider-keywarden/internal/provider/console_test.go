package provider_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"testing"

	"keywarden/pkg/apiv1"
	"keywarden/pkg/keywarden"
)

// consoleUser signs in to the web console as the super admin, the way the
// console's own login does (POST /v1/sessions sets the session cookie the
// console reads), after replacing the one-time password.
func (a *acc) consoleUser(t *testing.T) *http.Client {
	t.Helper()
	ctx := t.Context()
	first, err := keywarden.New(a.srv.URL, "", nil).Login(ctx, apiv1.Login{Email: "ops@acme.example", Password: a.srv.Password})
	if err != nil {
		t.Fatal(err)
	}
	a.leaks.add("the super admin's one-time password", a.srv.Password)
	a.leaks.add("a session token", first.Token)
	password := "console-password-" + first.Session.ID
	a.leaks.add("the super admin's password", password)
	if err := keywarden.New(a.srv.URL, first.Token, nil).ChangePassword(ctx, apiv1.ChangePassword{CurrentPassword: a.srv.Password, NewPassword: password}); err != nil {
		t.Fatal(err)
	}
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	browser := &http.Client{Jar: jar}
	body, _ := json.Marshal(apiv1.Login{Email: "ops@acme.example", Password: password})
	resp, err := browser.Post(a.srv.URL+"/v1/sessions", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var sess apiv1.NewSession
	json.NewDecoder(resp.Body).Decode(&sess)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		t.Fatalf("log in: %s", resp.Status)
	}
	a.leaks.add("a session token", sess.Token)
	return browser
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// consoleDisableClient presses the console's Disable button of a client:
// it loads the client's page for the form's CSRF token and posts the form.
func (a *acc) consoleDisableClient(t *testing.T, clientID string) {
	t.Helper()
	browser := a.consoleUser(t)
	page := a.srv.URL + "/ui/clients/" + clientID
	resp, err := browser.Get(page)
	if err != nil {
		t.Fatal(err)
	}
	html, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfField.FindSubmatch(html)
	if resp.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("the client's console page: %s, CSRF token found: %t", resp.Status, m != nil)
	}
	resp, err = browser.PostForm(page+"/status", url.Values{"csrf": {string(m[1])}, "disabled": {"1"}})
	if err != nil {
		t.Fatal(err)
	}
	html, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !bytes.Contains(html, []byte("is disabled")) {
		t.Fatalf("the console's Disable: %s", resp.Status)
	}
	c, err := a.kw.GetClient(t.Context(), clientID)
	if err != nil || c.Status != "disabled" {
		t.Fatal(fmt.Errorf("after the console's Disable the client is %q (%v)", c.Status, err))
	}
}
