package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"
)

// Secret is a configuration value that must never be printed or logged.
type Secret string

func (Secret) String() string               { return "[redacted]" }
func (Secret) GoString() string             { return "[redacted]" }
func (Secret) MarshalText() ([]byte, error) { return []byte("[redacted]"), nil }

// Config is every setting of the server and the local commands.
type Config struct {
	Listen          string        `yaml:"listen"`
	DataDir         string        `yaml:"data_dir"`
	Database        string        `yaml:"database"` // "" or "sqlite": SQLite in DataDir; postgres://…: PostgreSQL
	MasterKeyFile   string        `yaml:"master_key_file"`
	MasterKey       Secret        `yaml:"-"` // KEYWARDEN_MASTER_KEY only: never in a file
	PublicURL       string        `yaml:"public_url"`
	Dev             bool          `yaml:"dev"`
	LogLevel        string        `yaml:"log_level"`
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	// DrainDelay is how long a stopping server keeps serving with /readyz
	// unready, so that load balancers take it out of rotation before it
	// stops accepting connections (docs/operations.md, "Graceful stop").
	DrainDelay time.Duration `yaml:"drain_delay"`
	// ListenerCheck is how often a silent change listener proves that its
	// connection still works, and ListenerTimeout how long that check and
	// a reconnection may take (docs/architecture.md, "Multi-node notes").
	ListenerCheck   time.Duration `yaml:"listener_check"`
	ListenerTimeout time.Duration `yaml:"listener_timeout"`
	// ExpiryNoticeInterval is how often the expiry notices run; 0 means
	// JobInterval.
	ExpiryNoticeInterval time.Duration `yaml:"expiry_notice_interval"`
	// WALCheckpointInterval is how often SQLite's write-ahead log is
	// checkpointed and truncated, so that it stays bounded under load.
	WALCheckpointInterval time.Duration `yaml:"wal_checkpoint_interval"`
	// SigningAlgorithm signs access tokens: ES256, EdDSA or RS256.
	SigningAlgorithm string `yaml:"signing_algorithm"`
	// KeyActivationDelay is how long a rotated signing key is published
	// before it signs.
	KeyActivationDelay time.Duration `yaml:"key_activation_delay"`
	// DPoPNonce makes the token endpoint require a server nonce in DPoP
	// proofs (RFC 9449 §8), which bounds how long a proof made in advance
	// can be used.
	DPoPNonce bool `yaml:"dpop_nonce"`
	// UsageFlushInterval is how often batched last-used times and
	// aggregated failed authentications are written.
	UsageFlushInterval time.Duration `yaml:"usage_flush_interval"`
	// HashConcurrency is how many argon2id checks (passwords, supplied
	// secrets) run at once; 0 sizes it from the CPUs and the memory limit.
	HashConcurrency int `yaml:"hash_concurrency"`
	// ClientCacheMB is the memory budget of each node's client cache, in
	// MiB (docs/operations.md, "Performance").
	ClientCacheMB int `yaml:"client_cache_mb"`
	// JobInterval is how often background jobs run (key and deny-list
	// reload, rotation auto-completion, clean-up).
	JobInterval time.Duration `yaml:"job_interval"`
	// RefreshTokenTTL is how long a generated refresh token is valid.
	RefreshTokenTTL time.Duration `yaml:"refresh_token_ttl"`
	// TLS (docs/operations.md): the certificate and key files (reloaded
	// when they change or on SIGHUP), whether to ask clients for a
	// certificate (none, request, verify-if-given) and the CAs that
	// verify-if-given checks them against.
	TLSCert       string `yaml:"tls_cert"`
	TLSKey        string `yaml:"tls_key"`
	TLSClientAuth string `yaml:"tls_client_auth"`
	TLSClientCA   string `yaml:"tls_client_ca"`
	// TrustedProxies are the CIDRs (or addresses) of reverse proxies whose
	// ProxyHeader (x-forwarded-for or forwarded) names the client.
	TrustedProxies []string `yaml:"trusted_proxies"`
	ProxyHeader    string   `yaml:"proxy_header"`
	// AdminListen, when set, serves /metrics, /healthz, /readyz and (with
	// Pprof) /debug/pprof/ on a listener of their own; MetricsTokenFile
	// makes /metrics require that bearer token.
	AdminListen      string `yaml:"admin_listen"`
	Pprof            bool   `yaml:"pprof"`
	MetricsTokenFile string `yaml:"metrics_token_file"`
	// Webhooks (docs/webhooks.md). AllowPrivate lists the CIDRs and host
	// names deliveries may reach although they are not public (and over
	// plain http); Dispatch runs the delivery loop on this node; the rest
	// tune delivery and retries.
	WebhookAllowPrivate AllowList     `yaml:"webhook_allow_private"`
	WebhookDispatch     bool          `yaml:"webhook_dispatch"`
	WebhookTimeout      time.Duration `yaml:"webhook_timeout"`
	WebhookPollInterval time.Duration `yaml:"webhook_poll_interval"`
	// WebhookRetrySchedule is the delay before each retry; a receiver's
	// Retry-After may lengthen one up to WebhookRetryAfterMax.
	WebhookRetrySchedule []time.Duration `yaml:"webhook_retry_schedule"`
	WebhookRetryAfterMax time.Duration   `yaml:"webhook_retry_after_max"`
	WebhookDisableAfter  time.Duration   `yaml:"webhook_disable_after"`
	// WebhookPayloadRetention is how long a finished delivery keeps its
	// payload and response excerpts; WebhookLogRetention how long it
	// stays in the delivery log at all.
	WebhookPayloadRetention time.Duration `yaml:"webhook_payload_retention"`
	WebhookLogRetention     time.Duration `yaml:"webhook_log_retention"`
	// Audit (audit.go, docs/operations.md "Audit log").
	Audit `yaml:",inline"`
	Leaks `yaml:",inline"`
}

