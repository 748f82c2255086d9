package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"keywarden/internal/account"
	"keywarden/internal/audit"
	"keywarden/internal/auditstream"
	"keywarden/internal/authz"
	"keywarden/internal/credential"
	"keywarden/internal/domain"
	"keywarden/internal/dpop"
	"keywarden/internal/federation"
	"keywarden/internal/httpx"
	"keywarden/internal/leak"
	"keywarden/internal/problem"
	"keywarden/internal/token"
	"keywarden/internal/webhook"
)

// Handler serves the admin API. server.New fills in its fields.
type Handler struct {
	Accounts    *account.Service
	Credentials *credential.Service
	Audit       *audit.Log
	Refresh     *token.Refresh
	Keys        *token.Keys
	// Tokens issues the access tokens of /v1/auth/login and tells which
	// user a personal credential's access token acts as.
	Tokens *token.Issuer
	Log    *slog.Logger
	// Ready reports whether the server can serve (the store answers).
	Ready func(ctx context.Context) error
	// OpenAPI is the document served at /openapi.yaml.
	OpenAPI []byte
	// Webhooks serves webhook endpoints' health and delivery logs.
	Webhooks *webhook.Service
	// Cookies is the session cookie's policy, the console's too.
	Cookies httpx.Cookies
	// Leaks answers leak reports; GitHubKeys (nil: the partner endpoint is
	// off) verify GitHub's, LeakGate refuses their replays, and
	// LeakReporterToken ("" for none) is the bearer token that may report
	// and do nothing else.
	Leaks             *leak.Service
	GitHubKeys        *leak.GitHubKeys
	LeakGate          leak.ReportGate
	LeakReporterToken string
	// AuditStreams manages the organisations' own audit streams.
	AuditStreams *auditstream.Service
	// DPoP checks the proofs that come with DPoP-bound access tokens
	// (Authorization: DPoP); Issuer is the base of their htu.
	DPoP   *dpop.Verifier
	Issuer func() string
	// Federation manages the organisations' identity providers.
	Federation *federation.Service
}

// endpoint is a handler that returns its error; the adapter renders it.
type endpoint func(w http.ResponseWriter, r *http.Request) error

// authed is an endpoint that runs for an authenticated, authorised actor.
type authed func(w http.ResponseWriter, r *http.Request, by domain.Actor) error

// Route is one method and path the API serves, with the operation it does
// and the permission that needs (both "" for public routes). Routes is the
// list the OpenAPI and permission tests check.
type Route struct {
	Method     string
	Path       string
	Operation  authz.Operation
	Permission authz.Permission
	// Unrestricted routes stay open to a restricted actor (one who must
	// first change a one-time password or enrol MFA).
	Unrestricted bool
	// Reporter routes also take the leak-reporter token.
	Reporter bool
	public   endpoint
	private  authed
}

