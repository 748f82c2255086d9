// Package testkit holds what tests in several packages share: a settable
// clock (tests control time instead of sleeping), golden files, and
// reading one series of a Prometheus handler.
//
// Only tests import it.
//
// Imports: none.
package testkit
