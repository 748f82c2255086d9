// Package cli is Keywarden's command line: serve, migrate, init and audit
// verify work on the store directly; the admin commands (clients, secrets,
// audit list, …) talk to a running server through the same HTTP API users
// call, so the CLI can never bypass API authorization.
//
// Flag values live in closures, never in package variables, and Main is
// testable: it takes its arguments and output streams.
//
// Imports: config, server, apiclient, api/apiv1.
package cli
