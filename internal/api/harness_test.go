package api_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/pquerna/otp/totp"

	kwapi "keywarden/api"
	"keywarden/internal/account"
	"keywarden/internal/config"
	"keywarden/internal/domain"
	"keywarden/internal/keyring"
	"keywarden/internal/secretvalue"
	"keywarden/internal/server"
	"keywarden/pkg/apiv1"
)

// spec is the OpenAPI document the server embeds and serves, loaded and
// validated once per test binary.
type spec struct {
	doc    *openapi3.T
	router routers.Router
}

var loadSpec = sync.OnceValues(func() (*spec, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(kwapi.OpenAPI)
	if err != nil {
		return nil, fmt.Errorf("load api/openapi.yaml: %w", err)
	}
	if err := doc.Validate(context.Background(), openapi3.EnableExamplesValidation()); err != nil {
		return nil, fmt.Errorf("validate api/openapi.yaml: %w", err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("router for api/openapi.yaml: %w", err)
	}
	return &spec{doc: doc, router: router}, nil
})

func mustSpec(t *testing.T) *spec {
	t.Helper()
	s, err := loadSpec()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// env is one Keywarden server on a fresh SQLite data directory, with an
// organisation whose super admin's API token is token. core is a second
// handle on the same database, for seeding users and tokens and for
// snapshots of the store.
type env struct {
	core    *server.Core
	handler http.Handler
	boot    account.Bootstrap
	token   string
	spec    *spec
	// validated counts, per "METHOD /path/template", the responses
	// checked against the document, by status.
	mu        sync.Mutex
	validated map[string]map[int]int
	// github signs partner-program leak reports the server accepts.
	github *gitHubReporter
}

func newEnv(t *testing.T) *env { return newEnvWith(t, nil) }

// newEnvWith is newEnv with tune applied to the server's configuration.
func newEnvWith(t *testing.T, tune func(*config.Config)) *env {
	t.Helper()
	ctx := t.Context()
	cfg := config.Defaults()
	cfg.DataDir = t.TempDir()
	cfg.Dev = true
	github := newGitHubReporter(t)
	cfg.LeakGitHubKeysFile = github.file
	cfg.PublicURL = "http://keywarden.test" // the redirect URI identity providers send browsers back to
	if tune != nil {
		tune(&cfg)
	}
	core, err := server.OpenCore(ctx, cfg)
	if err != nil {
		t.Fatalf("server.OpenCore: %v", err)
	}
	t.Cleanup(func() { core.Close() })
	boot, err := core.Accounts.Init(ctx, "Acme", "a@acme.test")
	if err != nil {
		t.Fatalf("Accounts.Init: %v", err)
	}
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelError}))
	srv, err := server.New(ctx, cfg, log)
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	return &env{
		core: core, handler: srv.Handler(), boot: boot, token: boot.APIToken.Reveal(),
		spec: mustSpec(t), validated: map[string]map[int]int{}, github: github,
	}
}

// newOrg creates another organisation on the same store and returns its
// super admin's token.
func (e *env) newOrg(t *testing.T, name, email string) account.Bootstrap {
	t.Helper()
	b, err := e.core.Accounts.Init(t.Context(), name, email)
	if err != nil {
		t.Fatalf("Accounts.Init(%s): %v", name, err)
	}
	return b
}

// userToken creates a user with role in org and an API token for them,
// the way account.Init does, and returns the token. expires and revoked
// make tokens that must be refused.
func (e *env) userToken(t *testing.T, org domain.OrgID, role domain.Role, expires, revoked *time.Time) (domain.User, string) {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Microsecond)
	u := domain.User{
		ID: domain.NewUserID(), OrgID: org, Email: strings.ToLower(domain.NewID("u")) + "@acme.test", Role: role,
		PasswordHash: secretvalue.HashSupplied(secretvalue.GeneratePassword()), CreatedAt: now,
	}
	if err := e.core.Store.CreateUser(t.Context(), u); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	return u, e.tokenFor(t, u, expires, revoked)
}

