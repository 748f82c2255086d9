// Package store is Keywarden's persistence boundary: the Store interface,
// its write contract, and the notifications (Notifier) that tell every node
// sharing the database about a change.
//
// The write contract, so that no racy update can be written by accident:
//   - A read–change–write of an entity is one UpdateX(ctx, org, id, fn)
//     call: the row is locked (SELECT … FOR UPDATE on PostgreSQL; SQLite's
//     IMMEDIATE transactions serialise writers) while fn changes the stored
//     value, and what fn leaves is written. There is no method that writes
//     back a whole row read earlier.
//   - One-time things are conditional updates that report whether this call
//     won (ConsumeTOTPStep, ConsumeRecoveryCode, UseRefreshToken,
//     RevokeSecret, CompleteRotation, claims of webhook messages, audit
//     stream leases and positions).
//   - A rule over several rows (the last super admin, the limit of a
//     client's secrets, one personal credential per user) is decided under
//     a Tx lock (Locks) taken before the rows it counts are read.
//   - A long read that must agree with itself (verifying the audit chain)
//     runs in ReadAuditSnapshot's snapshot, not in InTx.
//   - Inside InTx, code gets a Tx: the data and the locks, but no InTx,
//     Listen, Ping or Close, so a transaction can neither nest nor escape.
//
// Backends live in subpackages (sqlite, postgres, both over sqlstore) and
// must pass the conformance suite in storetest, which races goroutines
// against each of these rules. Every method is scoped by organisation where
// the object belongs to one; another organisation's object is
// domain.ErrNotFound.
//
// Imports: domain.
package store
