// Package sqlite opens Keywarden's embedded default store: SQLite (the pure
// Go modernc.org/sqlite driver) in the data directory, in WAL mode with a
// busy timeout and foreign keys on, migrated by goose from the embedded
// migrations/*.sql.
//
// Every transaction begins IMMEDIATE, so concurrent writers queue on the
// database lock instead of failing on a lock upgrade.
//
// Notifications stay in the process: they reach every store it opened on
// the same database file. Several Keywarden processes on one SQLite file
// are not supported.
//
// Imports: store, store/sqlstore.
package sqlite
