// Package oidcop starts a real OpenID Provider on loopback for tests: the
// example server of zitadel/oidc (an OpenID-certified OP library), with
// its login page, users and clients given by the test, a groups claim in
// the ID token when the "groups" scope is asked for, and switches that
// make it misbehave (a wrong nonce, a foreign signing key, down) so that
// tests see what a relying party does with a bad provider.
//
// It is test support: only tests import it.
//
// Imports: none.
package oidcop
