// Package audit owns the tamper-evident audit log: appending events inside
// the caller's transaction, listing them, and verifying the chain.
//
// Each event's hash is HMAC-SHA256, under a key derived from the master key,
// of the previous event's hash and every field of the event. Editing,
// deleting or reordering a row breaks the chain, and without the master key
// nobody can forge a consistent one. Events never hold secret values.
//
// Imports: store, domain.
package audit
