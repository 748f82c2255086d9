// Package server is Keywarden's composition root: it opens the store the
// configuration names, loads the master key, builds the services, mounts
// the transports on one mux and runs the HTTP server until its context
// ends, then shuts down gracefully (unready, the drain delay, then the
// requests in flight). jobs.go is the schedule of background jobs, each
// with its own interval. listen.go holds the listener side:
// trusted proxies, TLS (with certificate reload on change and SIGHUP), the
// optional admin listener and the metrics token.
//
// Only this package names concrete store backends.
//
// Imports: everything below it; never cli.
package server