// Defaults returns the configuration with nothing set.
func Defaults() Config {
	return Config{
		Listen:          "127.0.0.1:8080",
		DataDir:         "keywarden-data",
		LogLevel:        "info",
		ShutdownTimeout: 15 * time.Second,
		ListenerCheck:   2 * time.Second,
		ListenerTimeout: 2 * time.Second,

		WALCheckpointInterval: 10 * time.Second,

		TLSClientAuth: "none",
		ProxyHeader:   "x-forwarded-for",

		SigningAlgorithm:   "ES256",
		KeyActivationDelay: 10 * time.Minute,
		UsageFlushInterval: 10 * time.Second,
		ClientCacheMB:      256,
		JobInterval:        30 * time.Second,
		RefreshTokenTTL:    time.Hour,

		WebhookDispatch:         true,
		WebhookTimeout:          10 * time.Second,
		WebhookPollInterval:     time.Second,
		WebhookRetrySchedule:    []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour},
		WebhookRetryAfterMax:    6 * time.Hour,
		WebhookDisableAfter:     5 * 24 * time.Hour,
		WebhookPayloadRetention: 30 * 24 * time.Hour,
		WebhookLogRetention:     90 * 24 * time.Hour,

		Audit: auditDefaults(),
	}
}

// setting binds one Config field to a flag, an environment variable and a
// YAML key.
type setting struct {
	flag  string
	usage string
	bind  func(fs *pflag.FlagSet, c *Config, def Config)
}

