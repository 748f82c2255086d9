// Package metrics owns Keywarden's Prometheus registry and its named
// collectors. Labels take values from small fixed sets (route patterns,
// status classes, grant types, outcomes), never from client input, so a
// caller cannot blow up the number of series.
//
// Imports: no internal packages (Prometheus client library).
package metrics
