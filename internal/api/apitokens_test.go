package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"keywarden/internal/domain"
	"keywarden/pkg/apiv1"
)

// apiTokenSession calls every API token route, as TestOpenAPIResponses
// needs: successes and the documented refusals.
func apiTokenSession(t *testing.T, e *env) {
	res := e.do(t, "POST", "/v1/api-tokens", apiv1.CreateAPIToken{Name: "terraform"})
	want(t, res, http.StatusCreated)
	created := decode[apiv1.CreatedAPIToken](t, res)
	if loc := res.Header.Get("Location"); loc != "/v1/api-tokens/"+created.APIToken.ID {
		t.Errorf("Location = %q", loc)
	}
	want(t, e.do(t, "GET", "/v1/api-tokens", nil), http.StatusOK)
	want(t, e.do(t, "GET", "/v1/api-tokens/"+created.APIToken.ID, nil), http.StatusOK)
	want(t, e.do(t, "GET", "/v1/api-tokens/current", nil, as(created.Token)), http.StatusOK)
	res = e.do(t, "POST", "/v1/api-tokens/"+created.APIToken.ID+"/rotate", apiv1.RotateAPIToken{OverlapSeconds: ptr(60)})
	want(t, res, http.StatusCreated)
	rotated := decode[apiv1.CreatedAPIToken](t, res)
	wantProblem(t, e.do(t, "POST", "/v1/api-tokens/"+created.APIToken.ID+"/rotate", nil), http.StatusConflict)
	want(t, e.do(t, "POST", "/v1/api-tokens/current/rotate", nil, as(rotated.Token)), http.StatusCreated)
	want(t, e.do(t, "DELETE", "/v1/api-tokens/"+created.APIToken.ID, nil), http.StatusNoContent)
	wantProblem(t, e.do(t, "GET", "/v1/api-tokens/tok_0000000000000000000000", nil), http.StatusNotFound)
	wantProblem(t, e.do(t, "DELETE", "/v1/api-tokens/nope", nil), http.StatusNotFound)
	wantProblem(t, e.do(t, "POST", "/v1/api-tokens", apiv1.CreateAPIToken{Name: ""}), http.StatusUnprocessableEntity)
	wantProblem(t, e.do(t, "POST", "/v1/api-tokens/"+rotated.APIToken.ID+"/rotate", map[string]int{"overlap_seconds": 86401}), http.StatusUnprocessableEntity)

	// A super admin's view of another user's tokens.
	dev := e.user(t, e.boot.Org.ID, domain.RoleDeveloper)
	res = e.do(t, "POST", "/v1/api-tokens", apiv1.CreateAPIToken{Name: "laptop"}, as(dev.Token))
	want(t, res, http.StatusCreated)
	laptop := decode[apiv1.CreatedAPIToken](t, res)
	res = e.do(t, "GET", "/v1/users/"+dev.ID()+"/api-tokens", nil)
	want(t, res, http.StatusOK)
	if l := decode[apiv1.APITokenList](t, res).Items; len(l) != 2 || l[0].ID != laptop.APIToken.ID {
		t.Errorf("the developer's tokens = %+v", l)
	}
	wantProblem(t, e.do(t, "GET", "/v1/users/usr_0000000000000000000000/api-tokens", nil), http.StatusNotFound)
	wantProblem(t, e.do(t, "DELETE", "/v1/users/"+dev.ID()+"/api-tokens/"+rotated.APIToken.ID, nil), http.StatusNotFound) // not theirs
	want(t, e.do(t, "DELETE", "/v1/users/"+dev.ID()+"/api-tokens/"+laptop.APIToken.ID, nil), http.StatusNoContent)
	wantProblem(t, e.do(t, "GET", "/v1/me", nil, as(laptop.Token)), http.StatusUnauthorized)
}

// TestAPITokens: a token made through the API works at once, shows its
// value once, is listed (current and bootstrap marked), and stops working
// at once when revoked or rotated without overlap.
func TestAPITokens(t *testing.T) {
	e := newEnv(t)
	res := e.do(t, "POST", "/v1/api-tokens", apiv1.CreateAPIToken{Name: "ci", ExpiresAt: ptr(time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second))})
	want(t, res, http.StatusCreated)
	n := decode[apiv1.CreatedAPIToken](t, res)
	if !strings.HasPrefix(n.Token, "kwt_") || n.APIToken.Hint != n.Token[len(n.Token)-4:] || n.APIToken.Status != "active" {
		t.Fatalf("created %+v", n)
	}
	res = e.do(t, "GET", "/v1/api-tokens", nil, as(n.Token))
	want(t, res, http.StatusOK)
	if strings.Contains(string(res.Body), n.Token) {
		t.Error("the list shows a token's value")
	}
	list := decode[apiv1.APITokenList](t, res).Items
	if len(list) != 2 || list[0].ID != n.APIToken.ID || !list[0].Current || list[1].Current || !list[1].Bootstrap || list[1].ExpiresAt == nil {
		t.Fatalf("list = %+v; want the new token (current), then the bootstrap token with an expiry", list)
	}
	// Rotating the token of the request, without overlap: the answer's
	// token works, the old one is refused at once.
	res = e.do(t, "POST", "/v1/api-tokens/current/rotate", nil, as(n.Token))
	want(t, res, http.StatusCreated)
	next := decode[apiv1.CreatedAPIToken](t, res)
	wantProblem(t, e.do(t, "GET", "/v1/me", nil, as(n.Token)), http.StatusUnauthorized)
	want(t, e.do(t, "GET", "/v1/me", nil, as(next.Token)), http.StatusOK)
	old := decode[apiv1.APIToken](t, e.do(t, "GET", "/v1/api-tokens/"+n.APIToken.ID, nil))
	if old.Status != "revoked" || old.ReplacedBy != next.APIToken.ID {
		t.Errorf("rotated token %+v: want revoked, replaced by %s", old, next.APIToken.ID)
	}
	// current needs a request that came through an API token.
	dev := e.user(t, e.boot.Org.ID, domain.RoleDeveloper)
	_, session := e.sessionFor(t, dev.User)
	wantProblem(t, e.do(t, "GET", "/v1/api-tokens/current", nil, as(session)), http.StatusUnprocessableEntity)
	// Another user's token is not found, and stays working.
	wantProblem(t, e.do(t, "DELETE", "/v1/api-tokens/"+next.APIToken.ID, nil, as(dev.Token)), http.StatusNotFound)
	want(t, e.do(t, "GET", "/v1/me", nil, as(next.Token)), http.StatusOK)
	// Revoked: refused on the next request.
	want(t, e.do(t, "DELETE", "/v1/api-tokens/"+next.APIToken.ID, nil), http.StatusNoContent)
	wantProblem(t, e.do(t, "GET", "/v1/me", nil, as(next.Token)), http.StatusUnauthorized)
	want(t, e.do(t, "DELETE", "/v1/api-tokens/"+next.APIToken.ID, nil), http.StatusNoContent)
}