func (h *Handler) routes() []Route {
	pub := func(method, path string, fn endpoint) Route {
		return Route{Method: method, Path: path, public: fn}
	}
	priv := func(method, path string, op authz.Operation, fn authed) Route {
		return Route{Method: method, Path: path, Operation: op, Permission: authz.Required(op), private: fn}
	}
	// self routes manage the caller's own login: open to a restricted
	// session, which must first fix what restricts it.
	self := func(method, path string, op authz.Operation, fn authed) Route {
		rt := priv(method, path, op, fn)
		rt.Unrestricted = true
		return rt
	}
	reporter := func(rt Route) Route {
		rt.Reporter = true
		return rt
	}
	return []Route{
		pub("GET", "/healthz", h.healthz),
		pub("GET", "/readyz", h.readyz),
		pub("GET", "/openapi.yaml", h.openapi),
		pub("GET", "/v1/webhook-keys/{client_id}", h.webhookKeySet),

		priv("POST", "/v1/clients", authz.CreateClient, h.createClient),
		priv("GET", "/v1/clients", authz.ListClients, h.listClients),
		priv("GET", "/v1/clients/{client_id}", authz.ReadClient, h.getClient),
		priv("PATCH", "/v1/clients/{client_id}", authz.UpdateClient, h.updateClient),
		priv("DELETE", "/v1/clients/{client_id}", authz.DeleteClient, h.deleteClient),
		priv("POST", "/v1/clients/{client_id}/revoke-all", authz.RevokeAll, h.revokeAll),
		priv("GET", "/v1/clients/{client_id}/activity", authz.ReadClientAudit, h.clientActivity),

		priv("POST", "/v1/clients/{client_id}/secrets", authz.CreateSecret, h.createSecret),
		priv("GET", "/v1/clients/{client_id}/secrets", authz.ListSecrets, h.listSecrets),
		priv("POST", "/v1/clients/{client_id}/secrets/rotate", authz.RotateSecrets, h.rotate),
		priv("GET", "/v1/clients/{client_id}/secrets/{id}", authz.ReadSecret, h.getSecret),
		priv("PATCH", "/v1/clients/{client_id}/secrets/{id}", authz.UpdateSecret, h.updateSecret),
		priv("DELETE", "/v1/clients/{client_id}/secrets/{id}", authz.RevokeSecret, h.revokeSecret),
		priv("POST", "/v1/clients/{client_id}/keys", authz.CreateClientKey, h.createClientKey),
		priv("GET", "/v1/clients/{client_id}/keys", authz.ListClientKeys, h.listClientKeys),
		priv("GET", "/v1/clients/{client_id}/keys/{id}", authz.ReadClientKey, h.getClientKey),
		priv("PATCH", "/v1/clients/{client_id}/keys/{id}", authz.UpdateClientKey, h.updateClientKey),
		priv("DELETE", "/v1/clients/{client_id}/keys/{id}", authz.RevokeClientKey, h.revokeClientKey),

		priv("GET", "/v1/clients/{client_id}/rotations", authz.ReadRotation, h.listRotations),
		priv("GET", "/v1/clients/{client_id}/rotations/{id}", authz.ReadRotation, h.getRotation),
		priv("POST", "/v1/clients/{client_id}/rotations/{id}/complete", authz.CompleteRotate, h.completeRotation),
		priv("POST", "/v1/clients/{client_id}/refresh-tokens", authz.CreateRefresh, h.createRefreshToken),
		priv("GET", "/v1/clients/{client_id}/refresh-tokens", authz.ListRefresh, h.listRefreshTokens),

		priv("GET", "/v1/keys", authz.ListKeys, h.listKeys),
		priv("POST", "/v1/keys/rotate", authz.RotateKeys, h.rotateKeys),

		pub("POST", "/v1/sessions", h.login),
		pub("POST", "/v1/auth/oidc", h.exchangeOIDCCode),
		pub("POST", "/v1/auth/login", h.passwordLogin),
		self("GET", "/v1/sessions", authz.ListSessions, h.listSessions),
		self("DELETE", "/v1/sessions/{id}", authz.EndSession, h.endSession),
		self("GET", "/v1/me", authz.ReadMe, h.me),
		self("POST", "/v1/me/password", authz.ChangePassword, h.changePassword),
		self("POST", "/v1/me/mfa", authz.ManageMFA, h.beginMFA),
		self("POST", "/v1/me/mfa/confirm", authz.ManageMFA, h.confirmMFA),
		self("POST", "/v1/me/mfa/disable", authz.ManageMFA, h.disableMFA),
		priv("GET", "/v1/me/credential", authz.ReadOwnCred, h.getMyCredential),
		priv("POST", "/v1/me/credential", authz.CreateOwnCred, h.createMyCredential),
		priv("POST", "/v1/me/credential/rotate", authz.RotateOwnCred, h.rotateMyCredential),
		priv("DELETE", "/v1/me/credential", authz.RevokeOwnCred, h.revokeMyCredential),

		priv("GET", "/v1/api-tokens", authz.ListAPITokens, h.listAPITokens),
		priv("POST", "/v1/api-tokens", authz.CreateAPIToken, h.createAPIToken),
		priv("GET", "/v1/api-tokens/{id}", authz.ReadAPIToken, h.getAPIToken),
		priv("DELETE", "/v1/api-tokens/{id}", authz.RevokeAPIToken, h.revokeAPIToken),
		priv("POST", "/v1/api-tokens/{id}/rotate", authz.RotateAPIToken, h.rotateAPIToken),

		priv("GET", "/v1/users", authz.ListUsers, h.listUsers),
		priv("POST", "/v1/users", authz.InviteUser, h.inviteUser),
		priv("GET", "/v1/users/{id}", authz.ReadUser, h.getUser),
		priv("PATCH", "/v1/users/{id}", authz.UpdateUser, h.updateUser),
		priv("DELETE", "/v1/users/{id}", authz.DeleteUser, h.deleteUser),
		priv("GET", "/v1/users/{id}/credential", authz.ReadUserCred, h.getUserCredential),
		priv("DELETE", "/v1/users/{id}/credential", authz.RevokeUserCred, h.revokeUserCredential),
		priv("GET", "/v1/users/{id}/api-tokens", authz.ListUserTokens, h.listUserAPITokens),
		priv("DELETE", "/v1/users/{id}/api-tokens/{token_id}", authz.RevokeUserToken, h.revokeUserAPIToken),

		priv("GET", "/v1/policy", authz.ReadPolicyOp, h.getPolicy),
		priv("PATCH", "/v1/policy", authz.UpdatePolicy, h.updatePolicy),
		priv("GET", "/v1/audit", authz.ReadAuditLog, h.listAudit),
		priv("GET", "/v1/audit/streams", authz.ListAuditStreams, h.listAuditStreams),
		priv("POST", "/v1/audit/streams", authz.CreateAuditStream, h.createAuditStream),
		priv("GET", "/v1/audit/streams/{id}", authz.ReadAuditStream, h.getAuditStream),
		priv("DELETE", "/v1/audit/streams/{id}", authz.DeleteAuditStream, h.deleteAuditStream),
		priv("GET", "/v1/identity-providers", authz.ListIdentityProviders, h.listIdentityProviders),
		priv("POST", "/v1/identity-providers", authz.CreateIdentityProvider, h.createIdentityProvider),
		priv("GET", "/v1/identity-providers/{id}", authz.ReadIdentityProvider, h.getIdentityProvider),
		priv("PATCH", "/v1/identity-providers/{id}", authz.UpdateIdentityProvider, h.updateIdentityProvider),
		priv("DELETE", "/v1/identity-providers/{id}", authz.DeleteIdentityProvider, h.deleteIdentityProvider),
		priv("GET", "/v1/overview", authz.ReadOverview, h.overview),
		reporter(priv("POST", "/v1/leaks", authz.ReportLeak, h.reportLeaks)),
		priv("GET", "/v1/leaks", authz.ListLeaks, h.listLeaks),
		pub("POST", "/v1/leaks/github", h.githubLeaks),

		priv("GET", "/v1/clients/{client_id}/webhook", authz.ReadWebhook, h.getWebhook),
		priv("POST", "/v1/clients/{client_id}/webhook/enable", authz.EnableWebhook, h.enableWebhook),
		priv("POST", "/v1/clients/{client_id}/webhook/replay", authz.ReplayWebhook, h.replayWebhook),
		priv("POST", "/v1/clients/{client_id}/webhook/test", authz.SendTestWebhook, h.sendTestWebhook),
		priv("GET", "/v1/clients/{client_id}/webhook/signing-keys", authz.ReadWebhook, h.listWebhookSigningKeys),
		priv("POST", "/v1/clients/{client_id}/webhook/signing-keys", authz.CreateWebhookKey, h.createWebhookSigningKey),
		priv("DELETE", "/v1/clients/{client_id}/webhook/signing-keys/{id}", authz.RetireWebhookKey, h.retireWebhookSigningKey),
		priv("GET", "/v1/clients/{client_id}/webhook/deliveries", authz.ReadWebhook, h.listWebhookDeliveries),
		priv("GET", "/v1/clients/{client_id}/webhook/deliveries/{id}", authz.ReadWebhook, h.getWebhookDelivery),
		priv("POST", "/v1/clients/{client_id}/webhook/deliveries/{id}/redeliver", authz.Redeliver, h.redeliverWebhook),
		priv("DELETE", "/v1/clients/{client_id}/webhook/deliveries/{id}/payload", authz.DeleteWebhookPayload, h.deleteWebhookPayload),
		priv("GET", "/v1/webhook-endpoints", authz.ListOrgWebhooks, h.listOrgWebhooks),
		priv("POST", "/v1/webhook-endpoints", authz.CreateOrgWebhook, h.createOrgWebhook),
		priv("GET", "/v1/webhook-endpoints/{id}", authz.ReadOrgWebhook, h.getOrgWebhook),
		priv("PATCH", "/v1/webhook-endpoints/{id}", authz.UpdateOrgWebhook, h.updateOrgWebhook),
		priv("DELETE", "/v1/webhook-endpoints/{id}", authz.DeleteOrgWebhook, h.deleteOrgWebhook),
		priv("POST", "/v1/webhook-endpoints/{id}/rotate-secret", authz.RotateOrgWebhook, h.rotateOrgWebhook),
		priv("POST", "/v1/webhook-endpoints/{id}/replay", authz.ReplayOrgWebhook, h.replayOrgWebhook),
		priv("GET", "/v1/webhook-endpoints/{id}/deliveries", authz.ReadOrgWebhook, h.listOrgWebhookDeliveries),
		priv("GET", "/v1/webhook-endpoints/{id}/deliveries/{delivery_id}", authz.ReadOrgWebhook, h.getOrgWebhookDelivery),
		priv("POST", "/v1/webhook-endpoints/{id}/deliveries/{delivery_id}/redeliver", authz.RedeliverOrgWebhook, h.redeliverOrgWebhook),
		priv("DELETE", "/v1/webhook-endpoints/{id}/deliveries/{delivery_id}/payload", authz.DeleteOrgWebhookData, h.deleteOrgWebhookPayload),
	}
}

