package oidcop

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"
)

// User is a person the provider knows; they sign in with Email and
// Password on its login page.
type User struct {
	Subject  string
	Email    string
	Password string
	Verified bool
	Groups   []string
}

// Client is a relying party registered at the provider
// (client_secret_basic or _post, PKCE).
type Client struct {
	ID, Secret string
	Redirects  []string
	PostLogout []string
}

// Server is a running provider.
type Server struct {
	// URL is its issuer (no trailing slash).
	URL string
	srv *httptest.Server

	badNonce, foreignKey, down atomic.Bool
	foreign                    *rsa.PrivateKey
}

// Start starts a provider with users and clients; it stops when the test ends.
func Start(t testing.TB, users []User, clients []Client) *Server {
	t.Helper()
	s := &Server{}
	var err error
	if s.foreign, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	var handler http.Handler
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.serve(w, r, handler) }))
	t.Cleanup(s.srv.Close)
	s.URL = s.srv.URL
	us := userStore{users: map[string]*storage.User{}, groups: map[string][]string{}}
	for _, u := range users {
		us.users[u.Subject] = &storage.User{ID: u.Subject, Username: u.Email, Password: u.Password, FirstName: "Test", LastName: u.Subject,
			Email: u.Email, EmailVerified: u.Verified, PreferredLanguage: language.English}
		us.groups[u.Subject] = u.Groups
	}
	cs := map[string]*storage.Client{}
	post := map[string][]string{}
	for _, c := range clients {
		cs[c.ID] = storage.WebClient(c.ID, c.Secret, c.Redirects...)
		post[c.ID] = c.PostLogout
	}
	st := &store{Storage: storage.NewStorageWithClients(us, cs), users: us, postLogout: post}
	// SetupServer makes its logger the process's default, and logs every
	// request at info: keep warnings only.
	quiet := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	handler = exampleop.SetupServer(s.URL+"/", st, quiet, false)
	return s
}

// SetBadNonce makes the provider sign ID tokens with a nonce other than
// the one the relying party sent.
func (s *Server) SetBadNonce(on bool) { s.badNonce.Store(on) }

// SetForeignKey makes the provider publish a key (with the same key ID)
// that did not sign its tokens: their signatures do not verify.
func (s *Server) SetForeignKey(on bool) { s.foreignKey.Store(on) }

// SetDown makes every request fail with 503.
func (s *Server) SetDown(on bool) { s.down.Store(on) }

func (s *Server) serve(w http.ResponseWriter, r *http.Request, next http.Handler) {
	switch {
	case s.down.Load():
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		return
	case s.badNonce.Load() && r.URL.Path == "/auth":
		q := r.URL.Query()
		q.Set("nonce", "not-the-relying-partys-nonce")
		r.URL.RawQuery = q.Encode()
	case s.foreignKey.Load() && r.URL.Path == "/keys":
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		var set jose.JSONWebKeySet
		if err := json.Unmarshal(rec.Body.Bytes(), &set); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		for i := range set.Keys {
			set.Keys[i].Key = &s.foreign.PublicKey
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(set)
		return
	}
	next.ServeHTTP(w, r)
}

// SignIn drives a browser-less sign-in: it follows authURL (the relying
// party's authorization request) to the provider's login page, posts the
// email and password there and returns the redirect back to the relying
// party (its callback URL with code and state), without following it.
func SignIn(ctx context.Context, client *http.Client, authURL, email, password string) (*url.URL, error) {
	c := *client
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if strings.HasPrefix(req.URL.Path, "/login/") || strings.HasPrefix(req.URL.Path, "/auth") {
			return nil
		}
		return http.ErrUseLastResponse
	}
	req, _ := http.NewRequestWithContext(ctx, "GET", authURL, nil)
	res, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.Request.URL.Path != "/login/username" {
		return nil, &url.Error{Op: "sign in", URL: res.Request.URL.String(), Err: io.ErrUnexpectedEOF}
	}
	id := res.Request.URL.Query().Get("authRequestID")
	login := *res.Request.URL
	login.RawQuery = ""
	form := url.Values{"username": {email}, "password": {password}, "id": {id}}
	req, _ = http.NewRequestWithContext(ctx, "POST", login.String(), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err = c.Do(req)
	if err != nil {
		return nil, err
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	// The login page redirects to the provider's callback, which
	// redirects to the relying party.
	for range 5 {
		loc, err := res.Location()
		if err != nil {
			return nil, &url.Error{Op: "sign in: status " + res.Status, URL: res.Request.URL.String(), Err: err}
		}
		if !strings.HasPrefix(loc.String(), res.Request.URL.Scheme+"://"+res.Request.URL.Host) {
			return loc, nil
		}
		req, _ = http.NewRequestWithContext(ctx, "GET", loc.String(), nil)
		if res, err = c.Do(req); err != nil {
			return nil, err
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
	return nil, &url.Error{Op: "sign in", URL: authURL, Err: io.ErrNoProgress}
}

type userStore struct {
	users  map[string]*storage.User
	groups map[string][]string
}

func (u userStore) GetUserByID(id string) *storage.User { return u.users[id] }
func (u userStore) GetUserByUsername(name string) *storage.User {
	for _, x := range u.users {
		if x.Username == name {
			return x
		}
	}
	return nil
}
func (u userStore) ExampleClientID() string { return storage.ServiceUserID }

// store is the example storage with a groups claim and registered
// post-logout redirects.
type store struct {
	*storage.Storage
	users      userStore
	postLogout map[string][]string
}

func (s *store) SetUserinfoFromRequest(ctx context.Context, info *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	if err := s.Storage.SetUserinfoFromRequest(ctx, info, req, scopes); err != nil {
		return err
	}
	if slices.Contains(scopes, "groups") {
		info.AppendClaims("groups", s.users.groups[req.GetSubject()])
	}
	return nil
}

func (s *store) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, err := s.Storage.GetClientByClientID(ctx, id)
	if err != nil {
		return nil, err
	}
	return client{Client: c, postLogout: s.postLogout[id]}, nil
}

type client struct {
	op.Client
	postLogout []string
}

func (c client) PostLogoutRedirectURIs() []string { return c.postLogout }

// IsScopeAllowed lets clients ask for "groups" too.
func (c client) IsScopeAllowed(scope string) bool {
	return scope == "groups" || c.Client.IsScopeAllowed(scope)
}
