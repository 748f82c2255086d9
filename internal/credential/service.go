package credential

import (
	"context"
	"net/http"
	"time"

	"keywarden/internal/audit"
	"keywarden/internal/domain"
	"keywarden/internal/keyring"
	"keywarden/internal/metrics"
	"keywarden/internal/ratelimit"
	"keywarden/internal/slowhash"
	"keywarden/internal/store"
	"keywarden/internal/webhook"
)

// Failed-authentication limits: a burst, then a steady rate
// (docs/security.md, "Guessing limits").
const (
	// Per client ID at one source address.
	ClientFailureBurst      = 10
	ClientFailuresPerMinute = 10
	// Per source address.
	AddressFailureBurst      = 100
	AddressFailuresPerMinute = 60
	// Per client ID from any address, for values checked with argon2id
	// (guesses of a supplied secret), except from an address the client
	// succeeded from within KnownAddressTTL.
	ClientGuessBurst     = 10
	ClientGuessesPerHour = 10
	KnownAddressTTL      = 7 * 24 * time.Hour
)

// Service manages clients and secrets.
type Service struct {
	store       store.Store
	audit       *audit.Log
	keys        *keyring.Keyring
	verifierKey []byte
	now         func() time.Time
	cache       *cache
	usage       usage
	limitAddr   *ratelimit.Limiter // failures per source address
	limitClient *ratelimit.Limiter // failures per client ID at a source address
	limitGuess  *ratelimit.Limiter // argon2id guesses per client ID from any address
	passwords   *ratelimit.Limiter // password guesses per email, shared with the console login
	known       *ratelimit.Known   // client ID|address pairs that succeeded
	hashes      *slowhash.Gate     // bounds the argon2id checks in flight
	failures    failures
	events      *webhook.Outbox
	checkHook   func(url string) error
	metrics     *metrics.Metrics
	jwks        *jwksCache
}

// Options are the Service's dependencies.
type Options struct {
	Store   store.Store
	Audit   *audit.Log
	Keyring *keyring.Keyring
	Now     func() time.Time // time.Now when nil
	// Webhooks receives the events of every change, in its transaction
	// (nil: none are sent).
	Webhooks *webhook.Outbox
	// CheckWebhookURL refuses webhook URLs the server will not deliver to
	// (SSRF); nil accepts any http(s) URL.
	CheckWebhookURL func(url string) error
	// Metrics counts rate-limit refusals (none when nil).
	Metrics *metrics.Metrics
	// Hashes bounds the argon2id checks of supplied secrets; share one
	// Gate with the account service (a default Gate of its own when nil).
	Hashes *slowhash.Gate
	// PasswordGuesses, if set, is the console login's per-email guessing
	// limiter (account.Options.PasswordGuesses): a value that is not a
	// generated secret sent to POST /v1/auth/login takes a slot of it too,
	// since it may be checked as the user's password (legacy.go), so the
	// two logins share one guessing budget per email.
	PasswordGuesses *ratelimit.Limiter
	// CacheBytes is the client cache's memory budget (DefaultCacheBytes
	// when 0).
	CacheBytes int64
	// JWKSClient fetches clients' JWK Sets (jwks_uri keys): the
	// SSRF-guarded client webhooks are delivered with. Nil: jwks_uri keys
	// are refused.
	JWKSClient *http.Client
}

// New returns a Service.
func New(o Options) *Service {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	hashes := o.Hashes
	if hashes == nil {
		hashes = slowhash.New(slowhash.Options{})
	}
	return &Service{
		store: o.Store, audit: o.Audit, keys: o.Keyring,
		verifierKey: o.Keyring.Derive(keyring.PurposeSecretVerifier), now: now,
		cache:       newCache(o.Store, o.CacheBytes),
		limitAddr:   ratelimit.New(AddressFailureBurst, AddressFailuresPerMinute, 100_000),
		limitClient: ratelimit.New(ClientFailureBurst, ClientFailuresPerMinute, 100_000),
		limitGuess:  ratelimit.New(ClientGuessBurst, ClientGuessesPerHour/60.0, 100_000),
		passwords:   o.PasswordGuesses,
		known:       ratelimit.NewKnown(KnownAddressTTL, 100_000),
		hashes:      hashes,
		events:      o.Webhooks, checkHook: o.CheckWebhookURL, metrics: o.Metrics,
		jwks: &jwksCache{client: o.JWKSClient, now: now},
	}
}

// clock returns now in UTC at the store's precision.
func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

func (s *Service) inTx(ctx context.Context, fn func(tx store.Tx) error) error {
	return s.store.InTx(ctx, fn)
}

// missingFirst returns the 404 of a client that does not exist before err,
// a validation error of a request about it: the caller learns first that
// the client is not there. It reads only when err is not nil.
func (s *Service) missingFirst(ctx context.Context, by domain.Actor, clientID domain.ClientID, err error) error {
	if err == nil {
		return nil
	}
	if _, gerr := getClient(ctx, s.store, by.OrgID, clientID); gerr != nil {
		return gerr
	}
	return err
}
