package federation

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"keywarden/internal/account"
	"keywarden/internal/domain"
	"keywarden/internal/secretvalue"
)

// PendingTTL is how long a person has at the provider to sign in.
const PendingTTL = 10 * time.Minute

// pendingAAD binds a sealed sign-in to its purpose.
const pendingAAD = "keywarden/v1/oidc-pending"

// pending is a sign-in between its start and the provider's redirect back.
type pending struct {
	Org      domain.OrgID              `json:"o"`
	Provider domain.IdentityProviderID `json:"p"`
	State    string                    `json:"s"`
	Nonce    string                    `json:"n"`
	Verifier string                    `json:"v"` // PKCE (RFC 7636)
	Redirect string                    `json:"r"`
	Next     string                    `json:"x,omitempty"`
	Expires  int64                     `json:"e"`
	CLI      *CLIRequest               `json:"c,omitempty"`
}

// CLIRequest is a sign-in started by keywarden login --sso: the session
// goes to the CLI's loopback listener (RFC 8252 §7.3) instead of the
// browser, as a one-time code that only the holder of the verifier behind
// Challenge (S256, as in PKCE) can exchange.
type CLIRequest struct {
	Port      int    `json:"p"`
	Challenge string `json:"c"`
	State     string `json:"s"`
}

// Valid reports whether r can be sent back to: a non-privileged loopback
// port, an S256 challenge and a state of sane size.
func (r CLIRequest) Valid() bool {
	return r.Port >= 1024 && r.Port <= 65535 && len(r.Challenge) == 43 && r.State != "" && len(r.State) <= 128
}

// CLIHandoffTTL is how long the CLI has to exchange its code.
const CLIHandoffTTL = 2 * time.Minute

const handoffAAD = "keywarden/v1/oidc-cli-handoff"

// handoff is the sealed one-time code sent to the CLI's listener.
type handoff struct {
	Token     string           `json:"t"`
	Session   domain.SessionID `json:"s"`
	Org       domain.OrgID     `json:"o"`
	User      domain.UserID    `json:"u"`
	Created   int64            `json:"c"`
	Until     int64            `json:"x"`
	Challenge string           `json:"h"`
	Expires   int64            `json:"e"`
	Nonce     string           `json:"n"` // makes every code unique
}

// SignInError is a federated sign-in that failed. Reason is shown to the
// person (it never holds a secret) and audited; Unavailable says the
// provider could not be reached or answered with an error of its own.
type SignInError struct {
	Reason      string
	Unavailable bool
	// Org is the organisation the sign-in was for, once known (its
	// sign-in page can offer to start again).
	Org domain.OrgID
}

func (e *SignInError) Error() string { return "federated sign-in failed: " + e.Reason }

// Start is a sign-in begun: send the browser to URL, and keep Pending in
// the short-lived HttpOnly cookie that Complete is given back.
type Start struct {
	URL     string
	Pending string
}

func random() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// discover reads the provider's discovery document.
func (s *Service) discover(ctx context.Context, p domain.IdentityProvider) (*oidc.Provider, error) {
	op, err := oidc.NewProvider(oidc.ClientContext(ctx, s.client), p.Issuer)
	if err != nil {
		return nil, &SignInError{Reason: fmt.Sprintf("the identity provider %s could not be reached or its discovery document is not right (%s)", p.Name, short(err)), Unavailable: true}
	}
	return op, nil
}

func (s *Service) oauthConfig(p domain.IdentityProvider, op *oidc.Provider, redirect string) (*oauth2.Config, error) {
	secret := ""
	if p.ClientSecretSealed != nil {
		b, err := s.keys.Open(p.ClientSecretSealed, []byte(p.ID))
		if err != nil {
			return nil, fmt.Errorf("open identity provider %s secret: %w", p.ID, err)
		}
		secret = string(b)
	}
	return &oauth2.Config{ClientID: p.ClientID, ClientSecret: secret, Endpoint: op.Endpoint(), RedirectURL: redirect,
		Scopes: append([]string{oidc.ScopeOpenID}, p.Scopes...)}, nil
}

// enabledProvider returns a provider of org that may sign people in.
func (s *Service) enabledProvider(ctx context.Context, org domain.OrgID, id domain.IdentityProviderID) (domain.IdentityProvider, error) {
	if !id.Valid() || !domain.ValidID(domain.PrefixOrg, string(org)) {
		return domain.IdentityProvider{}, &SignInError{Reason: "there is no such identity provider for this organisation"}
	}
	p, err := s.store.GetIdentityProvider(ctx, org, id)
	switch {
	case errors.Is(err, domain.ErrNotFound):
		return p, &SignInError{Reason: "there is no such identity provider for this organisation"}
	case err != nil:
		return p, err
	case p.Disabled:
		return p, &SignInError{Reason: "the identity provider " + p.Name + " is turned off"}
	}
	return p, nil
}

