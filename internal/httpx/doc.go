// Package httpx is the middleware every transport shares: request IDs, one
// JSON access-log line per request, panic recovery (a 500 with no detail),
// the client address, security headers, JSON writing, and the 499 status of
// a request whose client went away (ClientGone).
//
// It never logs headers, bodies or query strings, so no secret or token
// value can reach a log through it.
//
// Imports: no internal packages.
package httpx
