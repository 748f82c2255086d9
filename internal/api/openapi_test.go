package api_test

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	kwapi "keywarden/api"
	"keywarden/internal/api"
	"keywarden/internal/authz"
	"keywarden/internal/domain"
	"keywarden/internal/oauth"
	"keywarden/internal/testkit"
	"keywarden/pkg/apiv1"
)

// operations returns the document's operations as "METHOD /path".
func operations(doc *openapi3.T) map[string]*openapi3.Operation {
	ops := map[string]*openapi3.Operation{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			ops[method+" "+path] = op
		}
	}
	return ops
}

// oauthOps returns the OAuth endpoints as "METHOD /path".
func oauthOps() map[string]bool {
	out := map[string]bool{}
	for _, p := range oauth.Paths() {
		out[p[0]+" "+p[1]] = true
	}
	return out
}

// routeByKey returns the admin API's routes by "METHOD /path".
func routeByKey() map[string]api.Route {
	out := map[string]api.Route{}
	for _, rt := range (&api.Handler{}).Routes() {
		out[rt.Method+" "+rt.Path] = rt
	}
	return out
}

// TestOpenAPIRoutesMatchDocument checks that the document and the server
// have the same operations (the admin API's and the OAuth endpoints), with
// the same permissions and security.
func TestOpenAPIRoutesMatchDocument(t *testing.T) {
	doc := mustSpec(t).doc
	ops := operations(doc)
	routes := (&api.Handler{}).Routes()

	served := map[string]bool{}
	var lines []string
	for _, rt := range routes {
		key := rt.Method + " " + rt.Path
		served[key] = true
		perm := string(rt.Permission)
		if perm == "" {
			perm = "public"
		}
		if rt.Unrestricted {
			perm += " unrestricted"
		}
		lines = append(lines, key+" "+perm)
	}
	for _, p := range oauth.Paths() {
		key := p[0] + " " + p[1]
		served[key] = true
		lines = append(lines, key+" oauth")
	}
	testkit.Golden(t, "routes", []byte(strings.Join(lines, "\n")+"\n"))

	t.Run("every OAuth endpoint is documented", func(t *testing.T) {
		for key := range oauthOps() {
			op, ok := ops[key]
			if !ok {
				t.Errorf("OAuth endpoint %s is not in api/openapi.yaml", key)
				continue
			}
			if _, ok := op.Extensions["x-keywarden-permission"]; ok {
				t.Errorf("%s: an OAuth endpoint needs no admin permission, but has x-keywarden-permission", key)
			}
			if op.Security == nil {
				t.Errorf("%s: an OAuth endpoint takes no admin token; it must say its own security", key)
				continue
			}
			anonymous := len(*op.Security) == 0
			for _, req := range *op.Security {
				anonymous = anonymous || len(req) == 0
				if _, bearer := req["bearerAuth"]; bearer {
					t.Errorf("%s: an OAuth endpoint does not take an admin bearer token", key)
				}
			}
			if !anonymous {
				t.Errorf("%s: the document must allow a request without HTTP authentication (client_secret_post, or public)", key)
			}
		}
	})

	t.Run("every admin route is documented", func(t *testing.T) {
		for _, rt := range routes {
			key := rt.Method + " " + rt.Path
			op, ok := ops[key]
			if !ok {
				t.Errorf("route %s is not in api/openapi.yaml", key)
				continue
			}
			perm, _ := op.Extensions["x-keywarden-permission"].(string)
			if perm != string(rt.Permission) {
				t.Errorf("%s: x-keywarden-permission = %q, the route needs %q", key, perm, rt.Permission)
			}
			public := rt.Permission == ""
			security := doc.Security
			if op.Security != nil {
				security = *op.Security
			}
			switch {
			case public && len(security) != 0:
				t.Errorf("%s is public, but the document asks for %v", key, security)
			case !public && len(security) == 0:
				t.Errorf("%s needs a token, but the document asks for none", key)
			}
		}
	})
	t.Run("every documented operation is a route", func(t *testing.T) {
		keys := make([]string, 0, len(ops))
		for key := range ops {
			keys = append(keys, key)
		}
		slices.Sort(keys)
		for _, key := range keys {
			if !served[key] {
				t.Errorf("api/openapi.yaml documents %s, which the server does not serve", key)
			}
		}
	})
}

