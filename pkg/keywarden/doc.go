// Package keywarden is the public Go SDK: a typed Go client for Keywarden's /v1 admin API. The
// CLI and the end-to-end tests use it, so they exercise exactly the HTTP API
// (and its authorization) that every other caller sees.
//
// Requests and responses are the wire types of pkg/apiv1, shared with the
// server. A non-2xx answer is returned as an *apiv1.Problem. The API token
// is only ever sent in the Authorization header: it never appears in an
// error, a URL or a log line.
//
// Imports: pkg/apiv1 (and the standard library).
package keywarden
