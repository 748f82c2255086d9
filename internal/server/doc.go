// Package server is Keywarden's composition root: it opens the store the
// configuration names, loads the master key, builds the services, mounts
// the transports on one mux and runs the HTTP server until its context
// ends, then shuts down gracefully.
//
// Only this package names concrete store backends.
//
// Imports: everything below it; never cli.
package server
