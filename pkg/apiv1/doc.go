// Package apiv1 holds the wire types of the /v1 admin API: JSON request and
// response bodies and the RFC 9457 Problem. The server, the Go API client
// and the CLI share them, so the three cannot drift apart.
//
// Imports: the standard library only.
package apiv1
