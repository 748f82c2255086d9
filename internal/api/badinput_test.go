package api_test

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"keywarden/internal/api"
	"keywarden/internal/domain"
	"keywarden/internal/secretvalue"
	"keywarden/pkg/apiv1"
)

// badCase is one request with a client mistake in it.
type badCase struct {
	name   string
	method string
	path   string
	body   any
	opts   []reqOpt
	status int
	// audited is how many audit events the request adds: failed uses of
	// real (revoked, expired) tokens are audited; nothing else is.
	audited int64
	// wwwAuth and allow are the headers a 401 and a 405 must carry.
	wwwAuth string
	allow   string
}

// inputRoute is a route that takes a JSON body, with a body it accepts
// and bodies it must refuse.
type inputRoute struct {
	name         string
	route        string // the route's path pattern
	method, path string
	good         string // a valid body: every case but one fault uses it
	optional     bool   // an empty body is allowed
	wrongTypes   map[string]string
	invalid      map[string]string // well-formed, invalid values: 422
}

// badFixture is the state the bad requests run against.
type badFixture struct {
	client, other apiv1.Client // two clients of the env's organisation
	// The targets of revoke-all and rotate: their own clients, so that a
	// request wrongly accepted there does not change what other cases see.
	revokeAllClient, rotateClient apiv1.Client
	rotation, otherRotation       string // rotations of rotateClient and of other
	foreignRotation               string
	active, revoked               string       // secrets of client
	otherSecret                   string       // a secret of other
	foreignOrg                    domain.OrgID // another organisation
	foreignClient                 apiv1.Client // a client of another organisation
	foreignSecret                 string
	revokedTok, expiredTok        string // the super admin's, refused and audited
	unknownTok                    string // well-formed, never issued: refused, not audited
	user                          string // a member of the env's organisation
	foreignUser                   string // the other organisation's super admin
	otherSession                  string // a session of user
	foreignSession                string // a session of foreignUser
}

func newBadFixture(t *testing.T, e *env) badFixture {
	t.Helper()
	var f badFixture
	f.client = e.createClient(t, "Billing")
	f.other = e.createClient(t, "Reports")
	f.active = e.createSecret(t, f.client.ClientID, apiv1.CreateSecret{Description: "active"}).ID
	f.revoked = e.createSecret(t, f.client.ClientID, apiv1.CreateSecret{Description: "revoked"}).ID
	want(t, e.do(t, "DELETE", secretPath(f.client.ClientID, f.revoked), nil), http.StatusOK)
	f.otherSecret = e.createSecret(t, f.other.ClientID, apiv1.CreateSecret{Description: "other"}).ID
	f.revokeAllClient = e.createClient(t, "Revoke-all target")
	e.createSecret(t, f.revokeAllClient.ClientID, apiv1.CreateSecret{Description: "r"})
	f.rotateClient = e.createClient(t, "Rotate target")
	e.createSecret(t, f.rotateClient.ClientID, apiv1.CreateSecret{Description: "r"})
	rotate := func(client string, opts ...reqOpt) string {
		res := e.do(t, "POST", secretsPath(client)+"/rotate", nil, opts...)
		want(t, res, http.StatusCreated)
		return decode[apiv1.RotateResult](t, res).Rotation.ID
	}
	f.rotation = rotate(f.rotateClient.ClientID)
	f.otherRotation = rotate(f.other.ClientID)

	foreign := e.newOrg(t, "Globex", "g@globex.test")
	f.foreignOrg = foreign.Org.ID
	ft := foreign.APIToken.Reveal()
	res := e.do(t, "POST", "/v1/clients", apiv1.CreateClient{Name: "Globex app"}, as(ft))
	want(t, res, http.StatusCreated)
	f.foreignClient = decode[apiv1.Client](t, res)
	f.foreignSecret = e.createSecret(t, f.foreignClient.ClientID, apiv1.CreateSecret{Description: "g"}, as(ft)).ID
	f.foreignRotation = rotate(f.foreignClient.ClientID, as(ft))

	past := time.Now().Add(-time.Hour).UTC().Truncate(time.Microsecond)
	f.revokedTok = e.tokenFor(t, e.boot.User, nil, &past)
	f.expiredTok = e.tokenFor(t, e.boot.User, &past, nil)
	f.unknownTok = secretvalue.Generate(secretvalue.PrefixAPIToken).Reveal()

	member := e.invite(t, e.boot.Org.ID, domain.RoleMember)
	f.user = member.ID()
	f.otherSession, _ = e.sessionFor(t, member.User)
	f.foreignUser = string(foreign.User.ID)
	f.foreignSession, _ = e.sessionFor(t, foreign.User)
	return f
}

