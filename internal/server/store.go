package server

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"keywarden/internal/account"
	"keywarden/internal/audit"
	"keywarden/internal/auditstream"
	"keywarden/internal/config"
	"keywarden/internal/credential"
	"keywarden/internal/datakey"
	"keywarden/internal/domain"
	"keywarden/internal/federation"
	"keywarden/internal/keyring"
	"keywarden/internal/metrics"
	"keywarden/internal/slowhash"
	"keywarden/internal/store"
	"keywarden/internal/store/postgres"
	"keywarden/internal/store/sqlite"
	"keywarden/internal/token"
	"keywarden/internal/webhook"
)

// OpenStore opens (and migrates) the store that cfg selects.
func OpenStore(ctx context.Context, cfg config.Config) (store.Store, error) {
	if cfg.IsPostgres() {
		return postgres.Open(ctx, cfg.Database, postgres.Options{ListenerCheck: cfg.ListenerCheck, ListenerTimeout: cfg.ListenerTimeout})
	}
	return sqlite.Open(ctx, cfg.DataDir)
}

// CheckExisting fails when cfg names an SQLite data directory that holds
// no database yet, so that a mistyped --data-dir in a read-only command is
// an error instead of a new, empty store.
func CheckExisting(cfg config.Config) error {
	if cfg.IsPostgres() {
		return nil
	}
	path := filepath.Join(cfg.DataDir, sqlite.FileName)
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("no Keywarden database at %s (check --data-dir)", path)
	}
	return nil
}

// Migrate applies pending migrations and reports how many ran.
func Migrate(ctx context.Context, cfg config.Config) (int, error) {
	if cfg.IsPostgres() {
		return postgres.Migrate(ctx, cfg.Database)
	}
	return sqlite.Migrate(ctx, cfg.DataDir)
}

// LoadMasterKey returns cfg's master key: KEYWARDEN_MASTER_KEY, else
// --master-key-file, else (with --dev only) a key generated into the data
// directory.
func LoadMasterKey(cfg config.Config) ([]byte, error) {
	var key []byte
	var err error
	switch {
	case cfg.MasterKey != "":
		key, err = keyring.ParseKey(string(cfg.MasterKey))
		if err != nil {
			err = fmt.Errorf("KEYWARDEN_MASTER_KEY: %w", err)
		}
	case cfg.MasterKeyFile != "":
		key, err = keyring.LoadFile(cfg.MasterKeyFile)
	case cfg.Dev:
		key, err = keyring.LoadOrCreateDev(cfg.DataDir)
	default:
		err = errors.New("no master key: set KEYWARDEN_MASTER_KEY or --master-key-file (generate one with: openssl rand -hex 32), or run with --dev to generate one into the data directory")
	}
	return key, err
}

// Core is the store and services, without any transport: what local
// commands (init, audit verify) and the HTTP server share.
type Core struct {
	Store       store.Store
	Keyring     *keyring.Keyring
	Audit       *audit.Log
	Accounts    *account.Service
	Credentials *credential.Service
	Webhooks    *webhook.Service
	// AuditStreams are the organisations' own audit streams.
	AuditStreams *auditstream.Service
	// Federation is the organisations' identity providers and the sign-in
	// through them.
	Federation *federation.Service
	// Metrics is the registry the services count in (the server serves
	// it; local commands leave it unread).
	Metrics *metrics.Metrics
}

// Tokens are the token-side services, which need signing keys.
type Tokens struct {
	Keys     *token.Keys
	DenyList *token.DenyList
	Refresh  *token.Refresh
}

// OpenTokens loads (creating on first start) the signing keys and the deny
// list.
func (c *Core) OpenTokens(ctx context.Context, cfg config.Config) (*Tokens, error) {
	keys, err := token.NewKeys(ctx, token.KeysOptions{Store: c.Store, Keyring: c.Keyring, Audit: c.Audit,
		Algorithm: cfg.SigningAlgorithm, ActivationDelay: cfg.KeyActivationDelay})
	if err != nil {
		return nil, err
	}
	deny, err := token.NewDenyList(ctx, c.Store, c.Audit, nil)
	if err != nil {
		return nil, err
	}
	refresh := token.NewRefresh(token.RefreshOptions{Store: c.Store, Audit: c.Audit, DenyList: deny, Keyring: c.Keyring, TTL: cfg.RefreshTokenTTL,
		Webhooks: c.Webhooks.Outbox(), Metrics: c.Metrics})
	return &Tokens{Keys: keys, DenyList: deny, Refresh: refresh}, nil
}

// OpenCore opens the store and builds the services.
func OpenCore(ctx context.Context, cfg config.Config) (*Core, error) {
	master, err := LoadMasterKey(cfg)
	if err != nil {
		return nil, err
	}
	st, err := OpenStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	// Every key comes from the store's data key, wrapped under the master
	// key (envelope encryption: package datakey).
	kr, err := datakey.New(st, nil).Open(ctx, master)
	if err != nil {
		st.Close()
		return nil, err
	}
	log := audit.New(st, kr.Derive(keyring.PurposeAudit), nil)
	m := metrics.New()
	allow, allowHosts := cfg.WebhookAllow()
	hooks := webhook.New(webhook.Options{Store: st, Keyring: kr, Audit: log,
		Guard: webhook.Guard{Allow: allow, AllowHosts: allowHosts}, Timeout: cfg.WebhookTimeout, PollInterval: cfg.WebhookPollInterval,
		RetrySchedule: cfg.WebhookRetrySchedule, RetryAfterMax: cfg.WebhookRetryAfterMax, DisableAfter: cfg.WebhookDisableAfter,
		PayloadRetention: cfg.WebhookPayloadRetention, LogRetention: cfg.WebhookLogRetention, Metrics: m})
	hashes := slowhash.New(slowhash.Options{Concurrency: cfg.HashConcurrency}) // one gate for passwords and supplied secrets
	passwords := account.NewPasswordGuesses()                                  // one guessing budget per email for both logins
	creds := credential.New(credential.Options{Store: st, Audit: log, Keyring: kr, PasswordGuesses: passwords,
		Webhooks: hooks.Outbox(), CheckWebhookURL: hooks.Guard().CheckURL, Metrics: m,
		Hashes: hashes, CacheBytes: int64(cfg.ClientCacheMB) << 20,
		// Clients' JWK Sets (jwks_uri keys) come through the webhooks' SSRF guard.
		JWKSClient: webhook.NewHTTPClient(hooks.Guard(), 5*time.Second)})
	accounts := account.New(account.Options{Store: st, Audit: log, Keyring: kr,
		OnPolicyChange: creds.OrgChanged, OnUserChange: creds.OrgChanged, Metrics: m, Hashes: hashes, PasswordGuesses: passwords,
		Offboard: func(ctx context.Context, tx store.Tx, by domain.Actor, userID domain.UserID) error {
			return creds.RevokePersonalInTx(ctx, tx, by, userID)
		}})
	return &Core{
		Store:       st,
		Keyring:     kr,
		Audit:       log,
		Accounts:    accounts,
		Federation:  federation.New(federation.Options{Store: st, Audit: log, Keyring: kr, Accounts: accounts, BaseURL: func() string { return cfg.PublicURL }}),
		Credentials: creds,
		Webhooks:    hooks,
		AuditStreams: auditstream.NewService(auditstream.ServiceOptions{Store: st, Keyring: kr, Audit: log,
			Guard: hooks.Guard()}),
		Metrics: m,
	}, nil
}

// Close closes the store.
func (c *Core) Close() error { return c.Store.Close() }
