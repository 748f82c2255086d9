// Package slowhash bounds the slow hash checks (argon2id of passwords and
// supplied secrets) that run at once. Each check takes about 19 MiB and
// ~90 ms of one CPU; unbounded, a flood of bad logins takes the server's
// memory with it, and busy CPUs take the token path's throughput. A Gate
// runs a fixed number of checks at once (one per two CPUs within the
// memory limit, or configured), lets a short queue wait
// for a turn for a bounded time, and refuses the rest at once with a
// BusyError that says when to retry: the caller answers 503 with
// Retry-After (docs/security.md, "Slow hashing"). Imitate stands in for a
// check against a hash that does not exist (an unknown client or email):
// it takes and holds a turn for as long as real checks recently took,
// computing nothing, so floods of made-up identifiers cost no CPU.
//
// Imports: no internal packages (stdlib only).
package slowhash