var settings = []setting{
	{"listen", "address to listen on (host:port)", func(fs *pflag.FlagSet, c *Config, d Config) {
		fs.StringVar(&c.Listen, "listen", d.Listen, "")
	}},
	{"data-dir", "data directory: the SQLite database and, with --dev, the generated master key", func(fs *pflag.FlagSet, c *Config, d Config) {
		fs.StringVar(&c.DataDir, "data-dir", d.DataDir, "")
	}},
	{"database", `"sqlite" (default, in --data-dir) or a postgres:// URL`, func(fs *pflag.FlagSet, c *Config, d Config) {
		fs.StringVar(&c.Database, "database", d.Database, "")
	}},
	{"master-key-file", "file holding the 32-byte master key (64 hex characters or base64), mode 0600", func(fs *pflag.FlagSet, c *Config, d Config) {
		fs.StringVar(&c.MasterKeyFile, "master-key-file", d.MasterKeyFile, "")
	}},
	{"public-url", "external base URL of this server (the OAuth issuer), e.g. https://keys.example.com", func(fs *pflag.FlagSet, c *Config, d Config) {
		fs.StringVar(&c.PublicURL, "public-url", d.PublicURL, "")
	}},
	{"dev", "development mode: generate a master key into --data-dir when none is configured", func(fs *pflag.FlagSet, c *Config, d Config) {
		fs.BoolVar(&c.Dev, "dev", d.Dev, "")
	}},
	{"log-level", "debug, info, warn or error", func(fs *pflag.FlagSet, c *Config, d Config) {
		fs.StringVar(&c.LogLevel, "log-level", d.LogLevel, "")
	}},
	{"shutdown-timeout", "how long to wait for requests in flight at shutdown", func(fs *pflag.FlagSet, c *Config, d Config) {
		fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", d.ShutdownTimeout, "")
	}},
	{"drain-delay", "on SIGTERM, how long to keep serving with /readyz unready before stopping (longer than the load balancer's health-check interval times its fall count)", func(fs *pflag.FlagSet, c *Config, d Config) {
		fs.DurationVar(&c.DrainDelay, "drain-delay", d.DrainDelay, "")
	}},
	{"listener-check", "how often a silent PostgreSQL change listener checks its connection", func(fs *pflag.FlagSet, c *Config, d Config) {
		fs.DurationVar(&c.ListenerCheck, "listener-check", d.ListenerCheck, "")
	}},
	{"listener-timeout", "how long the change listener's connection check and reconnection may take", func(fs *pflag.FlagSet, c *Config, d Config) {
		fs.DurationVar(&c.ListenerTimeout, "listener-timeout", d.ListenerTimeout, "")
	}},
	{"expiry-notice-interval", "how often secrets' expiry notices are sent (0: --job-interval)", func(fs *pflag.FlagSet, c *Config, d Config) {
		fs.DurationVar(&c.ExpiryNoticeInterval, "expiry-notice-interval", d.ExpiryNoticeInterval, "")
	}},
	{"wal-checkpoint-interval", "how often SQLite's write-ahead log is checkpointed and truncated", func(fs *pflag.FlagSet, c *Config, d Config) {
		fs.DurationVar(&c.WALCheckpointInterval, "wal-checkpoint-interval", d.WALCheckpointInterval, "")
	}},
	{"signing-algorithm", "algorithm of new token-signing keys: ES256, EdDSA or RS256", func(fs *pflag.FlagSet, c *Config, d Config) {
		fs.StringVar(&c.SigningAlgorithm, "signing-algorithm", d.SigningAlgorithm, "")
	}},
	{"key-activation-delay", "how long a rotated signing key is published in the JWKS before it signs", func(fs *pflag.FlagSet, c *Config, d Config) {
		fs.DurationVar(&c.KeyActivationDelay, "key-activation-delay", d.KeyActivationDelay, "")
	}},
	{"dpop-nonce", "require a server nonce (DPoP-Nonce) in DPoP proofs at the token endpoint", func(fs *pflag.FlagSet, c *Config, d Config) {
		fs.BoolVar(&c.DPoPNonce, "dpop-nonce", d.DPoPNonce, "")
	}},
	{"usage-flush-interval", "how often batched last-used times and failed authentications are written (at most 10s)", func(fs *pflag.FlagSet, c *Config, d Config) {
		fs.DurationVar(&c.UsageFlushInterval, "usage-flush-interval", d.UsageFlushInterval, "")
	}},
	{"hash-concurrency", "argon2id checks (passwords, supplied secrets) run at once, ~20 MiB each; 0: one per two CPUs within a quarter of GOMEMLIMIT (or 128 MiB)", func(fs *pflag.FlagSet, c *Config, d Config) {
		fs.IntVar(&c.HashConcurrency, "hash-concurrency", d.HashConcurrency, "")
	}},
	{"client-cache-mb", "memory budget of the client cache in MiB (about 1.3 KiB a client with one secret)", func(fs *pflag.FlagSet, c *Config, d Config) {
		fs.IntVar(&c.ClientCacheMB, "client-cache-mb", d.ClientCacheMB, "")
	}},
	{"job-interval", "how often background jobs run (key and deny-list reload, rotation auto-completion, clean-up)", func(fs *pflag.FlagSet, c *Config, d Config) {
		fs.DurationVar(&c.JobInterval, "job-interval", d.JobInterval, "")
	}},
	{"refresh-token-ttl", "lifetime of generated refresh tokens", func(fs *pflag.FlagSet, c *Config, d Config) {
		fs.DurationVar(&c.RefreshTokenTTL, "refresh-token-ttl", d.RefreshTokenTTL, "")
	}},
	{"tls-cert", "PEM certificate chain: serve HTTPS (with --tls-key); reloaded when the file changes or on SIGHUP", func(fs *pflag.FlagSet, c *Config, d Config) {
		fs.StringVar(&c.TLSCert, "tls-cert", d.TLSCert, "")
	}},
	{"tls-key", "PEM private key of --tls-cert", func(fs *pflag.FlagSet, c *Config, d Config) {
		fs.StringVar(&c.TLSKey, "tls-key", d.TLSKey, "")
	}},
	{"tls-client-auth", "ask TLS clients for a certificate: none, request (any, unverified) or verify-if-given (checked against --tls-client-ca)", func(fs *pflag.FlagSet, c *Config, d Config) {
		fs.StringVar(&c.TLSClientAuth, "tls-client-auth", d.TLSClientAuth, "")
	}},
	{"tls-client-ca", "PEM file of the CAs that verify client certificates (--tls-client-auth verify-if-given)", func(fs *pflag.FlagSet, c *Config, d Config) {
		fs.StringVar(&c.TLSClientCA, "tls-client-ca", d.TLSClientCA, "")
	}},
	{"trusted-proxies", "comma-separated CIDRs or addresses of reverse proxies whose forwarding header names the client (default none)", func(fs *pflag.FlagSet, c *Config, d Config) {
		fs.StringSliceVar(&c.TrustedProxies, "trusted-proxies", d.TrustedProxies, "")
	}},
	{"proxy-header", "header the trusted proxies write: x-forwarded-for (with X-Forwarded-Proto) or forwarded (RFC 7239)", func(fs *pflag.FlagSet, c *Config, d Config) {
		fs.StringVar(&c.ProxyHeader, "proxy-header", d.ProxyHeader, "")
	}},
	{"admin-listen", "separate address for /metrics, /healthz, /readyz and pprof (then /metrics is not served on --listen)", func(fs *pflag.FlagSet, c *Config, d Config) {
		fs.StringVar(&c.AdminListen, "admin-listen", d.AdminListen, "")
	}},
	{"pprof", "serve Go's /debug/pprof/ on --admin-listen", func(fs *pflag.FlagSet, c *Config, d Config) {
		fs.BoolVar(&c.Pprof, "pprof", d.Pprof, "")
	}},
	{"metrics-token-file", "file holding a bearer token that /metrics then requires", func(fs *pflag.FlagSet, c *Config, d Config) {
		fs.StringVar(&c.MetricsTokenFile, "metrics-token-file", d.MetricsTokenFile, "")
	}},
	{"webhook-allow-private", "comma-separated CIDRs and host names webhooks may reach although not public, also over plain http (e.g. 127.0.0.1/32; SSRF risk)", func(fs *pflag.FlagSet, c *Config, d Config) {
		fs.StringSliceVar((*[]string)(&c.WebhookAllowPrivate), "webhook-allow-private", d.WebhookAllowPrivate, "")
	}},
	{"webhook-dispatch", "deliver webhooks from this node (false: only enqueue them, for nodes that serve the API alone)", func(fs *pflag.FlagSet, c *Config, d Config) {
		fs.BoolVar(&c.WebhookDispatch, "webhook-dispatch", d.WebhookDispatch, "")
	}},
	{"webhook-timeout", "how long one webhook delivery may take", func(fs *pflag.FlagSet, c *Config, d Config) {
		fs.DurationVar(&c.WebhookTimeout, "webhook-timeout", d.WebhookTimeout, "")
	}},
	{"webhook-poll-interval", "how often the dispatcher looks for due webhook deliveries", func(fs *pflag.FlagSet, c *Config, d Config) {
		fs.DurationVar(&c.WebhookPollInterval, "webhook-poll-interval", d.WebhookPollInterval, "")
	}},
	{"webhook-retry-schedule", "comma-separated delays before each webhook retry (each ±20% jitter); after the last the delivery has failed", func(fs *pflag.FlagSet, c *Config, d Config) {
		fs.DurationSliceVar(&c.WebhookRetrySchedule, "webhook-retry-schedule", d.WebhookRetrySchedule, "")
	}},
	{"webhook-retry-after-max", "the longest wait a webhook receiver's Retry-After can ask for", func(fs *pflag.FlagSet, c *Config, d Config) {
		fs.DurationVar(&c.WebhookRetryAfterMax, "webhook-retry-after-max", d.WebhookRetryAfterMax, "")
	}},
	{"webhook-payload-retention", "how long a finished webhook delivery keeps its payload and response excerpts (the rest of its record stays)", func(fs *pflag.FlagSet, c *Config, d Config) {
		fs.DurationVar(&c.WebhookPayloadRetention, "webhook-payload-retention", d.WebhookPayloadRetention, "")
	}},
	{"webhook-log-retention", "how long a finished webhook delivery stays in the delivery log", func(fs *pflag.FlagSet, c *Config, d Config) {
		fs.DurationVar(&c.WebhookLogRetention, "webhook-log-retention", d.WebhookLogRetention, "")
	}},
	{"webhook-disable-after", "how long a webhook endpoint must fail without a success (and a delivery's retries run out) before it is disabled", func(fs *pflag.FlagSet, c *Config, d Config) {
		fs.DurationVar(&c.WebhookDisableAfter, "webhook-disable-after", d.WebhookDisableAfter, "")
	}},
}