// Routes lists every method and path the API serves.
func (h *Handler) Routes() []Route { return h.routes() }

// Register mounts the API on mux. For each path it also registers the
// methods the path does not serve, answering 405 with Allow and a problem
// body: the std mux's own 405 is text/plain, and a method-less pattern
// would conflict with more specific paths.
func (h *Handler) Register(mux *http.ServeMux) {
	methods := map[string][]string{}
	var paths []string
	for _, rt := range h.routes() {
		mux.Handle(rt.Method+" "+rt.Path, h.handler(rt))
		if _, ok := methods[rt.Path]; !ok {
			paths = append(paths, rt.Path)
		}
		methods[rt.Path] = append(methods[rt.Path], rt.Method)
	}
	for _, p := range paths {
		allow := methods[p]
		if slices.Contains(allow, "GET") {
			allow = append(allow, "HEAD")
		}
		header := strings.Join(allow, ", ")
		notAllowed := h.adapt(func(w http.ResponseWriter, r *http.Request) error {
			w.Header().Set("Allow", header)
			return &problem.Error{Status: http.StatusMethodNotAllowed, Detail: r.Method + " is not allowed here; this path accepts " + header}
		})
		for _, m := range []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"} {
			if !slices.Contains(allow, m) {
				mux.Handle(m+" "+p, notAllowed)
			}
		}
	}
}