// target returns the client and object IDs a route pattern works on when
// the IDs are not the fault.
func (f badFixture) target(pattern string) (client, id string) {
	switch {
	case strings.Contains(pattern, "/rotations/{id}"):
		return f.rotateClient.ClientID, f.rotation
	case strings.Contains(pattern, "/revoke-all"):
		return f.revokeAllClient.ClientID, ""
	case strings.Contains(pattern, "/secrets/rotate"):
		return f.rotateClient.ClientID, ""
	}
	return f.client.ClientID, f.active
}

// real fills a route pattern with the IDs it works on.
func (f badFixture) real(pattern string) string {
	if strings.HasPrefix(pattern, "/v1/users/{id}") {
		return strings.Replace(pattern, "{id}", f.user, 1)
	}
	client, id := f.target(pattern)
	return fill(pattern, client, id)
}

// fill puts IDs into a route pattern.
func fill(pattern, client, id string) string {
	return strings.NewReplacer("{client_id}", client, "{id}", id).Replace(pattern)
}

func (f badFixture) inputRoutes() []inputRoute {
	beyond := `"` + time.Now().Add(91*24*time.Hour).UTC().Format(time.RFC3339) + `"`
	past := `"2000-01-01T00:00:00Z"`
	return []inputRoute{
		{
			name: "create client", route: "/v1/clients", method: "POST", path: "/v1/clients", good: `{"name":"ok"}`,
			wrongTypes: map[string]string{
				"name is a number":         `{"name":5}`,
				"name is null":             `{"name":null}`, // not "no name": no request field is nullable
				"scopes is a string":       `{"name":"x","scopes":"x"}`,
				"scopes holds numbers":     `{"name":"x","scopes":[1]}`,
				"ttl is a string":          `{"name":"x","token_ttl_seconds":"60"}`,
				"ttl is a fraction":        `{"name":"x","token_ttl_seconds":1.5}`,
				"ttl overflows":            `{"name":"x","token_ttl_seconds":1e30}`,
				"description is a boolean": `{"name":"x","description":true}`,
				"webhook_url is an object": `{"name":"x","webhook_url":{}}`,
			},
			invalid: map[string]string{
				"no name":               `{}`,
				"empty name":            `{"name":""}`,
				"blank name":            `{"name":"   "}`,
				"name too long":         `{"name":"` + strings.Repeat("n", 201) + `"}`,
				"control character":     `{"name":"a\u0007b"}`,
				"scope with a space":    `{"name":"x","scopes":["a b"]}`,
				"scope with a quote":    `{"name":"x","scopes":["a\"b"]}`,
				"ttl below the minimum": `{"name":"x","token_ttl_seconds":59}`,
				"negative ttl":          `{"name":"x","token_ttl_seconds":-1}`,
				"ftp webhook":           `{"name":"x","webhook_url":"ftp://example.com/"}`,
				"webhook with password": `{"name":"x","webhook_url":"https://u:p@example.com/"}`,
				"relative webhook":      `{"name":"x","webhook_url":"/hooks"}`,
			},
		},
		{
			name: "update client", route: "/v1/clients/{client_id}", method: "PATCH", path: clientPath(f.client.ClientID), good: `{"description":"d"}`,
			wrongTypes: map[string]string{
				"disabled is a string": `{"disabled":"yes"}`,
				"scopes is a string":   `{"scopes":"x"}`,
				"name is a number":     `{"name":5}`,
				"ttl is a string":      `{"token_ttl_seconds":"x"}`,
			},
			invalid: map[string]string{
				"empty name":            `{"name":""}`,
				"scope with a space":    `{"scopes":["a b"]}`,
				"ttl below the minimum": `{"token_ttl_seconds":59}`,
				"ttl above the maximum": `{"token_ttl_seconds":2592001}`,
				"javascript webhook":    `{"webhook_url":"javascript:alert(1)"}`,
			},
		},
		{
			name: "revoke all", route: "/v1/clients/{client_id}/revoke-all", method: "POST", path: clientPath(f.revokeAllClient.ClientID) + "/revoke-all", good: `{}`, optional: true,
			wrongTypes: map[string]string{},
		},
		{
			name: "create secret", route: "/v1/clients/{client_id}/secrets", method: "POST", path: secretsPath(f.client.ClientID), good: `{"description":"d"}`,
			wrongTypes: map[string]string{
				"description is a number":   `{"description":5}`,
				"expires_at is tomorrow":    `{"description":"d","expires_at":"tomorrow"}`,
				"expires_at is a number":    `{"description":"d","expires_at":1767225599}`,
				"expires_at has no time":    `{"description":"d","expires_at":"2026-12-31"}`,
				"expires_at is DD/MM/YYYY":  `{"description":"d","expires_at":"31/12/2026"}`,
				"expires_at month 13":       `{"description":"d","expires_at":"2026-13-01T00:00:00Z"}`,
				"expires_at February 30":    `{"description":"d","expires_at":"2026-02-30T00:00:00Z"}`,
				"never_expires is a string": `{"description":"d","never_expires":"yes"}`,
				"value is a number":         `{"description":"d","value":123}`,
			},
			invalid: map[string]string{
				"no description":         `{}`,
				"empty description":      `{"description":""}`,
				"description too long":   `{"description":"` + strings.Repeat("d", 201) + `"}`,
				"expiry in the past":     `{"description":"d","expires_at":` + past + `}`,
				"expiry beyond policy":   `{"description":"d","expires_at":` + beyond + `}`,
				"never_expires refused":  `{"description":"d","never_expires":true}`,
				"never_expires and date": `{"description":"d","never_expires":true,"expires_at":"2030-01-01T00:00:00Z"}`,
				"value too short":        `{"description":"d","value":"short"}`,
				"value too long":         `{"description":"d","value":"` + strings.Repeat("v", 513) + `"}`,
				"value with kws_ prefix": `{"description":"d","value":"kws_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}`,
			},
		},
		{
			name: "rotate", route: "/v1/clients/{client_id}/secrets/rotate", method: "POST", path: secretsPath(f.rotateClient.ClientID) + "/rotate", good: `{"description":"r"}`, optional: true,
			wrongTypes: map[string]string{
				"grace is a string":        `{"grace_seconds":"60"}`,
				"grace is a fraction":      `{"grace_seconds":1.5}`,
				"grace overflows":          `{"grace_seconds":1e20}`,
				"expires_at is tomorrow":   `{"expires_at":"tomorrow"}`,
				"description is a number":  `{"description":7}`,
				"expires_at is DD/MM/YYYY": `{"expires_at":"31/12/2026"}`,
			},
			invalid: map[string]string{
				"negative grace":       `{"grace_seconds":-1}`,
				"grace over ten years": `{"grace_seconds":315360001}`,
				"expiry in the past":   `{"expires_at":` + past + `}`,
				"expiry beyond policy": `{"expires_at":` + beyond + `}`,
				"description too long": `{"description":"` + strings.Repeat("d", 201) + `"}`,
			},
		},
		{
			name: "update secret", route: "/v1/clients/{client_id}/secrets/{id}", method: "PATCH", path: secretPath(f.client.ClientID, f.active), good: `{"description":"d2"}`,
			wrongTypes: map[string]string{
				"description is a number":   `{"description":5}`,
				"expires_at is tomorrow":    `{"expires_at":"tomorrow"}`,
				"expires_at month 13":       `{"expires_at":"2026-13-01T00:00:00Z"}`,
				"never_expires is a string": `{"never_expires":"yes"}`,
			},
			invalid: map[string]string{
				"empty description":     `{"description":""}`,
				"expiry in the past":    `{"expires_at":` + past + `}`,
				"expiry beyond policy":  `{"expires_at":` + beyond + `}`,
				"never_expires refused": `{"never_expires":true}`,
			},
		},
		{
			name: "update policy", route: "/v1/policy", method: "PATCH", path: "/v1/policy", good: `{"refuse_credentials_with_mfa":false}`,
			wrongTypes: map[string]string{
				"allow_never_expire is a string": `{"allow_never_expire":"true"}`,
				"lifetimes is an array":          `{"max_secret_lifetime_days":[]}`,
				"lifetime is a string":           `{"max_secret_lifetime_days":{"member":"5"}}`,
				"token ttl is a string":          `{"access_token_ttl_seconds":"x"}`,
				"personal_credentials is 1":      `{"personal_credentials":1}`,
			},
			invalid: map[string]string{
				"zero days":              `{"max_secret_lifetime_days":{"member":0}}`,
				"over ten years":         `{"max_secret_lifetime_days":{"admin":3651}}`,
				"unknown role":           `{"max_secret_lifetime_days":{"root":5}}`,
				"unknown personal":       `{"personal_credentials":"nobody"}`,
				"token ttl below minute": `{"access_token_ttl_seconds":59}`,
			},
		},
		{
			name: "invite user", route: "/v1/users", method: "POST", path: "/v1/users", good: `{"email":"new@example.test","role":"member"}`,
			wrongTypes: map[string]string{
				"email is a number": `{"email":5,"role":"member"}`,
				"role is a number":  `{"email":"new@example.test","role":1}`,
				"role is an array":  `{"email":"new@example.test","role":["admin"]}`,
			},
			invalid: map[string]string{
				"no email":           `{"role":"member"}`,
				"not an email":       `{"email":"new","role":"member"}`,
				"display name":       `{"email":"New <new@example.test>","role":"member"}`,
				"no role":            `{"email":"new@example.test"}`,
				"unknown role":       `{"email":"new@example.test","role":"root"}`,
				"role in capitals":   `{"email":"new@example.test","role":"ADMIN"}`,
				"email far too long": `{"email":"` + strings.Repeat("a", 250) + `@example.test","role":"member"}`,
			},
		},
		{
			name: "update user", route: "/v1/users/{id}", method: "PATCH", path: "/v1/users/" + f.user, good: `{"role":"member"}`,
			wrongTypes: map[string]string{
				"disabled is a string": `{"disabled":"yes"}`,
				"role is a number":     `{"role":2}`,
			},
			invalid: map[string]string{
				"unknown role": `{"role":"wizard"}`,
				"empty role":   `{"role":""}`,
			},
		},
		{
			name: "login", route: "/v1/sessions", method: "POST", path: "/v1/sessions", good: `{"email":"a@acme.test","password":"x"}`,
			wrongTypes: map[string]string{
				"email is a number":     `{"email":1,"password":"x"}`,
				"password is a number":  `{"email":"a@acme.test","password":1}`,
				"totp_code is a number": `{"email":"a@acme.test","password":"x","totp_code":123456}`,
				"organization is null":  `{"email":"a@acme.test","password":"x","organization":{}}`,
			},
		},
		{
			name: "legacy login", route: "/v1/auth/login", method: "POST", path: "/v1/auth/login", good: `{"email":"a@acme.test","password":"x"}`,
			wrongTypes: map[string]string{
				"email is a number":    `{"email":1,"password":"x"}`,
				"password is an array": `{"email":"a@acme.test","password":["x"]}`,
			},
		},
		{
			name: "change password", route: "/v1/me/password", method: "POST", path: "/v1/me/password", good: `{"current_password":"x","new_password":"a-long-new-password"}`,
			wrongTypes: map[string]string{
				"new_password is a number": `{"current_password":"x","new_password":123456789012}`,
			},
			invalid: map[string]string{
				"new password too short": `{"current_password":"x","new_password":"short"}`,
				"no new password":        `{"current_password":"x"}`,
				"unchanged":              `{"current_password":"a-long-new-password","new_password":"a-long-new-password"}`,
			},
		},
		{
			name: "begin MFA", route: "/v1/me/mfa", method: "POST", path: "/v1/me/mfa", good: `{}`, optional: true,
			wrongTypes: map[string]string{},
		},
		{
			name: "confirm MFA", route: "/v1/me/mfa/confirm", method: "POST", path: "/v1/me/mfa/confirm", good: `{"code":"123456"}`,
			wrongTypes: map[string]string{
				"code is a number": `{"code":123456}`,
			},
		},
		{
			name: "disable MFA", route: "/v1/me/mfa/disable", method: "POST", path: "/v1/me/mfa/disable", good: `{"code":"123456"}`,
			wrongTypes: map[string]string{
				"code is a number": `{"code":123456}`,
			},
		},
		{
			name: "generate personal credential", route: "/v1/me/credential", method: "POST", path: "/v1/me/credential", good: `{"description":"d"}`, optional: true,
			wrongTypes: map[string]string{
				"description is a number":   `{"description":5}`,
				"expires_at is tomorrow":    `{"expires_at":"tomorrow"}`,
				"expires_at is DD/MM/YYYY":  `{"expires_at":"31/12/2026"}`,
				"never_expires is a string": `{"never_expires":"yes"}`,
			},
			invalid: map[string]string{
				"expiry in the past":     `{"expires_at":` + past + `}`,
				"expiry beyond policy":   `{"expires_at":` + beyond + `}`,
				"never_expires refused":  `{"never_expires":true}`,
				"never_expires and date": `{"never_expires":true,"expires_at":"2030-01-01T00:00:00Z"}`,
				"description too long":   `{"description":"` + strings.Repeat("d", 201) + `"}`,
				"control character":      `{"description":"a\u0007b"}`,
			},
		},
		{
			name: "rotate personal credential", route: "/v1/me/credential/rotate", method: "POST", path: "/v1/me/credential/rotate", good: `{"grace_seconds":60}`, optional: true,
			wrongTypes: map[string]string{
				"grace is a string":   `{"grace_seconds":"60"}`,
				"grace is a fraction": `{"grace_seconds":1.5}`,
				"grace overflows":     `{"grace_seconds":1e20}`,
			},
			invalid: map[string]string{
				"negative grace":      `{"grace_seconds":-1}`,
				"grace over 30 days":  `{"grace_seconds":2592001}`,
				"grace far too large": `{"grace_seconds":9223372036854775807}`,
			},
		},
		{
			name: "complete rotation", route: "/v1/clients/{client_id}/rotations/{id}/complete", method: "POST",
			path: clientPath(f.rotateClient.ClientID) + "/rotations/" + f.rotation + "/complete", good: `{"keep_tokens":false}`, optional: true,
			wrongTypes: map[string]string{
				"force is a string":     `{"force":"yes"}`,
				"keep_tokens is number": `{"keep_tokens":1}`,
			},
		},
		{
			name: "create refresh token", route: "/v1/clients/{client_id}/refresh-tokens", method: "POST",
			path: clientPath(f.client.ClientID) + "/refresh-tokens", good: `{}`, optional: true,
			wrongTypes: map[string]string{},
		},
		{
			name: "rotate keys", route: "/v1/keys/rotate", method: "POST", path: "/v1/keys/rotate", good: `{"delay_seconds":600}`, optional: true,
			wrongTypes: map[string]string{
				"delay is a string":   `{"delay_seconds":"600"}`,
				"delay is a fraction": `{"delay_seconds":1.5}`,
				"delay overflows":     `{"delay_seconds":1e30}`,
				"delay is null-ish":   `{"delay_seconds":[]}`,
			},
			invalid: map[string]string{
				"negative delay":      `{"delay_seconds":-1}`,
				"delay over 7 days":   `{"delay_seconds":604801}`,
				"delay far too large": `{"delay_seconds":9223372036854775807}`,
			},
		},
	}
}

