// Package metrics owns Keywarden's Prometheus registry and its named
// collectors: HTTP requests, authentications and their outcomes, rate
// limits, webhook deliveries, the change listener, the database pool, the
// build, and the figures that need the store (computed at scrape time, at
// most once per StateTTL). Labels take values from small fixed sets (route
// patterns, status classes, grant types, outcomes, limits), never from
// client input, so a caller cannot blow up the number of series; each
// value's series is resolved once, so counting on the token path is a map
// read and an atomic add. docs/operations.md lists every metric.
//
// Imports: buildinfo (and the Prometheus client library).
package metrics
