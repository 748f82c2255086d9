package api_test

import (
	"net/http"
	"strings"
	"testing"

	"keywarden/internal/domain"
)

// TestEveryDescriptionIsValidated: each route that takes a secret's
// description checks it with the one validator of that field (required
// where it has no default, at most 200 characters, no control
// characters), and changes nothing when it refuses. Before, rotating a
// personal credential stored any description (issue 9).
func TestEveryDescriptionIsValidated(t *testing.T) {
	e := newEnv(t)
	c := e.createClient(t, "Billing")
	dev := e.user(t, e.boot.Org.ID, domain.RoleDeveloper)
	e.generate(t, dev.Token, nil)
	for _, route := range []struct {
		name, method, path string
		opts               []reqOpt
	}{
		{"create a secret", "POST", secretsPath(c.ClientID), nil},
		{"rotate a client's secrets", "POST", secretsPath(c.ClientID) + "/rotate", nil},
		{"create a personal credential", "POST", "/v1/me/credential", []reqOpt{as(dev.Token)}},
		{"rotate a personal credential", "POST", "/v1/me/credential/rotate", []reqOpt{as(dev.Token)}},
	} {
		for _, bad := range []struct{ name, description string }{
			{"too long", strings.Repeat("d", 201)},
			{"a control character", "line\x00break"},
			{"an escape sequence", "\x1b[31mred"},
		} {
			t.Run(route.name+"/"+bad.name, func(t *testing.T) {
				before := e.snapshot(t)
				p := wantProblem(t, e.do(t, route.method, route.path, map[string]any{"description": bad.description}, route.opts...), http.StatusUnprocessableEntity)
				if len(p.Errors) != 1 || p.Errors[0].Field != "description" {
					t.Errorf("errors = %+v, want one for description", p.Errors)
				}
				sameState(t, before, e.snapshot(t), 0)
			})
		}
	}
}
