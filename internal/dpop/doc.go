// Package dpop checks DPoP proofs (RFC 9449): a client proves, with each
// request, that it holds the private key its tokens are bound to. It
// verifies one proof's form, signature, method, URI, time and nonce, and
// names the key by its RFC 7638 thumbprint (the jkt the tokens carry);
// remembering which proofs were used (jti) is the caller's, across nodes,
// in the store.
//
// Server nonces are stateless: a time and an HMAC of it under a key every
// node derives alike, so a nonce one node gave is good on any other for
// NonceLifetime.
//
// Imports: no internal packages (go-jose).
package dpop
