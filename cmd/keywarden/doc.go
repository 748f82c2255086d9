// Command keywarden is the Keywarden server and its command line: serve,
// migrate, init, audit verify, and the admin commands that talk to a
// running server through its API. main only sets up signal handling and
// hands over to internal/cli.
package main
