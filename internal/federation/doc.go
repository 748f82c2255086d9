// Package federation owns an organisation's OpenID Connect identity
// providers and the sign-in through them (docs/oidc.md): the authorization
// code flow with PKCE, a nonce and a one-time state, the ID token checked
// by go-oidc (signature against the provider's JWKS, iss, aud, exp), the
// verified email and the allowed domains; then account.SignInFederated
// links or provisions the user and opens the ordinary Keywarden session.
//
// A sign-in in progress travels sealed (AES-256-GCM under the data key) in
// a short-lived HttpOnly cookie that the console sets, so any node can
// finish it; its state is consumed once in the store. Providers' client
// secrets are sealed at rest with the provider's ID as associated data.
// Every change of a provider and every sign-in, failed ones too with
// their reason, is audited.
//
// A sign-in that keywarden login --sso started ends at the CLI's loopback
// listener instead (RFC 8252): a sealed one-time code that only the CLI,
// holding the verifier of its S256 challenge, exchanges for the session.
//
// Imports: domain, store, keyring, audit, account, secretvalue.
package federation
