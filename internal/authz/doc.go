// Package authz decides what each role may do: one permission table, pure
// functions, enforced by the transports before any service is called.
//
// Imports: domain.
package authz
