// Package ratelimit counts failed authentications per key (a source
// address, an account, an account at a source address) and says when a
// key has failed too often and for how long it must wait.
//
// A slot is taken before the slow check (Take, TakeAll) and refunded when
// the attempt was not a failure, so concurrent attempts are counted as they
// start: a burst of N failures is evaluated no more than the limit, however
// many run at once. Successes are refunded, so a correct credential is never
// slowed down by its own successes. Known remembers where an account last
// succeeded. State is per process (docs/security.md, "Guessing limits").
//
// Imports: no internal packages (stdlib only).
package ratelimit
