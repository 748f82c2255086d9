package server

import (
	"keywarden/internal/config"
	"keywarden/internal/keyring"
	"keywarden/internal/leak"
	"keywarden/internal/webhook"
)

// leaks builds the leak-report service from the owners of each value
// format, and GitHub's key source when the partner endpoint is configured
// (nil otherwise).
func (s *Server) leaks(cfg config.Config) (*leak.Service, *leak.GitHubKeys, string, error) {
	svc := leak.New(leak.Responders{
		Secret:       s.core.Credentials.SecretLeaked,
		RefreshToken: s.tokens.Refresh.Leaked,
		APIToken:     s.core.Accounts.APITokenLeaked,
		Session:      s.core.Accounts.SessionLeaked,
	}, s.core.Keyring.Derive(keyring.PurposeSecretVerifier), s.core.Store)
	svc.Observe = func(l leak.Label) { s.metrics.LeakFinding(string(l)) }
	token, err := cfg.LeakReporterToken()
	if err != nil {
		return nil, nil, "", err
	}
	if cfg.LeakGitHubKeysURL == "" && cfg.LeakGitHubKeysFile == "" {
		return svc, nil, token, nil
	}
	keys, err := leak.NewGitHubKeys(leak.GitHubKeysOptions{URL: cfg.LeakGitHubKeysURL, File: cfg.LeakGitHubKeysFile,
		Client: webhook.NewHTTPClient(s.core.Webhooks.Guard(), cfg.WebhookTimeout)})
	if err != nil {
		return nil, nil, "", err
	}
	return svc, keys, token, nil
}
