// Package archtest holds the test that enforces STYLE.md's dependency
// table: each package may import only the internal packages listed for it,
// transports never reach the store, and every doc.go's Imports: line says
// what its package imports.
//
// Imports: none.
package archtest
