package config

import (
	"errors"
	"net/url"
	"os"
	"strings"

	"github.com/spf13/pflag"
)

// Leaks configures who may report leaked values (docs/leaks.md).
type Leaks struct {
	// LeakGitHubKeysURL is where the partner-program reporter publishes
	// its ECDSA keys (GitHub: https://api.github.com/meta/public_keys/secret_scanning);
	// set, POST /v1/leaks/github takes signed reports. Fetched through the
	// webhooks' SSRF guard.
	LeakGitHubKeysURL string `yaml:"leak_github_keys_url"`
	// LeakGitHubKeysFile is the same key list as a file, for installations
	// that cannot reach the URL.
	LeakGitHubKeysFile string `yaml:"leak_github_keys_file"`
	// LeakReporterTokenFile holds the leak-reporter token: a bearer token
	// that may call POST /v1/leaks and nothing else, for scanners.
	LeakReporterTokenFile string `yaml:"leak_reporter_token_file"`
}

// MinLeakReporterToken is the shortest leak-reporter token accepted.
const MinLeakReporterToken = 32

func init() {
	settings = append(settings,
		setting{"leak-github-keys-url", "take GitHub secret-scanning partner reports at POST /v1/leaks/github, verified with the keys published at this URL", func(fs *pflag.FlagSet, c *Config, d Config) {
			fs.StringVar(&c.LeakGitHubKeysURL, "leak-github-keys-url", d.LeakGitHubKeysURL, "")
		}},
		setting{"leak-github-keys-file", "the same as --leak-github-keys-url, with the key list (GitHub's JSON format) in a file", func(fs *pflag.FlagSet, c *Config, d Config) {
			fs.StringVar(&c.LeakGitHubKeysFile, "leak-github-keys-file", d.LeakGitHubKeysFile, "")
		}},
		setting{"leak-reporter-token-file", "a file holding the leak-reporter token (at least 32 characters): a bearer token for POST /v1/leaks and nothing else", func(fs *pflag.FlagSet, c *Config, d Config) {
			fs.StringVar(&c.LeakReporterTokenFile, "leak-reporter-token-file", d.LeakReporterTokenFile, "")
		}},
	)
}

// LeakReporterToken reads the leak-reporter token ("" when none is
// configured).
func (c Config) LeakReporterToken() (string, error) {
	if c.LeakReporterTokenFile == "" {
		return "", nil
	}
	b, err := os.ReadFile(c.LeakReporterTokenFile)
	if err != nil {
		return "", errors.New("leak-reporter-token-file: " + err.Error())
	}
	tok := strings.TrimSpace(string(b))
	if len(tok) < MinLeakReporterToken || strings.ContainsAny(tok, " \t\r\n") {
		return "", errors.New("leak-reporter-token-file: the token must be at least 32 characters, without spaces (generate one with: openssl rand -hex 32)")
	}
	return tok, nil
}

func (c Config) validateLeaks() []error {
	var errs []error
	if c.LeakGitHubKeysURL != "" && c.LeakGitHubKeysFile != "" {
		errs = append(errs, errors.New("leak-github-keys-url and leak-github-keys-file: set one, not both"))
	}
	if c.LeakGitHubKeysURL != "" {
		if u, err := url.Parse(c.LeakGitHubKeysURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs = append(errs, errors.New("leak-github-keys-url: must be an http(s) URL"))
		}
	}
	if _, err := c.LeakReporterToken(); err != nil {
		errs = append(errs, err)
	}
	return errs
}