// Begin starts a sign-in of org through provider id: the authorization
// request (code flow, PKCE S256, a nonce and a state) and the sealed
// pending sign-in; next is where the person goes after, source the
// browser's address (for the audit log of a provider that cannot be
// reached), cli (nil for the console) the CLI's loopback listener.
func (s *Service) Begin(ctx context.Context, org domain.OrgID, id domain.IdentityProviderID, next, source string, cli *CLIRequest) (Start, error) {
	if cli != nil && !cli.Valid() {
		return Start{}, &SignInError{Reason: "the CLI's sign-in request is malformed (cli_port, cli_challenge, cli_state)"}
	}
	redirect := s.RedirectURI()
	p, err := s.enabledProvider(ctx, org, id)
	if err != nil {
		return Start{}, err
	}
	op, err := s.discover(ctx, p)
	if err != nil {
		se := err.(*SignInError)
		se.Org = org
		if err := s.accounts.FederatedSignInFailed(ctx, p, "", se.Reason, source); err != nil {
			return Start{}, err
		}
		return Start{}, se
	}
	conf, err := s.oauthConfig(p, op, redirect)
	if err != nil {
		return Start{}, err
	}
	pd := pending{Org: org, Provider: p.ID, State: random(), Nonce: random(), Verifier: oauth2.GenerateVerifier(),
		Redirect: redirect, Next: next, Expires: s.clock().Add(PendingTTL).Unix(), CLI: cli}
	b, err := json.Marshal(pd)
	if err != nil {
		return Start{}, err
	}
	return Start{URL: conf.AuthCodeURL(pd.State, oidc.Nonce(pd.Nonce), oauth2.S256ChallengeOption(pd.Verifier)),
		Pending: base64.RawURLEncoding.EncodeToString(s.keys.Seal(b, []byte(pendingAAD)))}, nil
}

// Callback is what the provider's redirect brought back.
type Callback struct {
	Pending          string // the cookie Begin's Pending was kept in
	State            string
	Code             string
	Error            string // the provider's error (RFC 6749 §4.1.2.1)
	ErrorDescription string
	Source           string
	UserAgent        string
}

// Completed is a federated sign-in that opened a session.
type Completed struct {
	account.NewSession
	Next string
	// CLIRedirect, for a sign-in the CLI started, is where to send the
	// browser instead of signing it in: the CLI's listener with the
	// one-time code and its state.
	CLIRedirect string
}

