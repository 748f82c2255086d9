package cli

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"keywarden/internal/apiclient"
)

// Defaults and environment variables of the API connection.
const (
	defaultServer = "http://127.0.0.1:8080"
	envServer     = "KEYWARDEN_SERVER"
	envToken      = "KEYWARDEN_TOKEN"
	apiTimeout    = 30 * time.Second
)

// apiFlags are the --server and --token flags of the commands that talk to
// a running server.
type apiFlags struct {
	flags  *pflag.FlagSet
	server string
	token  string
	getenv func(string) string
}

// newAPIFlags adds --server and --token as persistent flags of root. The
// environment is read when a command runs, not here, so that --help never
// shows a token taken from the environment.
func newAPIFlags(root *cobra.Command, getenv func(string) string) *apiFlags {
	f := &apiFlags{flags: root.PersistentFlags(), getenv: getenv}
	f.flags.StringVar(&f.server, "server", defaultServer, "base URL of the Keywarden server (env "+envServer+")")
	f.flags.StringVar(&f.token, "token", "", "admin API token; prefer env "+envToken+", which keeps the token out of shell history and ps")
	return f
}

// value returns the flag if it was set, else the environment variable,
// else the flag's default.
func (f *apiFlags) value(name, env string, v string) string {
	if fl := f.flags.Lookup(name); fl != nil && fl.Changed {
		return v
	}
	if e := strings.TrimSpace(f.getenv(env)); e != "" {
		return e
	}
	return v
}

// client returns an API client for the configured server and token.
func (f *apiFlags) client() (*apiclient.Client, error) {
	server := f.value("server", envServer, f.server)
	token := strings.TrimSpace(f.value("token", envToken, f.token))
	if token == "" {
		return nil, usageError{errors.New("no API token: set " + envToken + " (preferred, it stays out of shell history) or pass --token; keywarden init prints the first one")}
	}
	u, err := url.Parse(server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		// Not the parse error: it would echo a URL that may hold a password.
		return nil, usageError{fmt.Errorf("--server (or %s): must be an absolute http(s) URL such as %s", envServer, defaultServer)}
	}
	return apiclient.New(server, token, &http.Client{Timeout: apiTimeout}), nil
}