// Loader holds the flag-bound values of one command until Load.
type Loader struct {
	fs    *pflag.FlagSet
	flags Config
	file  string
	names []string
}

// Register adds the named settings' flags (all when names is empty) and
// --config to fs.
func Register(fs *pflag.FlagSet, names ...string) *Loader {
	l := &Loader{fs: fs, flags: Defaults()}
	d := Defaults()
	for _, s := range settings {
		if len(names) > 0 && !contains(names, s.flag) {
			continue
		}
		s.bind(fs, &l.flags, d)
		fs.Lookup(s.flag).Usage = s.usage + " (env " + EnvName(s.flag) + ")"
		l.names = append(l.names, s.flag)
	}
	fs.StringVar(&l.file, "config", "", "YAML configuration file (env KEYWARDEN_CONFIG)")
	return l
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// EnvName returns the environment variable for a flag: KEYWARDEN_DATA_DIR
// for data-dir.
func EnvName(flag string) string {
	return "KEYWARDEN_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// Load applies file, environment and flags, in that order of precedence
// (flags win), and validates the result. getenv is os.Getenv in production.
func (l *Loader) Load(getenv func(string) string) (Config, error) {
	c := Defaults()
	var errs []error
	file := l.file
	if file == "" {
		file = getenv("KEYWARDEN_CONFIG")
	}
	if file != "" {
		if err := loadFile(file, &c); err != nil {
			errs = append(errs, err)
		}
	}
	// Environment, then flags, per setting. Each setting is applied by
	// parsing its text form through a scratch flag set, so env values get
	// the same parsing and errors as flags.
	for _, name := range l.names {
		f := l.fs.Lookup(name)
		var text string
		switch {
		case f.Changed:
			text = f.Value.String()
			if sv, ok := f.Value.(pflag.SliceValue); ok {
				text = strings.Join(sv.GetSlice(), ",")
			}
		case getenv(EnvName(name)) != "":
			text = getenv(EnvName(name))
		default:
			continue
		}
		scratch := pflag.NewFlagSet("", pflag.ContinueOnError)
		for _, s := range settings {
			if s.flag == name {
				s.bind(scratch, &c, c)
			}
		}
		if err := scratch.Set(name, text); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", EnvName(name), err))
		}
	}
	c.MasterKey = Secret(getenv("KEYWARDEN_MASTER_KEY"))
	if len(errs) > 0 {
		return c, errors.Join(errs...)
	}
	return c, c.Validate()
}

func loadFile(path string, c *Config) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config file: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)                                            // an unknown key is an error that names it
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) { // io.EOF: an empty file
		return fmt.Errorf("config file %s: %w", path, err)
	}
	return nil
}