// Complete finishes a sign-in: every check, then account.SignInFederated.
// A failure is a *SignInError (or an *account.FederatedRefusedError),
// audited with its reason once the provider is known.
func (s *Service) Complete(ctx context.Context, cb Callback) (Completed, error) {
	var pd pending
	sealed, err := base64.RawURLEncoding.DecodeString(cb.Pending)
	if err == nil {
		var plain []byte
		if plain, err = s.keys.Open(sealed, []byte(pendingAAD)); err == nil {
			err = json.Unmarshal(plain, &pd)
		}
	}
	if cb.Pending == "" || err != nil {
		return Completed{}, &SignInError{Reason: "this sign-in was not started in this browser, or its cookie is gone: start again from the sign-in page"}
	}
	p, err := s.store.GetIdentityProvider(ctx, pd.Org, pd.Provider)
	if err != nil {
		if errors.Is(err, domain.ErrNotFound) {
			return Completed{}, &SignInError{Reason: "the identity provider was removed during the sign-in"}
		}
		return Completed{}, err
	}
	fail := func(email string, e *SignInError) (Completed, error) {
		e.Org = pd.Org
		if err := s.accounts.FederatedSignInFailed(ctx, p, email, e.Reason, cb.Source); err != nil {
			return Completed{}, err
		}
		return Completed{}, e
	}
	now := s.clock()
	switch {
	case subtle.ConstantTimeCompare([]byte(cb.State), []byte(pd.State)) != 1:
		return fail("", &SignInError{Reason: "the state the provider sent back does not match this browser's sign-in (a forged or mixed-up redirect)"})
	case now.Unix() > pd.Expires:
		return fail("", &SignInError{Reason: "the sign-in took too long: start again"})
	case p.Disabled:
		return fail("", &SignInError{Reason: "the identity provider " + p.Name + " is turned off"})
	case cb.Error != "":
		return fail("", &SignInError{Reason: "the identity provider refused the sign-in: " + clip(cb.Error+" "+cb.ErrorDescription, 200), Unavailable: cb.Error == "server_error" || cb.Error == "temporarily_unavailable"})
	case cb.Code == "":
		return fail("", &SignInError{Reason: "the identity provider sent no authorization code"})
	}
	sum := sha256.Sum256([]byte(pd.State))
	first, err := s.store.ConsumeOIDCState(ctx, sum[:], time.Unix(pd.Expires, 0).Add(time.Minute), now)
	if err != nil {
		return Completed{}, err
	}
	if !first {
		return fail("", &SignInError{Reason: "this sign-in was completed before: a state is good once"})
	}
	op, err := s.discover(ctx, p)
	if err != nil {
		return fail("", err.(*SignInError))
	}
	conf, err := s.oauthConfig(p, op, pd.Redirect)
	if err != nil {
		return Completed{}, err
	}
	octx := oidc.ClientContext(ctx, s.client)
	tok, err := conf.Exchange(octx, cb.Code, oauth2.VerifierOption(pd.Verifier))
	if err != nil {
		return fail("", &SignInError{Reason: "the identity provider did not exchange the authorization code (" + short(err) + ")", Unavailable: !isOAuthError(err)})
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return fail("", &SignInError{Reason: "the identity provider returned no ID token"})
	}
	// Signature (the provider's JWKS), issuer, audience and expiry.
	idt, err := op.Verifier(&oidc.Config{ClientID: p.ClientID, Now: s.now}).Verify(octx, raw)
	if err != nil {
		return fail("", &SignInError{Reason: "the ID token is not valid: " + short(err)})
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(pd.Nonce)) != 1 {
		return fail("", &SignInError{Reason: "the ID token's nonce does not match this sign-in (a replayed or injected token)"})
	}
	claims := map[string]any{}
	if err := idt.Claims(&claims); err != nil {
		return fail("", &SignInError{Reason: "the ID token's claims could not be read"})
	}
	if _, ok := claims[p.EmailClaim]; !ok {
		// Some providers put the email in the userinfo response only.
		info, err := op.UserInfo(octx, oauth2.StaticTokenSource(tok))
		if err != nil {
			return fail("", &SignInError{Reason: "the ID token has no " + p.EmailClaim + " claim and the userinfo endpoint did not answer (" + short(err) + ")", Unavailable: true})
		}
		if info.Subject != idt.Subject {
			return fail("", &SignInError{Reason: "the userinfo response is about another subject"})
		}
		more := map[string]any{}
		if err := info.Claims(&more); err != nil {
			return fail("", &SignInError{Reason: "the userinfo claims could not be read"})
		}
		for k, v := range more {
			if _, ok := claims[k]; !ok {
				claims[k] = v
			}
		}
	}
	email, _ := claims[p.EmailClaim].(string)
	email = strings.ToLower(strings.TrimSpace(email))
	if !strings.Contains(email, "@") || len(email) > 254 {
		return fail("", &SignInError{Reason: "the provider sent no email address in the " + p.EmailClaim + " claim"})
	}
	if v, ok := claims["email_verified"]; !ok || !(v == true || v == "true") {
		return fail(email, &SignInError{Reason: "the provider has not verified the email address " + email})
	}
	if !p.EmailAllowed(email) {
		return fail(email, &SignInError{Reason: "the email domain of " + email + " may not sign in through " + p.Name})
	}
	n, err := s.accounts.SignInFederated(ctx, p, domain.FederatedIdentity{Provider: p.ID, Subject: idt.Subject, Email: email,
		Groups: groups(claims[p.GroupsClaim], p.GroupsClaim)}, cb.Source, cb.UserAgent)
	if err != nil {
		return Completed{}, err
	}
	if pd.CLI != nil {
		h := handoff{Token: n.Token.Reveal(), Session: n.Session.ID, Org: n.User.OrgID, User: n.User.ID, Created: n.Session.CreatedAt.UnixMicro(),
			Until: n.Session.ExpiresAt.UnixMicro(), Challenge: pd.CLI.Challenge, Expires: s.clock().Add(CLIHandoffTTL).Unix(), Nonce: random()}
		b, err := json.Marshal(h)
		if err != nil {
			return Completed{}, err
		}
		q := url.Values{"code": {base64.RawURLEncoding.EncodeToString(s.keys.Seal(b, []byte(handoffAAD)))}, "state": {pd.CLI.State}}
		return Completed{NewSession: n, CLIRedirect: fmt.Sprintf("http://127.0.0.1:%d/callback?%s", pd.CLI.Port, q.Encode())}, nil
	}
	return Completed{NewSession: n, Next: pd.Next}, nil
}

