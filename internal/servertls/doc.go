// Package servertls is the TLS side of the server's listener: the
// certificate and key from files (--tls-cert, --tls-key), reloaded without
// a restart when the files change or on demand (SIGHUP), and the
// tls.Config the listener serves with: TLS 1.2 or later with Go's default
// cipher suites and curves, HTTP/2 through ALPN, and optional client
// certificates (--tls-client-auth, --tls-client-ca) that httpx hands to the
// transports.
//
// A reload that fails (a half-written file, a key that does not match)
// keeps the certificate in use and reports the error; the next change or
// SIGHUP tries again.
//
// Imports: no internal packages.
package servertls
