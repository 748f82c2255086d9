package api_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"keywarden/internal/account"
	"keywarden/internal/api"
	"keywarden/internal/auditstream"
	"keywarden/internal/authz"
	"keywarden/internal/domain"
	"keywarden/internal/federation"
	"keywarden/pkg/apiv1"
)

// Roles as the permission table of docs/permissions.md lists them.
var (
	everyone   = []domain.Role{domain.RoleSuperAdmin, domain.RoleAdmin, domain.RoleDeveloper, domain.RoleMember}
	writers    = []domain.Role{domain.RoleSuperAdmin, domain.RoleAdmin, domain.RoleDeveloper}
	admins     = []domain.Role{domain.RoleSuperAdmin, domain.RoleAdmin}
	superAdmin = []domain.Role{domain.RoleSuperAdmin}
)

// permCaller is one way of calling the API.
type permCaller struct {
	name string
	// who is the user the caller acts as (nil: no or garbage credentials).
	who  *person
	role domain.Role
	// foreign callers belong to another organisation than every object
	// the requests name.
	foreign bool
	// restricted callers come through a session of a user who must still
	// change their one-time password.
	restricted bool
	// viaCredential callers send an access token of their user's personal
	// credential.
	viaCredential bool
	// bearer returns the token to send for one request ("": none).
	bearer func(t *testing.T) string
}

// permRoute is what the test knows of one route: the permission it needs
// and the roles holding it (written out, not read from internal/authz, so
// that a wrong entry in the table fails the test), and how to build a
// request that succeeds for a caller allowed to make it.
type permRoute struct {
	perm    string        // the route's permission; "" for public routes
	roles   []domain.Role // the roles that hold perm
	self    bool          // open to a restricted session
	objects bool          // the path names objects of the first organisation
	success int
	// viaCredential, when set, is the status for a personal credential's
	// token that its role would allow.
	viaCredential int
	// sign, when set, gives headers for the body prepare returned (a raw
	// body): GitHub's signature of a leak report.
	sign func(t *testing.T, body []byte) []reqOpt
	// prepare returns the path and body of a request that succeeds for
	// an allowed caller (the objects it names are made for this request
	// when the request would change them), and optionally a function
	// that records the effect of the response.
	prepare func(t *testing.T, c *permCaller) (path string, body any, after func(response))
}

// loginOnly are the permissions a personal credential's token does not
// hold, whatever its user's role (written out, like the roles).
var loginOnly = map[string]bool{"account:self": true, "credentials:own": true, "api_tokens:own": true}

// want is the exact status for c.
func (r permRoute) want(c *permCaller) int {
	switch {
	case r.perm == "":
		return r.success
	case c.who == nil:
		return http.StatusUnauthorized
	case c.foreign && r.objects:
		return http.StatusNotFound
	case c.foreign:
		return r.success // a super admin in their own organisation
	case c.restricted && !r.self:
		return http.StatusForbidden
	case !slices.Contains(r.roles, c.role):
		return http.StatusForbidden
	case c.viaCredential && loginOnly[r.perm]:
		return http.StatusForbidden // a leaked credential cannot take the account or itself over
	case c.viaCredential && r.viaCredential != 0:
		return r.viaCredential
	}
	return r.success
}

