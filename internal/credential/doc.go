// Package credential owns API clients, their secrets and personal
// credentials: creating, editing, rotating and revoking them under the
// organisation's policy, and authenticating them on the token path.
//
// Every change runs in one store transaction together with its audit event
// and its webhook event (webhook.Outbox), so a crash can never leave a
// revoked secret unaudited or a receiver unnotified. A secret value exists
// in plain text only in the result of the call that created it. Edits go
// through the store's UpdateX methods (the row locked while they apply);
// creating or rotating secrets holds the client's lock, so at most
// MaxActiveSecrets are active and at most one rotation is open, and a
// personal credential holds its user's.
//
// SearchClients (filters, orders, cursor pages) and Overview (the
// organisation's credential health) read the store in a fixed number of
// queries whatever its size.
//
// Authenticate and TokenActive read an in-memory cache (cache.go) bounded
// by a memory budget, with no lifetime: every change invalidates it here
// and, through a store notification sent in the change's transaction, on
// every other node; unknown client IDs are remembered too. Authenticate
// takes its rate limits before the check, runs argon2id through the shared
// slowhash gate (a dummy check for unknown clients), and writes nothing:
// successes are batched (usage.go writes last-used times and the
// aggregated audit later), failures aggregated per client or address and
// minute (failures.go), each flushed in short transactions
// (docs/security.md). ImportClients bulk-loads NDJSON (keywarden import).
//
// Seed 000's legacy password login (legacy.go) checks an eligible user's
// console password at AuthenticatePersonal through the same gate and
// limits, and confirms it under the user's row lock; its tokens live as
// long as the user's migration. RunCredentialRequired (required.go) sends
// user.credential_required once per user and period, gated by a unique
// notice row.
//
// Clients may also hold public keys (keys.go: JWKs, checked to be public
// and asymmetric, with an expiry within policy, revoked like secrets) and
// authenticate with private_key_jwt (assertion.go, RFC 7523):
// AuthenticateAssertion checks the signed JWT against the cached keys
// under the same limits, failure aggregation and usage batching, and
// consumes its jti in the store (the one write on that path) so that an
// assertion is accepted once across all nodes.
//
// Imports: domain, store, secretvalue, keyring, audit, ratelimit, slowhash, webhook, metrics.
package credential
