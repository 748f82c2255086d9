// Package cli is Keywarden's command line: serve, migrate, init, audit
// verify, backup, restore and rekey work on the store directly; the admin commands (clients, secrets,
// audit list, …) talk to a running server through the same HTTP API users
// call, so the CLI can never bypass API authorization.
//
// keywarden login stores the session token in the user's configuration
// directory (keywarden/session.json, mode 0600 in a 0700 directory). The
// admin commands use it when neither --token nor KEYWARDEN_TOKEN is given,
// and only ever send it to the server it was opened on. Passwords and
// secrets are read from the terminal without echo, or from standard input
// with --password-stdin / --secret-stdin: never from flags.
//
// Flag values live in closures, never in package variables, and Main is
// testable: it takes its arguments and output streams.
//
// Imports: config, server, pkg/keywarden (the SDK), pkg/apiv1, leakscan;
// datakey, keyring, store and store/sqlite for backup, restore and rekey.
package cli
