// Package audit owns the tamper-evident audit log: appending events inside
// the caller's transaction, listing them, verifying the chain,
// checkpoints and retention.
//
// Each event's hash is HMAC-SHA256, under a key derived from the master key,
// of the previous event's hash and every field of the event. Editing,
// deleting or reordering a row breaks the chain, and without the master key
// nobody can forge a consistent one. Events never hold secret values.
//
// Verify reads one consistent snapshot of the store and streams it
// (verify.go). A Checkpoint (checkpoint.go) is a sequence number and hash
// under a MAC keyed from the chain's key: kept outside the database (the
// server's log, an audit stream), it proves later that the chain still
// contains that event, which the chain alone cannot show after its newest
// events were removed or the log wiped. Retention (retention.go) removes
// old events behind an archive mark authenticated the same way.
//
// Imports: store, domain.
package audit
