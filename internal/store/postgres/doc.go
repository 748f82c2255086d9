// Package postgres opens Keywarden's PostgreSQL store (pgx through
// database/sql), for installations that outgrow one machine: any number of
// Keywarden nodes share one database. Migrations are embedded
// (migrations/*.sql) and applied under a session advisory lock, so nodes
// starting together migrate once. Notifications are NOTIFY (pg_notify in the
// sender's transaction) and LISTEN (a connection of its own per Listen).
//
// Imports: store/sqlstore.
package postgres