func (e *env) tokenFor(t *testing.T, u domain.User, expires, revoked *time.Time) string {
	t.Helper()
	value := secretvalue.Generate(secretvalue.PrefixAPIToken)
	tok := domain.APIToken{
		ID: domain.NewAPITokenID(), OrgID: u.OrgID, UserID: u.ID, Name: "test token",
		Verifier: secretvalue.Verifier(e.core.Keyring.Derive(keyring.PurposeSecretVerifier), value),
		Hint:     value.Hint(), CreatedAt: time.Now().UTC().Truncate(time.Microsecond), ExpiresAt: expires, RevokedAt: revoked,
	}
	if err := e.core.Store.CreateAPIToken(t.Context(), tok); err != nil {
		t.Fatalf("CreateAPIToken: %v", err)
	}
	return value.Reveal()
}

// reqOpt changes a request before it is sent.
type reqOpt func(r *http.Request)

// as sends the request with token instead of the super admin's.
func as(token string) reqOpt {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }
}

// header sets (or, with value "", removes) a request header.
func header(name, value string) reqOpt {
	return func(r *http.Request) {
		if value == "" {
			r.Header.Del(name)
		} else {
			r.Header.Set(name, value)
		}
	}
}

// noAuth sends the request without an Authorization header.
func noAuth() reqOpt { return header("Authorization", "") }

// raw is a request body sent as it is.
type raw string

// response is a recorded answer.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r response) String() string {
	return fmt.Sprintf("%d %s %s", r.Status, r.Header.Get("Content-Type"), bytes.TrimSpace(r.Body))
}

// do sends one request to the server in-process and checks the response
// against the OpenAPI document. body is nil for none, raw for bytes as they
// are, and anything else is sent as JSON. A body gets Content-Type
// application/json unless an option changes it.
func (e *env) do(t *testing.T, method, path string, body any, opts ...reqOpt) response {
	t.Helper()
	var payload []byte
	switch b := body.(type) {
	case nil:
	case raw:
		payload = []byte(b)
	default:
		var err error
		if payload, err = json.Marshal(b); err != nil {
			t.Fatalf("marshal request body: %v", err)
		}
	}
	build := func() *http.Request {
		r := httptest.NewRequestWithContext(t.Context(), method, path, bytes.NewReader(payload))
		if body != nil {
			r.Header.Set("Content-Type", "application/json")
		}
		r.Header.Set("Authorization", "Bearer "+e.token)
		for _, o := range opts {
			o(r)
		}
		return r
	}
	w := httptest.NewRecorder()
	e.handler.ServeHTTP(w, build())
	res := response{Status: w.Code, Header: w.Result().Header, Body: w.Body.Bytes()}
	if res.Status >= 500 {
		t.Errorf("%s %s: server error %s", method, path, res)
	}
	e.checkResponse(t, build(), payload, res)
	return res
}