// TestOpenAPIDocumentValidates loads and validates the document, and checks
// the conventions every operation follows: the statuses it must document,
// 403 exactly when some role lacks the permission, strict request bodies,
// problem bodies for errors.
func TestOpenAPIDocumentValidates(t *testing.T) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(kwapi.OpenAPI)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if err := doc.Validate(t.Context(), openapi3.EnableExamplesValidation(), openapi3.EnableMultiError()); err != nil {
		t.Fatalf("validate: %v", err)
	}
	if !doc.IsOpenAPI31OrLater() {
		t.Errorf("openapi = %q, want 3.1", doc.OpenAPI)
	}

	routes := routeByKey()
	oauthEndpoints := oauthOps()
	for key, op := range operations(doc) {
		t.Run(key, func(t *testing.T) {
			_, path, _ := strings.Cut(key, " ")
			if op.OperationID == "" || op.Summary == "" || len(op.Tags) == 0 {
				t.Errorf("operationId, summary and tags are required")
			}
			if oauthEndpoints[key] {
				checkOAuthOperation(t, key, op)
				return
			}
			private := op.Security == nil
			need := []int{http.StatusMethodNotAllowed}
			if private {
				need = append(need, http.StatusUnauthorized, http.StatusInternalServerError)
			}
			perm, _ := op.Extensions["x-keywarden-permission"].(string)
			someRoleLacks := false
			for _, role := range domain.Roles {
				someRoleLacks = someRoleLacks || private && !authz.Allowed(role, authz.Permission(perm))
			}
			// A restricted session (one-time password, MFA not yet
			// enrolled) gets 403 on every private route but its own
			// account's; a personal credential's token gets 403 on the
			// routes that manage the login.
			restrictable := private && !routes[key].Unrestricted
			viaCredential := private && authz.Permission(perm) == authz.Self
			switch {
			case someRoleLacks || restrictable || viaCredential:
				need = append(need, http.StatusForbidden)
			case op.Responses.Status(http.StatusForbidden) != nil:
				t.Errorf("403 is documented, but every role holds %q and a restricted session may use it", perm)
			}
			if strings.Contains(path, "{") {
				need = append(need, http.StatusNotFound)
			}
			if op.RequestBody != nil {
				need = append(need, http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType)
				body := op.RequestBody.Value.Content.Get("application/json")
				if body == nil || body.Schema == nil {
					t.Fatalf("request body without an application/json schema")
				}
				strict := body.Schema.Value
				if strict.Type.Is("array") && strict.Items != nil { // a list of objects (GitHub's leak report)
					strict = strict.Items.Value
				}
				if ap := strict.AdditionalProperties.Has; ap == nil || *ap {
					t.Errorf("request body schema (or its items) must have additionalProperties: false")
				}
			}
			for _, status := range need {
				if op.Responses.Status(status) == nil {
					t.Errorf("response %d is not documented", status)
				}
			}
			for code, ref := range op.Responses.Map() {
				if !strings.HasPrefix(code, "4") && !strings.HasPrefix(code, "5") || code == "503" {
					continue
				}
				if ref.Value.Content.Get("application/problem+json") == nil {
					t.Errorf("response %s is not application/problem+json", code)
				}
			}
		})
	}
}

