// Package apiv1 holds the wire types of the /v1 admin API: JSON request and
// response bodies, the RFC 9457 Problem, and the OAuth metadata and JWKS
// documents. The server, the Go SDK (pkg/keywarden) and the CLI share them,
// so the three cannot drift apart.
//
// Imports: the standard library only.
package apiv1