// checkResponse validates res against the document: the operation's
// documented status, headers, content type and body schema. Requests that
// succeeded are validated too, so that the document accepts what the
// server does. Paths and methods the document does not have are checked
// against the shared 404 and 405 responses.
func (e *env) checkResponse(t *testing.T, req *http.Request, payload []byte, res response) {
	t.Helper()
	if req.Method == http.MethodHead {
		if len(res.Body) != 0 {
			t.Errorf("HEAD %s: body %q", req.URL.Path, res.Body)
		}
		return
	}
	doc := e.spec.doc
	route, params, err := e.spec.router.FindRoute(req)
	key := ""
	switch {
	case err == nil:
		key = route.Method + " " + route.Path
	case errors.Is(err, routers.ErrMethodNotAllowed):
		// A path of the document with a method it does not have: the
		// server must answer with the documented 405.
		route, params = e.anyRoute(t, req)
		if res.Status != http.StatusMethodNotAllowed {
			t.Errorf("%s %s: the document has no such operation, but the server answered %s", req.Method, req.URL.Path, res)
			return
		}
		key = "* " + route.Path
	case errors.Is(err, routers.ErrPathNotFound):
		if res.Status != http.StatusNotFound {
			t.Errorf("%s %s: the document has no such path, but the server answered %s", req.Method, req.URL.Path, res)
			return
		}
		notFound := doc.Components.Responses["NotFound"]
		op := &openapi3.Operation{Responses: openapi3.NewResponses(openapi3.WithStatus(http.StatusNotFound, notFound))}
		route = &routers.Route{Spec: doc, Path: req.URL.Path, PathItem: &openapi3.PathItem{}, Method: req.Method, Operation: op}
		key = "unknown path"
	default:
		t.Fatalf("FindRoute(%s %s): %v", req.Method, req.URL, err)
	}
	in := &openapi3filter.RequestValidationInput{
		Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true},
	}
	if res.Status < 300 && key != "unknown path" && !strings.HasPrefix(key, "* ") {
		if len(payload) > 0 && req.Header.Get("Content-Type") == "" {
			// The server reads a body without a Content-Type as JSON, as
			// the document says; the validator needs to be told.
			req.Header.Set("Content-Type", "application/json")
		}
		if err := openapi3filter.ValidateRequest(t.Context(), in); err != nil {
			t.Errorf("%s %s: the server accepted (%d) a request the document refuses: %v\nbody: %s", req.Method, req.URL, res.Status, err, payload)
		}
		req.Body = io.NopCloser(bytes.NewReader(payload))
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 res.Status,
		Header:                 res.Header,
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	out.SetBodyBytes(res.Body)
	if err := openapi3filter.ValidateResponse(t.Context(), out); err != nil {
		t.Errorf("%s %s: response does not match the document (%s): %v\nresponse: %s", req.Method, req.URL, key, err, res)
	}
	if ref := route.Operation.Responses.Status(res.Status); ref != nil && ref.Value != nil && len(ref.Value.Content) == 0 && len(res.Body) != 0 {
		t.Errorf("%s %s: %d is documented without a body, but the server sent %q", req.Method, req.URL, res.Status, res.Body)
	}
	e.mu.Lock()
	if e.validated[key] == nil {
		e.validated[key] = map[int]int{}
	}
	e.validated[key][res.Status]++
	e.mu.Unlock()
}

// anyRoute returns a route of the document for req's path with whichever
// method the path has, to validate a 405 against.
func (e *env) anyRoute(t *testing.T, req *http.Request) (*routers.Route, map[string]string) {
	t.Helper()
	for _, m := range []string{"GET", "POST", "PATCH", "DELETE"} {
		r := req.Clone(req.Context())
		r.Method = m
		if route, params, err := e.spec.router.FindRoute(r); err == nil {
			return route, params
		}
	}
	t.Fatalf("no operation of the document serves %s", req.URL.Path)
	return nil, nil
}

