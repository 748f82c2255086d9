// Package problem is the one mapping from errors to what a caller is told:
// the HTTP status, a message in the service's own words, the invalid fields
// and how long to wait. The admin API renders it as application/problem+json
// (RFC 9457) and the console as an error page, so the two cannot disagree.
//
// Errors that are not the caller's doing (anything For does not know) are
// a 500 with no detail: the transport logs them.
//
// Imports: domain.
package problem