// ErrBadHandoff is a CLI's code that is malformed, expired, used before or
// not matched by its verifier.
var ErrBadHandoff = errors.New("the sign-in code is not valid, expired or was used: run keywarden login --sso again")

// ExchangeCLI gives the CLI the session its federated sign-in opened, for
// the one-time code its listener received and the verifier of the
// challenge it started with. The code is good once, on every node.
func (s *Service) ExchangeCLI(ctx context.Context, code, verifier, source string) (account.NewSession, error) {
	var h handoff
	sealed, err := base64.RawURLEncoding.DecodeString(code)
	if err == nil {
		var plain []byte
		if plain, err = s.keys.Open(sealed, []byte(handoffAAD)); err == nil {
			err = json.Unmarshal(plain, &h)
		}
	}
	now := s.clock()
	if code == "" || err != nil || now.Unix() > h.Expires {
		return account.NewSession{}, ErrBadHandoff
	}
	sum := sha256.Sum256([]byte(verifier))
	if subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(h.Challenge)) != 1 {
		return account.NewSession{}, ErrBadHandoff
	}
	digest := sha256.Sum256([]byte("cli-handoff:" + code))
	first, err := s.store.ConsumeOIDCState(ctx, digest[:], time.Unix(h.Expires, 0).Add(time.Minute), now)
	if err != nil {
		return account.NewSession{}, err
	}
	if !first {
		return account.NewSession{}, ErrBadHandoff
	}
	if _, err := s.accounts.AuthenticateSession(ctx, h.Token, source); err != nil {
		return account.NewSession{}, ErrBadHandoff // ended or its user disabled meanwhile
	}
	u, err := s.store.GetUser(ctx, h.Org, h.User)
	if err != nil {
		return account.NewSession{}, err
	}
	x := domain.Session{ID: h.Session, OrgID: h.Org, UserID: h.User, CreatedAt: time.UnixMicro(h.Created).UTC(), ExpiresAt: time.UnixMicro(h.Until).UTC(),
		IdentityProvider: u.IdentityProvider, Source: source}
	return account.NewSession{Session: x, User: u, Token: secretvalue.FromRequest(h.Token)}, nil
}

// groups reads a groups claim: a list of strings, or one string.
func groups(v any, claim string) []string {
	if claim == "" {
		return nil
	}
	switch g := v.(type) {
	case string:
		return []string{g}
	case []any:
		var out []string
		for _, x := range g {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func isOAuthError(err error) bool {
	var re *oauth2.RetrieveError
	return errors.As(err, &re) && re.ErrorCode != ""
}

// short is an error's message, clipped, for a reason shown to people.
func short(err error) string { return clip(err.Error(), 200) }

func clip(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// SessionProvider returns the provider the actor's session was opened
// through ("" for a password sign-in or no session).
func (s *Service) SessionProvider(ctx context.Context, by domain.Actor) (domain.IdentityProviderID, error) {
	if by.SessionID == "" {
		return "", nil
	}
	open, err := s.store.ListSessions(ctx, by.OrgID, by.UserID(), s.clock())
	if err != nil {
		return "", err
	}
	for _, x := range open {
		if x.ID == by.SessionID {
			return x.IdentityProvider, nil
		}
	}
	return "", nil
}

// LoginURL is the console's sign-in page of org, with its providers'
// buttons: the address to give the organisation's people.
func (s *Service) LoginURL(org string) string {
	return strings.TrimSuffix(s.baseURL(), "/") + "/ui/login?" + url.Values{"org": {org}}.Encode()
}

// EndSessionURL returns the provider's name and where to send the browser
// to sign out there too (OpenID Connect RP-Initiated Logout 1.0), with
// the client ID and postLogout to come back to; "" when the provider is
// not the organisation's, has no end_session_endpoint or cannot be
// reached (the Keywarden session has ended all the same).
func (s *Service) EndSessionURL(ctx context.Context, org domain.OrgID, id domain.IdentityProviderID, postLogout string) (name, endSession string) {
	if !id.Valid() || !domain.ValidID(domain.PrefixOrg, string(org)) {
		return "", ""
	}
	p, err := s.store.GetIdentityProvider(ctx, org, id)
	if err != nil {
		return "", ""
	}
	op, err := s.discover(ctx, p)
	if err != nil {
		return "", ""
	}
	var meta struct {
		EndSession string `json:"end_session_endpoint"`
	}
	if err := op.Claims(&meta); err != nil || meta.EndSession == "" {
		return "", ""
	}
	u, err := url.Parse(meta.EndSession)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return "", ""
	}
	q := u.Query()
	q.Set("client_id", p.ClientID)
	q.Set("post_logout_redirect_uri", postLogout)
	u.RawQuery = q.Encode()
	return p.Name, u.String()
}