// decode parses a JSON response body strictly into T.
func decode[T any](t *testing.T, res response) T {
	t.Helper()
	var v T
	dec := json.NewDecoder(bytes.NewReader(res.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %T from %s: %v", v, res, err)
	}
	return v
}

// want fails the test unless res has status.
func want(t *testing.T, res response, status int) {
	t.Helper()
	if res.Status != status {
		t.Fatalf("status = %d, want %d; response: %s", res.Status, status, res)
	}
}

// problemSlugs are the problem types of the admin API by status.
var problemSlugs = map[int]string{
	400: "bad-request", 401: "unauthenticated", 403: "forbidden", 404: "not-found", 405: "method-not-allowed",
	409: "conflict", 413: "too-large", 415: "unsupported-media-type", 422: "invalid", 429: "rate-limited",
}

// wantProblem checks that res is a problem with status, of the status's
// usual type, and returns it.
func wantProblem(t *testing.T, res response, status int) apiv1.Problem {
	t.Helper()
	return wantProblemType(t, res, status, problemSlugs[status])
}

// wantProblemType checks that res is a problem with status and the type
// https://keywarden.dev/problems/<slug>, and returns it.
func wantProblemType(t *testing.T, res response, status int, slug string) apiv1.Problem {
	t.Helper()
	if res.Status != status {
		t.Errorf("status = %d, want %d; response: %s", res.Status, status, res)
	}
	ct := res.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/problem+json" {
		t.Errorf("Content-Type = %q, want application/problem+json", ct)
	}
	var p apiv1.Problem
	dec := json.NewDecoder(bytes.NewReader(res.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Errorf("body is not a problem: %v; response: %s", err, res)
		return p
	}
	if p.Status != res.Status {
		t.Errorf("problem status = %d, HTTP status %d", p.Status, res.Status)
	}
	if wantType := "https://keywarden.dev/problems/" + slug; p.Type != wantType {
		t.Errorf("problem type = %q, want %q", p.Type, wantType)
	}
	if p.Title != http.StatusText(res.Status) {
		t.Errorf("problem title = %q, want %q", p.Title, http.StatusText(res.Status))
	}
	if id := res.Header.Get("X-Request-Id"); p.Instance != id || id == "" {
		t.Errorf("problem instance = %q, X-Request-Id = %q; want the same request ID", p.Instance, id)
	}
	return p
}

// Paths of the API, for building request URLs.
func clientPath(id string) string         { return "/v1/clients/" + id }
func secretsPath(client string) string    { return clientPath(client) + "/secrets" }
func secretPath(client, id string) string { return secretsPath(client) + "/" + id }

// createClient creates a client through the API.
func (e *env) createClient(t *testing.T, name string) apiv1.Client {
	t.Helper()
	res := e.do(t, "POST", "/v1/clients", apiv1.CreateClient{Name: name, Scopes: []string{"read"}})
	want(t, res, http.StatusCreated)
	return decode[apiv1.Client](t, res)
}

// createSecret adds a secret through the API.
func (e *env) createSecret(t *testing.T, client string, in apiv1.CreateSecret, opts ...reqOpt) apiv1.CreatedSecret {
	t.Helper()
	res := e.do(t, "POST", secretsPath(client), in, opts...)
	want(t, res, http.StatusCreated)
	return decode[apiv1.CreatedSecret](t, res)
}

func (e *env) listSecrets(t *testing.T, client string) []apiv1.Secret {
	t.Helper()
	res := e.do(t, "GET", secretsPath(client), nil)
	want(t, res, http.StatusOK)
	return decode[apiv1.SecretList](t, res).Items
}

// snapshot is everything a request could change in the store: the
// organisations' clients with their secrets, rotations and refresh tokens,
// their policies, the installation's signing keys, and the length of the
// (installation-wide) audit chain.
type snapshot struct {
	Orgs        []orgSnapshot
	SigningKeys []domain.SigningKey
	AuditCount  int64
}

type orgSnapshot struct {
	ID      string
	Policy  domain.Policy
	Clients []clientSnapshot
}

type clientSnapshot struct {
	Client        domain.Client
	Secrets       []secretSnapshot
	Rotations     []domain.Rotation
	RefreshTokens []domain.RefreshToken
}

type secretSnapshot struct {
	ID, Description, Hint string
	Origin                domain.SecretOrigin
	ExpiresAt, RevokedAt  *time.Time
	LastUsedAt            *time.Time
	AllowedCIDRs          []string
	KeepTokens            bool
}

// snapshot reads the state of orgs (the env's own when none is given).
func (e *env) snapshot(t *testing.T, orgs ...domain.OrgID) snapshot {
	t.Helper()
	ctx := t.Context()
	if len(orgs) == 0 {
		orgs = []domain.OrgID{e.boot.Org.ID}
	}
	var s snapshot
	for _, org := range orgs {
		o, err := e.core.Store.GetOrg(ctx, org)
		if err != nil {
			t.Fatalf("GetOrg: %v", err)
		}
		os := orgSnapshot{ID: string(org), Policy: o.Policy}
		page := domain.Page{Limit: domain.MaxLimit}
		for {
			clients, next, err := e.core.Store.ListClients(ctx, org, page)
			if err != nil {
				t.Fatalf("ListClients: %v", err)
			}
			for _, c := range clients {
				secrets, err := e.core.Store.ListSecrets(ctx, org, c.ID)
				if err != nil {
					t.Fatalf("ListSecrets: %v", err)
				}
				cs := clientSnapshot{Client: c}
				for _, x := range secrets {
					cs.Secrets = append(cs.Secrets, secretSnapshot{ID: string(x.ID), Description: x.Description, Hint: x.Hint,
						Origin: x.Origin, ExpiresAt: x.ExpiresAt, RevokedAt: x.RevokedAt, LastUsedAt: x.LastUsedAt,
						AllowedCIDRs: x.AllowedCIDRs, KeepTokens: x.KeepTokens})
				}
				if cs.Rotations, _, err = e.core.Store.ListRotations(ctx, org, c.ID, domain.Page{Limit: domain.MaxLimit}); err != nil {
					t.Fatalf("ListRotations: %v", err)
				}
				if cs.RefreshTokens, _, err = e.core.Store.ListRefreshTokens(ctx, org, c.ID, domain.Page{Limit: domain.MaxLimit}); err != nil {
					t.Fatalf("ListRefreshTokens: %v", err)
				}
				os.Clients = append(os.Clients, cs)
			}
			if next == "" {
				break
			}
			page.After = next
		}
		s.Orgs = append(s.Orgs, os)
	}
	keys, err := e.core.Store.ListSigningKeys(ctx)
	if err != nil {
		t.Fatalf("ListSigningKeys: %v", err)
	}
	for _, k := range keys {
		k.Sealed = nil
		s.SigningKeys = append(s.SigningKeys, k)
	}
	seq, _, err := e.core.Store.AuditHead(ctx)
	if err != nil {
		t.Fatalf("AuditHead: %v", err)
	}
	s.AuditCount = seq
	return s
}

// sameState fails the test when the store changed between before and
// after, other than by audited more audit events.
func sameState(t *testing.T, before, after snapshot, audited int64) {
	t.Helper()
	if got := after.AuditCount - before.AuditCount; got != audited {
		t.Errorf("the request added %d audit events, want %d", got, audited)
	}
	before.AuditCount, after.AuditCount = 0, 0
	if !reflect.DeepEqual(before, after) {
		t.Errorf("the request changed the store:\nbefore: %s\nafter:  %s", dump(before), dump(after))
	}
}

func dump(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// sortedList splits a comma-separated header value into sorted items.
func sortedList(s string) []string {
	var out []string
	for f := range strings.SplitSeq(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	slices.Sort(out)
	return out
}

func ptr[T any](v T) *T { return &v }

// person is a user created for a test, with what the test knows of them.
type person struct {
	User     domain.User
	Password string // the current password
	Token    string // an admin API token (kwt_) of the user
	// MFASecret is the TOTP secret once the user enrolled through the API.
	MFASecret string
	// lastStep is the TOTP time step of the newest code used.
	lastStep int64
}

// code returns a TOTP code for p's secret that is valid now and whose time
// step is later than that of every code p used before, so that a server
// that refuses replayed codes (RFC 6238 §5.2) accepts it. It waits for the
// next time step when it must.
func (p *person) code(t *testing.T) string {
	t.Helper()
	if p.MFASecret == "" {
		t.Fatalf("%s has no TOTP secret", p.User.Email)
	}
	for {
		now := time.Now()
		step, left := now.Unix()/30, 30-now.Unix()%30
		// The server accepts the previous, current and next step.
		for _, s := range []int64{step - 1, step, step + 1} {
			if s <= p.lastStep || s == step-1 && left < 5 {
				continue
			}
			code, err := totp.GenerateCode(p.MFASecret, time.Unix(s*30, 0))
			if err != nil {
				t.Fatalf("totp.GenerateCode: %v", err)
			}
			p.lastStep = s
			return code
		}
		time.Sleep(time.Duration(left) * time.Second)
	}
}

func (a *person) ID() string    { return string(a.User.ID) }
func (a *person) Email() string { return a.User.Email }

// invite creates a user with role in org through the account service (as
// the organisation's system actor would) and an API token for them. The
// user still has their one-time password, which they must change at first
// login.
func (e *env) invite(t *testing.T, org domain.OrgID, role domain.Role) *person {
	t.Helper()
	email := strings.ToLower(domain.NewID("u")) + "@example.test"
	n, err := e.core.Accounts.InviteUser(t.Context(), domain.System(org, "test"), email, role)
	if err != nil {
		t.Fatalf("InviteUser(%s, %s): %v", email, role, err)
	}
	return &person{User: n.User, Password: n.Password.Reveal(), Token: e.tokenFor(t, n.User, nil, nil)}
}

// activate replaces the account's one-time password through the API, as
// the user does at first login.
func (e *env) activate(t *testing.T, a *person) {
	t.Helper()
	next := "pw-" + strings.ToLower(domain.NewID(""))
	want(t, e.do(t, "POST", "/v1/me/password", apiv1.ChangePassword{CurrentPassword: a.Password, NewPassword: next}, as(a.Token)), http.StatusNoContent)
	a.Password = next
	a.User.MustChangePassword = false
}

// user is invite and activate: a user who has chosen their password.
func (e *env) user(t *testing.T, org domain.OrgID, role domain.Role) *person {
	t.Helper()
	a := e.invite(t, org, role)
	e.activate(t, a)
	return a
}

// login opens a session through POST /v1/sessions and fails the test
// unless it succeeds.
func (e *env) login(t *testing.T, in apiv1.Login) apiv1.NewSession {
	t.Helper()
	res := e.do(t, "POST", "/v1/sessions", in, noAuth())
	want(t, res, http.StatusCreated)
	return decode[apiv1.NewSession](t, res)
}

// sessionFor opens a session for u directly in the store (no password
// check) and returns its ID and bearer token.
func (e *env) sessionFor(t *testing.T, u domain.User) (id, token string) {
	t.Helper()
	value := secretvalue.Generate(secretvalue.PrefixSession)
	now := time.Now().UTC().Truncate(time.Microsecond)
	x := domain.Session{ID: domain.NewSessionID(), OrgID: u.OrgID, UserID: u.ID,
		Verifier:  secretvalue.Verifier(e.core.Keyring.Derive(keyring.PurposeSecretVerifier), value),
		CreatedAt: now, ExpiresAt: now.Add(time.Hour), Source: "192.0.2.1", UserAgent: "test"}
	if err := e.core.Store.CreateSession(t.Context(), x); err != nil {
		t.Fatalf("CreateSession: %v", err)
	}
	return string(x.ID), value.Reveal()
}

// enrolMFA turns MFA on for a through the API and returns the recovery
// codes.
func (e *env) enrolMFA(t *testing.T, a *person) []string {
	t.Helper()
	res := e.do(t, "POST", "/v1/me/mfa", nil, as(a.Token))
	want(t, res, http.StatusCreated)
	secret := decode[apiv1.MFAEnrolment](t, res).Secret
	a.MFASecret = secret
	res = e.do(t, "POST", "/v1/me/mfa/confirm", apiv1.MFACode{Code: a.code(t)}, as(a.Token))
	want(t, res, http.StatusOK)
	return decode[apiv1.RecoveryCodes](t, res).RecoveryCodes
}

// wrongCode returns a 6-digit code that no authenticator app would show
// for p now.
func (p *person) wrongCode(t *testing.T) string {
	t.Helper()
	valid := map[string]bool{}
	for _, d := range []time.Duration{-30 * time.Second, 0, 30 * time.Second} {
		code, err := totp.GenerateCode(p.MFASecret, time.Now().Add(d))
		if err != nil {
			t.Fatalf("totp.GenerateCode: %v", err)
		}
		valid[code] = true
	}
	for _, c := range []string{"000000", "111111", "222222", "333333"} {
		if !valid[c] {
			return c
		}
	}
	panic("unreachable")
}

// basicAuth is an Authorization header with HTTP Basic credentials, each
// part form-urlencoded first (RFC 6749 §2.3.1).
func basicAuth(id, secret string) reqOpt {
	v := base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id) + ":" + url.QueryEscape(secret)))
	return header("Authorization", "Basic "+v)
}

// form posts an application/x-www-form-urlencoded body to an OAuth
// endpoint. Without options it sends no Authorization header.
func (e *env) form(t *testing.T, path string, values url.Values, opts ...reqOpt) response {
	t.Helper()
	opts = append([]reqOpt{noAuth(), header("Content-Type", "application/x-www-form-urlencoded")}, opts...)
	return e.do(t, "POST", path, raw(values.Encode()), opts...)
}

// personalToken gets an access token for a personal credential at the
// token endpoint (client_credentials, client_secret_basic).
func (e *env) personalToken(t *testing.T, clientID, secret string) string {
	t.Helper()
	res := e.form(t, "/oauth2/token", url.Values{"grant_type": {"client_credentials"}}, basicAuth(clientID, secret))
	want(t, res, http.StatusOK)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(res.Body, &tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("token response %s: %v", res, err)
	}
	return tok.AccessToken
}
