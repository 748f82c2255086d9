// Package cli is Keywarden's command line: serve, migrate, init, audit
// verify, backup, restore and rekey work on the store directly; the admin commands (clients, secrets, client-keys,
// audit list, …) talk to a running server through the Go SDK
// (pkg/keywarden), the same HTTP API users call, so the CLI can never
// bypass API authorization.
//
// Every command that calls the API is built the same way: its RunE is
// apiFlags.run with an apiCommand (check the flags before connecting,
// connect, call), and what it prints is a view that output prints as JSON
// (-o json: the API object as the server sent it) or as a table. A new
// command group goes in a file of its own and is added in newRootCmd.
//
// keywarden login stores the session token in the user's configuration
// directory (keywarden/session.json, mode 0600 in a 0700 directory). The
// admin commands use it when neither --token nor KEYWARDEN_TOKEN is given,
// and only ever send it to the server it was opened on. Passwords and
// secrets are read from the terminal without echo, or from standard input
// with --password-stdin / --secret-stdin: never from flags.
//
// Flag values live in closures, never in package variables, and Main reads
// and writes only what it is given (arguments, standard streams, getenv),
// so that tests run it in parallel.
//
// Imports: config, server, audit, buildinfo, leakscan, datakey (the
// rotation's status type), pkg/keywarden (the SDK), pkg/apiv1,
// pkg/webhooksig. The local maintenance commands (backup, restore, rekey)
// go through server, the only package that names a backend.
package cli
