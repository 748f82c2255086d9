// Package oauth serves the OAuth 2.0 endpoints: the token endpoint
// (client_credentials, RFC 6749 §4.4, and refresh_token, §6), token
// introspection (RFC 7662), token revocation (RFC 7009), authorization
// server metadata (RFC 8414) and the JWKS.
//
// Each endpoint parses the form, authenticates the client (credential:
// client_secret_basic, client_secret_post or private_key_jwt, exactly one),
// makes one call to the token issuer (token.Issuer: issue, introspect or
// revoke) and renders. Endpoint code returns *Error values; one writer
// renders them as RFC 6749 §5.2 JSON with Cache-Control: no-store, and a
// 401 always carries WWW-Authenticate. The token path reads only memory
// (a private_key_jwt assertion also records its jti in the store).
//
// Imports: credential, token, httpx, domain, metrics, dpop.
package oauth
