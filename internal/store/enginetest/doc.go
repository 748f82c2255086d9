// Package enginetest opens fresh stores on every engine a test run offers,
// for service-level tests that must hold on both: SQLite always, and
// PostgreSQL when KEYWARDEN_TEST_POSTGRES names a database (each store on
// a schema of its own, dropped afterwards).
//
// Only tests import it.
//
// Imports: store, store/sqlite, store/postgres, store/sqlstore, domain.
package enginetest