// NotFound answers any path no route matches with a JSON 404.
func (h *Handler) NotFound() http.Handler {
	return h.adapt(func(w http.ResponseWriter, r *http.Request) error {
		return &problem.Error{Status: http.StatusNotFound, Detail: "no such endpoint: " + r.URL.Path}
	})
}

func (h *Handler) handler(rt Route) http.Handler {
	if rt.public != nil {
		return h.adapt(rt.public)
	}
	return h.adapt(func(w http.ResponseWriter, r *http.Request) error {
		if rt.Reporter && h.leakReporter(r) {
			return rt.private(w, r, reporterActor)
		}
		by, err := h.authenticate(r)
		if err != nil {
			return err
		}
		if by.Restricted != "" && !rt.Unrestricted {
			return &problem.Error{Status: http.StatusForbidden, Slug: "restricted", Detail: by.Restricted}
		}
		if why := authz.Refusal(by, rt.Permission); why != "" {
			return &problem.Error{Status: http.StatusForbidden, Detail: why}
		}
		return rt.private(w, r, by)
	})
}

// adapt turns an endpoint into an http.Handler that renders its error.
func (h *Handler) adapt(fn endpoint) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := fn(w, r); err != nil {
			h.writeProblem(w, r, err)
		}
	})
}

var errNoCredentials = errors.New("no credentials")