// checkOAuthOperation checks the conventions of the OAuth endpoints: form
// bodies, RFC 6749 §5.2 JSON errors (not problems), 405 for other methods,
// and for the POST endpoints the statuses client authentication and the
// body limit produce.
func checkOAuthOperation(t *testing.T, key string, op *openapi3.Operation) {
	t.Helper()
	need := []int{http.StatusOK, http.StatusMethodNotAllowed}
	if strings.HasPrefix(key, "POST ") {
		need = append(need, http.StatusBadRequest, http.StatusUnauthorized, http.StatusRequestEntityTooLarge,
			http.StatusTooManyRequests, http.StatusInternalServerError)
		if op.RequestBody == nil || op.RequestBody.Value.Content.Get("application/x-www-form-urlencoded") == nil {
			t.Errorf("request body must be application/x-www-form-urlencoded")
		}
	}
	for _, status := range need {
		if op.Responses.Status(status) == nil {
			t.Errorf("response %d is not documented", status)
		}
	}
	for code, ref := range op.Responses.Map() {
		if !strings.HasPrefix(code, "4") && !strings.HasPrefix(code, "5") {
			continue
		}
		mt := ref.Value.Content.Get("application/json")
		if mt == nil || mt.Schema == nil {
			t.Errorf("response %s is not application/json", code)
			continue
		}
		if !refersTo(mt.Schema, "#/components/schemas/OAuthError") {
			t.Errorf("response %s is not an OAuthError (RFC 6749 §5.2)", code)
		}
	}
}

// refersTo reports whether s is, or is allOf, a reference to ref.
func refersTo(s *openapi3.SchemaRef, ref string) bool {
	if s.Ref == ref {
		return true
	}
	for _, sub := range s.Value.AllOf {
		if refersTo(sub, ref) {
			return true
		}
	}
	return false
}

