// Package ratelimit counts failed authentications per key (a source
// address, or a client ID at a source address) and says when a key has
// failed too often and for how long it must wait.
//
// Only failures are counted, so a correct credential is never slowed down
// by its own successes. State is per process.
//
// Imports: no internal packages (stdlib and golang.org/x/time/rate).
package ratelimit