// authenticate finds the actor behind the request's bearer token: an API
// token (kwt_), a login session (kwu_), or an access token minted for a
// personal credential (a JWT), which acts as its user with their current
// role.
func (h *Handler) authenticate(r *http.Request) (domain.Actor, error) {
	authz := r.Header.Values("Authorization")
	if len(authz) == 0 {
		return domain.Actor{}, unauthenticated(errNoCredentials)
	}
	scheme, bearer, ok := strings.Cut(authz[0], " ")
	bearer = strings.TrimSpace(bearer)
	isDPoP := strings.EqualFold(scheme, "DPoP")
	if len(authz) != 1 || !ok || !(strings.EqualFold(scheme, "Bearer") || isDPoP) || bearer == "" {
		return domain.Actor{}, unauthenticated(account.ErrBadCredentials)
	}
	if isDPoP && strings.Count(bearer, ".") != 2 {
		return domain.Actor{}, unauthenticated(account.ErrBadCredentials) // only access tokens are bound
	}
	var by domain.Actor
	var err error
	source := httpx.ClientIP(r)
	switch {
	case strings.HasPrefix(bearer, "kwt_"):
		by, err = h.Accounts.AuthenticateAPIToken(r.Context(), bearer, source)
	case strings.HasPrefix(bearer, "kwu_"):
		by, err = h.Accounts.AuthenticateSession(r.Context(), bearer, source)
	case strings.Count(bearer, ".") == 2:
		by, err = h.accessTokenActor(r, bearer, source, isDPoP)
	default:
		err = account.ErrBadCredentials
	}
	if errors.Is(err, account.ErrBadCredentials) {
		return domain.Actor{}, unauthenticated(err)
	}
	return by, err
}

// accessTokenActor accepts an access token of a personal credential. A
// client's own tokens do not act as anyone on the admin API.
//
// With Authorization: DPoP, the request's one DPoP header must prove
// possession of the token's key for this method and URL (RFC 9449 §7.1).
func (h *Handler) accessTokenActor(r *http.Request, tok, source string, isDPoP bool) (domain.Actor, error) {
	var proof *dpop.Proof
	if isDPoP {
		vals := r.Header.Values("DPoP")
		if len(vals) != 1 {
			return domain.Actor{}, account.ErrBadCredentials
		}
		p, err := h.DPoP.Verify(vals[0], r.Method, h.Issuer()+r.URL.Path, tok)
		if err != nil {
			return domain.Actor{}, account.ErrBadCredentials
		}
		proof = &p
	}
	org, user, err := h.Tokens.ActingUser(r.Context(), tok, proof)
	if errors.Is(err, token.ErrNotActing) {
		return domain.Actor{}, account.ErrBadCredentials
	}
	if err != nil {
		return domain.Actor{}, err
	}
	by, err := h.Accounts.ActorForUser(r.Context(), org, user, source)
	by.ViaCredential = true
	return by, err
}
