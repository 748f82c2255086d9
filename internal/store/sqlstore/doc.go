// Package sqlstore is the one SQL implementation of store.Store, over
// database/sql. The DML is written once in portable SQL with "?"
// placeholders; a small Dialect covers what differs between SQLite and
// PostgreSQL (placeholders, row locks, byte-wise comparison, error
// classification), and a Bus
// carries each engine's notifications (store.Notifier). DDL lives in each
// engine's migrations.
//
// Store and Tx share the data methods (on conn); only Store opens
// transactions, listens and closes, only Tx holds locks.
//
// Times are stored as BIGINT microseconds since the Unix epoch (UTC), so
// both engines compare and order them the same way.
//
// Imports: store, domain.
package sqlstore
