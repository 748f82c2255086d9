// Package token owns access tokens (JWTs per RFC 9068), the signing keys
// that sign them and their rollover, the access-token deny list, and
// one-time refresh tokens.
//
// Minting and parsing read only memory: keys and the deny list are loaded
// from the store at start and after every change, which is announced to
// every node through the store's notifications (a periodic reload is the
// safety net). A new signing key is published in the JWKS at once but
// signs only after an activation delay, so that verifiers have fetched it
// before they see a token it signed.
//
// Imports: domain, store, keyring, secretvalue, audit, webhook.
package token
