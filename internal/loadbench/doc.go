// Package loadbench drives HTTP load at OAuth endpoints on the loopback
// interface and measures it, and holds the reference handlers that
// Keywarden's throughput is compared against.
//
// The driver (Run) sends the same POST from a fixed number of workers over
// keep-alive connections for a fixed time, bounded also by a request count,
// and reports requests, errors (any answer but 200, or a body the target's
// check refuses), throughput and latency quantiles from a log-linear
// histogram. It refuses any URL whose host is not a loopback IP literal and
// follows no redirects, so it cannot be pointed at another machine.
//
// Wrk drives the same kind of load with wrk (an external generator cheap
// enough that the server is the limit), through the embedded wrk.lua: one
// of N Authorization headers per request, every answer checked. Each run
// reports wrk's CPU time (its rusage) and the serving process's
// (/proc/PID/stat), so that a caller can tell when the generator, not the
// server, was the bottleneck (WrkSaturated).
//
// The reference (Reference) is the least a token endpoint and an
// introspection endpoint can do with the same wire format: a map lookup, a
// keyed-hash check of a generated secret, an ES256 or EdDSA JWT signed or verified
// with go-jose, and the same JSON answer. Keywarden's throughput as a
// fraction of the reference's is the figure the keywarden-bench command
// reports.
//
// Imports: secretvalue (and go-jose and the standard library).
package loadbench