// IsPostgres reports whether the configuration selects PostgreSQL.
func (c Config) IsPostgres() bool {
	return strings.HasPrefix(c.Database, "postgres://") || strings.HasPrefix(c.Database, "postgresql://")
}

// Validate reports every problem with c.
func (c Config) Validate() error {
	var errs []error
	if c.Database != "" && c.Database != "sqlite" && !c.IsPostgres() {
		errs = append(errs, errors.New(`database: must be "sqlite" or a postgres:// URL`))
	}
	if !c.IsPostgres() && c.DataDir == "" {
		errs = append(errs, errors.New("data-dir: required for SQLite"))
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			errs = append(errs, errors.New("public-url: must be an absolute http(s) URL without query or fragment"))
		}
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("log-level %q: must be debug, info, warn or error", c.LogLevel))
	}
	if c.ShutdownTimeout <= 0 {
		errs = append(errs, errors.New("shutdown-timeout: must be positive"))
	}
	switch c.SigningAlgorithm {
	case "ES256", "EdDSA", "RS256":
	default:
		errs = append(errs, fmt.Errorf("signing-algorithm %q: must be ES256, EdDSA or RS256", c.SigningAlgorithm))
	}
	if c.KeyActivationDelay < 0 || c.KeyActivationDelay > 7*24*time.Hour {
		errs = append(errs, errors.New("key-activation-delay: must be between 0 and 168h"))
	}
	if c.UsageFlushInterval <= 0 || c.UsageFlushInterval > 10*time.Second {
		errs = append(errs, errors.New("usage-flush-interval: must be positive and at most 10s"))
	}
	if c.HashConcurrency < 0 || c.HashConcurrency > 256 {
		errs = append(errs, errors.New("hash-concurrency: must be between 0 (automatic) and 256"))
	}
	if c.ClientCacheMB < 1 || c.ClientCacheMB > 1<<20 {
		errs = append(errs, errors.New("client-cache-mb: must be between 1 and 1048576"))
	}
	if c.JobInterval < 100*time.Millisecond || c.JobInterval > time.Hour {
		errs = append(errs, errors.New("job-interval: must be between 100ms and 1h"))
	}
	if c.ExpiryNoticeInterval != 0 && (c.ExpiryNoticeInterval < 100*time.Millisecond || c.ExpiryNoticeInterval > 24*time.Hour) {
		errs = append(errs, errors.New("expiry-notice-interval: must be 0 (--job-interval) or between 100ms and 24h"))
	}
	if c.RefreshTokenTTL < time.Minute || c.RefreshTokenTTL > 30*24*time.Hour {
		errs = append(errs, errors.New("refresh-token-ttl: must be between 1m and 720h"))
	}
	errs = append(errs, c.validateNetwork()...)
	errs = append(errs, c.validateAudit()...)
	errs = append(errs, c.validateLeaks()...)
	for _, d := range []struct {
		name     string
		v        time.Duration
		min, max time.Duration
	}{
		{"drain-delay", c.DrainDelay, 0, 10 * time.Minute},
		{"listener-check", c.ListenerCheck, 50 * time.Millisecond, time.Minute},
		{"listener-timeout", c.ListenerTimeout, 50 * time.Millisecond, time.Minute},
		{"wal-checkpoint-interval", c.WALCheckpointInterval, 100 * time.Millisecond, time.Hour},
		{"webhook-timeout", c.WebhookTimeout, 100 * time.Millisecond, time.Minute},
		{"webhook-poll-interval", c.WebhookPollInterval, 10 * time.Millisecond, time.Minute},
		{"webhook-retry-after-max", c.WebhookRetryAfterMax, time.Second, 24 * time.Hour},
		{"webhook-disable-after", c.WebhookDisableAfter, time.Second, 30 * 24 * time.Hour},
		{"webhook-payload-retention", c.WebhookPayloadRetention, time.Hour, 10 * 365 * 24 * time.Hour},
		{"webhook-log-retention", c.WebhookLogRetention, time.Hour, 10 * 365 * 24 * time.Hour},
	} {
		if d.v < d.min || d.v > d.max {
			errs = append(errs, fmt.Errorf("%s: must be between %v and %v", d.name, d.min, d.max))
		}
	}
	if c.WebhookLogRetention < c.WebhookPayloadRetention {
		errs = append(errs, errors.New("webhook-log-retention: must not be shorter than webhook-payload-retention"))
	}
	if n := len(c.WebhookRetrySchedule); n < 1 || n > 20 {
		errs = append(errs, errors.New("webhook-retry-schedule: must list 1 to 20 delays"))
	}
	for _, d := range c.WebhookRetrySchedule {
		if d < 10*time.Millisecond || d > 24*time.Hour {
			errs = append(errs, fmt.Errorf("webhook-retry-schedule: %v: every delay must be between 10ms and 24h", d))
			break
		}
	}
	return errors.Join(errs...)
}
