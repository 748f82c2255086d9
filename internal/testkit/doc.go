// Package testkit holds what tests in several packages share: a settable
// clock (tests control time instead of sleeping) and golden files.
//
// Only tests import it.
//
// Imports: none.
package testkit
