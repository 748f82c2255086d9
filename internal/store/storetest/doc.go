// Package storetest owns the conformance suite that every store backend
// runs: Run checks one store.Store against the contract documented in
// package store (organisation scoping, sentinel errors, cursor pages,
// transactions, the audit chain, concurrent writers, and the write
// contract: UpdateX loses no update, one-time consumes win once, Tx locks
// keep limits, racing goroutines on one row), and RunMultiNode
// checks what only matters when several Keywarden nodes share one database.
//
// A backend's test is a few lines: an Opener that returns a new, empty,
// migrated store, passed to Run. Each check is a named subtest on its own
// store, so `go test -run 'TestConformance/ClientCRUD'` runs one of them
// and a failure in one never hides another.
//
// Imports: store, domain, testkit.
package storetest