// withField adds a field to a JSON object literal.
func withField(obj, field string) string {
	if obj == "{}" {
		return "{" + field + "}"
	}
	return strings.TrimSuffix(obj, "}") + "," + field + "}"
}

func (f badFixture) cases(e *env) []badCase {
	var cases []badCase
	add := func(c badCase) { cases = append(cases, c) }

	// Bodies.
	for _, r := range f.inputRoutes() {
		body := func(name, b string, status int, opts ...reqOpt) {
			add(badCase{name: r.name + "/" + name, method: r.method, path: r.path, body: raw(b), status: status, opts: opts})
		}
		for name, b := range map[string]string{
			"malformed: truncated":          r.good[:len(r.good)-1],
			"malformed: unquoted key":       `{description: "x"}`,
			"malformed: trailing comma":     withField(r.good, `"a":1,`),
			"malformed: not JSON":           `not json`,
			"malformed: single quotes":      `{'name':'x'}`,
			"not an object: array":          `[` + r.good + `]`,
			"not an object: string":         `"x"`,
			"not an object: number":         `1`,
			"not an object: null":           `null`,
			"unknown field":                 withField(r.good, `"bogus":1`),
			"unknown field: id":             withField(r.good, `"id":"x"`),
			"trailing data: second object":  r.good + ` {}`,
			"trailing data: garbage":        r.good + `x`,
			"trailing data: closing brace":  r.good + `}`,
			"trailing data: closing square": r.good + `]`,
			"trailing data: null":           r.good + ` null`,
			"100 KiB body":                  withField(r.good, `"description":"`+strings.Repeat("a", 100<<10)+`"`),
			"100 KiB of spaces":             r.good + strings.Repeat(" ", 100<<10),
		} {
			status := http.StatusBadRequest
			if strings.HasPrefix(name, "100 KiB") {
				status = http.StatusRequestEntityTooLarge
			}
			body(name, b, status)
		}
		for name, b := range r.wrongTypes {
			body("wrong type: "+name, b, http.StatusBadRequest)
		}
		for name, b := range r.invalid {
			body("invalid: "+name, b, http.StatusUnprocessableEntity)
		}
		if !r.optional {
			body("empty body", ``, http.StatusBadRequest)
			body("blank body", " \n\t", http.StatusBadRequest)
			add(badCase{name: r.name + "/no body", method: r.method, path: r.path, status: http.StatusBadRequest})
		}
		for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json-patch+json", "application/xml", "json", ";;;"} {
			body("content type "+ct, r.good, http.StatusUnsupportedMediaType, header("Content-Type", ct))
		}
	}

	// Path IDs: every route with a client or secret ID, with a body it
	// would accept, so the ID is the only fault.
	goodBody := map[string]any{}
	for _, r := range f.inputRoutes() {
		goodBody[r.method+" "+r.route] = raw(r.good)
	}
	unknownClient := domain.NewClientID()
	unknownSecret := domain.NewSecretID()
	clientIDs := map[string]string{
		"unknown client":             string(unknownClient),
		"malformed client":           "nope",
		"client ID with bad char":    "kwc_" + strings.Repeat("-", 22),
		"client ID too long":         f.client.ClientID + "x",
		"client ID wrong case":       strings.ToUpper(f.client.ClientID),
		"secret ID as client":        f.active,
		"another org's client":       f.foreignClient.ClientID,
		"percent-encoded client":     url.PathEscape("kwc_ünïcödé"),
		"client ID with spaces":      "%20kwc_x",
		"unknown prefix":             "xyz_" + strings.Repeat("a", 22),
		"empty-looking client":       "%00",
		"client of another resource": f.foreignSecret,
	}
	secretIDs := map[string]string{
		"unknown secret":          string(unknownSecret),
		"malformed secret":        "nope",
		"client ID as secret":     f.client.ClientID,
		"another client's secret": f.otherSecret,
		"another org's secret":    f.foreignSecret,
		"secret ID too short":     f.active[:len(f.active)-1],
		"rotation ID as secret":   f.rotation,
	}
	rotationIDs := map[string]string{
		"unknown rotation":          string(domain.NewRotationID()),
		"malformed rotation":        "nope",
		"secret ID as rotation":     f.active,
		"another client's rotation": f.otherRotation,
		"another org's rotation":    f.foreignRotation,
	}
	for _, rt := range (&api.Handler{}).Routes() {
		if !strings.Contains(rt.Path, "{client_id}") {
			continue
		}
		body := goodBody[rt.Method+" "+rt.Path]
		client, id := f.target(rt.Path)
		for name, bad := range clientIDs {
			if rt.Path == publicKeySet && bad == f.foreignClient.ClientID {
				continue // public: every organisation's client answers
			}
			add(badCase{name: rt.Method + " " + rt.Path + "/" + name, method: rt.Method, path: fill(rt.Path, bad, id), body: body, status: http.StatusNotFound})
		}
		if !strings.Contains(rt.Path, "{id}") {
			continue
		}
		ids := secretIDs
		if strings.Contains(rt.Path, "/rotations/") {
			ids = rotationIDs
		}
		for name, bad := range ids {
			add(badCase{name: rt.Method + " " + rt.Path + "/" + name, method: rt.Method, path: fill(rt.Path, client, bad), body: body, status: http.StatusNotFound})
		}
	}

	// User and session IDs.
	userIDs := map[string]string{
		"unknown user":         string(domain.NewUserID()),
		"malformed user":       "nope",
		"another org's user":   f.foreignUser,
		"client ID as user":    f.client.ClientID,
		"user ID too long":     f.user + "x",
		"user ID in capitals":  strings.ToUpper(f.user),
		"percent-encoded user": url.PathEscape("usr_ünïcödé"),
	}
	for _, rt := range (&api.Handler{}).Routes() {
		if !strings.HasPrefix(rt.Path, "/v1/users/{id}") {
			continue
		}
		body := goodBody[rt.Method+" "+rt.Path]
		for name, bad := range userIDs {
			add(badCase{name: rt.Method + " " + rt.Path + "/" + name, method: rt.Method, path: strings.Replace(rt.Path, "{id}", bad, 1), body: body, status: http.StatusNotFound})
		}
	}
	for name, bad := range map[string]string{
		"unknown session":         string(domain.NewSessionID()),
		"malformed session":       "nope",
		"another user's session":  f.otherSession,
		"another org's session":   f.foreignSession,
		"user ID as session":      f.user,
		"current in capitals":     "CURRENT",
		"session ID with a slash": url.PathEscape(f.otherSession + "/x"),
	} {
		add(badCase{name: "DELETE /v1/sessions/{id}/" + name, method: "DELETE", path: "/v1/sessions/" + bad, status: http.StatusNotFound})
	}
	add(badCase{name: "DELETE /v1/sessions/current without a session", method: "DELETE", path: "/v1/sessions/current", status: http.StatusUnprocessableEntity})

	// Credentials: every private route, with a request it would accept.
	for _, rt := range (&api.Handler{}).Routes() {
		if rt.Permission == "" {
			continue
		}
		p := f.real(rt.Path)
		body := goodBody[rt.Method+" "+rt.Path]
		const noToken, badToken = `Bearer realm="keywarden"`, `Bearer realm="keywarden", error="invalid_token"`
		for _, c := range []struct {
			name    string
			opt     reqOpt
			www     string
			audited int64
		}{
			{"no Authorization", noAuth(), noToken, 0},
			{"garbage token", as("garbage"), badToken, 0},
			{"token with a wrong checksum", as(f.unknownTok[:len(f.unknownTok)-1] + "0"), badToken, 0},
			{"unknown token", as(f.unknownTok), badToken, 0},
			{"revoked token", as(f.revokedTok), badToken, 1},
			{"expired token", as(f.expiredTok), badToken, 1},
			{"client secret as token", as(secretvalue.Generate(secretvalue.PrefixClientSecret).Reveal()), badToken, 0},
			{"Basic scheme", header("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("a@acme.test:"+e.token))), badToken, 0},
			{"token without scheme", header("Authorization", e.token), badToken, 0},
			{"empty bearer", header("Authorization", "Bearer "), badToken, 0},
			{"two Authorization headers", func(r *http.Request) { r.Header.Add("Authorization", "Bearer "+e.token) }, badToken, 0},
		} {
			add(badCase{name: rt.Method + " " + rt.Path + "/" + c.name, method: rt.Method, path: p, body: body,
				opts: []reqOpt{c.opt}, status: http.StatusUnauthorized, wwwAuth: c.www, audited: c.audited})
		}
	}

	// Methods: every path, with every method it does not serve.
	served := map[string][]string{}
	var paths []string
	for _, rt := range (&api.Handler{}).Routes() {
		if _, ok := served[rt.Path]; !ok {
			paths = append(paths, rt.Path)
		}
		served[rt.Path] = append(served[rt.Path], rt.Method)
	}
	for _, path := range paths {
		allow := served[path]
		if slices.Contains(allow, "GET") {
			allow = append(allow, "HEAD")
		}
		p := f.real(path)
		for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"} {
			if slices.Contains(allow, m) {
				continue
			}
			add(badCase{name: m + " " + path, method: m, path: p, body: raw(`{}`), status: http.StatusMethodNotAllowed,
				allow: strings.Join(allow, ", ")})
		}
	}

	// Query parameters.
	clientsCursor := base64.RawURLEncoding.EncodeToString([]byte("1700000000000000|" + string(f.client.ClientID)))
	for name, q := range map[string]string{
		"limit=0":                    "limit=0",
		"limit=-1":                   "limit=-1",
		"limit=201":                  "limit=201",
		"limit=abc":                  "limit=abc",
		"limit=1.5":                  "limit=1.5",
		"limit=1e3":                  "limit=1e3",
		"limit=99999999999999999999": "limit=99999999999999999999",
		"cursor=garbage":             "cursor=garbage",
		"cursor=!!!":                 "cursor=" + url.QueryEscape("!!!"),
		"cursor without ID":          "cursor=" + base64.RawURLEncoding.EncodeToString([]byte("123|")),
		"cursor of the audit log":    "cursor=" + base64.RawURLEncoding.EncodeToString([]byte("s5")),
	} {
		add(badCase{name: "GET /v1/clients?" + name, method: "GET", path: "/v1/clients?" + q, status: http.StatusUnprocessableEntity})
	}
	for name, q := range map[string]string{
		"limit=0":               "limit=0",
		"limit=abc":             "limit=abc",
		"limit=201":             "limit=201",
		"since=yesterday":       "since=yesterday",
		"until=tomorrow":        "until=tomorrow",
		"since is a date":       "since=2026-01-01",
		"since month 13":        "since=2026-13-01T00:00:00Z",
		"since with space":      "since=" + url.QueryEscape("2026-01-01 00:00:00"),
		"since unencoded plus":  "since=2026-01-01T00:00:00+02:00",
		"cursor=garbage":        "cursor=garbage",
		"cursor of the clients": "cursor=" + clientsCursor,
		"cursor s0":             "cursor=" + base64.RawURLEncoding.EncodeToString([]byte("s0")),
		"cursor s-5":            "cursor=" + base64.RawURLEncoding.EncodeToString([]byte("s-5")),
	} {
		add(badCase{name: "GET /v1/audit?" + name, method: "GET", path: "/v1/audit?" + q, status: http.StatusUnprocessableEntity})
	}

	for name, q := range map[string]string{
		"tokens=bogus": "tokens=bogus",
		"tokens=KEEP":  "tokens=KEEP",
		"tokens=true":  "tokens=true",
	} {
		add(badCase{name: "DELETE secret?" + name, method: "DELETE", path: secretPath(f.client.ClientID, f.active) + "?" + q, status: http.StatusUnprocessableEntity})
	}

	// Paths no endpoint serves.
	for _, p := range []string{
		"/v1/nope", "/v1", "/v1/", "/", "/v2/clients", "/v1/clients/", "/v1/CLIENTS",
		clientPath(f.client.ClientID) + "/", clientPath(f.client.ClientID) + "/bogus",
		secretsPath(f.client.ClientID) + "/", secretPath(f.client.ClientID, f.active) + "/extra",
		"/v1/policy/x", "/v1/audit/1", "/healthz/x", "/openapi.json", "/v1/clients/" + string(f.client.ClientID) + "/revoke-all/x",
		clientPath(f.rotateClient.ClientID) + "/rotations/" + f.rotation + "/undo", "/v1/keys/" + "key_x", "/v1/keys/rotate/now",
	} {
		for _, m := range []string{"GET", "POST", "DELETE"} {
			add(badCase{name: m + " " + p, method: m, path: p, status: http.StatusNotFound})
		}
	}
	return cases
}

// TestBadInput sends client mistakes to every route that takes input. Each
// must be answered with the exact 4xx as a problem, and change nothing in
// the store (except that failed uses of real tokens are audited).
func TestBadInput(t *testing.T) {
	e := newEnv(t)
	f := newBadFixture(t, e)
	for _, c := range f.cases(e) {
		t.Run(c.name, func(t *testing.T) {
			before := e.snapshot(t, e.boot.Org.ID, f.foreignOrg)
			res := e.do(t, c.method, c.path, c.body, c.opts...)
			wantProblem(t, res, c.status)
			if c.wwwAuth != "" {
				if got := res.Header.Get("WWW-Authenticate"); got != c.wwwAuth {
					t.Errorf("WWW-Authenticate = %q, want %q", got, c.wwwAuth)
				}
			}
			if c.allow != "" {
				if got := res.Header.Get("Allow"); !slices.Equal(sortedList(got), sortedList(c.allow)) {
					t.Errorf("Allow = %q, want %q", got, c.allow)
				}
			}
			sameState(t, before, e.snapshot(t, e.boot.Org.ID, f.foreignOrg), c.audited)
		})
	}
}