// TestPermissions calls every route of the admin API as every role (with
// an API token each), with no credentials, with a garbage token, with a
// restricted session, with a personal credential's access token and with
// another organisation's super admin, and checks the exact status of each
// answer. Refused requests change nothing (nothing is audited).
func TestPermissions(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	org := e.boot.Org.ID

	// Callers.
	users := map[domain.Role]*person{}
	for _, role := range everyone {
		users[role] = e.user(t, org, role)
	}
	restricted := e.invite(t, org, domain.RoleMember) // keeps the one-time password
	restrictedUser, err := e.core.Store.GetUser(ctx, org, restricted.User.ID)
	if err != nil {
		t.Fatal(err)
	}
	tokenUser := e.user(t, org, domain.RoleDeveloper) // acts through a personal credential
	globex := e.newOrg(t, "Globex", "root@globex.test")
	foreign := &person{User: globex.User, Password: globex.Password.Reveal(), Token: globex.APIToken.Reveal()}
	fixed := func(tok string) func(*testing.T) string { return func(*testing.T) string { return tok } }
	callers := []*permCaller{
		{name: "super_admin", who: users[domain.RoleSuperAdmin], role: domain.RoleSuperAdmin, bearer: fixed(users[domain.RoleSuperAdmin].Token)},
		{name: "admin", who: users[domain.RoleAdmin], role: domain.RoleAdmin, bearer: fixed(users[domain.RoleAdmin].Token)},
		{name: "developer", who: users[domain.RoleDeveloper], role: domain.RoleDeveloper, bearer: fixed(users[domain.RoleDeveloper].Token)},
		{name: "member", who: users[domain.RoleMember], role: domain.RoleMember, bearer: fixed(users[domain.RoleMember].Token)},
		{name: "no credentials", bearer: fixed("")},
		{name: "garbage token", bearer: fixed("kwt_garbage")},
		{name: "restricted session", who: restricted, role: domain.RoleMember, restricted: true, bearer: func(t *testing.T) string {
			// Each request gets a fresh session of a user who still has
			// the one-time password (a request may have changed it).
			u, err := e.core.Store.UpdateUser(t.Context(), org, restricted.User.ID, func(u *domain.User) error {
				u.PasswordHash, u.MustChangePassword = restrictedUser.PasswordHash, true
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			_, tok := e.sessionFor(t, u)
			return tok
		}},
		{name: "developer's personal credential", who: tokenUser, role: domain.RoleDeveloper, viaCredential: true, bearer: func(t *testing.T) string {
			// Each request gets a token of a fresh credential (a request
			// may have revoked or rotated it).
			want(t, e.do(t, "DELETE", "/v1/me/credential", nil, as(tokenUser.Token)), http.StatusNoContent)
			cred := e.generate(t, tokenUser.Token, nil)
			return e.personalToken(t, cred.ClientID, cred.Secret)
		}},
		{name: "other organisation's super admin", who: foreign, role: domain.RoleSuperAdmin, foreign: true, bearer: fixed(foreign.Token)},
	}

	// Objects of the first organisation.
	shared := e.createClient(t, "Shared")
	sharedSecret := e.createSecret(t, shared.ClientID, apiv1.CreateSecret{Description: "shared"}).ID
	res := e.do(t, "POST", secretsPath(shared.ClientID)+"/rotate", nil)
	want(t, res, http.StatusCreated)
	sharedRotation := decode[apiv1.RotateResult](t, res).Rotation.ID
	hooked := e.do(t, "POST", "/v1/clients", apiv1.CreateClient{Name: "Hooked", WebhookURL: "https://hooks.example.test/keywarden"})
	want(t, hooked, http.StatusCreated)
	hookClient := decode[apiv1.Client](t, hooked).ClientID
	e.createSecret(t, hookClient, apiv1.CreateSecret{Description: "hooked"})
	res = e.do(t, "GET", clientPath(hookClient)+"/webhook/deliveries", nil)
	want(t, res, http.StatusOK)
	var deliveries struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	if err := json.Unmarshal(res.Body, &deliveries); err != nil {
		t.Fatal(err)
	}
	if len(deliveries.Items) == 0 {
		t.Fatalf("no webhook delivery after a secret of a client with a webhook URL: %s", res)
	}
	delivery := deliveries.Items[0].ID

	// An organisation endpoint with a delivery.
	res = e.do(t, "POST", "/v1/webhook-endpoints", apiv1.CreateOrgWebhookEndpoint{URL: "https://hooks.example.test/org"})
	want(t, res, http.StatusCreated)
	orgHook := "/v1/webhook-endpoints/" + decode[apiv1.CreatedOrgWebhookEndpoint](t, res).ID
	orgHookDelivery := func(t *testing.T) string {
		c := e.createClient(t, "For the organisation endpoint")
		e.createSecret(t, c.ClientID, apiv1.CreateSecret{Description: "hooked"})
		res := e.do(t, "GET", orgHook+"/deliveries", nil)
		want(t, res, http.StatusOK)
		return orgHook + "/deliveries/" + decode[apiv1.WebhookDeliveryList](t, res).Items[0].ID
	}
	orgDelivery := orgHookDelivery(t)
	var doomed string // the endpoint the DELETE case deletes, made again once deleted

	subject := e.user(t, org, domain.RoleMember) // the target of the user routes
	res = e.do(t, "POST", "/v1/me/credential", nil, as(subject.Token))
	want(t, res, http.StatusCreated)
	loginUser := e.user(t, org, domain.RoleDeveloper) // logs in on the public routes
	res = e.do(t, "POST", "/v1/me/credential", nil, as(loginUser.Token))
	want(t, res, http.StatusCreated)
	loginSecret := decode[apiv1.CreatedPersonalCredential](t, res).Secret
	sa := as(e.token)
	superActor := domain.UserActor(org, e.boot.User.ID, domain.RoleSuperAdmin, "")
	newProvider := func(t *testing.T) string {
		p, err := e.core.Federation.CreateProvider(t.Context(), superActor, federation.ProviderInput{
			Name: domain.NewID("p"), Issuer: "https://sso.example.test", ClientID: "kw"})
		if err != nil {
			t.Fatalf("CreateProvider: %v", err)
		}
		return "/v1/identity-providers/" + string(p.ID)
	}
	sharedProvider := newProvider(t)
	cliCode := cliSignIn(t, e)
	newStream := func(t *testing.T) string {
		as, err := e.core.AuditStreams.CreateStream(t.Context(), superActor, auditstream.NewStream{
			Name: strings.ToLower(domain.NewID("p")), URL: "https://siem.example.test/audit"})
		if err != nil {
			t.Fatalf("CreateStream: %v", err)
		}
		return "/v1/audit/streams/" + as.ID
	}
	sharedStream := newStream(t)

	freshClient := func(t *testing.T) (client, secret string) {
		c := e.createClient(t, "Fresh")
		return c.ClientID, e.createSecret(t, c.ClientID, apiv1.CreateSecret{Description: "fresh"}, sa).ID
	}
	// A key of the shared client, and fresh clients with a key.
	sharedPub, _ := testJWK(t, "shared")
	res = e.do(t, "POST", keysPath(shared.ClientID), apiv1.CreateClientKey{JWK: sharedPub}, sa)
	want(t, res, http.StatusCreated)
	sharedKey := decode[apiv1.ClientKey](t, res).ID
	freshKey := func(t *testing.T) (client, key string) {
		c := e.createClient(t, "Fresh key")
		pub, _ := testJWK(t, "fresh")
		res := e.do(t, "POST", keysPath(c.ClientID), apiv1.CreateClientKey{JWK: pub}, sa)
		want(t, res, http.StatusCreated)
		return c.ClientID, decode[apiv1.ClientKey](t, res).ID
	}
	freshUser := func(t *testing.T) string {
		u := domain.User{ID: domain.NewUserID(), OrgID: org, Email: strings.ToLower(domain.NewID("d")) + "@example.test",
			Role: domain.RoleMember, PasswordHash: restrictedUser.PasswordHash, CreatedAt: restrictedUser.CreatedAt}
		if err := e.core.Store.CreateUser(t.Context(), u); err != nil {
			t.Fatal(err)
		}
		return string(u.ID)
	}
	// actor is whose account a self route works on: the caller's, or the
	// login user's when the caller has none.
	actor := func(c *permCaller) *person {
		if c.who == nil {
			return loginUser
		}
		return c.who
	}
	me := func(t *testing.T, p *person) apiv1.Me {
		res := e.do(t, "GET", "/v1/me", nil, as(p.Token))
		want(t, res, http.StatusOK)
		return decode[apiv1.Me](t, res)
	}
	setMFA := func(t *testing.T, p *person, on bool) {
		switch enabled := me(t, p).MFAEnabled; {
		case on && !enabled:
			e.enrolMFA(t, p)
		case !on && enabled:
			want(t, e.do(t, "POST", "/v1/me/mfa/disable", apiv1.MFACode{Code: p.code(t)}, as(p.Token)), http.StatusNoContent)
			p.MFASecret = ""
		}
	}
	activeCredential := func(t *testing.T, p *person) bool {
		res := e.do(t, "GET", "/v1/me/credential", nil, as(p.Token))
		if res.Status == http.StatusNotFound {
			return false
		}
		want(t, res, http.StatusOK)
		return decode[apiv1.PersonalCredential](t, res).Active != nil
	}
	static := func(path string, body any) func(*testing.T, *permCaller) (string, any, func(response)) {
		return func(*testing.T, *permCaller) (string, any, func(response)) { return path, body, nil }
	}
	// apiToken makes a fresh API token of the caller (of the first
	// organisation's loginUser for a foreign caller, whose request must
	// not find it) and returns its path with suffix.
	apiToken := func(suffix string, body any) func(*testing.T, *permCaller) (string, any, func(response)) {
		return func(t *testing.T, c *permCaller) (string, any, func(response)) {
			p := actor(c)
			if c.foreign {
				p = loginUser
			}
			n, err := e.core.Accounts.CreateAPIToken(t.Context(), domain.UserActor(p.User.OrgID, p.User.ID, p.User.Role, ""),
				account.APITokenInput{Name: "permissions"})
			if err != nil {
				t.Fatalf("CreateAPIToken: %v", err)
			}
			return "/v1/api-tokens/" + string(n.Token.ID) + suffix, body, nil
		}
	}

	table := map[string]permRoute{
		"GET /healthz":                     {success: 200, prepare: static("/healthz", nil)},
		"GET /readyz":                      {success: 200, prepare: static("/readyz", nil)},
		"GET /openapi.yaml":                {success: 200, prepare: static("/openapi.yaml", nil)},
		"GET /v1/webhook-keys/{client_id}": {success: 200, prepare: static("/v1/webhook-keys/"+hookClient, nil)},

		"POST /v1/clients":                     {perm: "clients:write", roles: writers, success: 201, prepare: static("/v1/clients", apiv1.CreateClient{Name: "New"})},
		"GET /v1/clients":                      {perm: "clients:read", roles: everyone, success: 200, prepare: static("/v1/clients", nil)},
		"GET /v1/clients/{client_id}":          {perm: "clients:read", roles: everyone, objects: true, success: 200, prepare: static(clientPath(shared.ClientID), nil)},
		"GET /v1/clients/{client_id}/activity": {perm: "clients:read", roles: everyone, objects: true, success: 200, prepare: static(clientPath(shared.ClientID)+"/activity", nil)},
		"PATCH /v1/clients/{client_id}":        {perm: "clients:write", roles: writers, objects: true, success: 200, prepare: static(clientPath(shared.ClientID), map[string]any{"description": "edited"})},
		"DELETE /v1/clients/{client_id}": {perm: "clients:write", roles: writers, objects: true, success: 204, prepare: func(t *testing.T, _ *permCaller) (string, any, func(response)) {
			c, _ := freshClient(t)
			return clientPath(c), nil, nil
		}},
		"POST /v1/clients/{client_id}/revoke-all": {perm: "secrets:write", roles: writers, objects: true, success: 200, prepare: func(t *testing.T, _ *permCaller) (string, any, func(response)) {
			c, _ := freshClient(t)
			return clientPath(c) + "/revoke-all", nil, nil
		}},
		"POST /v1/clients/{client_id}/secrets": {perm: "secrets:write", roles: writers, objects: true, success: 201, prepare: func(t *testing.T, _ *permCaller) (string, any, func(response)) {
			c, _ := freshClient(t)
			return secretsPath(c), apiv1.CreateSecret{Description: "new"}, nil
		}},
		"GET /v1/clients/{client_id}/secrets": {perm: "secrets:read", roles: everyone, objects: true, success: 200, prepare: static(secretsPath(shared.ClientID), nil)},
		"POST /v1/clients/{client_id}/secrets/rotate": {perm: "secrets:write", roles: writers, objects: true, success: 201, prepare: func(t *testing.T, _ *permCaller) (string, any, func(response)) {
			c, _ := freshClient(t)
			return secretsPath(c) + "/rotate", nil, nil
		}},
		"GET /v1/clients/{client_id}/secrets/{id}":   {perm: "secrets:read", roles: everyone, objects: true, success: 200, prepare: static(secretPath(shared.ClientID, sharedSecret), nil)},
		"PATCH /v1/clients/{client_id}/secrets/{id}": {perm: "secrets:write", roles: writers, objects: true, success: 200, prepare: static(secretPath(shared.ClientID, sharedSecret), map[string]any{"description": "edited"})},
		"DELETE /v1/clients/{client_id}/secrets/{id}": {perm: "secrets:write", roles: writers, objects: true, success: 200, prepare: func(t *testing.T, _ *permCaller) (string, any, func(response)) {
			c, x := freshClient(t)
			return secretPath(c, x), nil, nil
		}},
		"POST /v1/clients/{client_id}/keys": {perm: "secrets:write", roles: writers, objects: true, success: 201, prepare: func(t *testing.T, _ *permCaller) (string, any, func(response)) {
			c, _ := freshClient(t)
			pub, _ := testJWK(t, "new")
			return keysPath(c), apiv1.CreateClientKey{JWK: pub}, nil
		}},
		"GET /v1/clients/{client_id}/keys":        {perm: "secrets:read", roles: everyone, objects: true, success: 200, prepare: static(keysPath(shared.ClientID), nil)},
		"GET /v1/clients/{client_id}/keys/{id}":   {perm: "secrets:read", roles: everyone, objects: true, success: 200, prepare: static(keyPath(shared.ClientID, sharedKey), nil)},
		"PATCH /v1/clients/{client_id}/keys/{id}": {perm: "secrets:write", roles: writers, objects: true, success: 200, prepare: static(keyPath(shared.ClientID, sharedKey), map[string]any{"description": "edited"})},
		"DELETE /v1/clients/{client_id}/keys/{id}": {perm: "secrets:write", roles: writers, objects: true, success: 200, prepare: func(t *testing.T, _ *permCaller) (string, any, func(response)) {
			c, k := freshKey(t)
			return keyPath(c, k), nil, nil
		}},
		"GET /v1/clients/{client_id}/rotations":      {perm: "secrets:read", roles: everyone, objects: true, success: 200, prepare: static(clientPath(shared.ClientID)+"/rotations", nil)},
		"GET /v1/clients/{client_id}/rotations/{id}": {perm: "secrets:read", roles: everyone, objects: true, success: 200, prepare: static(clientPath(shared.ClientID)+"/rotations/"+sharedRotation, nil)},
		"POST /v1/clients/{client_id}/rotations/{id}/complete": {perm: "secrets:write", roles: writers, objects: true, success: 200, prepare: func(t *testing.T, _ *permCaller) (string, any, func(response)) {
			c, _ := freshClient(t)
			res := e.do(t, "POST", secretsPath(c)+"/rotate", nil, sa)
			want(t, res, http.StatusCreated)
			return clientPath(c) + "/rotations/" + decode[apiv1.RotateResult](t, res).Rotation.ID + "/complete", apiv1.CompleteRotation{Force: true}, nil
		}},
		"POST /v1/clients/{client_id}/refresh-tokens": {perm: "secrets:write", roles: writers, objects: true, success: 201, prepare: static(clientPath(shared.ClientID)+"/refresh-tokens", nil)},
		"GET /v1/clients/{client_id}/refresh-tokens":  {perm: "secrets:read", roles: everyone, objects: true, success: 200, prepare: static(clientPath(shared.ClientID)+"/refresh-tokens", nil)},

		"GET /v1/clients/{client_id}/webhook":                 {perm: "clients:read", roles: everyone, objects: true, success: 200, prepare: static(clientPath(hookClient)+"/webhook", nil)},
		"POST /v1/clients/{client_id}/webhook/enable":         {perm: "clients:write", roles: writers, objects: true, success: 200, prepare: static(clientPath(hookClient)+"/webhook/enable", nil)},
		"POST /v1/clients/{client_id}/webhook/test":           {perm: "clients:write", roles: writers, objects: true, success: 202, prepare: static(clientPath(hookClient)+"/webhook/test", nil)},
		"POST /v1/clients/{client_id}/webhook/replay":         {perm: "clients:write", roles: writers, objects: true, success: 202, prepare: static(clientPath(hookClient)+"/webhook/replay", apiv1.ReplayWebhook{Since: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)})},
		"GET /v1/clients/{client_id}/webhook/deliveries":      {perm: "clients:read", roles: everyone, objects: true, success: 200, prepare: static(clientPath(hookClient)+"/webhook/deliveries", nil)},
		"GET /v1/clients/{client_id}/webhook/deliveries/{id}": {perm: "clients:read", roles: everyone, objects: true, success: 200, prepare: static(clientPath(hookClient)+"/webhook/deliveries/"+delivery, nil)},
		"GET /v1/clients/{client_id}/webhook/signing-keys":    {perm: "clients:read", roles: everyone, objects: true, success: 200, prepare: static(clientPath(hookClient)+"/webhook/signing-keys", nil)},
		"POST /v1/clients/{client_id}/webhook/signing-keys": {perm: "clients:write", roles: writers, objects: true, success: 201, prepare: func(t *testing.T, _ *permCaller) (string, any, func(response)) {
			c, _ := freshClient(t)
			return clientPath(c) + "/webhook/signing-keys", nil, nil
		}},
		"DELETE /v1/clients/{client_id}/webhook/signing-keys/{id}": {perm: "clients:write", roles: writers, objects: true, success: 200, prepare: func(t *testing.T, _ *permCaller) (string, any, func(response)) {
			c, _ := freshClient(t)
			res := e.do(t, "POST", clientPath(c)+"/webhook/signing-keys", nil)
			want(t, res, http.StatusCreated)
			return clientPath(c) + "/webhook/signing-keys/" + decode[apiv1.WebhookSigningKey](t, res).ID, nil, nil
		}},
		"DELETE /v1/clients/{client_id}/webhook/deliveries/{id}/payload": {perm: "clients:write", roles: writers, objects: true, success: 200, prepare: func(t *testing.T, _ *permCaller) (string, any, func(response)) {
			// A delivery of its own each time: without its payload it
			// could not be redelivered by the case above.
			res := e.do(t, "POST", "/v1/clients", apiv1.CreateClient{Name: "Hooked", WebhookURL: "https://hooks.example.test/keywarden"})
			want(t, res, http.StatusCreated)
			c := decode[apiv1.Client](t, res).ClientID
			e.createSecret(t, c, apiv1.CreateSecret{Description: "hooked"})
			res = e.do(t, "GET", clientPath(c)+"/webhook/deliveries", nil)
			want(t, res, http.StatusOK)
			return clientPath(c) + "/webhook/deliveries/" + decode[apiv1.WebhookDeliveryList](t, res).Items[0].ID + "/payload", nil, nil
		}},
		"POST /v1/clients/{client_id}/webhook/deliveries/{id}/redeliver": {perm: "clients:write", roles: writers, objects: true, success: 202, prepare: static(clientPath(hookClient)+"/webhook/deliveries/"+delivery+"/redeliver", nil)},

		"GET /v1/webhook-endpoints":        {perm: "webhooks:read", roles: admins, success: 200, prepare: static("/v1/webhook-endpoints", nil)},
		"POST /v1/webhook-endpoints":       {perm: "webhooks:write", roles: superAdmin, success: 201, prepare: static("/v1/webhook-endpoints", apiv1.CreateOrgWebhookEndpoint{URL: "https://hooks.example.test/org2"})},
		"GET /v1/webhook-endpoints/{id}":   {perm: "webhooks:read", roles: admins, objects: true, success: 200, prepare: static(orgHook, nil)},
		"PATCH /v1/webhook-endpoints/{id}": {perm: "webhooks:write", roles: superAdmin, objects: true, success: 200, prepare: static(orgHook, map[string]any{"description": "SOC"})},
		"DELETE /v1/webhook-endpoints/{id}": {perm: "webhooks:write", roles: superAdmin, objects: true, success: 204, prepare: func(t *testing.T, _ *permCaller) (string, any, func(response)) {
			if doomed == "" {
				res := e.do(t, "POST", "/v1/webhook-endpoints", apiv1.CreateOrgWebhookEndpoint{URL: "https://hooks.example.test/doomed"})
				want(t, res, http.StatusCreated)
				doomed = "/v1/webhook-endpoints/" + decode[apiv1.CreatedOrgWebhookEndpoint](t, res).ID
			}
			return doomed, nil, func(res response) {
				if res.Status == http.StatusNoContent {
					doomed = ""
				}
			}
		}},
		"POST /v1/webhook-endpoints/{id}/rotate-secret":                      {perm: "webhooks:write", roles: superAdmin, objects: true, success: 200, prepare: static(orgHook+"/rotate-secret", nil)},
		"POST /v1/webhook-endpoints/{id}/replay":                             {perm: "webhooks:write", roles: superAdmin, objects: true, success: 202, prepare: static(orgHook+"/replay", apiv1.ReplayWebhook{Since: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)})},
		"GET /v1/webhook-endpoints/{id}/deliveries":                          {perm: "webhooks:read", roles: admins, objects: true, success: 200, prepare: static(orgHook+"/deliveries", nil)},
		"GET /v1/webhook-endpoints/{id}/deliveries/{delivery_id}":            {perm: "webhooks:read", roles: admins, objects: true, success: 200, prepare: static(orgDelivery, nil)},
		"POST /v1/webhook-endpoints/{id}/deliveries/{delivery_id}/redeliver": {perm: "webhooks:write", roles: superAdmin, objects: true, success: 202, prepare: static(orgDelivery+"/redeliver", nil)},
		"DELETE /v1/webhook-endpoints/{id}/deliveries/{delivery_id}/payload": {perm: "webhooks:write", roles: superAdmin, objects: true, success: 200, prepare: func(t *testing.T, _ *permCaller) (string, any, func(response)) {
			return orgHookDelivery(t) + "/payload", nil, nil
		}},

		"GET /v1/keys":         {perm: "keys:read", roles: everyone, success: 200, prepare: static("/v1/keys", nil)},
		"POST /v1/keys/rotate": {perm: "keys:write", roles: superAdmin, success: 201, prepare: static("/v1/keys/rotate", apiv1.RotateKeys{DelaySeconds: ptr(600)})},

		"POST /v1/sessions": {success: 201, prepare: func(*testing.T, *permCaller) (string, any, func(response)) {
			return "/v1/sessions", apiv1.Login{Email: loginUser.Email(), Password: loginUser.Password}, nil
		}},
		"POST /v1/auth/oidc": {success: 201, prepare: func(t *testing.T, _ *permCaller) (string, any, func(response)) {
			code, verifier := cliCode(t)
			return "/v1/auth/oidc", apiv1.ExchangeOIDCCode{Code: code, CodeVerifier: verifier}, nil
		}},
		"POST /v1/auth/login": {success: 200, prepare: static("/v1/auth/login", apiv1.PasswordLogin{Email: loginUser.Email(), Password: loginSecret})},
		"GET /v1/sessions":    {perm: "account:self", roles: everyone, self: true, success: 200, prepare: static("/v1/sessions", nil)},
		"DELETE /v1/sessions/{id}": {perm: "account:self", roles: everyone, self: true, objects: true, success: 204, prepare: func(t *testing.T, c *permCaller) (string, any, func(response)) {
			owner := actor(c)
			if c.foreign {
				owner = loginUser // a session of the first organisation
			}
			id, _ := e.sessionFor(t, owner.User)
			return "/v1/sessions/" + id, nil, nil
		}},
		"GET /v1/me": {perm: "account:read", roles: everyone, self: true, success: 200, prepare: static("/v1/me", nil)},
		"POST /v1/me/password": {perm: "account:self", roles: everyone, self: true, success: 204, prepare: func(t *testing.T, c *permCaller) (string, any, func(response)) {
			p := actor(c)
			next := "pw-" + strings.ToLower(domain.NewID(""))
			return "/v1/me/password", apiv1.ChangePassword{CurrentPassword: p.Password, NewPassword: next}, func(res response) {
				if res.Status == http.StatusNoContent && c.who != nil && !c.restricted {
					p.Password = next
				}
			}
		}},
		// Without credentials the code does not matter: the request never
		// gets to check it.
		"POST /v1/me/mfa": {perm: "account:self", roles: everyone, self: true, success: 201, prepare: func(t *testing.T, c *permCaller) (string, any, func(response)) {
			if c.who != nil {
				setMFA(t, c.who, false)
			}
			return "/v1/me/mfa", nil, nil
		}},
		"POST /v1/me/mfa/confirm": {perm: "account:self", roles: everyone, self: true, success: 200, prepare: func(t *testing.T, c *permCaller) (string, any, func(response)) {
			p := c.who
			if p == nil {
				return "/v1/me/mfa/confirm", apiv1.MFACode{Code: "123456"}, nil
			}
			setMFA(t, p, false)
			res := e.do(t, "POST", "/v1/me/mfa", nil, as(p.Token))
			want(t, res, http.StatusCreated)
			old := p.MFASecret
			p.MFASecret = decode[apiv1.MFAEnrolment](t, res).Secret
			return "/v1/me/mfa/confirm", apiv1.MFACode{Code: p.code(t)}, func(res response) {
				if res.Status != http.StatusOK {
					p.MFASecret = old
				}
			}
		}},
		"POST /v1/me/mfa/disable": {perm: "account:self", roles: everyone, self: true, success: 204, prepare: func(t *testing.T, c *permCaller) (string, any, func(response)) {
			p := c.who
			if p == nil {
				return "/v1/me/mfa/disable", apiv1.MFACode{Code: "123456"}, nil
			}
			setMFA(t, p, true)
			return "/v1/me/mfa/disable", apiv1.MFACode{Code: p.code(t)}, func(res response) {
				if res.Status == http.StatusNoContent {
					p.MFASecret = ""
				}
			}
		}},
		"GET /v1/me/credential": {perm: "credentials:own", roles: everyone, success: 200, prepare: func(t *testing.T, c *permCaller) (string, any, func(response)) {
			if p := actor(c); !activeCredential(t, p) {
				want(t, e.do(t, "POST", "/v1/me/credential", nil, as(p.Token)), http.StatusCreated)
			}
			return "/v1/me/credential", nil, nil
		}},
		// A personal credential's token needs an active credential: a
		// second one is a conflict.
		"POST /v1/me/credential": {perm: "credentials:own", roles: everyone, success: 201, viaCredential: 409, prepare: func(t *testing.T, c *permCaller) (string, any, func(response)) {
			if !c.viaCredential {
				want(t, e.do(t, "DELETE", "/v1/me/credential", nil, as(actor(c).Token)), http.StatusNoContent)
			}
			return "/v1/me/credential", apiv1.CreatePersonalCredential{Description: "scripts"}, nil
		}},
		"POST /v1/me/credential/rotate": {perm: "credentials:own", roles: everyone, success: 201, prepare: func(t *testing.T, c *permCaller) (string, any, func(response)) {
			if p := actor(c); !activeCredential(t, p) {
				want(t, e.do(t, "POST", "/v1/me/credential", nil, as(p.Token)), http.StatusCreated)
			}
			return "/v1/me/credential/rotate", map[string]any{"grace_seconds": 60}, nil
		}},
		"DELETE /v1/me/credential": {perm: "credentials:own", roles: everyone, success: 204, prepare: static("/v1/me/credential", nil)},

		"GET /v1/api-tokens":              {perm: "api_tokens:own", roles: everyone, success: 200, prepare: static("/v1/api-tokens", nil)},
		"POST /v1/api-tokens":             {perm: "api_tokens:own", roles: everyone, success: 201, prepare: static("/v1/api-tokens", apiv1.CreateAPIToken{Name: "permissions"})},
		"GET /v1/api-tokens/{id}":         {perm: "api_tokens:own", roles: everyone, objects: true, success: 200, prepare: apiToken("", nil)},
		"DELETE /v1/api-tokens/{id}":      {perm: "api_tokens:own", roles: everyone, objects: true, success: 204, prepare: apiToken("", nil)},
		"POST /v1/api-tokens/{id}/rotate": {perm: "api_tokens:own", roles: everyone, objects: true, success: 201, prepare: apiToken("/rotate", map[string]any{"overlap_seconds": 60})},

		"GET /v1/users": {perm: "users:read", roles: admins, success: 200, prepare: static("/v1/users", nil)},
		"POST /v1/users": {perm: "users:write", roles: superAdmin, success: 201, prepare: func(*testing.T, *permCaller) (string, any, func(response)) {
			return "/v1/users", apiv1.InviteUser{Email: strings.ToLower(domain.NewID("i")) + "@example.test", Role: "member"}, nil
		}},
		"GET /v1/users/{id}":   {perm: "users:read", roles: admins, objects: true, success: 200, prepare: static("/v1/users/"+subject.ID(), nil)},
		"PATCH /v1/users/{id}": {perm: "users:write", roles: superAdmin, objects: true, success: 200, prepare: static("/v1/users/"+subject.ID(), apiv1.UpdateUser{Role: ptr("member")})},
		"DELETE /v1/users/{id}": {perm: "users:write", roles: superAdmin, objects: true, success: 204, prepare: func(t *testing.T, _ *permCaller) (string, any, func(response)) {
			return "/v1/users/" + freshUser(t), nil, nil
		}},
		"GET /v1/users/{id}/credential": {perm: "users:read", roles: admins, objects: true, success: 200, prepare: static("/v1/users/"+subject.ID()+"/credential", nil)},
		"GET /v1/users/{id}/api-tokens": {perm: "users:read", roles: admins, objects: true, success: 200, prepare: static("/v1/users/"+subject.ID()+"/api-tokens", nil)},
		"DELETE /v1/users/{id}/api-tokens/{token_id}": {perm: "credentials:manage", roles: superAdmin, objects: true, success: 204, prepare: func(t *testing.T, _ *permCaller) (string, any, func(response)) {
			n, err := e.core.Accounts.CreateAPIToken(t.Context(), domain.UserActor(org, subject.User.ID, subject.User.Role, ""), account.APITokenInput{Name: "offboarding"})
			if err != nil {
				t.Fatalf("CreateAPIToken: %v", err)
			}
			return "/v1/users/" + subject.ID() + "/api-tokens/" + string(n.Token.ID), nil, nil
		}},
		"DELETE /v1/users/{id}/credential": {perm: "credentials:manage", roles: superAdmin, objects: true, success: 204, prepare: static("/v1/users/"+subject.ID()+"/credential", nil)},

		"GET /v1/policy":   {perm: "policy:read", roles: everyone, success: 200, prepare: static("/v1/policy", nil)},
		"PATCH /v1/policy": {perm: "policy:write", roles: superAdmin, success: 200, prepare: static("/v1/policy", map[string]any{"allow_never_expire": false})},
		"GET /v1/audit":    {perm: "audit:read", roles: admins, success: 200, prepare: static("/v1/audit?limit=1", nil)},
		"GET /v1/overview": {perm: "users:read", roles: admins, success: 200, prepare: static("/v1/overview", nil)},
		// A look-alike value: labelled invalid, nothing changes.
		"POST /v1/leaks": {perm: "leaks:report", roles: admins, success: 200,
			prepare: static("/v1/leaks", apiv1.ReportLeaks{Values: []apiv1.LeakedValue{{Value: "kws_not-a-real-value"}}})},
		"GET /v1/leaks": {perm: "audit:read", roles: admins, success: 200, prepare: static("/v1/leaks", nil)},
		// Public: the signature authenticates. Each caller's report is
		// new (a replay would be 409).
		"POST /v1/leaks/github": {success: 200, sign: e.github.sign, prepare: func(t *testing.T, c *permCaller) (string, any, func(response)) {
			return "/v1/leaks/github", raw(`[{"token":"kws_not-a-real-value","type":"keywarden_client_secret","url":"https://github.com/acme/app/blob/` +
				domain.NewID("") + `/x","source":"content"}]`), nil
		}},

		"GET /v1/identity-providers": {perm: "users:read", roles: admins, success: 200, prepare: static("/v1/identity-providers", nil)},
		"POST /v1/identity-providers": {perm: "identity_providers:write", roles: superAdmin, success: 201, prepare: func(*testing.T, *permCaller) (string, any, func(response)) {
			return "/v1/identity-providers", apiv1.CreateIdentityProvider{Name: domain.NewID("p"), Issuer: "https://sso.example.test", ClientID: "kw"}, nil
		}},
		"GET /v1/identity-providers/{id}": {perm: "users:read", roles: admins, objects: true, success: 200, prepare: static(sharedProvider, nil)},
		"PATCH /v1/identity-providers/{id}": {perm: "identity_providers:write", roles: superAdmin, objects: true, success: 200, prepare: func(t *testing.T, _ *permCaller) (string, any, func(response)) {
			return newProvider(t), map[string]any{"disabled": true}, nil
		}},
		"DELETE /v1/identity-providers/{id}": {perm: "identity_providers:write", roles: superAdmin, objects: true, success: 204, prepare: func(t *testing.T, _ *permCaller) (string, any, func(response)) {
			return newProvider(t), nil, nil
		}},

		"GET /v1/audit/streams": {perm: "audit:read", roles: admins, success: 200, prepare: static("/v1/audit/streams", nil)},
		"POST /v1/audit/streams": {perm: "audit_streams:write", roles: superAdmin, success: 201, prepare: func(*testing.T, *permCaller) (string, any, func(response)) {
			return "/v1/audit/streams", apiv1.CreateAuditStream{Name: strings.ToLower(domain.NewID("p")), URL: "https://siem.example.test/audit", Token: "t"}, nil
		}},
		"GET /v1/audit/streams/{id}": {perm: "audit:read", roles: admins, objects: true, success: 200, prepare: static(sharedStream, nil)},
		"DELETE /v1/audit/streams/{id}": {perm: "audit_streams:write", roles: superAdmin, objects: true, success: 204, prepare: func(t *testing.T, _ *permCaller) (string, any, func(response)) {
			return newStream(t), nil, nil
		}},
	}

	routes := (&api.Handler{}).Routes()
	seen := map[string]bool{}
	for _, rt := range routes {
		key := rt.Method + " " + rt.Path
		seen[key] = true
		r, ok := table[key]
		if !ok {
			t.Errorf("route %s has no expectations in TestPermissions: add them", key)
			continue
		}
		if string(rt.Permission) != r.perm {
			t.Errorf("%s needs permission %q, the test expects %q", key, rt.Permission, r.perm)
		}
		if rt.Unrestricted != r.self {
			t.Errorf("%s: open to restricted sessions = %v, the test expects %v", key, rt.Unrestricted, r.self)
		}
		for _, c := range callers {
			t.Run(key+"/"+c.name, func(t *testing.T) {
				opt := noAuth()
				if tok := c.bearer(t); tok != "" {
					opt = as(tok)
				}
				path, body, after := r.prepare(t, c)
				opts := []reqOpt{opt}
				if r.sign != nil {
					opts = append(opts, r.sign(t, []byte(body.(raw)))...)
				}
				head := auditHead(t, e)
				res := e.do(t, rt.Method, path, body, opts...)
				if after != nil {
					after(res)
				}
				status := r.want(c)
				switch {
				case status < 300:
					want(t, res, status)
				case status == http.StatusUnauthorized:
					wantProblem(t, res, status)
					wwwAuth := `Bearer realm="keywarden", error="invalid_token"`
					if c.name == "no credentials" {
						wwwAuth = `Bearer realm="keywarden"`
					}
					if got := res.Header.Get("WWW-Authenticate"); got != wwwAuth {
						t.Errorf("WWW-Authenticate = %q, want %q", got, wwwAuth)
					}
				case status == http.StatusForbidden && c.restricted:
					p := wantProblemType(t, res, status, "restricted")
					if !strings.Contains(p.Detail, "/v1/me/password") {
						t.Errorf("detail %q does not say what to do first", p.Detail)
					}
				case status == http.StatusForbidden && c.viaCredential && loginOnly[r.perm]:
					p := wantProblem(t, res, status)
					if !strings.Contains(p.Detail, "personal credential") {
						t.Errorf("detail %q does not say why", p.Detail)
					}
				case status == http.StatusForbidden:
					p := wantProblem(t, res, status)
					if !strings.Contains(p.Detail, r.perm) || !strings.Contains(p.Detail, string(c.role)) {
						t.Errorf("detail %q does not name the role %s and the permission %s", p.Detail, c.role, r.perm)
					}
				default:
					wantProblem(t, res, status)
				}
				if status >= 400 {
					if got := auditHead(t, e); got != head {
						t.Errorf("a refused request added %d audit events", got-head)
					}
				}
			})
		}
	}
	for key := range table {
		if !seen[key] {
			t.Errorf("TestPermissions expects route %s, which the server does not serve", key)
		}
	}
}