// TestOpenAPIResponses drives a realistic session against the in-process
// server. The harness validates every response (status, headers, content
// type, body) and every accepted request against the document; at the end,
// every operation must have been seen answering with success.
func TestOpenAPIResponses(t *testing.T) {
	e := newEnv(t)

	step := func(name string, fn func(t *testing.T)) {
		if !t.Run(name, fn) {
			t.FailNow()
		}
	}
	var client apiv1.Client
	var generated, supplied, rotated apiv1.CreatedSecret
	var rotation apiv1.RotationStatus

	step("system", func(t *testing.T) {
		want(t, e.do(t, "GET", "/healthz", nil, noAuth()), http.StatusOK)
		want(t, e.do(t, "GET", "/readyz", nil, noAuth()), http.StatusOK)
		res := e.do(t, "GET", "/openapi.yaml", nil, noAuth())
		want(t, res, http.StatusOK)
		if !bytes.Equal(res.Body, kwapi.OpenAPI) {
			t.Errorf("/openapi.yaml does not serve api/openapi.yaml")
		}
		wantProblem(t, e.do(t, "POST", "/healthz", nil), http.StatusMethodNotAllowed)
	})
	step("clients", func(t *testing.T) {
		res := e.do(t, "POST", "/v1/clients", apiv1.CreateClient{
			Name: "Billing", Description: "Charges cards", Scopes: []string{"invoices:read", "payments:write"},
			TokenTTLSeconds: 3600, WebhookURL: "https://billing.example/hooks",
		})
		want(t, res, http.StatusCreated)
		client = decode[apiv1.Client](t, res)
		if loc := res.Header.Get("Location"); loc != clientPath(client.ClientID) {
			t.Errorf("Location = %q", loc)
		}
		e.createClient(t, "Reports")
		want(t, e.do(t, "GET", "/v1/clients", nil), http.StatusOK)
		want(t, e.do(t, "GET", "/v1/clients?limit=1", nil), http.StatusOK)
		want(t, e.do(t, "GET", clientPath(client.ClientID), nil), http.StatusOK)
		res = e.do(t, "PATCH", clientPath(client.ClientID), map[string]any{
			"description": "Charges cards nightly", "scopes": []string{"invoices:read"}, "disabled": true,
		})
		want(t, res, http.StatusOK)
		if c := decode[apiv1.Client](t, res); c.Status != "disabled" {
			t.Errorf("status = %q after disabled: true", c.Status)
		}
		want(t, e.do(t, "PATCH", clientPath(client.ClientID), map[string]any{"disabled": false, "webhook_url": ""}), http.StatusOK)
	})
	step("secrets", func(t *testing.T) {
		generated = e.createSecret(t, client.ClientID, apiv1.CreateSecret{Description: "Production"})
		supplied = e.createSecret(t, client.ClientID, apiv1.CreateSecret{
			Description: "Migrated", ExpiresAt: ptr(time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)),
			Value: ptr("correct-horse-battery-staple-42"),
		})
		want(t, e.do(t, "GET", secretsPath(client.ClientID), nil), http.StatusOK)
		want(t, e.do(t, "GET", secretPath(client.ClientID, generated.ID), nil), http.StatusOK)
		res := e.do(t, "POST", secretsPath(client.ClientID)+"/rotate", apiv1.Rotate{Description: "Q3", GraceSeconds: ptr(3600)})
		want(t, res, http.StatusCreated)
		rr := decode[apiv1.RotateResult](t, res)
		rotated, rotation = rr.CreatedSecret, rr.Rotation
		// One rotation at a time: the second names the open one.
		if p := wantProblem(t, e.do(t, "POST", secretsPath(client.ClientID)+"/rotate", map[string]any{
			"auto_complete": true, "quiet_seconds": 600, "keep_tokens": true,
		}), http.StatusConflict); !strings.Contains(p.Detail, rotation.ID) {
			t.Errorf("second rotation's problem %q does not name the open rotation %s", p.Detail, rotation.ID)
		}
		want(t, e.do(t, "PATCH", secretPath(client.ClientID, rotated.ID), map[string]any{
			"description": "Q3 rotation", "expires_at": time.Now().Add(30 * 24 * time.Hour).UTC().Format(time.RFC3339),
		}), http.StatusOK)
		want(t, e.do(t, "DELETE", secretPath(client.ClientID, supplied.ID)+"?tokens=keep", nil), http.StatusOK)
		want(t, e.do(t, "GET", secretsPath(client.ClientID), nil), http.StatusOK)
		cidr := e.createSecret(t, client.ClientID, apiv1.CreateSecret{Description: "office", AllowedCIDRs: []string{"203.0.113.7", "2001:db8::/32"}})
		want(t, e.do(t, "PATCH", secretPath(client.ClientID, cidr.ID), map[string]any{"allowed_cidrs": []string{}}), http.StatusOK)
		want(t, e.do(t, "DELETE", secretPath(client.ClientID, cidr.ID), nil), http.StatusOK)
	})
	step("rotations", func(t *testing.T) {
		want(t, e.do(t, "GET", clientPath(client.ClientID)+"/rotations", nil), http.StatusOK)
		rotPath := clientPath(client.ClientID) + "/rotations/" + rotation.ID
		want(t, e.do(t, "GET", rotPath, nil), http.StatusOK)
		wantProblem(t, e.do(t, "POST", rotPath+"/complete", nil), http.StatusConflict)
		want(t, e.do(t, "POST", rotPath+"/complete", apiv1.CompleteRotation{Force: true}), http.StatusOK)
		want(t, e.do(t, "GET", rotPath, nil), http.StatusOK)
		want(t, e.do(t, "POST", secretsPath(client.ClientID)+"/rotate", map[string]any{
			"auto_complete": true, "quiet_seconds": 600, "keep_tokens": true,
		}), http.StatusCreated)
	})
	step("tokens", func(t *testing.T) {
		want(t, e.do(t, "POST", clientPath(client.ClientID)+"/refresh-tokens", nil), http.StatusCreated)
		want(t, e.do(t, "POST", clientPath(client.ClientID)+"/refresh-tokens", map[string]any{}), http.StatusCreated)
		want(t, e.do(t, "GET", clientPath(client.ClientID)+"/refresh-tokens", nil), http.StatusOK)
		want(t, e.do(t, "GET", "/v1/keys", nil), http.StatusOK)
		want(t, e.do(t, "POST", "/v1/keys/rotate", apiv1.RotateKeys{DelaySeconds: ptr(0)}), http.StatusCreated)
		want(t, e.do(t, "POST", "/v1/keys/rotate", nil), http.StatusCreated)
		want(t, e.do(t, "GET", "/v1/keys", nil), http.StatusOK)
	})
	step("revoke all", func(t *testing.T) {
		want(t, e.do(t, "POST", clientPath(client.ClientID)+"/revoke-all", nil), http.StatusOK)
		want(t, e.do(t, "POST", clientPath(client.ClientID)+"/revoke-all", map[string]any{}), http.StatusOK)
		want(t, e.do(t, "GET", clientPath(client.ClientID)+"/refresh-tokens", nil), http.StatusOK)
		want(t, e.do(t, "GET", clientPath(client.ClientID)+"/rotations", nil), http.StatusOK)
	})
	step("client keys", func(t *testing.T) { clientKeySession(t, e, client.ClientID) })
	step("webhooks", func(t *testing.T) { webhookSession(t, e, client.ClientID) })
	step("organisation webhooks", func(t *testing.T) { orgWebhookSession(t, e) })
	step("policy", func(t *testing.T) {
		want(t, e.do(t, "GET", "/v1/policy", nil), http.StatusOK)
		want(t, e.do(t, "PATCH", "/v1/policy", map[string]any{
			"allow_never_expire": true, "max_secret_lifetime_days": map[string]int{"developer": 30},
		}), http.StatusOK)
		res := e.do(t, "POST", secretsPath(client.ClientID), apiv1.CreateSecret{Description: "Device", NeverExpires: true})
		want(t, res, http.StatusCreated)
		if s := decode[apiv1.CreatedSecret](t, res); s.ExpiresAt != nil {
			t.Errorf("never_expires secret has expires_at %v", s.ExpiresAt)
		}
	})
	step("users and account", func(t *testing.T) { accountSession(t, e) })
	step("api tokens", func(t *testing.T) { apiTokenSession(t, e) })
	step("audit streams", func(t *testing.T) { auditStreamSession(t, e) })
	step("identity providers", func(t *testing.T) { identityProviderSession(t, e) })
	step("oauth", func(t *testing.T) { oauthSession(t, e) })
	step("audit", func(t *testing.T) {
		want(t, e.do(t, "GET", "/v1/audit", nil), http.StatusOK)
		want(t, e.do(t, "GET", "/v1/overview", nil), http.StatusOK)
		res := e.do(t, "GET", "/v1/audit?limit=2", nil)
		want(t, res, http.StatusOK)
		page := decode[apiv1.AuditList](t, res)
		if page.NextCursor == "" {
			t.Fatalf("no next_cursor after 2 of many events")
		}
		want(t, e.do(t, "GET", "/v1/audit?limit=2&cursor="+page.NextCursor, nil), http.StatusOK)
		since := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
		until := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
		want(t, e.do(t, "GET", "/v1/audit?action=secret.&actor="+string(e.boot.User.ID)+"&since="+since+"&until="+until, nil), http.StatusOK)
		want(t, e.do(t, "GET", "/v1/audit?target="+string(client.ClientID)+"&action=client.update", nil), http.StatusOK)
		activitySession(t, e, client.ClientID)
	})
	step("errors", func(t *testing.T) {
		wantProblem(t, e.do(t, "POST", "/v1/clients", raw(`{"name":`)), http.StatusBadRequest)
		wantProblem(t, e.do(t, "GET", "/v1/clients", nil, noAuth()), http.StatusUnauthorized)
		wantProblem(t, e.do(t, "GET", "/v1/clients", nil, as("kwt_garbage")), http.StatusUnauthorized)
		_, member := e.userToken(t, e.boot.Org.ID, "member", nil, nil)
		wantProblem(t, e.do(t, "POST", "/v1/clients", apiv1.CreateClient{Name: "x"}, as(member)), http.StatusForbidden)
		wantProblem(t, e.do(t, "GET", "/v1/audit", nil, as(member)), http.StatusForbidden)
		wantProblem(t, e.do(t, "GET", clientPath("kwc_0000000000000000000000"), nil), http.StatusNotFound)
		wantProblem(t, e.do(t, "GET", secretPath(client.ClientID, "sec_nope"), nil), http.StatusNotFound)
		wantProblem(t, e.do(t, "PUT", "/v1/clients", nil), http.StatusMethodNotAllowed)
		wantProblem(t, e.do(t, "PATCH", secretPath(client.ClientID, generated.ID), map[string]string{"description": "x"}), http.StatusConflict)
		wantProblem(t, e.do(t, "POST", "/v1/clients", raw(strings.Repeat(" ", 100<<10))), http.StatusRequestEntityTooLarge)
		wantProblem(t, e.do(t, "POST", "/v1/clients", raw(`{"name":"x"}`), header("Content-Type", "text/plain")), http.StatusUnsupportedMediaType)
		p := wantProblem(t, e.do(t, "POST", "/v1/clients", apiv1.CreateClient{Name: " "}), http.StatusUnprocessableEntity)
		if len(p.Errors) == 0 || p.Errors[0].Field != "name" {
			t.Errorf("422 errors = %+v, want one for name", p.Errors)
		}
		wantProblem(t, e.do(t, "GET", "/v1/audit?since=yesterday", nil), http.StatusUnprocessableEntity)
		wantProblem(t, e.do(t, "DELETE", secretPath(client.ClientID, generated.ID)+"?tokens=maybe", nil), http.StatusUnprocessableEntity)
		wantProblem(t, e.do(t, "POST", "/v1/keys/rotate", map[string]int{"delay_seconds": -1}), http.StatusUnprocessableEntity)
		wantProblem(t, e.do(t, "GET", "/v1/nope", nil), http.StatusNotFound)
	})
	step("leaks", func(t *testing.T) {
		x := e.createSecret(t, client.ClientID, apiv1.CreateSecret{Description: "Leaks"})
		if labels := e.reportLeaks(t, []apiv1.LeakedValue{{Value: x.Value, SourceURL: "https://paste.example/1", Source: "paste"}}); labels[0] != "revoked" {
			t.Errorf("labels = %v", labels)
		}
		want(t, e.do(t, "GET", "/v1/leaks", nil), http.StatusOK)
		body := []byte(`[{"token":"` + x.Value + `","type":"keywarden_client_secret","url":"https://github.com/a/b","source":"content"}]`)
		want(t, e.do(t, "POST", "/v1/leaks/github", raw(body), append([]reqOpt{noAuth()}, e.github.sign(t, body)...)...), http.StatusOK)
		wantProblem(t, e.do(t, "POST", "/v1/leaks/github", raw(body), noAuth()), http.StatusUnauthorized)
	})
	step("delete", func(t *testing.T) {
		res := e.do(t, "DELETE", clientPath(client.ClientID), nil)
		want(t, res, http.StatusNoContent)
		wantProblem(t, e.do(t, "GET", clientPath(client.ClientID), nil), http.StatusNotFound)
	})

	t.Run("every operation answered with success", func(t *testing.T) {
		for key := range operations(e.spec.doc) {
			ok := false
			for status := range e.validated[key] {
				ok = ok || status < 300
			}
			if !ok {
				t.Errorf("%s: no successful response was validated (seen: %v)", key, e.validated[key])
			}
		}
	})
	t.Run("every documented status was validated", func(t *testing.T) {
		seen := map[int]bool{}
		for _, byStatus := range e.validated {
			for status := range byStatus {
				seen[status] = true
			}
		}
		for _, status := range []int{200, 201, 204, 304, 400, 401, 403, 404, 405, 409, 413, 415, 422, 429} {
			if !seen[status] {
				t.Errorf("no %d response was validated", status)
			}
		}
		if testing.Verbose() {
			t.Log(fmt.Sprint(e.validated))
		}
	})
}
