// Package httpx is the middleware every transport shares: request IDs, one
// JSON access-log line per request, panic recovery (a 500 with no detail),
// security headers (HSTS on HTTPS), JSON writing, the cookie policy
// (Cookies), the 499 status of a request whose client went away
// (ClientGone), and the request's Peer: the client address, scheme and TLS
// client certificate, resolved once (ResolvePeer) through trusted reverse
// proxies (Forwarded, RFC 7239, or X-Forwarded-For/-Proto) and read
// downstream only through ClientIP, Secure and ClientCertificate.
//
// It never logs headers, bodies or query strings, so no secret or token
// value can reach a log through it.
//
// Imports: no internal packages.
package httpx
