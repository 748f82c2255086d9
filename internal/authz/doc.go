// Package authz decides what each caller may do: one permission table
// (which roles hold each permission, and whether a personal credential's
// access token holds it), the operation table, and Refusal, the one
// decision both transports make before any service is called. Pure
// functions.
//
// Imports: domain.
package authz
