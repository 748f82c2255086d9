package api_test

import (
	"net/http"
	"strings"
	"testing"

	"keywarden/pkg/apiv1"
)

// TestRepeatedQueryParameter: a parameter given twice is a 400 that names
// it and changes nothing. Before, the first value won: ?tokens=keep&
// tokens=revoke kept the tokens of a secret revoked as leaked.
func TestRepeatedQueryParameter(t *testing.T) {
	e := newEnv(t)
	c := e.createClient(t, "Billing")
	x := e.createSecret(t, c.ClientID, apiv1.CreateSecret{Description: "leaked"})
	for _, tc := range []struct{ method, path, param string }{
		{"DELETE", secretPath(c.ClientID, x.ID) + "?tokens=keep&tokens=revoke", "tokens"},
		{"DELETE", secretPath(c.ClientID, x.ID) + "?tokens=keep&tokens=keep", "tokens"},
		{"GET", "/v1/clients?limit=1&limit=200", "limit"},
		{"GET", "/v1/clients?cursor=a&limit=5&cursor=b", "cursor"},
		{"GET", "/v1/audit?action=secret.revoke&action=client.create", "action"},
		{"GET", "/v1/audit?since=2026-01-01T00:00:00Z&since=2027-01-01T00:00:00Z", "since"},
		{"GET", clientPath(c.ClientID) + "/webhook/deliveries?status=failed&status=delivered", "status"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			before := e.snapshot(t)
			p := wantProblem(t, e.do(t, tc.method, tc.path, nil), http.StatusBadRequest)
			if !strings.Contains(p.Detail, `"`+tc.param+`" is repeated`) {
				t.Errorf("detail %q does not name %s", p.Detail, tc.param)
			}
			sameState(t, before, e.snapshot(t), 0)
		})
	}
	if got := e.listSecrets(t, c.ClientID)[0]; got.Status != "active" {
		t.Fatalf("the secret is %s after refused revocations", got.Status)
	}
	want(t, e.do(t, "DELETE", secretPath(c.ClientID, x.ID)+"?tokens=keep", nil), http.StatusOK)
}

// TestMalformedQuery: what url.Values used to drop without a word (bad
// percent-encoding) and what is not text are refused, not ignored.
func TestMalformedQuery(t *testing.T) {
	e := newEnv(t)
	c := e.createClient(t, "Billing")
	for _, path := range []string{
		"/v1/clients?limit=%zz",
		"/v1/clients?cursor=abc%",
		"/v1/audit?action=%ff",
		"/v1/audit?actor=a%00b",
		"/v1/audit?target=%ed%a0%80",
		clientPath(c.ClientID) + "/webhook/deliveries?status=%0a",
	} {
		t.Run(path, func(t *testing.T) {
			before := e.snapshot(t)
			wantProblem(t, e.do(t, "GET", path, nil), http.StatusBadRequest)
			sameState(t, before, e.snapshot(t), 0)
		})
	}
}

// TestAuditTimesAreRFC3339: since and until are RFC 3339 as in bodies;
// time.Parse(time.RFC3339) also took a one-digit hour (found by fuzzing).
func TestAuditTimesAreRFC3339(t *testing.T) {
	e := newEnv(t)
	for q, status := range map[string]int{
		"since=2026-01-01T00:00:00Z":        http.StatusOK,
		"until=2026-01-01T00:00:00.5+02:00": http.StatusOK,
		"since=0000-01-01T0:00:00Z":         http.StatusUnprocessableEntity,
		"until=2026-01-01T00:00:00":         http.StatusUnprocessableEntity,
		"since=2026-1-01T00:00:00Z":         http.StatusUnprocessableEntity,
	} {
		if res := e.do(t, "GET", "/v1/audit?"+strings.ReplaceAll(q, "+", "%2B"), nil); res.Status != status {
			t.Errorf("GET /v1/audit?%s = %s, want %d", q, res, status)
		}
	}
}

// TestBodyTextMustBeUnicode: invalid UTF-8 and unpaired surrogate escapes
// inside JSON strings are refused with a 400 that names the field, and
// nothing is stored. Before, encoding/json stored them as U+FFFD.
func TestBodyTextMustBeUnicode(t *testing.T) {
	e := newEnv(t)
	c := e.createClient(t, "Billing")
	for _, tc := range []struct {
		name, method, path, body, field string
	}{
		{"invalid UTF-8 in a name", "POST", "/v1/clients", "{\"name\":\"Bill\xffing\"}", "name"},
		{"lone surrogate in a name", "POST", "/v1/clients", `{"name":"Bill\ud800ing"}`, "name"},
		{"lone low surrogate in a description", "PATCH", clientPath(c.ClientID), `{"description":"\udc00"}`, "description"},
		{"lone surrogate in a scope", "PATCH", clientPath(c.ClientID), `{"scopes":["read","\ud800"]}`, "scopes[1]"},
		{"invalid UTF-8 in a secret description", "POST", secretsPath(c.ClientID), "{\"description\":\"\xc3\"}", "description"},
		{"lone surrogate in a password", "POST", "/v1/sessions", `{"email":"a@acme.test","password":"correct horse \ud800 battery"}`, "password"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.snapshot(t)
			p := wantProblem(t, e.do(t, tc.method, tc.path, raw(tc.body)), http.StatusBadRequest)
			if !strings.Contains(p.Detail, `field "`+tc.field+`"`) {
				t.Errorf("detail %q does not name %s", p.Detail, tc.field)
			}
			sameState(t, before, e.snapshot(t), 0)
		})
	}
	// A surrogate pair is text: it is stored as the character it encodes.
	res := e.do(t, "POST", "/v1/clients", raw(`{"name":"Billing \ud83d\ude00"}`))
	want(t, res, http.StatusCreated)
	if got := decode[apiv1.Client](t, res).Name; got != "Billing 😀" {
		t.Errorf("name = %q", got)
	}
}
