// Package token owns access tokens (JWTs per RFC 9068), the signing keys
// that sign them and their rollover, the access-token deny list, and
// one-time refresh tokens.
//
// The Issuer owns issuance end to end: from an authenticated client
// (domain.ClientAuth) and its request it decides scope (RFC 6749 §3.3) and
// lifetime, builds the claims, and for a refresh_token grant redeems the
// refresh token, signs and issues the successor in one transaction, so
// that a failure at any step leaves the old refresh token usable. It is
// also the one place that decides whether an access token is active
// (introspection, and the admin API's personal-credential tokens) and that
// revokes tokens (RFC 7009).
//
// Minting and parsing read only memory: keys and the deny list are loaded
// from the store at start and after every change, which is announced to
// every node through the store's notifications (a periodic reload is the
// safety net). A new signing key is published in the JWKS at once but
// signs only after an activation delay, so that verifiers have fetched it
// before they see a token it signed.
//
// Imports: domain, store, keyring, secretvalue, audit, webhook, metrics, dpop.
package token