// auditHead is the sequence number of the newest audit event.
func auditHead(t *testing.T, e *env) int64 {
	t.Helper()
	seq, _, err := e.core.Store.AuditHead(t.Context())
	if err != nil {
		t.Fatalf("AuditHead: %v", err)
	}
	return seq
}

// TestPermissionsDocument checks that docs/permissions.md shows the
// permission table exactly: one row per permission, a ✓ for each role
// that holds it and for no other.
func TestPermissionsDocument(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "permissions.md"))
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string][]string{}
	var header []string
	for line := range strings.Lines(string(doc)) {
		cells := strings.Split(strings.TrimSpace(line), "|")
		if len(cells) < 7 || !strings.HasPrefix(strings.TrimSpace(line), "|") {
			continue
		}
		cells = cells[1 : len(cells)-1]
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		if cells[0] == "permission" {
			header = cells
			continue
		}
		if perm, ok := strings.CutPrefix(cells[0], "`"); ok {
			rows[strings.TrimSuffix(perm, "`")] = cells
		}
	}
	if !slices.Equal(header[1:6], []string{"super_admin", "admin", "developer", "member", "credential token"}) {
		t.Fatalf("table header = %q", header)
	}
	routes := (&api.Handler{}).Routes()
	for _, perm := range authz.Permissions() {
		row, ok := rows[string(perm)]
		if !ok {
			t.Errorf("docs/permissions.md has no row for %s", perm)
			continue
		}
		delete(rows, string(perm))
		for i, role := range everyone {
			if got, want := row[i+1] == "✓", authz.Allowed(role, perm); got != want {
				t.Errorf("docs/permissions.md: %s for %s is %q; the table says %v", perm, role, row[i+1], want)
			}
		}
		if got, want := row[5] == "✓", authz.CredentialHolds(perm); got != want {
			t.Errorf("docs/permissions.md: %s for a personal credential's token is %q; the table says %v", perm, row[5], want)
		}
		used := false
		for _, rt := range routes {
			used = used || rt.Permission == perm
		}
		if !used {
			t.Errorf("no route needs %s", perm)
		}
	}
	for perm := range rows {
		t.Errorf("docs/permissions.md has a row for %s, which is no permission", perm)
	}
}
