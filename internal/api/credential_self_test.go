package api_test

import (
	"net/http"
	"strings"
	"testing"

	"keywarden/internal/domain"
)

// TestCredentialTokenCannotManageItsCredential: a personal credential's
// access token acts as its user on the API, but cannot rotate, revoke or
// replace the credential it came from, nor mint API tokens: a leaked
// credential must not lock its owner out (issue 9). The
// credential keeps working afterwards.
func TestCredentialTokenCannotManageItsCredential(t *testing.T) {
	e := newEnv(t)
	dev := e.user(t, e.boot.Org.ID, domain.RoleDeveloper)
	cred := e.generate(t, dev.Token, nil)
	tok := e.personalToken(t, cred.ClientID, cred.Secret)

	for _, c := range []struct {
		name, method, path string
		body               any
	}{
		{"rotate with no grace", "POST", "/v1/me/credential/rotate", map[string]any{"grace_seconds": 0}},
		{"revoke", "DELETE", "/v1/me/credential", nil},
		{"generate another", "POST", "/v1/me/credential", nil},
		{"read", "GET", "/v1/me/credential", nil},
		{"create an API token", "POST", "/v1/api-tokens", map[string]any{"name": "escape hatch"}},
		{"list API tokens", "GET", "/v1/api-tokens", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			head := auditHead(t, e)
			p := wantProblem(t, e.do(t, c.method, c.path, c.body, as(tok)), http.StatusForbidden)
			if !strings.Contains(p.Detail, "personal credential") {
				t.Errorf("detail %q does not say why", p.Detail)
			}
			if got := auditHead(t, e); got != head {
				t.Errorf("a refused request added %d audit events", got-head)
			}
		})
	}
	// The credential still authenticates: nothing was rotated away.
	e.personalToken(t, cred.ClientID, cred.Secret)
	// The user, through an API token, still manages it.
	want(t, e.do(t, "POST", "/v1/me/credential/rotate", map[string]any{"grace_seconds": 0}, as(dev.Token)), http.StatusCreated)
}
