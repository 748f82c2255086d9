package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"keywarden/pkg/keywarden"
)

// Defaults and environment variables of the API connection.
const (
	defaultServer = "http://127.0.0.1:8080"
	envServer     = "KEYWARDEN_SERVER"
	envToken      = "KEYWARDEN_TOKEN"
	apiTimeout    = 30 * time.Second
	userAgent     = "keywarden-cli"
)

// apiFlags are the --server and --token flags of the commands that talk to
// a running server.
type apiFlags struct {
	flags    *pflag.FlagSet
	server   string
	token    string
	getenv   func(string) string
	sessions sessionStore
}

// newAPIFlags adds --server and --token as persistent flags of root. The
// environment is read when a command runs, not here, so that --help never
// shows a token taken from the environment.
func newAPIFlags(root *cobra.Command, getenv func(string) string) *apiFlags {
	f := &apiFlags{flags: root.PersistentFlags(), getenv: getenv, sessions: sessionStore{getenv: getenv}}
	f.flags.StringVar(&f.server, "server", "", "base URL of the Keywarden server (env "+envServer+"; default: the stored login session's server, else "+defaultServer+")")
	f.flags.StringVar(&f.token, "token", "", "admin API token; prefer env "+envToken+", which keeps the token out of shell history and ps (default: the token of the stored login session)")
	return f
}

// explicit returns the flag if it was set, else the environment variable
// if it is not empty; ok is false when neither was given.
func (f *apiFlags) explicit(name, env string, v string) (string, bool) {
	if fl := f.flags.Lookup(name); fl != nil && fl.Changed {
		return v, true
	}
	if e := strings.TrimSpace(f.getenv(env)); e != "" {
		return e, true
	}
	return "", false
}

// Where a command's credentials came from.
const (
	tokenFromFlag    = "--token"
	tokenFromEnv     = envToken
	tokenFromSession = "stored login session"
)

// connection is a resolved server and token.
type connection struct {
	server  string
	token   string
	source  string         // tokenFrom…; "" without a token
	session *storedSession // when the token is the stored session's
	file    string         // the session file's path, when known
	other   string         // the server of a stored session not used here
}

// connect resolves the server and the token. The token is --token, else
// KEYWARDEN_TOKEN, else the stored login session, which is only ever sent
// to the server it was opened on: with --server or KEYWARDEN_SERVER naming
// another server it is not used; with neither, its server is the default.
func (f *apiFlags) connect() (connection, error) {
	server, serverGiven := f.explicit("server", envServer, f.server)
	if tok, ok := f.explicit("token", envToken, f.token); ok {
		if !serverGiven {
			server = defaultServer
		}
		source := tokenFromEnv
		if fl := f.flags.Lookup("token"); fl != nil && fl.Changed {
			source = tokenFromFlag
		}
		return connection{server: server, token: strings.TrimSpace(tok), source: source}, checkServer(server)
	}
	ss, file, err := f.sessions.load()
	if err != nil {
		return connection{}, err
	}
	if !serverGiven {
		if ss == nil {
			return connection{server: defaultServer}, nil
		}
		server = ss.Server
	}
	if err := checkServer(server); err != nil {
		return connection{}, err
	}
	c := connection{server: server, file: file}
	switch {
	case ss == nil:
	case sameServer(ss.Server, server):
		c.token, c.source, c.session = ss.Token, tokenFromSession, ss
	default:
		c.other = ss.Server
	}
	return c, nil
}

func checkServer(server string) error {
	u, err := url.Parse(server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		// Not the parse error: it would echo a URL that may hold a password.
		return usageError{fmt.Errorf("--server (or %s): must be an absolute http(s) URL such as %s", envServer, defaultServer)}
	}
	return nil
}

// authed resolves a connection that has a token, or explains how to get
// one.
func (f *apiFlags) authed() (connection, error) {
	c, err := f.connect()
	if err != nil {
		return c, err
	}
	if c.token == "" && c.other != "" {
		return c, usageError{fmt.Errorf("no API token for %s: the stored login session is for %s; run keywarden login --server %s, or set %s", c.server, c.other, c.server, envToken)}
	}
	if c.token == "" {
		return c, usageError{errors.New("no API token: run keywarden login, or set " + envToken + " (preferred to --token, it stays out of shell history); keywarden init prints the first one")}
	}
	if c.session != nil && !c.session.ExpiresAt.IsZero() && time.Now().After(c.session.ExpiresAt) {
		return c, fmt.Errorf("your login session on %s expired at %s: run keywarden login again", c.server, formatTime(c.session.ExpiresAt))
	}
	return c, nil
}

// api returns an SDK client for the connection.
func (c connection) api() *keywarden.Client { return newSDK(c.server, c.token) }

// newSDK returns an SDK client for server and token ("" for the logins).
func newSDK(server, token string) *keywarden.Client {
	return keywarden.New(server, token, &http.Client{Timeout: apiTimeout}, keywarden.WithUserAgent(userAgent))
}

// loginServer is the server to log in to: --server, else
// KEYWARDEN_SERVER, else the stored session's server (log in again), else
// the default.
func (f *apiFlags) loginServer() (string, error) {
	server, given := f.explicit("server", envServer, f.server)
	if !given {
		server = defaultServer
		// A damaged session file is replaced by the login.
		if ss, _, _ := f.sessions.load(); ss != nil {
			server = ss.Server
		}
	}
	return server, checkServer(server)
}

// conn is an API command's connection: the SDK client, and the server and
// credentials it was resolved from.
type conn struct {
	*keywarden.Client
	connection
}

// apiCommand is the work of a command that calls the API.
type apiCommand struct {
	// check validates the flags and arguments before any connection is
	// made, so that a mistake in the command line is reported as one; nil
	// when there is nothing to check.
	check func(cmd *cobra.Command, args []string) error
	// login connects to the server to log in to, without a token.
	login bool
	// call makes the command's API calls and returns what to print.
	call func(ctx context.Context, c conn, args []string) (view, error)
}

// run returns the RunE of an API command. Every one works in this order:
// -o, the command's own checks, the connection (--server, --token,
// KEYWARDEN_TOKEN or the stored login session), the calls, the output.
func (f *apiFlags) run(o *output, a apiCommand) func(*cobra.Command, []string) error {
	return o.run(func(cmd *cobra.Command, args []string) (view, error) {
		if a.check != nil {
			if err := a.check(cmd, args); err != nil {
				return view{}, err
			}
		}
		c, err := f.open(a.login)
		if err != nil {
			return view{}, err
		}
		return a.call(cmd.Context(), c, args)
	})
}

// open resolves the connection: with a token, or for a login the server
// alone.
func (f *apiFlags) open(login bool) (conn, error) {
	if login {
		server, err := f.loginServer()
		if err != nil {
			return conn{}, err
		}
		return conn{Client: newSDK(server, ""), connection: connection{server: server}}, nil
	}
	c, err := f.authed()
	if err != nil {
		return conn{}, err
	}
	return conn{Client: c.api(), connection: c}, nil
}
