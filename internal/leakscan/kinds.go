package leakscan

import (
	"strings"

	"keywarden/internal/secretvalue"
)

// A Kind is one kind of Keywarden value, told apart by its prefix.
type Kind struct {
	Prefix string // "kws_"
	ID     string // "client_secret": the type in -o json and, with dashes, the rule IDs
	Name   string // "client secret"
	About  string // what a leak of it gives away
}

// RuleID is the kind's rule ID in the shipped rule files.
func (k Kind) RuleID() string { return "keywarden-" + strings.ReplaceAll(k.ID, "_", "-") }

// kinds lists every value kind; kinds_test.go checks it against
// secretvalue.Prefixes.
var kinds = []Kind{
	{secretvalue.PrefixClientSecret, "client_secret", "client secret",
		"a client secret, or the secret of a personal credential (a kwp_ client): it gets access tokens at /oauth2/token"},
	{secretvalue.PrefixRefreshToken, "refresh_token", "refresh token",
		"a one-time refresh token: with its client's secret it gets an access token"},
	{secretvalue.PrefixAPIToken, "api_token", "admin API token",
		"an admin API token: it calls the /v1 admin API with its user's role"},
	{secretvalue.PrefixSession, "session_token", "console session token",
		"a console or CLI session token: it acts as its user until the session ends"},
	{secretvalue.PrefixSetup, "setup_token", "first-run setup token",
		"the token of a first-run setup link: until it is used or an hour has passed, it creates the installation's first organisation and super admin"},
}

// Kinds returns every value kind.
func Kinds() []Kind { return append([]Kind(nil), kinds...) }

func kindOf(prefix string) (Kind, bool) {
	for _, k := range kinds {
		if k.Prefix == prefix {
			return k, true
		}
	}
	return Kind{}, false
}
